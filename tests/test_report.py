from __future__ import annotations

import json
from dataclasses import asdict

import pandas as pd
import pytest
import yaml
from conftest import REPO

from kdre import SETUP_VERSION
from kdre.config import Params
from kdre.experiments.figure import plot
from kdre.experiments.render import markdown
from kdre.experiments.rows import collect, every_row
from kdre.experiments.runs import Run, lock_params, same_setup, setup_version, vectors_label
from kdre.experiments.summary import by_version, summarise

BASE = {
    "seed": 1,
    "gamma": "scalar",
    "train": {"epochs": 50},
    "teacher": {"tsd": True, "type_constraints": True, "base": "auto"},
    "student": {"hint": True, "maa": True, "kd": True},
}


def params(**changes):
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in BASE.items()}
    for key, value in changes.items():
        section, _, name = key.partition("__")
        if name:
            out[section][name] = value
        else:
            out[section] = value
    return out


def metrics(base, teacher, student, p=0.01, leaky=False, samples=None, version=SETUP_VERSION):
    split = "test_leaky" if leaky else "test"
    evaluate = {"student_vs_baseline.p_value": p}
    if samples is not None:
        evaluate["student_vs_baseline.samples"] = samples
    v = {} if version is None else {"setup_version": version}
    return {
        "baseline": {"dev": {"f1": base}, "test": {"f1": base}, "wall_seconds": 60, **v},
        "teacher": {"dev": {"f1": teacher}, split: {"f1": teacher}, "wall_seconds": 120, **v},
        "student": {"dev": {"f1": student}, "test": {"f1": student}, "wall_seconds": 180, **v},
        "evaluate": evaluate,
    }


def test_runs_of_another_setup_version_are_kept_apart():
    """Same params, older code: a run without setup_version (version 1) or of another version
    is never averaged with this version's runs. (The old run names the keys whose v1 default
    differs from today's: what it lacks means its own version's default.)"""
    old = params(seed=2, teacher__base_dropout_passes=8, teacher__gamma_lr=0.05)
    old["types"] = {"source": "wordnet"}
    runs = [
        Run("new", params(seed=1), metrics(70, 71, 72)),
        Run("old", old, metrics(10, 11, 12, version=None)),
        Run("other", params(seed=3), metrics(20, 21, 22, version=SETUP_VERSION + 1)),
    ]
    rows, skipped = collect(runs, params(), asdict(Params()))
    assert sorted(skipped) == ["old", "other"]
    assert set(rows["seed"]) == {1}
    assert setup_version(runs[1]) == 1
    every, _ = collect(runs, params(), asdict(Params()), any_version=True)
    assert sorted(every["setup_version"].unique()) == [1, SETUP_VERSION, SETUP_VERSION + 1]
    text = markdown(summarise(rows), rows, [], "", versions=by_version(every))
    assert "## The same params across setup versions" in text
    assert "| C-GCN | 1 | 10.00 | 10.00 ± – | 1 | 70.00 | 70.00 ± – | 1 | 20.00 |" in text


def test_rows_are_named_by_gamma_and_ablation_and_deduplicated():
    runs = [
        Run("a", params(seed=1), metrics(70, 71, 72)),
        Run("b", params(seed=2), metrics(74, 73, 76, p=0.2)),
        Run("c", params(seed=1, gamma="relation"), metrics(70, 99, 75, leaky=True)),
        Run(
            "d",
            params(seed=1, gamma="relation", student__hint=False),
            metrics(70, 99, 73, leaky=True),
        ),
        Run("e", params(seed=1, student__kd=False), metrics(70, 71, 69)),
        Run("old", params(train={"epochs": 100}), metrics(1, 1, 1)),
        Run("before-new-key", {**params(seed=3), "new_key": None}, metrics(71, 72, 73)),
    ]
    rows, skipped = collect(runs, BASE)
    assert skipped == ["old"]
    models = set(rows["model"])
    assert models == {
        "C-GCN",
        "Teacher-S",
        "Student-S",
        "Student-R",
        "Student-R −HT",
        "Student −KD",
    }
    # the baseline of seed 1 appears in four runs but counts once
    assert len(rows[rows["model"] == "C-GCN"]) == 3
    assert "Teacher-R" not in models  # leaky: scored with the gold label
    summary = summarise(rows)
    assert summary.loc["C-GCN", "test_f1_mean"] == pytest.approx(215 / 3)
    assert summary.loc["C-GCN", "test_f1_std"] == pytest.approx(2.081666, rel=1e-5)
    assert summary.loc["Student-S", "delta_vs_cgcn"] == pytest.approx(221 / 3 - 215 / 3)
    assert summary.loc["Student-S", "p_value_max"] == pytest.approx(0.2)
    assert summary.loc["Student-R", "paper_f1"] == 86.8
    text = markdown(summary, rows, skipped, "a note")
    assert "| Student-S | 3 | 73.67 ± 2.08 |" in text
    assert "| Student-R −HT | 1 | 73.00 ± – | -2.00 | -1.2 |" in text
    # without KD there is no γ in the name, but the run's γ says which student it ablates;
    # its Δ is against Student-S of its own seed (72), not the 3-seed mean (73.67)
    assert "| Student −KD | 1 | 69.00 ± – | -3.00 | -2.1 |" in text
    assert "old" in text and "a note" in text


def test_deltas_pair_each_run_with_its_own_c_gcn_and_each_ablation_with_its_seed():
    """A model run on fewer seeds than the C-GCN, or beside a C-GCN retrained on another host,
    is compared with the C-GCN of its own run; an ablation with the full student of its seed,
    the rerun beside the same C-GCN where one exists."""
    runs = [
        Run("r1", params(seed=1, gamma="relation"), metrics(60, 99, 61, leaky=True)),
        Run("r2", params(seed=2, gamma="relation"), metrics(64, 99, 66, leaky=True)),
        Run("r3", params(seed=3, gamma="relation"), metrics(62, 99, 64, leaky=True)),
        # seed 1 again on another host: another C-GCN (63), and Student-R beside it (63.5)
        Run("r1-other", params(seed=1, gamma="relation"), metrics(63, 99, 63.5, leaky=True)),
        Run("s1", params(seed=1), metrics(63, 62, 65)),  # Student-S on that other C-GCN
        Run(
            "ht1",
            params(seed=1, gamma="relation", student__hint=False),
            metrics(63, 99, 62, leaky=True),
        ),
    ]
    rows, _ = collect(runs, BASE)
    pool = every_row(runs, BASE)[0]
    summary = summarise(rows, pool=pool)
    assert summary.loc["C-GCN", "test_f1_mean"] == pytest.approx(62)  # seeds 1-3, first runs
    assert pd.isna(summary.loc["C-GCN", "delta_vs_cgcn"])
    # Student-R: (61 − 60, 66 − 64, 64 − 62), its own runs' C-GCNs
    assert summary.loc["Student-R", "delta_vs_cgcn"] == pytest.approx(5 / 3)
    # Student-S ran seed 1 only, beside the C-GCN of 63: +2, not 65 − 62 (the 3-seed mean)
    assert summary.loc["Student-S", "delta_vs_cgcn"] == pytest.approx(2)
    assert summary.loc["Teacher-S", "delta_vs_cgcn"] == pytest.approx(-1)
    # −HT beside the C-GCN of 63: against Student-R's rerun on it (63.5), not r1's 61
    assert summary.loc["Student-R −HT", "delta_vs_full"] == pytest.approx(-1.5)
    # without the pool of reruns, the table's own Student-R row of seed 1
    assert summarise(rows).loc["Student-R −HT", "delta_vs_full"] == pytest.approx(1)
    text = markdown(summary, rows, [], "")
    assert "| Student-S | 1 | 65.00 ± – | 65.00 | +2.00 |" in text
    assert "| C-GCN | 3 | 62.00 ± 2.00 | 62.00 | – |" in text
    assert "| Student-R −HT | 1 | 62.00 ± – | -1.50 |" in text


