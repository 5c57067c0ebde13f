"""``kdre matrix``: queue the report's run matrix as DVC experiments, skipping finished cells.

One experiment per (cell, seed), named `<cell>-s<seed>`. A cell is finished when the workspace,
an experiment ref or the run archive (reports/runs, committed) holds a run of this setup with
the cell's values: so the matrix can be split across machines or sessions, each one running
what is missing, committing the archive that `kdre report` writes, and the next going on.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
import yaml

from kdre.config import Params
from kdre.errors import InputError
from kdre.report import SWEPT, VECTORS, Run, flatten, same_setup
from stages.report import ARCHIVE, ArchiveOption, find_runs
from stages.report import report as write_report

# The report's cells: Student-R and the Knowledge issue's two controls first (what the matrix
# must show), then Teacher/Student for the other γ, then the paper's Table 4 ablations, each of
# Student-R. Values as `dvc exp run -S` takes them.
# - no-tc: the type term γ ⊙ G(p) dropped on the same frozen base, so the teacher is the C-GCN
#   itself: the self-distillation control (and −TC, changing only the type term).
# - types-ner: the same Teacher-R machinery over the parse stage's NER types, whose G(p) is a
#   near-constant prior on SemEval: the no-knowledge control.
CELLS: dict[str, dict[str, str]] = {
    "relation": {"gamma": "relation"},
    "no-tc": {"gamma": "relation", "teacher.type_constraints": "false"},
    "types-ner": {"gamma": "relation", "types.source": "ner"},
    "scalar": {"gamma": "scalar"},
    "vector": {"gamma": "vector"},
    "no-tsd": {"gamma": "relation", "teacher.tsd": "false"},
    "no-ht": {"gamma": "relation", "student.hint": "false"},
    "no-maa": {"gamma": "relation", "student.maa": "false"},
    "no-kd": {"gamma": "relation", "student.kd": "false"},
}
# Student-R from each type source (the default's cell is "relation"), for the types table.
TYPES_CELLS: dict[str, dict[str, str]] = {
    f"types-{source}": {"gamma": "relation", "types.source": source}
    for source in ("wordnet", "clusters")
}
# Student-R (with its C-GCN and Teacher-R) from each other word-vector source, for the report's
# word-vector table; not in the default matrix (each is three trainings per seed).
# minilm-static's table is 384-d, so the embedding must be that wide.
VECTOR_CELLS: dict[str, dict[str, str]] = {
    "vectors-random": {"gamma": "relation", "embeddings.source": "random"},
    "vectors-minilm-static": {
        "gamma": "relation",
        "embeddings.source": "minilm-static",
        "model.emb_dim": "384",
    },
    "vectors-minilm-contextual": {"gamma": "relation", "embeddings.contextual": "minilm"},
}
# The C-GCN alone (only the baseline stage runs): the Core issue's comparison of vocabulary
# layouts, chosen on dev: the vocabulary extended by the dev/test words that have a vector (the
# default) against train words only (the C-GCN reference's).
CGCN_CELLS: dict[str, dict[str, str]] = {
    "cgcn": {},
    "cgcn-train-vocab": {"embeddings.extend_vocab": "false"},
}
# The Comparable issue's lineage protocol (10 undirected labels, the lineage figure; see
# docs/scoring.md): Student-R with its own C-GCN and Teacher-R, for the table beside the
# paper's Table 3.
LINEAGE_CELLS: dict[str, dict[str, str]] = {
    "lineage": {"gamma": "relation", "dataset.semeval_directions": "false"},
}
# The Transformer issue's teachers (MiniLM fine-tuned, h_tea = F(h_transformer) + γ_v ⊙ G(p)),
# each distilled into the default student: with the type term, without it, and the plain
# fine-tuned MiniLM (no types anywhere: no type term, untyped markers; no TSD) that the typed
# teacher must beat on dev.
_TRANSFORMER = {"gamma": "vector", "teacher.encoder": "transformer"}
_NO_TC = {"teacher.type_constraints": "false"}
TRANSFORMER_CELLS: dict[str, dict[str, str]] = {
    "transformer": _TRANSFORMER,
    "transformer-no-tc": {**_TRANSFORMER, **_NO_TC},
    "transformer-plain": {
        **_TRANSFORMER,
        **_NO_TC,
        "teacher.tsd": "false",
        "teacher.transformer.typed_markers": "false",
    },
}
ALL_CELLS = {
    **CELLS,
    **TYPES_CELLS,
    **VECTOR_CELLS,
    **CGCN_CELLS,
    **LINEAGE_CELLS,
    **TRANSFORMER_CELLS,
}


def target_stage(cell: str) -> str:
    """The last stage a cell's experiment runs (and whose metrics mark it finished)."""
    return "baseline" if cell in CGCN_CELLS else "student"


