"""Sentences/s of the full SemEval parse (reading, tokenising, spaCy tagger+parser+NER).

Usage: python benchmarks/parse_speed.py [--n-process N] [--batch-size B]
Prints one JSON line; run on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from kdre.config import DatasetConfig, ParseConfig  # noqa: E402
from kdre.data import corpus  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n-process", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=256)
    args = ap.parse_args()
    data = DatasetConfig(semeval_dir=str(ROOT / DatasetConfig().semeval_dir))
    cfg = ParseConfig(batch_size=args.batch_size, n_process=args.n_process)
    start = time.perf_counter()
    tables = corpus.parse_semeval(data, cfg, seed=1, progress=False)
    seconds = time.perf_counter() - start
    n = sum(t.num_rows for t in tables.values())
    print(
        json.dumps(
            {
                "sentences": n,
                "seconds": round(seconds, 1),
                "sentences_per_s": round(n / seconds, 1),
                "n_process": args.n_process,
                "batch_size": args.batch_size,
                "cpus": os.cpu_count(),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
        )
    )


if __name__ == "__main__":
    main()
