"""What a run records about itself, so that later readers compare facts, not assumptions.

Every training stage's metrics carry the resolved configuration (all keys, defaults filled in
as this code filled them), the setup version (kdre.SETUP_VERSION) and the code's git commit;
every model file carries the same, its configuration cut to the params its stage declares. The
matrix and the report decide which runs belong together from the metrics.
"""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Sequence
from pathlib import Path

from kdre import SETUP_VERSION

_TREE = Path(__file__).resolve().parent.parent.parent  # the checkout holding src/kdre


def code_version(root: Path = _TREE) -> str | None:
    """The git commit of the checkout this kdre runs from, with ``+dirty`` when its ``src/``
    or ``stages/`` differ from that commit; None outside a git checkout (an installed wheel)."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    if not (root / "src/kdre").is_dir():
        return None
    commit = git("rev-parse", "HEAD")
    if not commit:
        return None
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src", "stages")
    return f"{commit}+dirty" if dirty else commit


def run_record(params: object, keys: Sequence[str] | None = None) -> dict:
    """The facts a metrics file and a model file record: ``setup_version``, ``config`` (the
    resolved configuration, a dataclass of kdre.config) and ``code``.

    ``keys`` (dotted, as dvc.yaml's ``params`` lists them: a section or one key of it) keeps
    only those of the configuration: a model file records the params its stage declares and
    no others, so that its bytes, which DVC hashes for the stages after it, cannot change with
    a param DVC does not know the stage reads (a C-GCN file recording the student's epochs
    would differ between two cells whose C-GCN is the same, and retrain their teachers)."""
    config = dataclasses.asdict(params)
    if keys is not None:
        config = select(config, keys)
    return {"setup_version": SETUP_VERSION, "config": config, "code": code_version()}


def select(config: dict, keys: Sequence[str]) -> dict:
    """The part of a nested ``config`` that the dotted ``keys`` name, nested as it was."""
    out: dict = {}
    for key in keys:
        *path, last = key.split(".")
        node, target = config, out
        for part in path:
            node = node[part]
            target = target.setdefault(part, {})
        target[last] = node[last]
    return out