def covers(
    run: Run,
    overrides: dict[str, str],
    seed: int,
    reference: dict | None = None,
    stage: str = "student",
) -> bool:
    """True when ``run`` ran with ``seed``, every override (a YAML value, as -S takes it) and,
    where the overrides do not set them, the ``reference``'s word vectors.

    A key the run's params lack means its default, as in the report. A run whose ``stage``
    did not finish covers nothing."""
    if stage not in run.metrics:
        return False
    defaults = flatten(asdict(Params()))
    flat = {**defaults, **flatten(run.params)}
    own = {**defaults, **flatten(reference or {})}
    wanted = {k: own.get(k) for k in VECTORS} if reference is not None else {}
    wanted |= {"seed": seed, **{k: yaml.safe_load(v) for k, v in overrides.items()}}
    return all(flat.get(k) == v for k, v in wanted.items())


def cell_reference(reference: dict, overrides: dict[str, str]) -> dict:
    """The reference params with the cell's overrides of keys that are neither swept nor word
    vectors applied: the setup the cell's runs belong to (the lineage cell's runs are of the
    reference setup under `dataset.semeval_directions: false`, as the report groups them)."""
    own = copy.deepcopy(reference)
    for key, value in overrides.items():
        if key in SWEPT or key in VECTORS:
            continue
        *path, last = key.split(".")
        node = own
        for part in path:  # a missing or null section means its defaults: start it empty
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[last] = yaml.safe_load(value)
    return own


def missing(
    runs: list[Run], reference: dict, seeds: list[int], cells: dict[str, dict[str, str]]
) -> list[tuple[str, dict[str, str], int]]:
    """(cell, overrides, seed) not yet run in the cell's setup (:func:`cell_reference`), cell
    by cell, seeds inside (so that two jobs side by side rarely train the same seed's baseline
    at once)."""
    defaults = asdict(Params())
    todo = []
    for cell, overrides in cells.items():
        own = cell_reference(reference, overrides)
        same = [r for r in runs if same_setup(r, own, defaults, free=VECTORS)]
        todo += [
            (cell, overrides, seed)
            for seed in seeds
            if not any(covers(r, overrides, seed, own, target_stage(cell)) for r in same)
        ]
    return todo


def dvc_env() -> dict[str, str]:
    """This environment with this interpreter's bin folder first on PATH: the queue workers
    call `dvc` by name and the stages call `python`, so they must find this venv's, activated
    or not."""
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")])}


def _run(*args: str, what: str = "python") -> str:
    """Run this interpreter (``python ARGS``) in :func:`dvc_env`; errors name it ``what``.

    Its output goes through files, not pipes: a started queue worker is a daemon holding the
    streams it was given, and a pipe would then never reach end of file."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        done = subprocess.run(
            [sys.executable, *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=dvc_env(),
        )
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if done.returncode != 0:
        raise InputError(f"{what} failed: {stderr.strip() or stdout}")
    return stdout


def _dvc(*args: str) -> str:
    """Run DVC from this interpreter's environment, activated or not."""
    return _run("-m", "dvc", *args, what=f"dvc {' '.join(args)}")


# Where DVC's queue keeps one info file per worker process it spawned, `dvc-exp-worker-<n>.json`
# (pid, and the return code once it ended), relative to the repository root.
WORKERS_DIR = Path(".dvc/tmp/exps/celery")


def live_workers(jobs: int, workers_dir: Path = WORKERS_DIR) -> set[int]:
    """Serials 1..``jobs`` of the queue workers whose process still runs.

    Read from the info files rather than asked of the workers (`dvc queue start` does that): a
    busy worker on a loaded machine does not answer within DVC's one-second inspect (seen here:
    "Worker status: 1 active" with two running), and DVC then starts a second worker of that
    serial beside it."""
    alive = set()
    for serial in range(1, jobs + 1):
        try:
            info = json.loads((workers_dir / f"dvc-exp-worker-{serial}.json").read_text())
            if info.get("returncode") is None:
                os.kill(int(info["pid"]), 0)
                alive.add(serial)
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return alive


def start_workers(count: int, jobs: int, workers_dir: Path = WORKERS_DIR) -> list[int]:
    """Start up to ``count`` queue workers, each under a serial (of 1..``jobs``) whose process is
    gone, and return those serials; none where every serial still runs."""
    serials = sorted(set(range(1, jobs + 1)) - live_workers(jobs, workers_dir))[:count]
    if serials:
        # DVC's own spawn (its worker naming and info files), in a child that has dvc_env's PATH
        # for the daemon to find `dvc`; `dvc queue start` offers no way to name the serial.
        _run(
            "-c",
            "import sys; from dvc.repo import Repo\n"
            "queue = Repo().experiments.celery_queue\n"
            "for serial in sys.argv[1:]: queue._spawn_worker(int(serial))",
            *map(str, serials),
            what=f"starting DVC queue workers {serials}",
        )
    return serials