def test_a_bootstrap_p_of_zero_is_printed_as_a_bound_of_its_sample_count():
    runs = [
        Run("a", params(seed=1), metrics(70, 71, 75, p=0.0, samples=1000)),
        Run("b", params(seed=2), metrics(70, 71, 75, p=0.0, samples=500)),
        Run("c", params(seed=1, gamma="vector"), metrics(70, 71, 72, p=0.0)),
    ]
    rows, skipped = collect(runs, BASE)
    text = markdown(summarise(rows), rows, skipped, "")
    assert "| +5.00 | 85.5 | +0.7 | < 0.002 |" in text  # worst seed: 500 resamples
    assert "| 75 | < 0.001 | 180 | a |" in text and "| 75 | < 0.002 | 180 | b |" in text
    assert "| +0.0 | 0.000 |" not in text
    assert "| 72 | 0.0000 | 180 | c |" in text  # no sample count: no bound to claim


def test_a_missing_key_means_its_value_in_the_runs_setup_version():
    """A run from before a key existed counts only if the key's value *in its setup version*
    (kdre.experiments.setups) equals the reference's: today's default plays no part, so a
    default that moved later cannot re-mean an old run."""
    moved = {**BASE, "graph": {"na_prob": 0.9}}  # as if today's default had moved
    wide = {**BASE, "graph": {"na_prob": 0.5}}
    narrow = {**BASE, "graph": {"na_prob": 0.2}}  # v2's value
    old = Run("old", params(seed=1), metrics(70, 71, 72))
    assert collect([old], wide, moved)[1] == ["old"]
    assert collect([old], narrow, moved)[1] == []
    assert collect([old], wide)[1] == ["old"]


def lock(**stage_params):
    """A dvc.lock whose stages ran with the given params.yaml values (nested or dotted keys)."""
    return {"stages": {name: {"params": {"params.yaml": p}} for name, p in stage_params.items()}}


def test_lock_params_merge_stages_and_flag_disagreement():
    ran, conflicts = lock_params(
        lock(
            baseline={"seed": 1, "dataset.name": "semeval", "train": {"epochs": 50}},
            teacher={"seed": 1, "gamma": "vector", "train": {"epochs": 50}},
        ),
        ("baseline", "teacher"),
    )
    assert ran == {
        "seed": 1,
        "dataset": {"name": "semeval"},
        "gamma": "vector",
        "train": {"epochs": 50},
    }
    assert conflicts == []
    _, conflicts = lock_params(
        lock(baseline={"seed": 2}, teacher={"seed": 1}, graph={"seed": 9}), ("baseline", "teacher")
    )
    assert conflicts == ["seed"]  # graph is not one of the stages asked about


def test_plot_and_empty_report(tmp_path):
    rows, _ = collect([Run("a", params(), metrics(70, 71, 72))], BASE)
    plot(summarise(rows), tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 1000
    empty, skipped = collect([Run("x", params(train={"epochs": 3}), metrics(1, 1, 1))], BASE)
    assert "No finished runs" in markdown(summarise(empty), empty, skipped, "")


def test_runs_are_read_in_name_order_whether_or_not_the_refs_were_archived(tmp_path, monkeypatch):
    """A (model, seed) counts from its first run, so a live ref must not jump ahead of the
    archived runs: `kdre report --no-save` once took seeds 1-3 from the refs of reruns on
    another host and reported another main table than `kdre report`."""
    from kdre.experiments import archive as arch

    for name in ("a-run", "b-run", "c-run"):
        (tmp_path / name).mkdir()
    monkeypatch.setattr(arch, "experiment_refs", lambda: [("c-run", "sha-c"), ("a0-ref", "x")])
    monkeypatch.setattr(arch, "archive_experiments", lambda archive, refs: ["a0-ref"])
    monkeypatch.setattr(arch, "run_at", lambda name, rev, root=None: f"{name}@{rev or root.name}")
    live = arch.find_runs(tmp_path, workspace=False, save=False)
    assert live == ["a-run@a-run", "a0-ref@x", "b-run@b-run", "c-run@sha-c"]
    saved = arch.find_runs(tmp_path, workspace=False, save=True)  # a0-ref copied, c-run not
    assert [r.split("@")[0] for r in saved] == ["a-run", "b-run", "c-run"]


def test_report_command_reads_experiment_refs_from_git(tmp_path):
    """`kdre report` in a git repo: the workspace plus one commit under refs/exps/ (as DVC
    stores experiments); a ref of another setup is listed as left out."""
    import json
    import os
    import subprocess
    import sys

    import yaml
    from conftest import REPO

    def git(*args):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )

    def write_run(p, m):
        (tmp_path / "params.yaml").write_text(yaml.safe_dump(p))
        (tmp_path / "metrics").mkdir(exist_ok=True)
        for stem, content in m.items():
            (tmp_path / "metrics" / f"{stem}.json").write_text(json.dumps(content))

    def report() -> str:
        done = subprocess.run(
            [sys.executable, "-m", "stages.cli", "report"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert done.returncode == 0, done.stderr
        return (tmp_path / "reports/results.md").read_text()

    git("init", "-q")
    write_run(params(seed=2), metrics(74, 73, 76))
    git("add", "-A")
    git("commit", "-qm", "seed 2")
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True
    ).stdout.strip()
    git("update-ref", "refs/exps/ab/cdef0123456789/lucky-seed", sha)
    write_run(params(seed=2, train={"epochs": 9}), metrics(1, 1, 1))
    git("commit", "-qam", "other setup")
    other = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True
    ).stdout.strip()
    git("update-ref", "refs/exps/ab/cdef0123456789/other-setup", other)
    git("update-ref", "refs/exps/exec/EXEC_HEAD", other)  # DVC-internal: never a run
    write_run(params(seed=1), metrics(70, 71, 72))  # the workspace
    # its metrics came from another setup than params.yaml now says: dvc.lock knows
    stale = lock(**{s: params(seed=1, train={"epochs": 9}) for s in ("baseline", "teacher")})
    (tmp_path / "dvc.lock").write_text(yaml.safe_dump(stale))
    text = report()
    assert "| Student-S | 1 | 76.00 ± – |" in text
    assert "lucky-seed" in text and "Left out (2)" in text
    assert "other-setup" in text and "workspace" in text
    assert (tmp_path / "reports/f1_by_model.png").exists()
    assert len((tmp_path / "reports/results.csv").read_text().splitlines()) == 1 + 3
    # once the lock agrees with the workspace's metrics, the workspace counts again
    fresh = lock(**{s: params(seed=1) for s in ("baseline", "teacher", "student")})
    (tmp_path / "dvc.lock").write_text(yaml.safe_dump(fresh))
    text = report()
    assert "| Student-S | 2 | 74.00 ± 2.83 |" in text and "Left out (1)" in text
    # every report archived the experiment refs: a clone without them (refs and DVC's cache
    # stay in one clone) still counts the archived run, and the archive records its commit
    archived = tmp_path / "reports/runs/lucky-seed"
    assert json.loads((archived / "metrics/student.json").read_text())["test"]["f1"] == 76
    assert json.loads((archived / "run.json").read_text())["commit"] == sha
    assert not (tmp_path / "reports/runs/exec").exists()
    git("update-ref", "-d", "refs/exps/ab/cdef0123456789/lucky-seed")
    git("update-ref", "-d", "refs/exps/ab/cdef0123456789/other-setup")
    text = report()
    assert "| Student-S | 2 | 74.00 ± 2.83 |" in text and "lucky-seed" in text
    # a workspace run of a seed the matrix already ran, at another thread count (its numbers
    # drift like a reseed): the matrix's run is kept, the workspace's duplicate is not counted
    ws = params(seed=2, train={"epochs": 50, "threads": 2})
    write_run(ws, metrics(1, 1, 1))
    (tmp_path / "dvc.lock").write_text(
        yaml.safe_dump(lock(**{s: ws for s in ("baseline", "teacher", "student")}))
    )
    text = report()
    counted, shown = text.split("## Every run")
    assert "| Student-S | 1 | 76.00 ± – |" in text and "| 1.00 |" not in shown
    # ...and shown apart, as a rerun that disagrees
    reruns = counted.split("## Reruns that disagree")[1]
    assert "| Student-S | 2 | 2 | – | 1.00 | 1.00 | workspace |" in reruns


