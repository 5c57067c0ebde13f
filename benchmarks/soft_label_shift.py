"""What the type term changes in the teacher's soft labels, per run.

Usage: python benchmarks/soft_label_shift.py SOURCE... [--between] [--split transfer]

Each SOURCE is a soft-label file (a run's `data/soft_labels/train.parquet`) or an archived run's
folder (`reports/runs/NAME`), whose teacher's soft labels are read from this clone's DVC cache
through the run's dvc.lock (`--split transfer`: its labels of the transfer set, whose "gold" is
the label the augmentation kept from the source sentence). Prints one markdown row per source
(kdre.experiments.soft_label_shift): how much probability the type term moved from the base's
distribution to the teacher's, how much of it onto the gold label, and how much it reshaped the
distribution over the wrong labels (where the types' knowledge would show), and how soft each
distribution is (mean entropy). With --between, also
the mean total variation between every two sources' teacher outputs on their shared ids (two
teachers over one base differ only in what their type terms add).
"""

from __future__ import annotations

import argparse
import sys
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from kdre.errors import InputError  # noqa: E402
from kdre.experiments.dvc_queue import cached_output  # noqa: E402
from kdre.experiments.soft_label_shift import between, markdown, read, shift  # noqa: E402

SOFT_LABELS = "data/soft_labels/{split}.parquet"


def resolve(source: Path, split: str = "train") -> Path:
    """A soft-label file as given, or an archived run's teacher output in the DVC cache."""
    if source.is_dir():
        return cached_output(source / "dvc.lock", "teacher", SOFT_LABELS.format(split=split))
    return source


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("sources", type=Path, nargs="+", help="soft-label files or reports/runs/NAME")
    ap.add_argument(
        "--between", action="store_true", help="also the teachers' distance, pair by pair"
    )
    ap.add_argument(
        "--split",
        choices=("train", "transfer"),
        default="train",
        help="which of a run's soft-label files (train: default; transfer: the transfer set's)",
    )
    args = ap.parse_args()
    try:
        files = {str(s): read(resolve(s, args.split)) for s in args.sources}
    except InputError as err:
        sys.exit(str(err))
    print(markdown({name: shift(soft) for name, soft in files.items()}), end="")
    if args.between:
        print("\n| teacher A | teacher B | mean TV between their outputs |\n|---|---|---|")
        for (a, fa), (b, fb) in combinations(files.items(), 2):
            try:
                print(f"| {a} | {b} | {between(fa, fb):.3f} |")
            except InputError as err:
                print(f"| {a} | {b} | – ({err}) |")


if __name__ == "__main__":
    main()
