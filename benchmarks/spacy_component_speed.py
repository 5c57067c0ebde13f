"""nlp.pipe sentences/s with the `kdre_relations` component, as a ratio to the same pipeline
without it, measured in one run.

Usage: python benchmarks/spacy_component_speed.py MODEL [--passes 5] [--threads 2] [--limit N]

The SemEval test sentences, tokenised as the parse stage does, one sentence per Doc, with their
two marked nominals in doc.spans["nominals"] as the only candidates (one pair per sentence:
`both_orders` false). torch runs the host's own kernels, as in a user's spaCy process (no
`train.cpu_isa` cap: that is for reproducible training). Passes alternate between the plain
pipeline and the pipeline with the component, so both see the same machine load; the figure is
the median pass of each, and the ratio the median of the passes' ratios. Prints one JSON
object.

`--sweep 16,32,64` times the component alone instead, on Docs the pipeline has already
processed, for each `model_batch_size` in turn within every pass (median seconds over passes):
the A/B behind the component's default.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import torch  # noqa: E402
from spacy.tokens import Doc  # noqa: E402

from kdre.config import DEFAULT_SPACY_MODEL  # noqa: E402
from kdre.data import parsing  # noqa: E402
from kdre.data.datasets.semeval import TEST_FILE, read_semeval  # noqa: E402
from kdre.models.files import load_model  # noqa: E402

SEMEVAL = ROOT / "data/raw/semeval2010_task8/SemEval2010_task8_all_data"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("--passes", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="first N test sentences (0 = all)")
    ap.add_argument("--sweep", default="", help="model_batch_size values to time, comma-separated")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    _, _, payload = load_model(args.model)
    nlp = parsing.load_pipeline(payload.get("spacy_model") or DEFAULT_SPACY_MODEL)
    examples = read_semeval(SEMEVAL / TEST_FILE)
    if args.limit:
        examples = examples[: args.limit]
    tokenized = [
        parsing.tokenize_with_spans(nlp.tokenizer, ex.text, ex.subj, ex.obj) for ex in examples
    ]

    def docs() -> list[Doc]:
        return [parsing.marked_doc(nlp.vocab, tok, "nominals") for tok in tokenized]

    with_rel = parsing.load_pipeline(payload.get("spacy_model") or DEFAULT_SPACY_MODEL)
    with_rel.add_pipe(
        "kdre_relations",
        config={"model": str(args.model), "candidates": "spans:nominals", "both_orders": False},
    )
    if args.sweep:
        sweep(with_rel, docs(), [int(v) for v in args.sweep.split(",")], args.passes)
        return
    for pipeline in (nlp, with_rel):  # warm-up, not timed
        list(pipeline.pipe(docs()[:64]))
    rates: dict[str, list[float]] = {"plain": [], "with_component": []}
    for _ in range(args.passes):
        for name, pipeline in (("plain", nlp), ("with_component", with_rel)):
            batch = docs()
            start = time.perf_counter()
            done = list(pipeline.pipe(batch, batch_size=256))
            rates[name].append(len(done) / (time.perf_counter() - start))
    pairs = sum(len(d._.rel) for d in done)
    plain = statistics.median(rates["plain"])
    full = statistics.median(rates["with_component"])
    # Each pass pairs two neighbouring runs: the median of their ratios resists load changes
    # that a ratio of medians does not.
    pair_ratios = [w / p for p, w in zip(rates["plain"], rates["with_component"], strict=True)]
    print(
        json.dumps(
            {
                "sentences": len(tokenized),
                "pairs_scored_last_pass": pairs,
                "threads": args.threads,
                "passes": args.passes,
                "plain_sentences_per_s": round(plain, 1),
                "with_component_sentences_per_s": round(full, 1),
                "ratio": round(statistics.median(pair_ratios), 3),
                "ratio_per_pass": [round(r, 3) for r in pair_ratios],
                "per_pass": {k: [round(x, 1) for x in v] for k, v in rates.items()},
            },
            indent=2,
        )
    )


def sweep(nlp, docs: list[Doc], sizes: list[int], passes: int) -> None:
    """Seconds for the component alone over ``docs`` at each model batch size, sizes
    alternating within every pass so that all see the same machine load."""
    component = nlp.get_pipe("kdre_relations")
    parsed = list(nlp.pipe(docs, batch_size=256, disable=["kdre_relations"]))
    list(component.pipe(parsed[:64]))  # warm-up, not timed
    seconds: dict[int, list[float]] = {size: [] for size in sizes}
    for _ in range(passes):
        for size in sizes:
            component.model_batch_size = size
            start = time.perf_counter()
            list(component.pipe(parsed, batch_size=256))
            seconds[size].append(time.perf_counter() - start)
    medians = {size: round(statistics.median(v), 3) for size, v in seconds.items()}
    print(
        json.dumps(
            {"pairs": len(parsed), "passes": passes, "median_seconds": medians},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