def test_other_word_vectors_get_their_own_table_not_the_main_one():
    """A run from other word vectors is compared source by source; it must not stand in for
    the reference's C-GCN or Student-R of the same seed (dedup is per source)."""
    from kdre.experiments.runs import vectors_label
    from kdre.experiments.summary import by_vectors

    glove = {
        "embeddings": {"source": "glove-6b-50d", "contextual": "none"},
        "model": {"emb_dim": 300},
    }
    ref = {**params(gamma="relation"), **glove}
    rand = {**ref, "embeddings": {"source": "random", "contextual": "none"}}
    static = {**ref, "embeddings": {"source": "minilm-static"}, "model": {"emb_dim": 384}}
    runs = [
        Run("rand-s1", rand, metrics(60, 99, 62, p=0.3, leaky=True)),
        Run("glove-s1", ref, metrics(80, 99, 82, p=0.01, leaky=True)),
        Run("glove-s2", {**ref, "seed": 2}, metrics(78, 99, 81, p=0.04, leaky=True)),
        Run("static-s1", static, metrics(50, 99, 49, leaky=True)),
        Run("longer", {**rand, "train": {"epochs": 9}}, metrics(1, 1, 1)),
    ]
    rows, skipped = collect(runs, ref)
    assert skipped == ["longer"]  # a vectors run is still held to the rest of the setup
    own = vectors_label(ref)
    assert own == "glove-6b-50d (300-d)"
    assert vectors_label(static) == "minilm-static (384-d)"
    assert vectors_label({**ref, "embeddings": {"contextual": "minilm"}}, ref) == (
        "glove-6b-50d + minilm contextual (300-d)"
    )
    summary = summarise(rows[rows["vectors"] == own])
    assert summary.loc["C-GCN", "test_f1_mean"] == pytest.approx(79)  # 80 and 78, not 60
    assert summary.loc["Student-R", "n"] == 2
    table = by_vectors(rows)
    assert table.loc[("random (300-d)", "C-GCN"), "test_f1_mean"] == 60
    assert table.loc[(own, "Student-R"), "p_value_max"] == pytest.approx(0.04)
    text = markdown(summary, rows, skipped, "", table, own)
    assert "| **glove-6b-50d (300-d)** (default) | 2 | 79.00 | 79.00 ± 1.41 | 2 |" in text
    assert (
        "| random (300-d) | 1 | 60.00 | 60.00 ± – | 1 | 62.00 | 62.00 ± – | +2.00 | 0.300 |" in text
    )
    assert "| minilm-static (384-d) | 1 | 50.00 |" in text
    assert "| model | vectors | seed |" in text  # the per-run table says which source
    # one source only: no word-vector section
    alone = markdown(
        summary, rows[rows["vectors"] == own], [], "", by_vectors(rows[rows["vectors"] == own]), own
    )
    assert "## Word vectors" not in alone and "| model | seed |" in alone


def test_stages_downstream_of_a_rerun_stage_are_stale():
    """`dvc exp run baseline` commits the teacher's and student's old lock entries and metrics:
    they name a baseline model that is gone, so their metrics are not this run's."""
    from kdre.experiments.runs import fresh_stages

    def stage(deps, outs):
        return {
            "deps": [{"path": p, "md5": m} for p, m in deps],
            "outs": [{"path": p, "md5": m} for p, m in outs],
        }

    lock = {
        "stages": {
            "baseline": stage([("data/parsed", "p2")], [("models/baseline.pt", "b2")]),
            "teacher": stage([("models/baseline.pt", "b1")], [("soft.parquet", "s1")]),
            "student": stage([("soft.parquet", "s1")], [("models/student.pt", "t1")]),
            "evaluate": stage([("models/baseline.pt", "b2"), ("models/student.pt", "t1")], []),
        }
    }
    assert fresh_stages(lock) == {"baseline"}
    lock["stages"]["teacher"]["deps"][0]["md5"] = "b2"
    assert fresh_stages(lock) == {"baseline", "teacher", "student", "evaluate"}
    # a dep on a file inside a stale stage's output folder is stale too (a C-GCN-only run of
    # another corpus keeps the workspace's types and augment entries: augment read
    # data/types/train.parquet of the old types output)
    lock["stages"]["parse"] = stage([("data/raw", "r2")], [("data/parsed", "p2")])
    lock["stages"]["types"] = stage([("data/parsed", "p1")], [("data/types", "y1.dir")])
    lock["stages"]["augment"] = stage(
        [("data/parsed/train.parquet", "x1"), ("data/types/train.parquet", "y1f")],
        [("data/transfer", "a1.dir")],
    )
    assert {"types", "augment"}.isdisjoint(fresh_stages(lock))
    lock["stages"]["types"]["deps"][0]["md5"] = "p2"
    assert {"parse", "types", "augment"} <= fresh_stages(lock)


