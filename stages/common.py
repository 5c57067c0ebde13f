"""Small helpers shared by the stage commands: metric and history files."""

from __future__ import annotations

import csv
import json
import os
import stat
from pathlib import Path
from typing import Annotated

import typer

from kdre.atomic import atomic_path, atomic_paths, write_text
from kdre.config import Params
from kdre.provenance import run_record

# What every training stage reads from the embed stage: one folder.
EmbeddingsOption = Annotated[
    Path,
    typer.Option(
        help="Output folder of the embed stage: word-vector table (unused when random) and "
        "cached contextual vectors (when embeddings.contextual is set)."
    ),
]
EMBEDDINGS = Path("data/embeddings")
# The options every stage shares, declared once so their help reads the same everywhere.
ParamsOption = Annotated[Path, typer.Option(help="Parameters file.")]
PARAMS = Path("params.yaml")
ParsedOption = Annotated[Path, typer.Option(help="Folder of the parsed splits.")]
PARSED = Path("data/parsed")
TypedOption = Annotated[
    Path, typer.Option(help="Folder of the typed splits (the types stage's output).")
]
TYPED = Path("data/types")
ProgressOption = Annotated[bool, typer.Option(help="Show a progress bar on stderr.")]


def writable_target(path: Path) -> int:
    """Check, before any work, that ``path`` may receive a command's result, and return the
    mode the result should get: that of the file it replaces, or what a plain ``open(path,
    "w")`` would give (0o666 less the umask). Refused, with one line naming the path: a
    missing folder, a folder, a device or any other special file, a read-only file (also for
    root, who could write it anyway)."""
    from kdre.errors import InputError

    if not path.parent.is_dir():
        raise InputError("its folder does not exist", path)
    try:
        st = path.stat()
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        if not os.access(path.parent, os.W_OK):
            raise InputError("its folder is not writable", path) from None
        return 0o666 & ~umask
    if stat.S_ISDIR(st.st_mode):
        raise InputError("is a folder, not a file", path)
    if not stat.S_ISREG(st.st_mode):
        raise InputError("is not a regular file (a device, pipe or socket): not replaced", path)
    if not os.access(path, os.W_OK) or not st.st_mode & (
        stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
    ):
        raise InputError("is read-only: not replaced", path)
    return stat.S_IMODE(st.st_mode)


def write_json(path: Path, data: dict) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def write_metrics(path: Path, data: dict, params: Params) -> None:
    """A stage's metrics JSON with the run's recorded facts: resolved configuration, setup
    version, code commit (kdre.provenance)."""
    write_json(path, {**data, **run_record(params)})


def write_history(path: Path, rows: list[dict]) -> None:
    with atomic_path(path) as tmp, tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["epoch"])
        writer.writeheader()
        for row in rows:
            writer.writerow({k: round(v, 6) if isinstance(v, float) else v for k, v in row.items()})


# A stage's outputs appear together or not at all: a crash halfway (a bad model file, a plot
# that fails) leaves the previous ones untouched.
outputs_together = atomic_paths
