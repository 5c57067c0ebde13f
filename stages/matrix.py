"""``kdre matrix``: queue the report's run matrix as DVC experiments, skipping finished cells.

One experiment per (cell, seed), named `<cell>-s<seed>`. A cell is finished when the workspace,
an experiment ref or the run archive (reports/runs, committed) holds a run of this setup with
the cell's values: so the matrix can be split across machines or sessions, each one running
what is missing, committing the archive that `kdre report` writes, and the next going on.
`--rerun SUFFIX` queues the chosen cells again, finished or not, as `<cell>-s<seed>-SUFFIX`:
the same seed retrained on another host can be another model, and a control is best compared
with a Student-R trained where the control was (docs/reproducibility.md).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import typer
import yaml

from kdre.errors import InputError
from kdre.experiments.archive import ARCHIVE, find_runs
from kdre.experiments.cells import (
    ALL_CELLS,
    CGCN_CELLS,
    DEFAULT_CELLS,
    cells_markdown,
    covers,
    missing,
    target_stage,
)
from kdre.experiments.dvc_queue import (
    check_dvc_version,
    in_queue,
    run_dvc,
    start_workers,
    wait_for_queue,
    workers_short,
)
from kdre.experiments.runs import Run
from stages.report import ArchiveOption
from stages.report import report as write_report

RERUN_SUFFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _check_suffix(suffix: str) -> str:
    """A suffix that keeps the experiment name a valid git ref name (DVC stores it as one)."""
    if not RERUN_SUFFIX.fullmatch(suffix) or ".." in suffix or suffix.endswith((".", ".lock")):
        raise InputError(
            f"--rerun: {suffix!r} is not a name suffix; use letters, digits, '_', '-' or '.' "
            "(e.g. --rerun xeon)"
        )
    return suffix


def experiment_name(prefix: str, cell: str, seed: int, rerun: str = "") -> str:
    """`<prefix><cell>-s<seed>`, with `-<rerun>` for a rerun: the one place the name is made."""
    return f"{prefix}{cell}-s{seed}" + (f"-{rerun}" if rerun else "")


def rerun_todo(
    runs: list[Run], names: list[str], seeds: list[int], prefix: str, suffix: str
) -> list[tuple[str, dict[str, str], int]]:
    """Every (cell, seed) chosen, finished or not, except those a run named
    `<prefix><cell>-s<seed>-<suffix>` already finished: a rerun is resumable like the matrix
    (a run of that name whose last stage did not finish is queued again)."""
    by_name = {r.name: r for r in runs}
    todo = []
    for cell in names:
        for seed in seeds:
            run = by_name.get(experiment_name(prefix, cell, seed, suffix))
            if run is None or not covers(run, ALL_CELLS[cell], seed, stage=target_stage(cell)):
                todo.append((cell, ALL_CELLS[cell], seed))
    return todo


def _parse_seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise InputError(f"--seeds: expected comma-separated integers, got {text!r}") from None
    if not seeds:
        raise InputError("--seeds: no seed given")
    return seeds


RAW = Path("data/raw")
EXTERNAL = Path("data/external")  # optional corpora (KBP37), filled by `make data`


def untracked_inputs(raw: Path | None = None, external: Path | None = None) -> list[str]:
    """The corpus folders under data/raw and data/external that git ignores: a queued
    experiment runs in a copy of the git-tracked tree, so each one is handed over with `dvc exp
    run --copy-paths` (without them the parse stage fails in every queued run: "No such file …
    data/raw")."""
    raw = RAW if raw is None else raw
    external = EXTERNAL if external is None else external
    if not raw.is_dir() or not any(raw.iterdir()):
        raise InputError(f"{raw}: no corpus there; run `make data` first")
    extra = sorted(external.iterdir()) if external.is_dir() else []
    return sorted(str(p) for p in raw.iterdir()) + [str(p) for p in extra]


WORKSPACE_PARAMS = Path("params.yaml")


def setup_overrides(reference: dict, workspace: dict) -> list[str]:
    """`-S key=value` sets that turn the workspace's params into ``reference``'s: a queued
    experiment starts from the workspace's params.yaml, so a matrix over another setup file
    (KBP37's) must carry every key where the two differ. A key the setup lacks keeps the
    workspace's value."""
    from kdre.experiments.runs import flatten

    ref, own = flatten(reference), flatten(workspace)
    return [f"{k}={_as_yaml(v)}" for k, v in sorted(ref.items()) if own.get(k) != v]


def _as_yaml(value: object) -> str:
    """A value as `-S` reads it (YAML): a string as is where YAML reads it back unchanged."""
    if isinstance(value, str) and yaml.safe_load(value) == value:
        return value
    return json.dumps(value)


def matrix(
    seeds: Annotated[str, typer.Option(help="Comma-separated seeds of every cell.")] = "1,2,3",
    cells: Annotated[
        str,
        typer.Option(
            help=f"Comma-separated cells, of: {', '.join(ALL_CELLS)} (the default: "
            f"{', '.join(DEFAULT_CELLS)}). What each is: `kdre matrix --list-cells` "
            "(docs/cells.md).",
            show_default=False,
        ),
    ] = ",".join(DEFAULT_CELLS),
    jobs: Annotated[int, typer.Option(help="Experiments run side by side.")] = 2,
    threads: Annotated[
        int, typer.Option(help="Torch threads per experiment (jobs × threads ≤ cores).")
    ] = 1,
    params: Annotated[Path, typer.Option(help="The setup to run and report.")] = Path(
        "params.yaml"
    ),
    archive: ArchiveOption = ARCHIVE,
    wait: Annotated[
        bool, typer.Option(help="Wait for the queue, then archive and write the report.")
    ] = True,
    dry_run: Annotated[bool, typer.Option(help="Only list the experiments to queue.")] = False,
    list_cells: Annotated[
        bool,
        typer.Option(
            "--list-cells",
            help="Print every cell (overrides, what it is) as a markdown table; run nothing.",
        ),
    ] = False,
    prefix: Annotated[
        str,
        typer.Option(
            help="Experiment names start with it (`kbp37-` for the KBP37 setup), so runs of "
            "another setup file do not take the default setup's names."
        ),
    ] = "",
    rerun: Annotated[
        str,
        typer.Option(
            help="Queue the chosen cells again even where finished, named "
            "<cell>-s<seed>-RERUN (e.g. --rerun xeon to retrain on this host what another "
            "host ran); a rerun already finished under that name is skipped. The report "
            "lists reruns that disagree and pairs each control with the Student-R run on "
            "its own C-GCN."
        ),
    ] = "",
) -> None:
    """Queue every (cell, seed) of the report not yet run, start JOBS workers, wait, report.

    A cell is a set of param overrides, run per seed as the DVC experiment `<cell>-s<seed>`.
    Without --cells: Student-R, its two Knowledge controls (the self-distillation control and
    the no-knowledge control), Teacher/Student-S and -V, and the ablations of Student-R. On
    request: the type sources, the word-vector sources, the C-GCN alone, the lineage protocol,
    the MiniLM teachers and the Transfer issue's mechanisms; `--list-cells` prints them all
    with their overrides (docs/cells.md). Finished cells (workspace, experiment refs, the
    ARCHIVE) and experiments already queued are skipped, so running this again after an
    interruption only queues what is missing. Commit ARCHIVE and reports/ afterwards.
    """
    if list_cells:
        typer.echo(cells_markdown(), nl=False)
        return
    if not dry_run:
        check_dvc_version()
    chosen = [c.strip() for c in cells.split(",") if c.strip()]
    unknown = sorted(set(chosen) - set(ALL_CELLS))
    if unknown:
        raise InputError(f"--cells: unknown {', '.join(unknown)}; known: {', '.join(ALL_CELLS)}")
    if rerun:
        _check_suffix(rerun)
    reference = yaml.safe_load(params.read_text(encoding="utf-8"))
    runs = [r for r in find_runs(archive, workspace=True, save=False) if isinstance(r, Run)]
    seed_list = _parse_seeds(seeds)
    if rerun:
        todo = rerun_todo(runs, chosen, seed_list, prefix, rerun)
    else:
        todo = missing(runs, reference, seed_list, {c: ALL_CELLS[c] for c in chosen})
    workspace = yaml.safe_load(WORKSPACE_PARAMS.read_text(encoding="utf-8"))
    base_sets = setup_overrides(reference, workspace)
    if base_sets and not prefix:
        raise InputError(
            f"{params} differs from {WORKSPACE_PARAMS} ({', '.join(base_sets[:3])}…): give its "
            "runs their own names with --prefix (e.g. --prefix kbp37-)"
        )
    queued = {} if dry_run else in_queue()
    copy_paths = [] if dry_run else untracked_inputs()
    for cell, overrides, seed in todo:
        name = experiment_name(prefix, cell, seed, rerun)
        sets = [s for s in base_sets if s.split("=", 1)[0] not in ("seed", "train.threads")]
        sets += [f"seed={seed}", f"train.threads={threads}"]
        sets += [f"{k}={v}" for k, v in overrides.items()]
        if name in queued:
            typer.echo(f"already queued: {name}", err=True)
            continue
        typer.echo(f"queue {name}: {' '.join(sets)}", err=True)
        if not dry_run:
            args = [a for s in sets for a in ("-S", s)]
            args += [a for path in copy_paths for a in ("--copy-paths", path)]
            if cell in CGCN_CELLS:
                args.append(target_stage(cell))
            run_dvc("exp", "run", "--queue", "-n", name, *args)
    typer.echo(f"{len(todo)} of {len(chosen) * len(seed_list)} runs to do", err=True)
    if dry_run:
        return
    if not wait:
        if short := workers_short(in_queue(), jobs):
            start_workers(short, jobs)
        return
    wait_for_queue(jobs)  # starts the workers while anything is queued
    write_report(params=params, archive=archive)