def test_student_r_is_compared_with_both_controls_on_their_predictions():
    """The Knowledge controls: per seed, Student-R minus the self-distillation (−TC) and the
    no-knowledge (ner types) students, with a paired bootstrap on archived predictions."""
    from kdre.data.datasets.semeval import SPEC
    from kdre.experiments.rows import control_comparisons

    gold = {str(i): ("Cause-Effect(e1,e2)" if i % 2 else "Other") for i in range(200)}

    def preds(wrong_every: int) -> dict[str, str]:
        out = {i: (g if int(i) % wrong_every else "Other") for i, g in gold.items()}
        return {"student": "".join(f"{i}\t{p}\n" for i, p in out.items())}

    relation = params(gamma="relation")
    ref = {**relation, "types": {"source": "wordnet"}}
    runs = [
        Run("r", {**ref, "seed": 1}, metrics(70, 90, 80), preds(9)),
        Run(
            "tc",
            {
                **params(gamma="relation", teacher__type_constraints=False),
                "seed": 1,
                "types": {"source": "wordnet"},
            },
            metrics(70, 70, 75),
            preds(3),
        ),
        Run(
            "ner",
            {**relation, "seed": 1, "types": {"source": "ner"}},
            metrics(70, 90, 79.5),
            preds(8),
        ),
        Run(
            "tsd-off",
            {
                **params(gamma="relation", teacher__tsd=False),
                "seed": 1,
                "types": {"source": "wordnet"},
            },
            metrics(70, 90, 60),
        ),  # no control
    ]
    defaults = asdict(Params())
    table = control_comparisons(runs, ref, defaults, gold, SPEC, samples=200)
    assert len(table) == 2
    by = table.set_index("control")
    tc = by.loc[[c for c in by.index if c.startswith("self-distillation")][0]]
    ner = by.loc[[c for c in by.index if c.startswith("no knowledge")][0]]
    assert tc.delta_f1 == pytest.approx(5.0) and ner.delta_f1 == pytest.approx(0.5)
    assert tc.p_value < 0.05  # a third of the positives lost vs a ninth
    assert ner.p_value > tc.p_value

    def report(controls) -> str:
        rows = collect(runs, ref, defaults)[0]
        return markdown(summarise(rows), rows, [], "", controls=controls, control_samples=200)

    text = report(table)
    assert "Knowledge: Student-R against its controls" in text and "s1: +5.00" in text
    # every pair above shares its C-GCN; a control whose seed retrained to another C-GCN
    # (another CPU) is marked, and the table says what the mark means
    assert table["same_base"].tolist() == [True, True] and "other C-GCN" not in text
    runs[1] = Run("tc", runs[1].params, metrics(71, 70, 75), preds(3))
    marked = control_comparisons(runs, ref, defaults, gold, SPEC, samples=200)
    assert sorted(marked["same_base"].tolist()) == [False, True]
    text = report(marked)
    assert "s1: +5.00 (" in text and "; other C-GCN)" in text
    assert "*other C-GCN*: the two runs' C-GCNs differ" in text
    assert text.count("other C-GCN)") == 1  # the no-knowledge pair shares its base
    # Student-R rerun beside the control's C-GCN (the seed on the control's host): that pair
    # is compared, unmarked; the no-knowledge control keeps the first Student-R it shares with
    runs.append(Run("r-rerun", {**ref, "seed": 1}, metrics(71, 90, 78), preds(9)))
    paired = control_comparisons(runs, ref, defaults, gold, SPEC, samples=200)
    assert paired["same_base"].tolist() == [True, True]
    assert sorted(paired["delta_f1"].tolist()) == pytest.approx([0.5, 3.0])
    # without gold at hand the Δ stay, the p-values go
    assert control_comparisons(runs, ref, defaults, None, SPEC)["p_value"].isna().all()


def test_lineage_protocol_runs_get_a_table_of_their_own():
    rows_ref = params(seed=1)
    lineage = {**params(seed=2), "dataset": {"semeval_directions": False}}
    runs = [
        Run("official", rows_ref, metrics(70, 71, 72)),
        Run("lin", lineage, metrics(80, 81, 82)),
    ]
    defaults = asdict(Params())
    rows, skipped = collect(runs, rows_ref, defaults)
    assert skipped == ["lin"] and set(rows["run"]) == {"official"}
    lin_ref = {**rows_ref, "dataset": {"semeval_directions": False}}
    lin_rows, _ = collect(runs, lin_ref, defaults)
    assert set(lin_rows["run"]) == {"lin"}
    text = markdown(summarise(rows), rows, [], "", lineage=summarise(lin_rows))
    official, lineage_part = text.split("## Lineage protocol")
    assert "| C-GCN | 1 | 70.00" in official and "| C-GCN | 1 | 80.00" in lineage_part


def test_a_run_carries_the_parse_stages_protocol(tmp_path):
    """The stages with metrics record only dataset.name: a lineage run (10 undirected labels)
    must still read as one, or the report counts it in the official protocol's table."""
    from kdre.experiments.archive import run_at

    def stage(params: dict, outs: list[str], deps: list[str] = ()) -> dict:
        return {
            "cmd": "x",
            "deps": [{"path": d, "md5": d} for d in deps],
            "params": {"params.yaml": params},
            "outs": [{"path": o, "md5": o} for o in outs],
        }

    lock = {
        "schema": "2.0",
        "stages": {
            "parse": stage(
                {"dataset": {"name": "semeval", "semeval_directions": False}}, ["data/parsed"]
            ),
            "baseline": stage(
                {"dataset.name": "semeval", "seed": 1}, ["models/baseline.pt"], ["data/parsed"]
            ),
        },
    }
    (tmp_path / "dvc.lock").write_text(yaml.safe_dump(lock), encoding="utf-8")
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics/baseline.json").write_text(
        json.dumps({"dev": {"f1": 80.0}, "test": {"f1": 79.0}}), encoding="utf-8"
    )
    run = run_at("lineage-s1", None, tmp_path)
    assert run.params["dataset"] == {"name": "semeval", "semeval_directions": False}
    assert run.params["seed"] == 1


def test_archiving_a_run_again_keeps_another_setup_versions_run_and_no_stale_file(tmp_path):
    """Re-archiving an experiment name: a run of the same setup version is replaced whole (no
    prediction file of the old run lingers), one of an older version is kept as <name>@v<n>."""
    from kdre.experiments.archive import archived_runs, replace_archived

    def files(f1, version, predictions):
        out = {"params.yaml": yaml.safe_dump(params())}
        out |= {
            f"metrics/{stem}.json": json.dumps(content)
            for stem, content in metrics(70, 71, f1, version=version).items()
        }
        if predictions:
            out["predictions/student_test.txt"] = "8001\tOther\n"
        return out

    def f1(folder):
        return json.loads((folder / "metrics/student.json").read_text())["test"]["f1"]

    archive = tmp_path / "runs"
    replace_archived(archive, "no-ht-s1", files(75, None, predictions=True))  # version 1
    replace_archived(archive, "no-ht-s1", files(76, SETUP_VERSION, predictions=False))
    assert [n for n, _ in archived_runs(archive)] == ["no-ht-s1", "no-ht-s1@v1"]
    assert f1(archive / "no-ht-s1") == 76 and f1(archive / "no-ht-s1@v1") == 75
    assert not (archive / "no-ht-s1/predictions").exists()
    assert (archive / "no-ht-s1@v1/predictions/student_test.txt").exists()
    replace_archived(archive, "no-ht-s1", files(77, SETUP_VERSION, predictions=False))
    assert [n for n, _ in archived_runs(archive)] == ["no-ht-s1", "no-ht-s1@v1"]
    assert f1(archive / "no-ht-s1") == 77 and f1(archive / "no-ht-s1@v1") == 75
    (archive / ".no-ht-s1.new").mkdir()  # a copy cut short is no run
    assert [n for n, _ in archived_runs(archive)] == ["no-ht-s1", "no-ht-s1@v1"]


