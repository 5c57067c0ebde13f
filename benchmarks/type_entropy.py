"""How much each type source says about the relation, held out: H(R | pattern) per corpus.

The types stage records, per split, the in-sample plug-in H(R | pattern) and, for dev and test,
the held-out figure: the cross-entropy of the split's relations (NA excluded) under train's
P(r | pattern), smoothed towards train's prior (kdre.knowledge.types.held_out_entropy). The
plug-in figure is biased low for fine typings (a singleton pattern has entropy 0); the held-out
one is what the soft rules G(p) can be worth on unseen text. This script types one parsed
corpus with each source, exactly as the types stage does (kdre.knowledge.types.type_splits),
and prints one markdown table: a source whose held-out H(R | pattern) is not below H(R) gives
the teacher nothing that generalises.

Usage: python benchmarks/type_entropy.py PARSED_DIR --na-label Other [--sources ner,wordnet,...]
PARSED_DIR holds the parse stage's train/dev/test.parquet (`data/parsed` after `dvc repro parse`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from kdre.knowledge.types import type_splits  # noqa: E402

HEADER = (
    "| source | patterns (train) | untyped (train) | H(R) | H(R \\| pattern) in-sample (train) "
    "| H(R) held out (dev / test) | H(R \\| pattern) held out (dev / test) | bits gained (test) |"
)


def row(source: str, summary: dict) -> str:
    """One table row from the types stage's summary (bits)."""
    train, dev, test = summary["train"], summary["dev"], summary["test"]
    gained = test["h_relation_held_out_bits"] - test["h_relation_given_pattern_held_out_bits"]
    return (
        f"| {source} | {train['patterns']} | {100 * train['untyped_share']:.1f} % "
        f"| {train['h_relation_bits']:.2f} | {train['h_relation_given_pattern_bits']:.2f} "
        f"| {dev['h_relation_held_out_bits']:.2f} / {test['h_relation_held_out_bits']:.2f} "
        f"| {dev['h_relation_given_pattern_held_out_bits']:.2f} / "
        f"{test['h_relation_given_pattern_held_out_bits']:.2f} | {gained:+.2f} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("parsed", type=Path, help="the parse stage's output folder")
    ap.add_argument("--na-label", required=True, help="Other (SemEval), no_relation (KBP37)")
    ap.add_argument("--sources", default="none,ner,wordnet,clusters")
    ap.add_argument("--clusters", type=int, default=26, help="types.clusters")
    ap.add_argument("--seed", type=int, default=1, help="seeds the k-means of clusters")
    args = ap.parse_args()
    for split in ("train", "dev", "test"):
        if not (args.parsed / f"{split}.parquet").is_file():
            sys.exit(f"{args.parsed}: no {split}.parquet (run `dvc repro parse` first)")
    print(HEADER)
    print("|" + "---|" * HEADER.count(" | ") + "---|")
    for source in args.sources.split(","):
        typed = type_splits(args.parsed, source, args.clusters, args.seed, args.na_label)
        print(row(source, typed.summary), flush=True)


if __name__ == "__main__":
    main()
