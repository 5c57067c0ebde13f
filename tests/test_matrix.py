"""`kdre matrix` queues only what no finished run covers."""

from __future__ import annotations

from test_report import BASE, metrics, params

from kdre.experiments.cells import CELLS, covers, missing
from kdre.experiments.runs import Run


def test_finished_cells_are_skipped_and_other_setups_do_not_count():
    runs = [
        Run("scalar-s1", params(seed=1), metrics(70, 71, 72)),
        Run("hint-off", params(seed=2, gamma="relation", student__hint=False), metrics(1, 2, 3)),
        Run("longer", params(seed=3, train={"epochs": 9}), metrics(1, 1, 1)),  # another setup
    ]
    cells = {c: CELLS[c] for c in ("scalar", "no-ht")}
    todo = [(cell, seed) for cell, _, seed in missing(runs, BASE, [1, 2, 3], cells)]
    assert todo == [("scalar", 2), ("scalar", 3), ("no-ht", 1), ("no-ht", 3)]


def test_overrides_are_read_as_yaml_and_an_unfinished_student_covers_nothing():
    no_tc = CELLS["no-tc"]
    run = Run("r", params(gamma="relation", teacher__type_constraints=True), metrics(1, 2, 3))
    assert not covers(run, no_tc, 1)  # "false" is read as YAML: False, not the string
    run.params["teacher"]["type_constraints"] = False
    assert covers(run, no_tc, 1) and not covers(run, no_tc, 2)
    partial = {k: v for k, v in metrics(1, 2, 3).items() if k != "student"}
    assert not covers(Run("p", run.params, partial), no_tc, 1)


def test_a_run_with_another_swept_value_does_not_stand_for_the_cell():
    """The relation cell overrides only gamma: a types-ner or −TSD run has gamma relation too,
    but it is another cell's run (this made the mechanisms table's Student-R row wrong)."""
    ref = params(gamma="relation", teacher__tsd=True)
    ner = Run("n", params(seed=1, gamma="relation", types={"source": "ner"}), metrics(1, 2, 3))
    no_tsd = Run("t", params(seed=1, gamma="relation", teacher__tsd=False), metrics(1, 2, 3))
    plain = Run("r", params(seed=1, gamma="relation"), metrics(1, 2, 3))
    relation = CELLS["relation"]
    assert not covers(ner, relation, 1, ref) and not covers(no_tsd, relation, 1, ref)
    assert covers(plain, relation, 1, ref)
    assert covers(ner, relation, 1)  # without a reference: the overrides alone


def test_queue_workers_find_this_environments_dvc_and_python(monkeypatch):
    """The queue's workers call `dvc` and the stages `python` by name: without an activated
    venv they must still get this interpreter's (it failed here: "No such file: 'dvc'")."""
    import shutil
    import sys
    from pathlib import Path

    from kdre.experiments.dvc_queue import dvc_env

    monkeypatch.setenv("PATH", "/nonexistent")
    path = dvc_env()["PATH"]
    bin_dir = Path(sys.executable).parent
    assert Path(shutil.which("dvc", path=path)).parent == bin_dir
    assert Path(shutil.which("python", path=path)).parent == bin_dir


def test_waiting_starts_workers_only_for_free_slots_while_experiments_are_queued(monkeypatch):
    """Workers are asked for only while a slot is free and something is queued; none once only
    running experiments are left."""
    import kdre.experiments.dvc_queue as m

    queues = iter(
        [
            {"a": "Running", "b": "Queued", "c": "Queued"},  # one of two slots free
            {"a": "Running", "b": "Running", "c": "Queued"},  # both busy
            {"b": "Running", "c": "Queued"},  # a finished
            {"b": "Running", "c": "Running"},
            {"c": "Running"},  # nothing queued: nothing to start
            {},
        ]
    )
    asked = []
    monkeypatch.setattr(m, "in_queue", lambda: next(queues))
    monkeypatch.setattr(m, "start_workers", lambda count, jobs: asked.append((count, jobs)))
    monkeypatch.setattr(m.time, "sleep", lambda _: None)
    m.wait_for_queue(jobs=2)
    assert asked == [(1, 2), (1, 2)]