def test_a_run_of_the_baseline_alone_archives_no_metrics_of_stages_it_did_not_run(
    tmp_path, monkeypatch
):
    """A `cgcn` cell (`dvc exp run baseline`) commits the teacher's, student's and evaluate's
    files of an older run: the archive keeps only what this run's stages wrote, the augment
    stage's cost among them."""
    import subprocess

    from kdre.experiments.archive import archive_experiments

    monkeypatch.chdir(tmp_path)

    def git(*args):
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    def stage(p, deps, outs):
        return {
            "params": {"params.yaml": p},
            "deps": [{"path": d, "md5": m} for d, m in deps],
            "outs": [{"path": o, "md5": m} for o, m in outs],
        }

    p = params(seed=1)
    the_lock = {
        "stages": {
            "augment": stage(p, [], [("data/transfer", "a")]),
            "baseline": stage(p, [], [("models/baseline.pt", "new")]),
            "teacher": stage(p, [("models/baseline.pt", "old")], [("soft.parquet", "s")]),
            "student": stage(p, [("soft.parquet", "s")], [("models/student.pt", "t")]),
            "evaluate": stage(p, [("models/student.pt", "t")], []),
        }
    }
    git("init", "-q")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(p))
    (tmp_path / "dvc.lock").write_text(yaml.safe_dump(the_lock))
    (tmp_path / "metrics").mkdir()
    for stem, content in metrics(70, 71, 72).items():
        (tmp_path / "metrics" / f"{stem}.json").write_text(json.dumps(content))
    (tmp_path / "metrics/augment.json").write_text(json.dumps({"parse_seconds": 67.6}))
    for stem in ("baseline", "student"):  # per-epoch histories: the student's is stale
        (tmp_path / f"metrics/{stem}_history.csv").write_text("epoch,train_loss\n1,2.7\n")
    (tmp_path / "predictions").mkdir()
    (tmp_path / "predictions/student_test.txt").write_text("8001\tOther\n")
    git("add", "-A")
    git("commit", "-qm", "cgcn cell")
    sha = git("rev-parse", "HEAD")
    assert archive_experiments(tmp_path / "runs", [("cgcn-s1", sha)]) == ["cgcn-s1"]
    kept = sorted(
        str(f.relative_to(tmp_path / "runs/cgcn-s1"))
        for f in (tmp_path / "runs/cgcn-s1").rglob("*")
        if f.is_file()
    )
    assert kept == [
        "dvc.lock",
        "metrics/augment.json",
        "metrics/baseline.json",
        "metrics/baseline_history.csv",
        "params.yaml",
        "run.json",
    ]


def test_the_official_runs_are_rescored_by_the_lineage_figure():
    """C-GCN and Student-R of the official table, rescored with directions merged: from the
    run's evaluate metrics where it has the lineage figure, else from its test predictions."""
    from kdre.experiments.rows import collapsed_rows

    gold = {
        "1": "Cause-Effect(e1,e2)",
        "2": "Cause-Effect(e2,e1)",
        "3": "Other",
        "4": "Component-Whole(e1,e2)",
    }
    # the wrong direction of 1 is right once merged: P = (2/2 + 1/2) / 2, R = 1, F1 = 6/7
    baseline = "1\tCause-Effect(e2,e1)\n2\tCause-Effect(e2,e1)\n3\tComponent-Whole(e1,e2)\n"
    baseline += "4\tComponent-Whole(e1,e2)\n"
    m = metrics(70, 71, 72, version=SETUP_VERSION)
    m["evaluate"]["student.test.lineage.f1"] = 90.0
    run = Run("relation-s1", params(gamma="relation"), m, {"baseline": baseline})
    # a C-GCN-only run of the same seed, first in line, keeps neither figure nor predictions
    alone = Run("cgcn-s1", params(gamma="relation"), {"baseline": m["baseline"]})
    ref, defaults = params(gamma="relation"), asdict(Params())
    vectors = vectors_label(ref, defaults)
    out = collapsed_rows([alone, run], ref, defaults, vectors, gold).set_index("model")
    assert sorted(out.index) == ["C-GCN", "Student-R"]  # not the teacher
    assert out.loc["C-GCN", "test_f1"] == pytest.approx(600 / 7, abs=0.01)
    assert out.loc["Student-R", "test_f1"] == 90.0
    assert out["dev_f1"].isna().all()
    # without gold (no parsed test split), only the figure in the metrics remains
    assert list(collapsed_rows([run], ref, defaults, vectors, None)["model"]) == ["Student-R"]
    # another setup's run is not counted
    other = Run("x", params(gamma="relation", train={"epochs": 9}), m, {"baseline": baseline})
    assert collapsed_rows([other], ref, defaults, vectors, gold).empty


def test_a_run_is_compared_by_what_it_recorded_not_by_todays_defaults():
    """Run identity from recorded facts: a recorded resolved configuration wins over the
    lock's params; a key a run lacks takes its value in the run's setup version."""
    from kdre.experiments.runs import Run
    from kdre.experiments.setups import SETUP_DEFAULTS

    recorded = {**asdict(Params()), "types": {"source": "clusters", "clusters": 26}}
    new = Run("new", {"seed": 1}, {"student": {"setup_version": 2, "config": recorded}})
    assert new.resolved()["types.source"] == "clusters"
    assert new.resolved()["model.emb_dim"] == Params().model.emb_dim
    old = Run("old", {"seed": 1, "student": {"hint": False}}, {"student": {"test": {"f1": 1}}})
    assert setup_version(old) == 1
    assert old.resolved()["types.source"] == SETUP_DEFAULTS[1]["types.source"] == "ner"
    assert old.resolved()["student.hint"] is False
    reference = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    defaults = asdict(Params())
    assert not same_setup(old, reference, defaults, any_version=True)  # v1: another teacher
    assert same_setup(new, reference, defaults)


def test_the_mechanisms_table_compares_each_cell_seed_by_seed_with_student_r():
    """A transfer run lands in its own row, not in the main table; Δ is over shared seeds."""
    from kdre.experiments import mechanisms

    ref = params(gamma="relation")
    transfer = {**ref, "transfer": {"copies": 4}}
    runs = [
        Run("r1", params(seed=1, gamma="relation"), metrics(70, 90, 72)),
        Run("r2", params(seed=2, gamma="relation"), metrics(70, 90, 74)),
        Run("t1", {**transfer, "seed": 1}, metrics(70, 90, 75)),
        Run("t3", {**transfer, "seed": 3}, metrics(70, 90, 99)),  # no Student-R on seed 3
        Run("other", {**transfer, "seed": 1, "train": {"epochs": 3}}, metrics(1, 1, 1)),
    ]
    defaults = asdict(Params())
    frame = mechanisms.cell_runs(runs, ref, defaults)
    assert sorted(frame[frame["cell"] == "transfer"]["run"]) == ["t1", "t3"]
    assert sorted(frame[frame["cell"] == "relation"]["run"]) == ["r1", "r2"]
    lines = mechanisms.markdown(frame)
    row = next(line for line in lines if line.startswith("| + transfer set (4 copies)"))
    assert "| 1,3 |" in row and "| +3.00 |" in row  # 75 − 72 on seed 1 only
    rows, skipped = collect(runs, ref, defaults)
    assert set(rows["run"]) == {"r1", "r2"} and {"t1", "t3"} <= set(skipped)
    assert mechanisms.markdown(frame[frame["cell"] == "relation"]) == []


def test_the_minilm_teachers_student_with_a_transfer_set_is_compared_with_its_own_cell():
    """transformer-transfer changes one thing against the transformer cell; the table does
    not appear for the two reference rows alone (a setup that ran no mechanism)."""
    from kdre.data.datasets.semeval import SPEC
    from kdre.experiments import mechanisms

    gold = {str(i): ("Cause-Effect(e1,e2)" if i % 2 else "Other") for i in range(300)}

    def preds(wrong_every: int, offset: int = 0) -> dict[str, str]:
        out = {i: (g if (int(i) + offset) % wrong_every else "Other") for i, g in gold.items()}
        return {"student": "".join(f"{i}\t{p}\n" for i, p in out.items())}

    ref = params(gamma="relation")
    minilm = {**ref, "gamma": "vector", "teacher": {**ref["teacher"], "encoder": "transformer"}}
    with_set = {**minilm, "transfer": {"copies": 4}}
    runs = [
        Run("r1", params(seed=1, gamma="relation"), metrics(70, 90, 72), preds(3)),
        Run("m1", {**minilm, "seed": 1}, metrics(70, 90, 73), preds(4)),
        Run("m2", {**minilm, "seed": 2}, metrics(70, 90, 73), preds(4, 1)),
        Run("mt1", {**with_set, "seed": 1}, metrics(70, 90, 76), preds(20)),
        Run("mt2", {**with_set, "seed": 2}, metrics(70, 90, 77), preds(20, 1)),
    ]
    frame = mechanisms.cell_runs(runs, ref, asdict(Params()))
    assert sorted(frame[frame["cell"] == "transformer"]["run"]) == ["m1", "m2"]
    assert sorted(frame[frame["cell"] == "transformer-transfer"]["run"]) == ["mt1", "mt2"]
    lines = mechanisms.markdown(frame)
    assert any(line.startswith("| Student-V from the MiniLM teacher + transfer") for line in lines)
    tests = mechanisms.seed_tests(frame, SPEC, gold, samples=200)
    assert ("transformer-transfer", "transformer") in set(zip(tests["a"], tests["b"], strict=True))
    assert mechanisms.markdown(frame[frame["cell"].isin(["relation", "transformer"])]) == []


