"""`kdre matrix` queues only what no finished run covers."""

from __future__ import annotations

from test_report import BASE, metrics, params

from kdre.report import Run
from stages.matrix import CELLS, covers, missing


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
    run = Run("r", params(gamma="relation", teacher__type_constraints=False), metrics(1, 2, 3))
    assert not covers(run, no_tc, 1)  # teacher.base is still "auto"
    run.params["teacher"]["base"] = "scratch"
    assert covers(run, no_tc, 1) and not covers(run, no_tc, 2)
    partial = {k: v for k, v in metrics(1, 2, 3).items() if k != "student"}
    assert not covers(Run("p", run.params, partial), no_tc, 1)


def test_queue_workers_find_this_environments_dvc_and_python(monkeypatch):
    """The queue's workers call `dvc` and the stages `python` by name: without an activated
    venv they must still get this interpreter's (it failed here: "No such file: 'dvc'")."""
    import shutil
    import sys
    from pathlib import Path

    from stages.matrix import dvc_env

    monkeypatch.setenv("PATH", "/nonexistent")
    path = dvc_env()["PATH"]
    bin_dir = Path(sys.executable).parent
    assert Path(shutil.which("dvc", path=path)).parent == bin_dir
    assert Path(shutil.which("python", path=path)).parent == bin_dir


def test_waiting_restarts_workers_while_experiments_are_queued(monkeypatch):
    """Workers that stopped between tasks are started again; none once only runs are left."""
    import stages.matrix as m

    head = "Task     Name         Created    Status\n"
    statuses = iter(
        [
            head
            + "33be12d  scalar-s3    08:30 AM   Running\n"
            + "885509c  no-ht-s3     09:37 AM   Queued\n",
            head + "885509c  no-ht-s3     09:37 AM   Running\n",
            head + "885509c  no-ht-s3     09:37 AM   Success\n",
        ]
    )
    calls = []

    def fake_dvc(*args: str) -> str:
        calls.append(args)
        return next(statuses) if args == ("queue", "status") else ""

    monkeypatch.setattr(m, "_dvc", fake_dvc)
    monkeypatch.setattr(m.time, "sleep", lambda _: None)
    m.wait_for_queue(jobs=2)
    assert [c for c in calls if c[:2] == ("queue", "start")] == [("queue", "start", "-j", "2")]
    assert calls.count(("queue", "status")) == 3