def test_workers_start_only_under_serials_whose_process_is_gone(tmp_path, monkeypatch):
    """A busy worker never gets a twin of its serial (DVC's own check misses busy workers under
    load): a live pid keeps its serial; an ended one (return code written) or a dead pid frees
    it."""
    import json
    import os
    import subprocess
    import sys

    import kdre.experiments.dvc_queue as m

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()

    def info(serial: int, pid: int, returncode: int | None = None) -> None:
        path = tmp_path / f"dvc-exp-worker-{serial}.json"
        path.write_text(json.dumps({"pid": pid, "returncode": returncode}))

    info(1, os.getpid())  # alive (this test's own process)
    info(2, dead.pid)  # gone without a return code
    info(3, os.getpid(), returncode=0)  # ended
    # serial 4: never started
    assert m.live_workers(4, tmp_path) == {1}

    spawned = []
    monkeypatch.setattr(m, "_run", lambda *args, what: spawned.append(args[2:]) or "")
    assert m.start_workers(2, jobs=4, workers_dir=tmp_path) == [2, 3]
    assert spawned == [("2", "3")]
    info(2, os.getpid())
    info(3, os.getpid())
    info(4, os.getpid())
    assert m.start_workers(2, jobs=4, workers_dir=tmp_path) == []
    assert len(spawned) == 1


def test_vector_cells_are_covered_only_by_their_own_word_vectors():
    from kdre.experiments.cells import VECTOR_CELLS

    ref = {**params(gamma="relation"), "embeddings": {"source": "glove-6b-50d"}}
    rand = {**ref, "embeddings": {"source": "random"}}
    runs = [
        Run("relation-s1", ref, metrics(1, 2, 3)),
        Run("random-s2", {**rand, "seed": 2}, metrics(1, 2, 3)),
    ]
    cells = {"relation": CELLS["relation"], "vectors-random": VECTOR_CELLS["vectors-random"]}
    todo = [(cell, seed) for cell, _, seed in missing(runs, ref, [1, 2], cells)]
    # the random-vector run neither counts as Student-R of seed 2 nor is left out as another setup
    assert todo == [("relation", 2), ("vectors-random", 1)]
    static = VECTOR_CELLS["vectors-minilm-static"]
    run = Run("s", {**ref, "embeddings": {"source": "minilm-static"}}, metrics(1, 2, 3))
    assert not covers(run, static, 1, ref)  # model.emb_dim is still the default 300
    run.params["model"] = {"emb_dim": 384}
    assert covers(run, static, 1, ref)


def test_the_lineage_cell_is_finished_only_by_runs_of_the_lineage_protocol():
    """The lineage cell's runs differ from the reference in a key that is not swept: they are
    of their own setup, which finishes that cell and no official-protocol cell."""
    from kdre.experiments.cells import LINEAGE_CELLS, cell_reference

    ref = params(gamma="relation")
    lineage = {**ref, "seed": 2, "dataset": {"semeval_directions": False}}
    runs = [Run("relation-s1", ref, metrics(1, 2, 3)), Run("lineage-s2", lineage, metrics(1, 2, 3))]
    cells = {"relation": CELLS["relation"], "lineage": LINEAGE_CELLS["lineage"]}
    todo = [(cell, seed) for cell, _, seed in missing(runs, ref, [1, 2], cells)]
    assert todo == [("relation", 2), ("lineage", 1)]
    # a null section means its defaults; an existing one keeps its other keys; swept keys
    # (gamma) stay the reference's; the reference itself is not changed
    assert cell_reference({**ref, "dataset": None}, LINEAGE_CELLS["lineage"])["dataset"] == {
        "semeval_directions": False
    }
    base = {**ref, "gamma": "scalar", "dataset": {"dev_size": 500}}
    own = cell_reference(base, LINEAGE_CELLS["lineage"])
    assert own["dataset"] == {"dev_size": 500, "semeval_directions": False}
    assert own["gamma"] == "scalar" and base["dataset"] == {"dev_size": 500}


