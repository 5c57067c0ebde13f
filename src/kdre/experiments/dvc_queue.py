"""All of kdre's use of DVC's internals, in one place: the experiment queue's workers, and where
DVC's cache keeps a run's output.

`kdre matrix` queues experiments with DVC's public CLI (`dvc exp run --queue`, `dvc queue
status`), but starting a worker under a chosen serial and telling a live worker from a dead one
need DVC's private parts: ``celery_queue._spawn_worker`` and the worker info files under
``.dvc/tmp/exps/celery``. They were written for, and tested with, the DVC versions in
:data:`WRITTEN_FOR`; :func:`check_dvc_version` refuses others with one line, rather than let a
changed internal fail in the middle of a matrix.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from kdre.errors import InputError

# DVC releases whose queue internals this module was written against (major, minor): 3.x
WRITTEN_FOR = (3,)


def check_dvc_version(version: str | None = None) -> None:
    """Refuse a DVC whose internals this module was not written for (see the module's text)."""
    if version is None:
        from dvc import __version__ as version
    major = int(str(version).split(".")[0])
    if major not in WRITTEN_FOR:
        raise InputError(
            f"kdre matrix drives DVC {'/'.join(f'{v}.x' for v in WRITTEN_FOR)}'s experiment "
            f"queue internals; this is DVC {version} (pip install 'dvc>=3,<4')"
        )


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


def run_dvc(*args: str) -> str:
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


def in_queue() -> dict[str, str]:
    """Experiments queued or running now: name → "Queued" or "Running"."""
    names = {}
    for line in run_dvc("queue", "status").splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[-1] in ("Queued", "Running"):
            names[parts[1]] = parts[-1]
    return names


def workers_short(queue: dict[str, str], jobs: int) -> int:
    """Workers missing: free slots (of ``jobs``) that a queued experiment could fill."""
    statuses = list(queue.values())
    return max(0, min(jobs - statuses.count("Running"), statuses.count("Queued")))


def wait_for_queue(jobs: int, poll_seconds: float = 60) -> None:
    """Return when nothing is queued or running, starting workers where they are missing.

    A DVC worker stops when one of its 10-second checks finds it without a task, even with
    experiments still queued (seen here between two tasks), so lost workers are started again,
    but only under a serial whose process is gone (see :func:`live_workers`): an idle live
    worker takes the next task itself."""
    while queue := in_queue():
        if short := workers_short(queue, jobs):
            start_workers(short, jobs)
        time.sleep(poll_seconds)


# DVC 3's cache: a file whose md5 is h lies at files/md5/h[:2]/h[2:] under the cache folder.
CACHE_DIR = Path(".dvc/cache")


def _cached_entry(lock: Path, stage: str, out: str, cache_dir: Path) -> tuple[str, Path]:
    """(md5, cache path) of ``out`` of ``stage`` in a run's dvc.lock; refused in one line."""
    try:
        stages = yaml.safe_load(lock.read_text(encoding="utf-8"))["stages"]
        outs = {o["path"]: o for o in stages[stage].get("outs", [])}
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as err:
        raise InputError(f"not a dvc.lock with a {stage!r} stage ({err})", lock) from None
    md5 = str((outs.get(out) or {}).get("md5") or "")
    if not md5:
        raise InputError(f"the {stage!r} stage records no output {out!r}", lock)
    path = cache_dir / "files" / "md5" / md5[:2] / md5[2:]
    if not path.is_file():
        raise InputError(f"{out} of this run (md5 {md5}) is not in {cache_dir}", lock)
    return md5, path


def cached_output(lock: Path, stage: str, out: str, cache_dir: Path = CACHE_DIR) -> Path:
    """The file in DVC's cache that ``stage`` of a run's dvc.lock (e.g. an archived run's
    ``reports/runs/NAME/dvc.lock``) wrote as ``out``, without checking the run out: its outputs
    stay in this clone's cache, not in the archive. Refused with one line where the lock has
    no such output, it is a folder, or the cache lacks it (another clone ran it, or `dvc gc`
    removed it)."""
    md5, path = _cached_entry(lock, stage, out, cache_dir)
    if md5.endswith(".dir"):
        raise InputError(f"{out} is a folder output: use cached_folder", lock)
    return path


def cached_folder(
    lock: Path, stage: str, out: str, dest: Path, cache_dir: Path = CACHE_DIR
) -> Path:
    """Copy the folder output ``out`` of ``stage`` (e.g. the types stage's ``data/types``) from
    DVC's cache into ``dest``, file by file as its manifest lists them; returns ``dest``."""
    md5, manifest = _cached_entry(lock, stage, out, cache_dir)
    if not md5.endswith(".dir"):
        raise InputError(f"{out} is a file output: use cached_output", lock)
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8"))
        files = [(str(e["relpath"]), str(e["md5"])) for e in entries]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise InputError(f"unreadable folder manifest of {out} ({err})", manifest) from None
    for relpath, file_md5 in files:
        source = cache_dir / "files" / "md5" / file_md5[:2] / file_md5[2:]
        target = dest / relpath
        if not target.resolve().is_relative_to(dest.resolve()):
            raise InputError(f"{out}'s manifest names a path outside it: {relpath!r}", manifest)
        if not source.is_file():
            raise InputError(f"{out}/{relpath} of this run is not in {cache_dir}", lock)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return dest
