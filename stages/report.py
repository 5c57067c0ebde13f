"""``kdre report``: every finished experiment of this repository → reports/results.md, CSV, plot.

Runs are read from three places: the workspace; each experiment ref (refs/exps/…, written by
`dvc exp run`, queued or not), with its dvc.lock, params.yaml and the metrics JSON the pipeline
committed (`cache: false`); and the run archive, reports/runs/<name>/, where every report first
copies those files of each experiment ref. Experiment refs and DVC's cache live in one clone
only; the archive is committed, so a matrix split across machines or sessions adds up. Not a
DVC stage on purpose: a stage sees only its own workspace, never its sibling experiments.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
import yaml

from kdre.config import Params, load_params
from kdre.datasets import dataset_spec
from kdre.datasets.base import DatasetSpec
from kdre.errors import InputError
from kdre.report import (
    Run,
    by_vectors,
    by_version,
    collapsed_rows,
    collect,
    control_comparisons,
    fresh_stages,
    lock_params,
    markdown,
    plot,
    setup_version,
    summarise,
    vectors_label,
)
from kdre.schema import read_split
from stages.common import write_text

METRIC_FILES = ("baseline", "teacher", "student", "evaluate")
# Each run's test predictions (official "id<TAB>label" files) travel with its metrics, so that a
# paired bootstrap between any two archived runs (Student-R vs a control) can be computed later.
PREDICTION_FILES = tuple(
    f"predictions/{stem}_test.txt" for stem in ("baseline", "teacher", "student")
)
RUN_FILES = (
    "dvc.lock",
    "params.yaml",
    *(f"metrics/{stem}.json" for stem in (*METRIC_FILES, "types")),
    *PREDICTION_FILES,
)
ARCHIVE = Path("reports/runs")
ArchiveOption = Annotated[
    Path, typer.Option(help="Run archive: one folder per experiment, committed to git.")
]
NOTES = """## Where this setup differs from the paper

- Word vectors: the paper uses GloVe 840B (300-d). Nothing can be downloaded at run time here,
  so the default is the offline source chosen on dev (`embeddings.source` in params.yaml, see
  docs/params.md); a user with GloVe 840B sets `embeddings.source: file` and `embeddings.path`.
- Parser: spaCy `en_core_web_sm` 3.8 instead of Stanford CoreNLP, for tokens, POS, NER and the
  dependency tree.
- Entity types (`types.source`): the paper takes them from an NER tagger, which types 98.7 %
  of SemEval's training nominals `O` (the pattern graph is then close to a constant prior).
  kdre's default types each nominal by its WordNet 3.0 noun supersense; rows marked
  "[ner types]" use spaCy's NER types instead (the no-knowledge control).
- Teacher-R trains Γ with Adam over cached dropout passes of its frozen C-GCN
  (`teacher.gamma_lr`, `teacher.base_dropout_passes`); see docs/model-notes.md.
- The paper reports one run per model; each row here is a mean over seeds (sample std).
- The matrix runs at 1 torch thread per job (two jobs on 2 cores); the default `dvc repro` at 2.
  The thread count can reorder float sums, so a seed's numbers may differ between the two
  (seed 1, setup v2: the C-GCN's test F1 is 79.93 at both, Student-R's 81.81 at 1 thread and
  81.64 at 2). Each model and seed is counted once, from the
  matrix when it ran it; the `threads` column of "Every run" says which.
