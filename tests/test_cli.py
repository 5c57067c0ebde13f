from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, TEST, write_records

from kdre.data.datasets import semeval

BIN = Path(sys.executable).parent


def kdre(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stages.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def test_console_script_lists_stages():
    out = subprocess.run(
        [str(BIN / "kdre"), "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "parse" in out and "score" in out


def test_parse_help_explains_params_and_outputs():
    out = kdre("parse", "--help").stdout
    for word in ("dataset.semeval_dir", "parse.reparse", "train.parquet", "stratified"):
        assert word in out


def test_bad_params_one_line_and_nothing_written(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("dataset:\n  name: semeval\n  dev_size: 500\nparse:\n  n_process: 0\n")
    out = tmp_path / "parsed"
    result = kdre("parse", "--params", str(params), "--out", str(out))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "parse.n_process must be >= 1" in result.stderr
    assert not out.exists()


def test_bad_corpus_one_line_and_nothing_written(tmp_path):
    root = tmp_path / "release"
    for rel in (semeval.TRAIN_FILE, semeval.TEST_FILE):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
    good = [(f'{i}\t"The <e1>a</e1> b <e2>c</e2>."', "Other") for i in range(1, 30)]
    write_records(root / semeval.TRAIN_FILE, good)
    write_records(root / semeval.TEST_FILE, [('100\t"The <e1>a</e1> b <e2>c"', "Other")])
    params = tmp_path / "params.yaml"
    params.write_text(f"dataset:\n  semeval_dir: {root}\n  dev_size: 5\n")
    out = tmp_path / "parsed"
    result = kdre("parse", "--params", str(params), "--out", str(out), "--no-progress")
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == (
        f"kdre: error: {root / semeval.TEST_FILE}:1: unclosed <e2> marker (no </e2>)"
    )
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.semeval
def test_score_semeval_prints_official_line(tmp_path):
    pred = tmp_path / "pred.txt"
    pred.write_text("".join(f"{ex.id}\tOther\n" for ex in semeval.read_semeval(TEST)))
    result = kdre("score", "semeval", str(pred), str(TEST))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].endswith("macro-averaged F1 = 0.00% >>>")
    bad = kdre("score", "semeval", str(TEST), str(TEST))
    assert bad.returncode == 1 and "TEST_FILE_FULL.TXT:1: unknown label" in bad.stderr


@pytest.mark.semeval
def test_dvc_repro_smoke(tmp_path):
    """The pipeline through DVC on a small subset with a tiny model: every stage's outputs
    appear, the metrics parse, a second repro is a no-op, and `-S gamma=vector` reruns only
    the teacher."""
    work = tmp_path / "repo"
    work.mkdir()
    for name in ("dvc.yaml", "params.yaml", "pyproject.toml"):
        shutil.copy(REPO / name, work / name)
    for name in ("src", "stages", "data/raw"):
        shutil.copytree(REPO / name, work / name, ignore=shutil.ignore_patterns("__pycache__"))
    params = yaml.safe_load((work / "params.yaml").read_text())
    params["parse"]["limit"] = 30
    # 60-d words so a 50-d pretrained default source fits (its columns + 10 random ones).
    params["model"].update(emb_dim=60, pos_dim=4, ner_dim=4, rnn_hidden=8, hidden_dim=8)
    params["train"].update(epochs=2, batch_size=8, threads=1, device="cpu")
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}

    def run(*cmd: str) -> str:
        done = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    run("git", "init", "-q")
    run("dvc", "init", "-q")
    run("dvc", "repro")
    import pandas as pd

    for split in ("train", "dev", "test"):
        df = pd.read_parquet(work / f"data/parsed/{split}.parquet")
        assert len(df) == 30
    for path in (
        "data/graph/graph.parquet",
        "plots/graph_heatmap.png",
        "data/embeddings/vectors.parquet",
        "models/baseline.pt",
        "models/teacher.pt",
        "data/soft_labels/train.parquet",
        "dvc.lock",
        "metrics/baseline_history.csv",
        "metrics/teacher_history.csv",
    ):
        assert (work / path).exists(), path
    graph = json.loads((work / "metrics/graph.json").read_text())
    assert graph["patterns"] >= 1
    embed = json.loads((work / "metrics/embed.json").read_text())
    assert embed["source"] == params["embeddings"]["source"]
    types = json.loads((work / "metrics/types.json").read_text())
    assert types["source"] == "wordnet" and types["train"]["untyped_share"] < 0.2
    assert (work / "data/types/typer.json").exists()
    # the default teacher is Teacher-R: its scores read the gold label and are kept apart
    teacher = json.loads((work / "metrics/teacher.json").read_text())
    assert "test" not in teacher and 0.0 <= teacher["test_leaky"]["f1"] <= 100.0
    for name in ("baseline", "student"):
        metrics = json.loads((work / f"metrics/{name}.json").read_text())
        assert 0.0 <= metrics["test"]["f1"] <= 100.0 and metrics["epochs_run"] == 2
    evaluation = json.loads((work / "metrics/evaluate.json").read_text())
    for key in (
        "baseline.test.f1",
        "teacher.test_leaky.f1",
        "student.test.recall",
        "student_vs_baseline.p_value",
    ):
        assert key in evaluation, key
    assert evaluation["student.test.f1"] == round(metrics["test"]["f1"], 4)
    for png in ("per_relation_f1.png", "confusion_student.png", "training_curves.png"):
        assert (work / "plots" / png).stat().st_size > 1000
    # The official-format predictions score to the same F1 with `kdre score`, against a key
    # made from the raw release for the same ids.
    predicted = {
        line.split("\t")[0]
        for line in (work / "predictions/student_test.txt").read_text().splitlines()
    }
    key = work / "key.txt"
    key.write_text(
        "".join(
            f"{ex.id}\t{ex.relation}\n" for ex in semeval.read_semeval(TEST) if ex.id in predicted
        )
    )
    scored = run(
        sys.executable,
        "-m",
        "stages.cli",
        "score",
        "semeval",
        "--json",
        "predictions/student_test.txt",
        str(key),
    )
    assert round(json.loads(scored)["f1"], 4) == evaluation["student.test.f1"]
    again = run("dvc", "repro")
    assert "didn't change" in again or "up to date" in again
    run("git", "add", "-A")
    run("git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "smoke")
    exp = run("dvc", "exp", "run", "-S", "gamma=vector")
    assert "Running stage 'teacher'" in exp and "Running stage 'baseline'" not in exp
    assert "gamma_v_mean" in json.loads((work / "metrics/teacher.json").read_text())
    diff = run("dvc", "metrics", "diff", "--json")
    assert "metrics/teacher.json" in json.loads(diff)


def test_a_subcommand_imports_only_its_own_module():
    """`kdre score --help` loads neither torch nor spaCy (the CLI imports a subcommand's module
    only when it runs), and `kdre parse` never loads another stage's module."""
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['kdre', *sys.argv[1:]]\n"
        "try:\n"
        "    runpy.run_module('stages.cli', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'spacy', 'stages')))\n"
    )

    def loaded(*args: str) -> list[str]:
        out = subprocess.run(
            [sys.executable, "-c", probe, *args], cwd=REPO, capture_output=True, text=True
        )
        return eval(out.stdout.strip().splitlines()[-1])  # noqa: S307 - our own probe's list

    score = loaded("score", "--help")
    assert not [m for m in score if m.startswith(("torch", "spacy"))]
    assert set(score) == {"stages", "stages.score"}  # stages.cli runs as __main__
    assert set(loaded("parse", "--help")) == {"stages", "stages.common", "stages.parse"}