def test_queued_runs_get_the_git_ignored_corpus(tmp_path, monkeypatch):
    """Queued experiments run in a copy of the git-tracked tree: the corpus under data/raw
    (git-ignored since it left the repository) must be handed over, or every parse fails."""
    import stages.matrix as m
    from kdre.experiments.cells import ALL_CELLS

    raw = tmp_path / "raw"
    (raw / "corpus_a").mkdir(parents=True)
    (raw / "corpus_b").mkdir()
    monkeypatch.setattr(m, "RAW", raw)
    (tmp_path / "external" / "kbp37").mkdir(parents=True)
    monkeypatch.setattr(m, "EXTERNAL", tmp_path / "external")
    calls = []
    monkeypatch.setattr(m, "check_dvc_version", lambda: None)
    monkeypatch.setattr(m, "find_runs", lambda *a, **k: [])
    monkeypatch.setattr(m, "in_queue", dict)
    monkeypatch.setattr(m, "run_dvc", lambda *args: calls.append(args) or "")
    params_file = tmp_path / "params.yaml"
    import yaml

    params_file.write_text(yaml.safe_dump(BASE))
    monkeypatch.setattr(m, "WORKSPACE_PARAMS", params_file)
    assert "transfer" in ALL_CELLS
    m.matrix(seeds="1", cells="transfer", params=params_file, wait=False, jobs=0)
    (call,) = calls
    assert call[:3] == ("exp", "run", "--queue")
    paths = [call[i + 1] for i, a in enumerate(call) if a == "--copy-paths"]
    assert paths == [str(raw / "corpus_a"), str(raw / "corpus_b"), str(tmp_path / "external/kbp37")]


def test_the_matrix_without_a_corpus_says_make_data(tmp_path, monkeypatch):
    import pytest

    import stages.matrix as m
    from kdre.errors import InputError

    monkeypatch.setattr(m, "RAW", tmp_path / "raw")
    with pytest.raises(InputError, match="make data"):
        m.untracked_inputs()


def test_the_kbp37_setup_is_params_yaml_with_its_two_changes():
    """reports/kbp37/params.yaml must move with params.yaml: it differs in the corpus and the
    type source only, so the matrix queues exactly those two sets on top of the workspace's."""
    import yaml
    from conftest import REPO

    from stages.matrix import setup_overrides

    kbp37 = yaml.safe_load((REPO / "reports/kbp37/params.yaml").read_text(encoding="utf-8"))
    own = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    assert setup_overrides(kbp37, own) == ["dataset.name=semeval-format", "types.source=ner"]
    assert setup_overrides(own, own) == []
    assert setup_overrides({"a": {"b": "true", "c": 0.5, "d": "x y"}}, {}) == [
        'a.b="true"',
        "a.c=0.5",
        "a.d=x y",
    ]


def test_another_setup_needs_a_prefix_and_carries_its_sets(tmp_path, monkeypatch):
    import pytest
    import yaml
    from conftest import REPO

    import stages.matrix as m
    from kdre.errors import InputError

    calls = []
    monkeypatch.setattr(m, "check_dvc_version", lambda: None)
    monkeypatch.setattr(m, "find_runs", lambda *a, **k: [])
    monkeypatch.setattr(m, "in_queue", dict)
    monkeypatch.setattr(m, "run_dvc", lambda *args: calls.append(args) or "")
    monkeypatch.setattr(m, "WORKSPACE_PARAMS", REPO / "params.yaml")
    monkeypatch.setattr(m, "untracked_inputs", lambda: [])
    setup = REPO / "reports/kbp37/params.yaml"
    with pytest.raises(InputError, match="--prefix"):
        m.matrix(seeds="1", cells="relation", params=setup, wait=False, jobs=0)
    m.matrix(seeds="2", cells="types-none", params=setup, wait=False, jobs=0, prefix="kbp37-")
    (call,) = calls
    assert call[call.index("-n") + 1] == "kbp37-types-none-s2"
    sets = [call[i + 1] for i, a in enumerate(call) if a == "-S"]
    assert sets[:2] == ["dataset.name=semeval-format", "types.source=ner"]
    assert sets[-1] == "types.source=none"  # the cell's own value comes last and wins
    assert yaml.safe_load(setup.read_text())["dataset"]["name"] == "semeval-format"


