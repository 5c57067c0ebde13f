"""What a run records about itself, so that later readers compare facts, not assumptions.

Every training stage's metrics and every model file carry the resolved configuration (all
keys, defaults filled in as this code filled them), the setup version (kdre.SETUP_VERSION) and
the code's git commit. The matrix and the report decide which runs belong together from these.
"""

from __future__ import annotations

import dataclasses
import subprocess
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


def run_record(params: object) -> dict:
    """The facts a metrics file and a model file record: ``setup_version``, ``config`` (the
    resolved configuration, a dataclass of kdre.config) and ``code``."""
    return {
        "setup_version": SETUP_VERSION,
        "config": dataclasses.asdict(params),
        "code": code_version(),
    }