def test_the_softer_self_distillation_control_has_its_own_row():
    """transfer-self at KD temperature 2 changes one thing against transfer-self: its runs
    never stand for transfer-self's, nor the other way round."""
    from kdre.experiments import mechanisms

    ref = params(gamma="relation")
    control = {
        **ref,
        "transfer": {"copies": 4},
        "teacher": {**ref["teacher"], "type_constraints": False},
    }
    soft = {**control, "student": {**ref.get("student", {}), "temperature": 2.0}}
    runs = [
        Run("r1", params(seed=1, gamma="relation"), metrics(70, 90, 72)),
        Run("c1", {**control, "seed": 1}, metrics(70, 90, 73)),
        Run("s1", {**soft, "seed": 1}, metrics(70, 90, 75)),
    ]
    frame = mechanisms.cell_runs(runs, ref, asdict(Params()))
    assert list(frame[frame["cell"] == "transfer-self"]["run"]) == ["c1"]
    assert list(frame[frame["cell"] == "transfer-self-soft"]["run"]) == ["s1"]
    row = next(line for line in mechanisms.markdown(frame) if "KD temperature 2" in line)
    assert "| +3.00 |" in row


def test_a_bootstrap_that_never_favoured_b_says_p_below_one_resample():
    from kdre.experiments import mechanisms

    frame = pd.DataFrame(
        [
            {
                "a": "transfer",
                "b": "relation",
                "seeds": 4,
                "delta_f1": 1.3,
                "ci95_low": 0.6,
                "ci95_high": 2.1,
                "p_value": 0.0,
                "samples": 1000,
            },
            {
                "a": "loo",
                "b": "relation",
                "seeds": 2,
                "delta_f1": -0.4,
                "ci95_low": -1.2,
                "ci95_high": 0.3,
                "p_value": 0.892,
                "samples": 1000,
            },
        ]
    )
    lines = mechanisms.tests_markdown(frame)
    assert lines[-2].endswith("| < 0.001 |") and lines[-1].endswith("| 0.892 |")


def test_the_plain_minilm_teacher_with_the_transfer_set_has_its_own_row():
    """transformer-plain-transfer changes one thing against transformer-plain (the transfer set)
    and one against transformer-transfer (the teacher): its runs stand for neither, and the
    plain teacher's student alone is a reference row, never a mechanism's."""
    from kdre.experiments import mechanisms

    ref = params(gamma="relation")
    minilm = {**ref, "gamma": "vector", "teacher": {**ref["teacher"], "encoder": "transformer"}}
    plain_teacher = {
        **minilm["teacher"],
        "type_constraints": False,
        "tsd": False,
        "transformer": {"typed_markers": False},
    }
    plain = {**minilm, "teacher": plain_teacher}
    copies = {"transfer": {"copies": 4}}
    runs = [
        Run("t1", {**minilm, **copies, "seed": 1}, metrics(70, 84, 76)),
        Run("p1", {**plain, "seed": 1}, metrics(70, 85, 74)),
        Run("pt1", {**plain, **copies, "seed": 1}, metrics(70, 85, 77)),
    ]
    frame = mechanisms.cell_runs(runs, ref, asdict(Params()))
    assert list(frame[frame["cell"] == "transformer-plain"]["run"]) == ["p1"]
    assert list(frame[frame["cell"] == "transformer-plain-transfer"]["run"]) == ["pt1"]
    assert list(frame[frame["cell"] == "transformer-transfer"]["run"]) == ["t1"]
    assert mechanisms.markdown(frame[frame["cell"] == "transformer-plain"]) == []
    row = next(line for line in mechanisms.markdown(frame) if "plain MiniLM teacher + " in line)
    assert "| 1 |" in row and "77.00" in row
    assert ("transformer-plain-transfer", "transformer-plain") in mechanisms.COMPARISONS


def test_the_minilm_teachers_are_compared_on_dev_once_the_leave_one_out_teacher_ran():
    """Deliverable 5 of the Transfer issue: typed, typed over leave-one-out G(p), plain, on dev.
    A v2 plain (−TC) run's teacher counts (v3 changed the student alone); a v1 one does not."""
    from kdre.experiments import mechanisms
    from kdre.experiments.runs import comparable_version, teacher_version

    ref = params(gamma="relation")
    minilm = {**ref, "gamma": "vector", "teacher": {**ref["teacher"], "encoder": "transformer"}}
    loo = {**minilm, "teacher": {**minilm["teacher"], "leave_one_out": True}}
    plain_teacher = {
        **minilm["teacher"],
        "type_constraints": False,
        "tsd": False,
        "transformer": {"typed_markers": False},
    }
    plain = {**minilm, "teacher": plain_teacher}
    runs = [
        Run("m1", {**minilm, "seed": 1}, metrics(70, 80, 73)),
        Run("m2", {**minilm, "seed": 2}, metrics(70, 82, 73)),
        Run("l1", {**loo, "seed": 1}, metrics(70, 84, 73)),
        Run("p1", {**plain, "seed": 1}, metrics(70, 83, 73, version=2)),
        Run("p2", {**plain, "seed": 2}, metrics(70, 85, 73, version=2)),
        Run("old", {**plain, "seed": 3}, metrics(70, 99, 73, version=None)),
    ]
    assert comparable_version(runs[3]) == 2 and teacher_version(runs[3]) == SETUP_VERSION
    assert teacher_version(runs[5]) == 1
    frame = mechanisms.teacher_runs(runs, ref, asdict(Params()))
    assert sorted(frame["run"]) == ["l1", "m1", "m2", "p1", "p2"]
    lines = mechanisms.teachers_markdown(frame)
    typed = next(line for line in lines if "(G(p) of all of train)" in line)
    assert "| 1,2 | 81.00 ± 1.41 | -3.00 |" in typed  # (80 − 83 + 82 − 85) / 2
    left = next(line for line in lines if "(leave-one-out G(p) on train)" in line)
    assert "| 1 | 84.00 | +1.00 |" in left
    # nothing to compare until the leave-one-out teacher ran
    assert mechanisms.teachers_markdown(frame[frame["cell"] != "transformer-loo"]) == []