def _in_queue() -> dict[str, str]:
    """Experiments queued or running now: name → "Queued" or "Running"."""
    names = {}
    for line in _dvc("queue", "status").splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[-1] in ("Queued", "Running"):
            names[parts[1]] = parts[-1]
    return names


def _short(queue: dict[str, str], jobs: int) -> int:
    """Workers missing: free slots (of ``jobs``) that a queued experiment could fill."""
    statuses = list(queue.values())
    return max(0, min(jobs - statuses.count("Running"), statuses.count("Queued")))


def wait_for_queue(jobs: int, poll_seconds: float = 60) -> None:
    """Return when nothing is queued or running, starting workers where they are missing.

    A DVC worker stops when one of its 10-second checks finds it without a task, even with
    experiments still queued (seen here between two tasks), so lost workers are started again,
    but only under a serial whose process is gone (see :func:`live_workers`): an idle live
    worker takes the next task itself."""
    while queue := _in_queue():
        if short := _short(queue, jobs):
            start_workers(short, jobs)
        time.sleep(poll_seconds)


def _parse_seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise InputError(f"--seeds: expected comma-separated integers, got {text!r}") from None
    if not seeds:
        raise InputError("--seeds: no seed given")
    return seeds


def matrix(
    seeds: Annotated[str, typer.Option(help="Comma-separated seeds of every cell.")] = "1,2,3",
    cells: Annotated[
        str,
        typer.Option(
            help=f"Comma-separated cells, of: {', '.join(ALL_CELLS)} (the default: all but the "
            "types-* cells (Student-R from each type source), the vectors-* cells (from the "
            "other word-vector sources), the cgcn* cells, which run the C-GCN alone, the "
            "lineage cell (Student-R, its C-GCN and Teacher-R on 10 undirected labels) and the "
            "transformer* cells (MiniLM teachers: with the type term, without, plain))."
        ),
    ] = ",".join(CELLS),
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
) -> None:
    """Queue every (cell, seed) of the report not yet run, start JOBS workers, wait, report.

    Cells: Student-R and its two Knowledge controls (no-tc: the self-distillation control, the
    type term dropped on the same frozen base; types-ner: the no-knowledge control, Teacher-R
    over the NER types), Teacher/Student-S and -V (each with its C-GCN baseline), the
    ablations of Student-R (−TSD, −HT, −MAA, −KD); on request, the types-* cells (Student-R
    from each type source) and the vectors-* cells (Student-R from random, minilm-static and
    minilm-contextual word vectors), the cgcn* cells (the C-GCN alone), the lineage cell
    (Student-R under the lineage protocol, `dataset.semeval_directions: false`) and the
    transformer* cells (Student-V from a MiniLM teacher with the type term, without it, and
    from the plain fine-tuned MiniLM). Finished cells (workspace,
    experiment refs, the ARCHIVE) and experiments already queued are skipped, so running this
    again after an interruption only queues what is missing. Commit ARCHIVE and reports/ afterwards.
    """
    chosen = [c.strip() for c in cells.split(",") if c.strip()]
    unknown = sorted(set(chosen) - set(ALL_CELLS))
    if unknown:
        raise InputError(f"--cells: unknown {', '.join(unknown)}; known: {', '.join(ALL_CELLS)}")
    reference = yaml.safe_load(params.read_text(encoding="utf-8"))
    runs = [r for r in find_runs(archive, workspace=True, save=False) if isinstance(r, Run)]
    seed_list = _parse_seeds(seeds)
    todo = missing(runs, reference, seed_list, {c: ALL_CELLS[c] for c in chosen})
    queued = {} if dry_run else _in_queue()
    for cell, overrides, seed in todo:
        name = f"{cell}-s{seed}"
        sets = [f"seed={seed}", f"train.threads={threads}"]
        sets += [f"{k}={v}" for k, v in overrides.items()]
        if name in queued:
            typer.echo(f"already queued: {name}", err=True)
            continue
        typer.echo(f"queue {name}: {' '.join(sets)}", err=True)
        if not dry_run:
            args = [a for s in sets for a in ("-S", s)]
            if cell in CGCN_CELLS:
                args.append(target_stage(cell))
            _dvc("exp", "run", "--queue", "-n", name, *args)
    typer.echo(f"{len(todo)} of {len(chosen) * len(seed_list)} runs to do", err=True)
    if dry_run:
        return
    if not wait:
        if short := _short(_in_queue(), jobs):
            start_workers(short, jobs)
        return
    wait_for_queue(jobs)  # starts the workers while anything is queued
    write_report(params=params, archive=archive)
