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


def _pin_cpu_isa_from_argv() -> None:
    """Cap torch's CPU kernels at ``train.cpu_isa`` of the ``--params`` file (default
    params.yaml) before any stage module imports torch: the caps only work if set before
    torch's first kernel (see kdre.cpu). The training stages check that they took effect."""
    from kdre.cpu import isa_from_params_file, set_isa_environment

    argv = sys.argv[1:]
    path = "params.yaml"
    for i, arg in enumerate(argv):
        if arg == "--params" and i + 1 < len(argv):
            path = argv[i + 1]
        elif arg.startswith("--params="):
            path = arg.split("=", 1)[1]
    set_isa_environment(isa_from_params_file(path))


_pin_cpu_isa_from_argv()
