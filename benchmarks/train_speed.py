"""Training sentences/s of the baseline C-GCN on SemEval train (reference size), and peak RSS.

Usage: python benchmarks/train_speed.py [--epochs 2] [--threads 2] [--batch-size 50]
Needs data/parsed/ (run `dvc repro parse` first). Prints one JSON line; run on a quiet machine.
The first epoch is reported apart (warm-up); the figure is the mean over the remaining epochs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from kdre.config import Params  # noqa: E402
from kdre.data import iterate  # noqa: E402
from kdre.models.baseline import Baseline  # noqa: E402
from kdre.runs import prepare  # noqa: E402
from kdre.training import seed_everything  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=50)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    params = Params()
    params = dataclasses.replace(
        params, train=dataclasses.replace(params.train, batch_size=args.batch_size)
    )
    seed_everything(1)
    prep = prepare(params, ROOT / "data/parsed")
    v = prep.vocab
    model = Baseline(params.model, len(v.words), len(v.pos), len(v.ner), len(v.labels))
    opt = torch.optim.SGD(model.parameters(), lr=0.3)
    rng = np.random.default_rng(1)
    train = prep.splits["train"]
    rates = []
    for _ in range(args.epochs):
        model.train()
        start = time.perf_counter()
        for batch in iterate(train, args.batch_size, rng, params.model.word_dropout):
            out = model(batch)
            loss, _ = model.loss(out, batch)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
        rates.append(len(train) / (time.perf_counter() - start))
    steady = rates[1:] or rates
    print(
        json.dumps(
            {
                "train_sentences": len(train),
                "threads": args.threads,
                "batch_size": args.batch_size,
                "first_epoch_sentences_per_s": round(rates[0], 1),
                "sentences_per_s": round(sum(steady) / len(steady), 1),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "torch": torch.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