def test_mechanisms_get_a_seed_aware_test_on_their_archived_predictions():
    from kdre.data.datasets.semeval import SPEC
    from kdre.experiments import mechanisms

    gold = {str(i): ("Cause-Effect(e1,e2)" if i % 2 else "Other") for i in range(300)}

    def preds(wrong_every: int, offset: int = 0) -> dict[str, str]:
        out = {i: (g if (int(i) + offset) % wrong_every else "Other") for i, g in gold.items()}
        return {"student": "".join(f"{i}\t{p}\n" for i, p in out.items())}

    ref = params(gamma="relation")
    transfer = {**ref, "transfer": {"copies": 4}}
    runs = [
        Run("r1", params(seed=1, gamma="relation"), metrics(70, 90, 72), preds(3)),
        Run("r2", params(seed=2, gamma="relation"), metrics(70, 90, 74), preds(3, 1)),
        Run("t1", {**transfer, "seed": 1}, metrics(70, 90, 75), preds(20)),
        Run("t2", {**transfer, "seed": 2}, metrics(70, 90, 75), preds(20, 1)),
        Run("l1", {**ref, "teacher": {"leave_one_out": True}, "seed": 1}, metrics(1, 1, 1)),
    ]
    frame = mechanisms.cell_runs(runs, ref, asdict(Params()))
    tests = mechanisms.seed_tests(frame, SPEC, gold, samples=200)
    assert list(zip(tests["a"], tests["b"], strict=True)) == [("transfer", "relation")]
    (row,) = tests.itertuples()
    assert row.seeds == 2 and row.delta_f1 > 0 and row.p_value == 0.0
    lines = mechanisms.tests_markdown(tests)
    assert any(line.startswith("| + transfer set (4 copies) | Student-R") for line in lines)
    assert mechanisms.seed_tests(frame, SPEC, None).empty  # no gold: no test


def test_the_best_student_is_tested_against_its_own_c_gcns_seed_by_seed():
    """B = cgcn pairs each student with the C-GCN of the same run, never another cell's."""
    from kdre.data.datasets.semeval import SPEC
    from kdre.experiments import mechanisms

    gold = {str(i): ("Cause-Effect(e1,e2)" if i % 2 else "Other") for i in range(300)}

    def labels(wrong_every: int, offset: int) -> str:
        out = {i: (g if (int(i) + offset) % wrong_every else "Other") for i, g in gold.items()}
        return "".join(f"{i}\t{p}\n" for i, p in out.items())

    ref = params(gamma="relation")
    minilm = {
        **ref,
        "gamma": "vector",
        "teacher": {**ref["teacher"], "encoder": "transformer"},
        "transfer": {"copies": 4},
    }
    runs = [
        Run(
            f"t{s}",
            {**minilm, "seed": s},
            metrics(70, 90, 75),
            {"student": labels(20, s), "baseline": labels(3, s)},
        )
        for s in (1, 2)
    ]
    # Student-R's runs with C-GCNs better than the MiniLM student: must not be the B side
    runs += [
        Run(
            f"r{s}",
            params(seed=s, gamma="relation"),
            metrics(70, 90, 72),
            {"student": labels(3, s), "baseline": labels(50, s)},
        )
        for s in (1, 2)
    ]
    frame = mechanisms.cell_runs(runs, ref, asdict(Params()))
    tests = mechanisms.seed_tests(frame, SPEC, gold, samples=200).set_index(["a", "b"])
    own = tests.loc[("transformer-transfer", mechanisms.CGCN)]
    assert own["seeds"] == 2 and own["delta_f1"] > 0 and own["p_value"] < 0.05
    assert tests.loc[("transformer-transfer", "relation")]["delta_f1"] > 0
    lines = mechanisms.tests_markdown(tests.reset_index())
    assert any("| its C-GCN (the baseline of the same runs) | 2 |" in line for line in lines)


def test_a_v2_run_counts_as_v3_unless_the_v3_change_touched_it():
    """v3 changed only the −TC student (no global hint without a type term): a v2 run with the
    type term computes what v3 computes; a v2 −TC run does not, and is kept apart."""
    from kdre.experiments.runs import comparable_version

    ref = params(gamma="relation")
    with_tc = Run("tc", params(seed=1, gamma="relation"), metrics(70, 90, 72, version=2))
    no_tc = Run(
        "no-tc",
        params(seed=1, gamma="relation", teacher__type_constraints=False),
        metrics(70, 70, 71, version=2),
    )
    old = Run("v1", params(seed=1, gamma="relation"), metrics(70, 90, 72, version=None))
    assert SETUP_VERSION == 3
    assert [comparable_version(r) for r in (with_tc, no_tc, old)] == [3, 2, 1]
    defaults = asdict(Params())
    assert same_setup(with_tc, ref, defaults) and not same_setup(no_tc, ref, defaults)
    assert not same_setup(old, ref, defaults)


def test_a_kbp37_report_is_titled_framed_and_controlled_by_its_own_corpus():
    """Under a KBP37 reference: its title and protocol, no paper column (the paper reports
    nothing on KBP37) but KBP37's published figure, its NER types untagged and the none types
    as the no-knowledge control; SemEval runs are neither rows nor "left out"."""
    from kdre.experiments.report import build_report

    kbp37 = {
        **params(gamma="relation"),
        "dataset": {"name": "semeval-format", "format_dir": "data/external/kbp37"},
        "types": {"source": "ner"},
    }
    none_types = {**kbp37, "types": {"source": "none"}}
    semeval_run = {**params(gamma="relation"), "types": {"source": "wordnet"}}
    runs = [
        Run("kbp37-relation-s1", kbp37, metrics(60.0, 70.0, 62.0)),
        Run("kbp37-types-none-s1", none_types, metrics(60.0, 65.0, 60.5)),
        Run("relation-s1", semeval_run, metrics(80.0, 85.0, 81.8)),
    ]
    report = build_report(kbp37, runs)
    text = report.text
    assert text.startswith("# Results on KBP37 (test")
    assert "SemEval official definition on KBP37's labels" in text
    assert "The paper reports no figures on KBP37." in text
    assert "| RNN with position indicators | 58.8 | Zhang & Wang 2015 |" in text
    assert "paper F1" not in text and "Left out" not in text
    assert "1 run of another corpus is in its own report." in text
    models = set(report.summary.index)
    assert {"C-GCN", "Student-R", "Student-R [none types]"} <= models
    assert not any("ner types" in m for m in models)
    assert report.summary.loc["Student-R", "test_f1_mean"] == pytest.approx(62.0)
    control = [line for line in text.splitlines() if "Teacher-R over the none types" in line]
    assert control and "+1.50" in control[0]
    # the same runs under the SemEval reference: the KBP37 runs are the other corpus now
    semeval_text = build_report(semeval_run, runs).text
    assert semeval_text.startswith("# Results on SemEval-2010 Task 8")
    assert "| paper F1 | paper Δ |" in semeval_text
    assert "2 runs of other corpora are in their own reports." in semeval_text


def test_a_seeds_c_gcn_row_is_the_one_student_r_was_distilled_beside():
    """Two runs of one seed may hold different C-GCNs (the seed retrained on another CPU): the
    C-GCN row and the Δ vs C-GCN come from Student-R's own run, not from whichever control's
    run sorts first by name."""
    from kdre.experiments.report import build_report

    ref = {**params(gamma="relation"), "types": {"source": "wordnet"}}
    no_tc = {
        **params(gamma="relation", teacher__type_constraints=False),
        "types": {"source": "wordnet"},
    }
    runs = [
        Run("a-no-tc-s1", {**no_tc, "seed": 1}, metrics(79.0, 79.0, 81.0)),
        Run("b-relation-s1", {**ref, "seed": 1}, metrics(80.0, 90.0, 82.0)),
    ]
    report = build_report(ref, runs)
    assert report.summary.loc["C-GCN", "test_f1_mean"] == pytest.approx(80.0)
    cgcn = report.rows[report.rows["model"] == "C-GCN"]
    assert cgcn["run"].tolist() == ["b-relation-s1"]
    assert "other C-GCN" in report.text  # the control pair is marked
    # the control's C-GCN is not lost: the reruns table shows both results of the seed
    assert "## Reruns that disagree" in report.text
    assert "| C-GCN | 1 | – | – | 80.00 | 80.00 | b-relation-s1 |" in report.text
    assert "| C-GCN | 1 | – | – | 79.00 | 79.00 | a-no-tc-s1 |" in report.text


