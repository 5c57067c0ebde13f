"""Whom each run's student follows on test: its teacher or its C-GCN.

Usage: python benchmarks/fidelity.py reports/runs/NAME... [--key TEST_FILE_FULL.TXT]
                                     [--teacher-from reports/runs/OTHER]

Reads the archived test predictions of each run's C-GCN, teacher and student and prints one
markdown row per run (kdre.experiments.fidelity): how often the student predicts its teacher's
label and its C-GCN's, and on the test examples the teacher gets right and the C-GCN wrong (the
teacher's knowledge the C-GCN lacks), how many the student gets right. The key must hold the
labels the runs predict (SemEval: 19 directed labels, as in the release's TEST_FILE_FULL.TXT,
the default, under data/raw after `make data`; TEST_FILE_KEY.TXT holds no directions).

--teacher-from compares the runs' students with another run's teacher instead of their own (one
run given, or one per run, in order), e.g. the MiniLM teacher of the same seed beside the −KD
student that never learnt from it: how far a student follows a teacher without distillation.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from kdre.errors import InputError  # noqa: E402
from kdre.evaluation.scoring import read_semeval_key  # noqa: E402
from kdre.experiments.fidelity import markdown, read_run  # noqa: E402

KEY = (
    ROOT
    / "data/raw/semeval2010_task8/SemEval2010_task8_all_data/SemEval2010_task8_testing_keys"
    / "TEST_FILE_FULL.TXT"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("runs", type=Path, nargs="+", help="archived runs: reports/runs/NAME")
    ap.add_argument(
        "--key",
        type=Path,
        default=KEY,
        help="the test key: the release file, or id<TAB>label lines",
    )
    ap.add_argument(
        "--teacher-from",
        type=Path,
        nargs="+",
        default=None,
        help="archived runs whose teachers stand in for the runs' own (one, or one per run)",
    )
    args = ap.parse_args()
    teachers = args.teacher_from or [None]
    if len(teachers) not in (1, len(args.runs)):
        ap.error(f"--teacher-from: give 1 run or {len(args.runs)}, one per run")
    teachers = teachers * len(args.runs) if len(teachers) == 1 else teachers
    try:
        gold = read_semeval_key(args.key)
        rows = [read_run(run, gold, t) for run, t in zip(args.runs, teachers, strict=True)]
    except InputError as err:
        print(f"kdre: error: {err}", file=sys.stderr)
        raise SystemExit(1) from None
    print(markdown(rows), end="")


if __name__ == "__main__":
    main()
