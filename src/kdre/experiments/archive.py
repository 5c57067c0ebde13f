"""Where runs are found: the workspace, DVC's experiment refs and the committed run archive.

Experiment refs (refs/exps/…, written by `dvc exp run`) and DVC's cache live in one clone only;
the archive, reports/runs/<name>/, is committed, so a matrix split across machines or sessions
adds up. Archiving copies each ref's run files (dvc.lock, params.yaml, the metrics JSON the
pipeline commits and the test predictions) into it. Reads git through its command line.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import yaml

from kdre.atomic import write_text
from kdre.errors import InputError
from kdre.experiments.runs import Run, fresh_stages, lock_params, setup_version

METRIC_FILES = ("baseline", "teacher", "student", "evaluate")


# Each run's test predictions (official "id<TAB>label" files) travel with its metrics, so that a
# paired bootstrap between any two archived runs (Student-R vs a control) can be computed later.
PREDICTION_FILES = tuple(
    f"predictions/{stem}_test.txt" for stem in ("baseline", "teacher", "student")
)


# Each training stage's per-epoch history (loss, dev F1): where the same seed gives another
# model on another host, the first epoch whose loss differs says how early the floats part
# (docs/reproducibility.md).
HISTORY_STEMS = ("baseline", "teacher", "student")


# Stages without a model whose metrics say what a run cost or saw: the types stage's coverage,
# the augment stage's transfer-set size and its augmentation and parsing seconds.
SIDE_STEMS = ("types", "augment")


RUN_FILES = (
    "dvc.lock",
    "params.yaml",
    *(f"metrics/{stem}.json" for stem in (*METRIC_FILES, *SIDE_STEMS)),
    *(f"metrics/{stem}_history.csv" for stem in HISTORY_STEMS),
    *PREDICTION_FILES,
)


ARCHIVE = Path("reports/runs")


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise InputError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def _show(rev: str, path: str) -> str | None:
    done = subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else None


def run_at(name: str, rev: str | None, root: Path = Path(".")) -> Run | str | None:
    """The run stored at a git rev, or in the folder ``root`` when ``rev`` is None; a string
    says why the run cannot be used. Params come from dvc.lock (what the metrics were computed
    with), params.yaml only where there is no lock."""

    def read(path: str) -> str | None:
        if rev is None:
            file = root / path
            return file.read_text(encoding="utf-8") if file.exists() else None
        return _show(rev, path)

    lock_text = read("dvc.lock")
    lock = (yaml.safe_load(lock_text) or {}) if lock_text else None
    # Only the metrics of stages that ran with the recorded outputs (see fresh_stages); a run
    # without a lock keeps them all.
    fresh = fresh_stages(lock) if lock else set(METRIC_FILES)
    predictions = {}  # only an evaluate stage of this run wrote this run's predictions
    for path in PREDICTION_FILES if "evaluate" in fresh else ():
        text = read(path)
        if text:
            predictions[Path(path).name.removesuffix("_test.txt")] = text
    metrics = {}
    for stem in METRIC_FILES:
        text = read(f"metrics/{stem}.json")
        if text and stem in fresh:
            metrics[stem] = json.loads(text)
    if not metrics:
        return None
    if lock:
        # The params of every stage behind the metrics, the upstream ones included: the stages
        # with metrics record only `dataset.name`, while the protocol
        # (dataset.semeval_directions) is the parse stage's, whose `dataset` made their data.
        ran, conflicts = lock_params(lock, tuple(sorted(fresh)))
        if conflicts:
            return f"{name} (stale: its stages ran with different {', '.join(conflicts)})"
        return Run(name, ran, metrics, predictions)
    params_text = read("params.yaml")
    if params_text is None:
        return None
    return Run(name, yaml.safe_load(params_text), metrics, predictions)


def experiment_refs() -> list[tuple[str, str]]:
    """(name, sha) of every DVC experiment ref; internal refs (exec, stash, celery) skipped."""
    out = []
    for line in _git("for-each-ref", "refs/exps", "--format=%(refname) %(objectname)").split("\n"):
        if not line.strip():
            continue
        ref, sha = line.split()
        parts = ref.split("/")
        if len(parts) == 5 and len(parts[2]) == 2:  # refs/exps/ab/cdef…/name
            out.append((parts[4], sha))
    return out


def _archived_version(folder: Path) -> int | None:
    """The setup version of the run archived in ``folder``; None when it is not a usable run."""
    run = run_at(folder.name, None, folder)
    return setup_version(run) if isinstance(run, Run) else None


def replace_archived(archive: Path, name: str, files: dict[str, str]) -> None:
    """Make ``archive``/<name>/ hold exactly ``files``: written beside it first, then swapped
    in, so no file of an earlier run of that name lingers and a crash while writing leaves the
    old folder whole (the swap itself is two renames, not one atomic step). An earlier run of
    another setup version is kept as <name>@v<version> (the report's "across setup versions"
    table reads it) instead of being overwritten."""
    target = archive / name
    staging = archive / f".{name}.new"
    shutil.rmtree(staging, ignore_errors=True)
    for path, text in files.items():
        write_text(staging / path, text)
    if target.is_dir():
        old = _archived_version(target)
        kept = archive / f"{name}@v{old}"
        if old is not None and old != _archived_version(staging) and not kept.exists():
            target.rename(kept)
        else:
            shutil.rmtree(target)
    staging.rename(target)


def archive_experiments(archive: Path, refs: list[tuple[str, str]]) -> list[str]:
    """Copy each experiment ref's run files into ``archive``/<name>/; the names copied.

    A ref with no metrics (a failed or unfinished run) is skipped. `run.json` records the
    commit the files came from and its parent (the code the experiment ran)."""
    copied = []
    for name, sha in refs:
        files = {path: _show(sha, path) for path in RUN_FILES}
        if not any(files[f"metrics/{stem}.json"] for stem in METRIC_FILES):
            continue
        lock = yaml.safe_load(files["dvc.lock"] or "") or {}
        stems = (*METRIC_FILES, *SIDE_STEMS)
        fresh = fresh_stages(lock) if lock else set(stems)
        # A stage the experiment did not run (a `cgcn` cell stops at the baseline) left the
        # files of an older run in its commit: they are not this run's, so not archived.
        stale = {f"metrics/{stem}.json" for stem in stems if stem not in fresh}
        stale |= {f"metrics/{stem}_history.csv" for stem in HISTORY_STEMS if stem not in fresh}
        if "evaluate" not in fresh:  # predictions of an older run: not this one's
            stale |= set(PREDICTION_FILES)
        files = {k: v for k, v in files.items() if k not in stale}
        done = subprocess.run(
            ["git", "rev-parse", "-q", "--verify", f"{sha}^"], capture_output=True, text=True
        )
        parent = done.stdout.strip() or None  # None: a root commit
        files["run.json"] = (
            json.dumps({"experiment": name, "commit": sha, "parent": parent}, indent=2) + "\n"
        )
        replace_archived(archive, name, {k: v for k, v in files.items() if v is not None})
        copied.append(name)
    return copied


def archived_runs(archive: Path) -> list[tuple[str, Path]]:
    """(name, folder) of every run in the archive, by name."""
    if not archive.is_dir():
        return []
    return [
        (d.name, d)
        for d in sorted(archive.iterdir())
        if d.is_dir() and not d.name.startswith(".")  # .<name>.new: a copy cut short
    ]


def find_runs(archive: Path, workspace: bool, save: bool) -> list[Run | str]:
    """Every run this clone knows of: experiment refs and archive (refs archived first when
    ``save``) by name, then the workspace; an experiment both live and archived is read once:
    from the archive when this call just copied it there, else from its ref. The order is by
    name whether or not the refs were archived, since a (model, seed) counts from its first run:
    `kdre report --no-save` reports what `kdre report` does. The workspace comes last so that a
    (model, seed) the matrix ran is taken from the matrix (one thread count throughout), and
    the workspace adds only what the matrix lacks."""
    refs = experiment_refs()
    if save:
        copied = set(archive_experiments(archive, refs))
        refs = [(n, sha) for n, sha in refs if n not in copied]
    live = {n for n, _ in refs}
    where: list[tuple[str, str | None, Path]] = [(n, sha, Path(".")) for n, sha in refs]
    where += [(n, None, d) for n, d in archived_runs(archive) if n not in live]
    found = [run_at(n, rev, d) for n, rev, d in sorted(where, key=lambda w: w[0])]
    if workspace:
        found.append(run_at("workspace", None))
    return [r for r in found if r is not None]