def test_reruns_that_agree_are_not_listed_and_disagreeing_ones_are_grouped():
    from kdre.experiments.rows import rerun_results

    ref = {**params(gamma="relation"), "types": {"source": "wordnet"}}
    no_kd = {**params(gamma="relation", student__kd=False), "types": {"source": "wordnet"}}
    same = [
        Run("r-s1", {**ref, "seed": 1}, metrics(80.0, 90.0, 82.0)),
        Run("no-kd-s1", {**no_kd, "seed": 1}, metrics(80.0, 90.0, 81.0)),
        Run("r-s2", {**ref, "seed": 2}, metrics(79.0, 90.0, 81.5)),
    ]
    assert rerun_results(same, ref).empty

    def other_cpu(base, teacher, student):
        out = metrics(base, teacher, student)
        for stage in ("baseline", "teacher", "student"):
            out[stage]["cpu_model"] = "Other CPU"
        return out

    elsewhere = [
        Run(f"x{i}-s1", {**no_kd, "seed": 1}, other_cpu(80.5, 90.0, 81.0)) for i in range(4)
    ]
    table = rerun_results(
        [*same, *elsewhere, Run("r-s1-x", {**ref, "seed": 1}, other_cpu(80.5, 90.0, 82.3))],
        ref,
        shown=3,
    )
    assert table[["model", "seed"]].drop_duplicates().values.tolist() == [
        ["C-GCN", 1],
        ["Student-R", 1],
    ]
    cgcn = table[table["model"] == "C-GCN"].set_index("test_f1")
    assert cgcn.loc[80.0, "runs"] == "r-s1, no-kd-s1"
    assert cgcn.loc[80.5, "runs"] == "x0-s1, x1-s1, x2-s1 and 2 more"
    assert cgcn.loc[80.5, "cpu"] == "Other CPU" and cgcn.loc[80.0, "cpu"] == "–"
    # Student −KD gave the same 81.0 every time: not listed, though its C-GCN differs
    assert "Student −KD" not in set(table["model"])


def test_the_best_student_is_chosen_on_dev_among_cells_with_five_seeds():
    """A cell with fewer seeds never wins, however high its dev; test never decides."""
    from kdre.experiments import mechanisms

    def row(cell: str, seed: int, dev: float, test: float) -> dict:
        return {"cell": cell, "seed": seed, "dev": dev, "test": test}

    frame = pd.DataFrame(
        [row("relation", s, 80.0 + s / 10, 90.0) for s in range(1, 6)]
        + [row("transformer-transfer", s, 82.0, 70.0) for s in range(1, 6)]
        + [row("transformer-plain-transfer", 1, 99.0, 99.0)]
    )
    assert mechanisms.best_on_dev(frame) == "transformer-transfer"
    assert mechanisms.best_on_dev(frame, min_seeds=1) == "transformer-plain-transfer"
    assert mechanisms.best_on_dev(frame[frame["seed"] < 5]) is None
    frame["sure"] = frame["student_seconds"] = float("nan")
    line = next(s for s in mechanisms.markdown(frame) if s.startswith("Best student"))
    assert "+ transfer set (4 copies), dev 82.00 ± 0.00, test 70.00 ± 0.00" in line


def test_the_student_schedule_cells_have_their_own_rows():
    """student.epochs 100, student.transfer_anneal false and 8 copies each change one thing against
    transformer-transfer, student.transfer_ratio 2 one thing against the 8 copies, and
    student.anneal false or student.kd_loss mse one thing against the transformer cell (and
    student.kd_loss mse against transformer-transfer): no run
    stands for another cell's, and a run without the keys counts as the student's default
    schedule."""
    from kdre.experiments import mechanisms

    ref = params(gamma="relation")
    minilm = {**ref, "gamma": "vector", "teacher": {**ref["teacher"], "encoder": "transformer"}}
    with_set = {**minilm, "transfer": {"copies": 4}}
    long = {**with_set, "student": {**ref.get("student", {}), "epochs": 100}}
    steady = {**with_set, "student": {**ref.get("student", {}), "transfer_anneal": False}}
    eight = {**minilm, "transfer": {"copies": 8}}
    doubled = {**eight, "student": {**ref.get("student", {}), "transfer_ratio": 2.0}}
    alone = {**minilm, "student": {**ref.get("student", {}), "anneal": False}}
    mse = {**minilm, "student": {**ref.get("student", {}), "kd_loss": "mse"}}
    set_mse = {**with_set, "student": {**ref.get("student", {}), "kd_loss": "mse"}}
    runs = [
        Run("t1", {**with_set, "seed": 1}, metrics(70, 84, 76)),
        Run("l1", {**long, "seed": 1}, metrics(70, 84, 78)),
        Run("s1", {**steady, "seed": 1}, metrics(70, 84, 77)),
        Run("e1", {**eight, "seed": 1}, metrics(70, 84, 79)),
        Run("x1", {**doubled, "seed": 1}, metrics(70, 84, 80)),
        Run("a1", {**alone, "seed": 1}, metrics(70, 84, 81)),
        Run("m1", {**mse, "seed": 1}, metrics(70, 84, 82)),
        Run("q1", {**set_mse, "seed": 1}, metrics(70, 84, 83)),
        Run("p1", {**minilm, "seed": 1}, metrics(70, 84, 75)),
    ]
    frame = mechanisms.cell_runs(runs, ref, asdict(Params()))
    assert list(frame[frame["cell"] == "transformer-transfer"]["run"]) == ["t1"]
    assert list(frame[frame["cell"] == "transformer-transfer-long"]["run"]) == ["l1"]
    assert list(frame[frame["cell"] == "transformer-transfer-steady"]["run"]) == ["s1"]
    assert list(frame[frame["cell"] == "transformer-transfer-8"]["run"]) == ["e1"]
    assert list(frame[frame["cell"] == "transformer-transfer-8-x2"]["run"]) == ["x1"]
    assert list(frame[frame["cell"] == "transformer-teacher-only"]["run"]) == ["a1"]
    assert list(frame[frame["cell"] == "transformer-mse"]["run"]) == ["m1"]
    assert list(frame[frame["cell"] == "transformer-transfer-mse"]["run"]) == ["q1"]
    assert list(frame[frame["cell"] == "transformer"]["run"]) == ["p1"]
    assert ("transformer-transfer-long", "transformer-transfer") in mechanisms.COMPARISONS
    assert ("transformer-transfer-steady", "transformer-transfer") in mechanisms.COMPARISONS
    assert ("transformer-transfer-8", "transformer-transfer") in mechanisms.COMPARISONS
    assert ("transformer-transfer-8-x2", "transformer-transfer-8") in mechanisms.COMPARISONS
    assert ("transformer-teacher-only", "transformer") in mechanisms.COMPARISONS
    assert ("transformer-mse", "transformer") in mechanisms.COMPARISONS
    assert ("transformer-transfer-mse", "transformer-transfer") in mechanisms.COMPARISONS
