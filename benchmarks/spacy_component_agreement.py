"""The spaCy component against `kdre predict` on the whole SemEval test set: how many top labels
differ, and the largest difference of the top label's probability, for one model file.

Usage: python benchmarks/spacy_component_agreement.py MODEL

Each test sentence is tokenised and parsed as the parse stage does (one sentence per Doc, the
model's spaCy pipeline), its two marked nominals given to the component as doc.spans
candidates (subject first); `kdre predict` reads the same sentences as {"text", "subj", "obj"}.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import torch  # noqa: E402

import kdre  # noqa: E402
from kdre.data import parsing  # noqa: E402
from kdre.data.datasets.semeval import TEST_FILE, read_semeval  # noqa: E402

SEMEVAL = ROOT / "data/raw/semeval2010_task8/SemEval2010_task8_all_data"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    examples = read_semeval(SEMEVAL / TEST_FILE)
    extractor = kdre.load_model(args.model)
    inputs = [
        {"id": e.id, "text": e.text, "subj": list(e.subj), "obj": list(e.obj)} for e in examples
    ]
    expected = extractor.predict(inputs, top_k=1)
    nlp = parsing.load_pipeline(extractor.spacy_model)
    nlp.add_pipe(
        "kdre_relations",
        config={"model": str(args.model), "candidates": "spans:nominals", "both_orders": False},
    )
    docs, spans = [], []
    for e in examples:
        tok = parsing.tokenize_with_spans(nlp.tokenizer, e.text, e.subj, e.obj)
        docs.append(parsing.marked_doc(nlp.vocab, tok, "nominals"))
        spans.append((tok.subj[0], tok.obj[0]))
    differ, largest = 0, 0.0
    for doc, pair, want in zip(nlp.pipe(docs, batch_size=256), spans, expected, strict=True):
        scores = doc._.rel[pair]
        differ += max(scores, key=scores.get) != want.relation
        largest = max(largest, abs(scores[want.relation] - want.probability))
    print(
        json.dumps(
            {
                "sentences": len(examples),
                "top_labels_differ": differ,
                "max_probability_diff": largest,
            }
        )
    )


if __name__ == "__main__":
    main()
