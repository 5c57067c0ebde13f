"""End-to-end prediction speed: spaCy parse + model, versus spaCy alone and the model alone.

Usage: python benchmarks/predict_speed.py MODEL [--n 2717] [--threads 2] [--repeat 3]
Input: the SemEval test sentences (raw, with markers). Prints one JSON line; quiet machine.
End to end and parse-only alternate, REPEAT times each, and the medians are reported: one
pass takes ~10 s, and a single pair was seen to move the ratio by 0.06 between two runs.
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

from kdre.data import parsing  # noqa: E402
from kdre.data.datasets import semeval  # noqa: E402
from kdre.serving.extractor import load_model  # noqa: E402

TEST = ROOT / "data/raw/semeval2010_task8/SemEval2010_task8_all_data" / semeval.TEST_FILE


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("model")
    ap.add_argument("--n", type=int, default=2717)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    examples = semeval.read_semeval(TEST)[: args.n]
    marked = [
        ex.text[: ex.subj[0]]
        + "<e1>"
        + ex.text[ex.subj[0] : ex.subj[1]]
        + "</e1>"
        + ex.text[ex.subj[1] : ex.obj[0]]
        + "<e2>"
        + ex.text[ex.obj[0] : ex.obj[1]]
        + "</e2>"
        + ex.text[ex.obj[1] :]
        for ex in examples
    ]
    m = load_model(args.model)
    m.predict(marked[:20])  # warm-up: loads spaCy and the model

    def parse_alone() -> None:
        toks = [
            parsing.tokenize_with_spans(m.nlp.tokenizer, ex.text, ex.subj, ex.obj)
            for ex in examples
        ]
        list(parsing.annotate(m.nlp, ((t.words, t.spaces) for t in toks)))

    end_to_end_runs, parse_runs = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        preds = m.predict(marked)
        end_to_end_runs.append(time.perf_counter() - start)
        start = time.perf_counter()
        parse_alone()
        parse_runs.append(time.perf_counter() - start)
    end_to_end = statistics.median(end_to_end_runs)
    parse_only = statistics.median(parse_runs)

    parsed = [m.parse_input(x, str(i)) for i, x in enumerate(marked)]
    from kdre.data.encode import encode_rows
    from kdre.models.inference import predict_logits

    data = encode_rows(m._rows(parsed), m.vocab, m.prune_k)
    if m.table is not None:
        data.patterns = m.table.lookup(data.subj_types, data.obj_types)
    start = time.perf_counter()
    predict_logits(m.model, data, 64, torch.device("cpu"))
    model_only = time.perf_counter() - start

    latencies = []
    for x in marked[:50]:
        t = time.perf_counter()
        m.predict([x])
        latencies.append(time.perf_counter() - t)
    latencies.sort()
    n = len(preds)
    print(
        json.dumps(
            {
                "sentences": n,
                "threads": args.threads,
                "repeat": args.repeat,
                "end_to_end_sentences_per_s": round(n / end_to_end, 1),
                "spacy_parse_only_sentences_per_s": round(n / parse_only, 1),
                "model_only_sentences_per_s": round(n / model_only, 1),
                "end_to_end_vs_parse": round(parse_only / end_to_end, 3),
                "end_to_end_vs_parse_per_repeat": [
                    round(p / e, 3) for p, e in zip(parse_runs, end_to_end_runs, strict=True)
                ],
                "single_sentence_latency_ms_median": round(
                    1000 * latencies[len(latencies) // 2], 1
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