- The paper's Table 4 ablations are on TACRED; their deltas are shown for direction only.
- Teacher-R reads the gold label, so its dev/test scores are never results and are left out.
"""


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise InputError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def _show(rev: str, path: str) -> str | None:
    done = subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else None


def _run_at(name: str, rev: str | None, root: Path = Path(".")) -> Run | str | None:
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
    run = _run_at(folder.name, None, folder)
    return setup_version(run) if isinstance(run, Run) else None


def _replace_archived(archive: Path, name: str, files: dict[str, str]) -> None:
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
        if "evaluate" not in fresh_stages(lock):  # predictions of an older run: not this one's
            files = {k: v for k, v in files.items() if k not in PREDICTION_FILES}
        done = subprocess.run(
            ["git", "rev-parse", "-q", "--verify", f"{sha}^"], capture_output=True, text=True
        )
        parent = done.stdout.strip() or None  # None: a root commit
        files["run.json"] = (
            json.dumps({"experiment": name, "commit": sha, "parent": parent}, indent=2) + "\n"
        )
        _replace_archived(archive, name, {k: v for k, v in files.items() if v is not None})
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
    """Every run this clone knows of: experiment refs, archive (refs archived first when
    ``save``), then the workspace; an experiment both live and archived is read once: from the
    archive when this call just copied it there, else from its ref. The workspace comes last so
    that a (model, seed) the matrix ran is taken from the matrix (one thread count throughout),
    and the workspace adds only what the matrix lacks."""
    refs = experiment_refs()
    if save:
        copied = set(archive_experiments(archive, refs))
        refs = [(n, sha) for n, sha in refs if n not in copied]
    found = [_run_at(n, sha) for n, sha in refs]
    live = {n for n, _ in refs}
    found += [_run_at(n, None, d) for n, d in archived_runs(archive) if n not in live]
    if workspace:
        found.append(_run_at("workspace", None))
    return [r for r in found if r is not None]


CONTROL_SAMPLES = 1000


def test_gold(cfg) -> tuple[DatasetSpec | None, dict[str, str] | None]:
    """The test split's gold labels from the workspace's parsed data, for the controls'
    bootstrap; (None, None) when this clone has not parsed it (the Δ are shown without p)."""
    path = Path("data/parsed/test.parquet")
    if not path.exists():
        return None, None
    frame = read_split(path, validate=False)
    spec = dataset_spec(cfg.dataset.name, path.parent)
    return spec, dict(zip(frame["id"].astype(str), frame["relation"].astype(str), strict=True))


def report(
    params: Annotated[Path, typer.Option(help="The setup to report: runs must match it.")] = Path(
        "params.yaml"
    ),
    out: Annotated[Path, typer.Option(help="Markdown report.")] = Path("reports/results.md"),
    csv: Annotated[Path, typer.Option(help="One row per model and seed.")] = Path(
        "reports/results.csv"
    ),
    figure: Annotated[Path, typer.Option(help="F1 per model with error bars.")] = Path(
        "reports/f1_by_model.png"
    ),
    workspace: Annotated[bool, typer.Option(help="Count the workspace's own run too.")] = True,
    archive: ArchiveOption = ARCHIVE,
    save: Annotated[
        bool, typer.Option(help="Copy each experiment ref's run files into ARCHIVE first.")
    ] = True,
) -> None:
    """Collect every finished run (workspace, `dvc exp` refs, ARCHIVE) into mean ± std per model.

    A run counts when its params equal PARAMS except for the swept keys (seed, gamma and the
    ablation switches teacher.tsd / type_constraints / base, student.hint / maa / kd) and the
    word vectors (embeddings.source / path / contextual, model.emb_dim); others (older setups,
    other epochs) are listed as left out. Writes OUT (main table of PARAMS' word vectors with
    the paper's Table 3 figure and deltas beside ours, ablation table, C-GCN and Student-R per
    word-vector source, every run), CSV and FIGURE. Each experiment ref is first copied into
    ARCHIVE (commit it: refs and DVC's cache stay in this clone). Run the matrix first:
    `kdre matrix`, or see docs/experiments.md.
    """
    reference = yaml.safe_load(params.read_text(encoding="utf-8"))
    found = find_runs(archive, workspace, save)
    runs = [r for r in found if isinstance(r, Run)]
    defaults = asdict(Params())
    rows, skipped = collect(runs, reference, defaults)
    skipped += [r for r in found if isinstance(r, str)]
    own_vectors = vectors_label(reference, defaults)
    summary = summarise(rows[rows["vectors"] == own_vectors] if not rows.empty else rows)
    every, _ = collect(runs, reference, defaults, any_version=True)
    own = every[every["vectors"] == own_vectors] if not every.empty else every
    versions = by_version(own) if not own.empty else None
    # the same setup under the lineage protocol (10 undirected labels), in a table of its own
    lineage_ref = {
        **reference,
        "dataset": {**(reference.get("dataset") or {}), "semeval_directions": False},
    }
    lineage_rows, _ = collect(runs, lineage_ref, defaults)
    if not lineage_rows.empty:
        lineage_rows = lineage_rows[lineage_rows["vectors"] == own_vectors]
        skipped = [s for s in skipped if s not in set(lineage_rows["run"])]
    lineage = summarise(lineage_rows) if not lineage_rows.empty else None
    spec, gold = test_gold(load_params(params))
    controls = control_comparisons(runs, reference, defaults, gold, spec, CONTROL_SAMPLES)
    collapsed = collapsed_rows(runs, reference, defaults, own_vectors, gold)
    text = markdown(
        summary,
        rows,
        skipped,
        NOTES,
        by_vectors(rows),
        own_vectors,
        versions,
        controls,
        CONTROL_SAMPLES,
        lineage,
        summarise(collapsed),
    )
    for path in (out, csv, figure):
        path.parent.mkdir(parents=True, exist_ok=True)
    write_text(out, text)
    write_text(csv, rows.to_csv(index=False))
    if not summary.empty:
        plot(summary, figure)
    typer.echo(
        f"{len(runs)} runs read, {len(skipped)} of another setup; {len(summary)} models -> {out}",
        err=True,
    )
