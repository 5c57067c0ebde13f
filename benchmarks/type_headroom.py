"""How much the entity types add to a teacher's base when fused without the gold label.

Usage: python benchmarks/type_headroom.py RUN... | --model TEACHER.pt --typed TYPED_DIR

Each RUN is an archived run's folder (`reports/runs/NAME`): its teacher model file and the types
stage's output are read from this clone's DVC cache through its dvc.lock (only runs made in this
clone are there). Or give a teacher model file and the types stage's output folder it was trained
beside. Prints one markdown row per teacher (kdre.experiments.type_headroom): its base's dev/test
F1 (the dataset's official figure), and the base's logits + β·log(G(p) + ε) with β, ε chosen on
dev (β = 0, the base alone, among the choices), scored on test.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import torch  # noqa: E402

from kdre.errors import InputError  # noqa: E402
from kdre.experiments.dvc_queue import cached_folder, cached_output  # noqa: E402
from kdre.experiments.type_headroom import headroom, markdown, teacher_splits  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("runs", type=Path, nargs="*", help="archived runs: reports/runs/NAME")
    ap.add_argument("--model", type=Path, help="a teacher model file (models/teacher.pt)")
    ap.add_argument("--typed", type=Path, help="the types stage's output it was trained beside")
    ap.add_argument("--threads", type=int, default=1, help="torch threads")
    args = ap.parse_args()
    if bool(args.model) != bool(args.typed) or not (args.runs or args.model):
        ap.error("give archived runs, or --model with --typed")
    torch.set_num_threads(args.threads)
    rows = {}
    try:
        if args.model:
            rows[str(args.model)] = headroom(*teacher_splits(args.model, args.typed))
        for run in args.runs:
            lock = run / "dvc.lock"
            model = cached_output(lock, "teacher", "models/teacher.pt")
            with tempfile.TemporaryDirectory() as tmp:
                typed = cached_folder(lock, "types", "data/types", Path(tmp))
                rows[str(run)] = headroom(*teacher_splits(model, typed))
            print(f"{run}: done", file=sys.stderr)
    except InputError as err:
        sys.exit(str(err))
    print(markdown(rows), end="")


if __name__ == "__main__":
    main()
