"""Thin Typer commands, one per DVC stage; the work lives in ``src/kdre``.

The repository's own ``src`` goes first on the import path, so a stage run by DVC in a copy of
the repo (``dvc exp run --temp``/``--queue``) executes that copy's code, not an editable install
pointing elsewhere.
"""

import sys
from pathlib import Path

_SRC = Path(__file__).resolve().parent.parent / "src"
if (_SRC / "kdre").is_dir() and str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))
