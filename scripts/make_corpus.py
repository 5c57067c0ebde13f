"""A corpus of real text for `kdre extract`'s demo pipeline and benchmark: the SemEval-2010
Task 8 sentences (train and test, 10,717) with their `<e1>`/`<e2>` markers stripped, as JSONL
shards of `{"id", "text"}`; with ``--kbp37 FOLDER``, KBP37's sentences too (its markers stripped
the same way).

    python scripts/make_corpus.py data/corpus/semeval --shard-size 2000

The corpus is built from data/raw (git-ignored) and written to a git-ignored folder: the
sentences are the release's, never the repository's. ``--repeat N`` writes every sentence N
times (ids suffixed) for a longer benchmark run.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEMEVAL = ROOT / "data/raw/semeval2010_task8/SemEval2010_task8_all_data"
FILES = {
    "train": SEMEVAL / "SemEval2010_task8_training/TRAIN_FILE.TXT",
    "test": SEMEVAL / "SemEval2010_task8_testing_keys/TEST_FILE_FULL.TXT",
}
MARKER = re.compile(r"\s*</?e[12]>\s*")


def semeval_sentences() -> list[tuple[str, str]]:
    from kdre.data.datasets.semeval import read_semeval

    out = []
    for split, path in FILES.items():
        if not path.is_file():
            sys.exit(f"{path}: missing; run `make data` first")
        out += [(f"{split}-{ex.id}", ex.text) for ex in read_semeval(path)]
    return out


def kbp37_sentences(folder: Path) -> list[tuple[str, str]]:
    """KBP37's sentence lines (`<id>\\t"<text>"`), markers removed, spaces normalised."""
    out = []
    for path in sorted(folder.glob("*.txt")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if "\t" not in line or "<e1>" not in line:
                continue
            text = line.split("\t", 1)[1].strip().strip('"')
            text = " ".join(MARKER.sub(" ", text).split())
            out.append((f"kbp37-{path.stem}-{number}", text))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the JSONL shards (replaced)")
    parser.add_argument("--shard-size", type=int, default=2000, help="documents per shard")
    parser.add_argument("--repeat", type=int, default=1, help="copies of every sentence")
    parser.add_argument("--kbp37", type=Path, default=None, help="KBP37's folder, if present")
    parser.add_argument("--limit", type=int, default=0, help="the first N sentences only")
    args = parser.parse_args(argv)
    sentences = semeval_sentences()
    if args.kbp37 is not None and args.kbp37.is_dir():
        sentences += kbp37_sentences(args.kbp37)
    if args.limit:
        sentences = sentences[: args.limit]
    docs = [
        (doc_id if args.repeat == 1 else f"{doc_id}-{k}", text)
        for k in range(args.repeat)
        for doc_id, text in sentences
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("part-*.jsonl"):
        old.unlink()
    for n, start in enumerate(range(0, len(docs), args.shard_size)):
        shard = docs[start : start + args.shard_size]
        lines = [json.dumps({"id": i, "text": t}) + "\n" for i, t in shard]
        (args.out / f"part-{n:05d}.jsonl").write_text("".join(lines), encoding="utf-8")
    print(f"{len(docs)} documents in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
