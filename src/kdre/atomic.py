"""Writing files all at once or not at all.

Every file kdre writes goes to a temp path beside its target and is renamed into place only
when the writing ended without error: an interrupted or failing run leaves the previous file
(or none), never a half-written, emptied or mixed one. A group of files (a stage's outputs, the
splits of a corpus) is renamed together at the end, so they never mix two runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def temp_path(path: Path) -> Path:
    """The temp path beside ``path``: hidden, with the same suffix, so writers that choose the
    format by the suffix (matplotlib, pandas) still do."""
    return path.with_name(f".{path.stem}.tmp{path.suffix}")


@contextmanager
def atomic_paths() -> Iterator[Callable[[Path | str], Path]]:
    """Give each target a temp path (``stage(target)``); rename them all into place when the
    block ends without error, remove them all when it fails.

    >>> with atomic_paths() as stage:
    ...     Path(stage("metrics/x.json")).write_text("{}")
    """
    staged: dict[Path, Path] = {}

    def stage(path: Path | str) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_path(path)
        tmp.unlink(missing_ok=True)  # a leftover of a killed run
        staged[path] = tmp
        return tmp

    try:
        yield stage
    except BaseException:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
        raise
    try:
        for path, tmp in staged.items():
            os.replace(tmp, path)
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """One file: ``with atomic_path(p) as tmp: write(tmp)`` — ``p`` appears when it is whole."""
    with atomic_paths() as stage:
        yield stage(path)


def write_text(path: Path | str, text: str) -> None:
    """A text file in UTF-8, written atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