def test_a_rerun_queues_finished_cells_under_its_suffix_and_resumes(tmp_path, monkeypatch):
    """--rerun retrains cells the archive already has (the same seed on another host is
    another model), named apart; a rerun already finished under that name is not queued
    again; a suffix git cannot store as a ref name is refused before anything is queued."""
    import pytest
    import yaml

    import stages.matrix as m
    from kdre.errors import InputError

    finished = [
        Run("relation-s1", params(seed=1, gamma="relation"), metrics(1, 2, 3)),
        Run("relation-s2", params(seed=2, gamma="relation"), metrics(1, 2, 3)),
        Run("relation-s2-xeon", params(seed=2, gamma="relation"), metrics(1, 2, 3)),
        Run("relation-s3-xeon", params(seed=3, gamma="relation"), {}),  # failed midway
    ]
    calls = []
    monkeypatch.setattr(m, "check_dvc_version", lambda: None)
    monkeypatch.setattr(m, "find_runs", lambda *a, **k: finished)
    monkeypatch.setattr(m, "in_queue", dict)
    monkeypatch.setattr(m, "run_dvc", lambda *args: calls.append(args) or "")
    monkeypatch.setattr(m, "untracked_inputs", lambda: ["data/raw/corpus"])
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump(params(gamma="relation")))
    monkeypatch.setattr(m, "WORKSPACE_PARAMS", params_file)

    m.matrix(seeds="1,2", cells="relation", params=params_file, wait=False, jobs=0)
    assert calls == []  # both seeds are finished: a plain matrix queues nothing
    m.matrix(seeds="1,2,3", cells="relation", params=params_file, wait=False, jobs=0, rerun="xeon")
    assert [c[c.index("-n") + 1] for c in calls] == ["relation-s1-xeon", "relation-s3-xeon"]
    call = calls[0]
    assert "seed=1" in call and call[call.index("--copy-paths") + 1] == "data/raw/corpus"
    for bad in ("-x", "a..b", "a b", "x.lock", "ü"):
        with pytest.raises(InputError, match="--rerun"):
            m.matrix(seeds="1", cells="relation", params=params_file, wait=False, rerun=bad)
    assert len(calls) == 2


def test_every_cell_is_described_once_and_the_committed_list_is_current(capsys):
    """`kdre matrix --help` and docs/cells.md are built from the cells themselves: a cell added
    without its line, or a line left behind by a removed cell, fails here, and so does a
    docs/cells.md not regenerated after a change."""
    from conftest import REPO

    import stages.matrix as m
    from kdre.experiments.cells import ABOUT, ALL_CELLS, DEFAULT_CELLS, cells_markdown

    assert list(ABOUT) == list(ALL_CELLS)
    assert set(DEFAULT_CELLS) <= set(ALL_CELLS)
    text = cells_markdown()
    for name, overrides in ALL_CELLS.items():
        (line,) = [row for row in text.splitlines() if row.startswith(f"| `{name}` |")]
        assert all(f"`{k}={v}`" in line for k, v in overrides.items())
        assert ("| yes |" in line) == (name in DEFAULT_CELLS)
    committed = (REPO / "docs/cells.md").read_text(encoding="utf-8")
    assert committed == text, (
        "docs/cells.md is stale: run `kdre matrix --list-cells > docs/cells.md`"
    )
    m.matrix(list_cells=True)  # prints the table and queues nothing (no DVC is asked)
    assert capsys.readouterr().out == text
