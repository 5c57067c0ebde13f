"""Host-independent CPU results: pin the instruction set torch's kernels may use.

torch picks its ATen, MKL and oneDNN kernels by the CPU's instruction set, and kernels of
different widths sum floats in different orders: the same params and seed gave C-GCN test F1
79.06 on an AVX-512 host against 80.01 on the committed run's host (50 epochs grow a 1e-7
difference into a reseed). ``train.cpu_isa: avx2`` caps all three libraries at AVX2, a level
every x86-64 server of the last decade has, so a run reproduces on any such host; ``native``
lets them use the host's best (faster, host-dependent).

The caps are environment variables the libraries read when they first run a kernel, so they
must be set before torch computes anything: the stage commands set them from params.yaml as
they start (``stages/__init__.py``), and :func:`pin_cpu_isa` checks that they took effect.
This module does not import torch at module level, so it can run first.
"""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING

from kdre.errors import InputError

if TYPE_CHECKING:
    import torch

DEFAULT_CPU_ISA = "avx2"

# What each setting caps: ATen's dispatch, MKL's conditional numerical reproducibility
# branch, oneDNN's ISA. Nothing is set for native. MKL's CNR needs STRICT as well: the AVX2
# branch alone gave other sgemm bits on an AVX-512/AMX Xeon than on an AVX2 EPYC, and with
# STRICT the same bits (benchmarks/fingerprint.py; reports/fingerprints/), while on the
# EPYC it changes no bit.
CPU_ISAS: dict[str, dict[str, str]] = {
    "avx2": {
        "ATEN_CPU_CAPABILITY": "avx2",
        "MKL_CBWR": "AVX2,STRICT",
        "ONEDNN_MAX_CPU_ISA": "AVX2",
    },
    "native": {},
}


def isa_environment(isa: str) -> dict[str, str]:
    if isa not in CPU_ISAS:
        raise InputError(f"train.cpu_isa must be one of {list(CPU_ISAS)}, got {isa!r}")
    return CPU_ISAS[isa]


def set_isa_environment(isa: str) -> None:
    """Set the caps of ``isa`` in this process's environment (before torch runs a kernel);
    ``native`` removes caps a parent process set (e.g. a `kdre matrix` that started the run)."""
    env = isa_environment(isa)
    for key in CPU_ISAS["avx2"]:
        os.environ.pop(key, None)
    os.environ.update(env)


def pin_cpu_isa(isa: str) -> None:
    """Make torch use ``isa``'s kernels, or fail if it already chose wider ones.

    ATen decides at its first kernel; a process that computed before the caps were set (an
    interactive session, a test run without kdre's conftest) keeps its choice for good."""
    set_isa_environment(isa)
    if isa == "native" or "torch" not in sys.modules:
        return
    import torch

    chosen = torch.backends.cpu.get_cpu_capability()
    wanted = isa_environment(isa)["ATEN_CPU_CAPABILITY"].upper()
    if chosen not in (wanted, "DEFAULT", "NO AVX"):
        raise InputError(
            f"train.cpu_isa is {isa!r}, but torch in this process already runs {chosen} "
            f"kernels; set ATEN_CPU_CAPABILITY={wanted.lower()} MKL_CBWR={wanted} "
            f"ONEDNN_MAX_CPU_ISA={wanted} before starting Python (kdre's stage commands do), "
            "or use train.cpu_isa: native"
        )


# The CPU flags that decide which kernels MKL, oneDNN and ATen may pick (the rest of
# /proc/cpuinfo's flags do not change a float).
ISA_FLAGS = re.compile(r"^(sse4_2|avx|avx2|fma|f16c|avx512\w*|amx\w*|avx_vnni\w*)$")


def cpu_model() -> tuple[str, list[str]]:
    """The CPU's model name and its kernel-relevant flags, from /proc/cpuinfo ("unknown" and
    no flags where there is none, e.g. macOS)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            text = fh.read()
    except OSError:
        return "unknown", []
    model = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    flags = re.search(r"^flags\s*:\s*(.+)$", text, re.M)
    found = sorted(f for f in (flags.group(1).split() if flags else []) if ISA_FLAGS.match(f))
    return (model.group(1).strip() if model else "unknown"), found


def cpu_info(isa: str) -> dict[str, str]:
    """What a run's floats depend on, for its metrics: the ISA asked for, the one ATen runs,
    the torch, MKL and oneDNN builds, and the CPU's model and kernel-relevant flags."""
    import torch

    config = torch.__config__.show()
    mkl = re.search(r"Math Kernel Library Version ([\w.\-]+)", config)
    onednn = re.search(r"MKL-DNN v([\w.]+)", config)
    model, flags = cpu_model()
    return {
        "cpu_isa": isa,
        "aten_capability": torch.backends.cpu.get_cpu_capability(),
        "torch": torch.__version__,
        "mkl": mkl.group(1) if mkl else "none",
        "onednn": onednn.group(1) if onednn else "none",
        "cpu_model": model,
        "cpu_flags": " ".join(flags),
    }


def device_info(device) -> dict[str, str]:
    """Where a run computed, for its metrics: ``device`` ("cpu" or "cuda"), and on CUDA the
    GPU's name and the CUDA and cuDNN versions torch runs."""
    import torch

    info = {"device": device.type}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
        info["cuda"] = str(torch.version.cuda)
        info["cudnn"] = str(torch.backends.cudnn.version())
    return info


def isa_from_params_file(path: str) -> str:
    """``train.cpu_isa`` of a params file, read with nothing but PyYAML; the default when the
    file or key is missing or unreadable (the stage then reports the problem itself)."""
    try:
        import yaml

        with open(path, encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
        value = (raw.get("train") or {}).get("cpu_isa", DEFAULT_CPU_ISA)
    except Exception:  # noqa: BLE001 - the stage's own params loader reports it properly
        return DEFAULT_CPU_ISA
    return value if isinstance(value, str) and value in CPU_ISAS else DEFAULT_CPU_ISA


def resolve_device(name: str) -> torch.device:
    """``train.device`` as a torch device: auto = CUDA when torch sees one, else the CPU."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError("train.device is 'cuda' but torch sees no CUDA device; use auto or cpu")
    return torch.device(name)
