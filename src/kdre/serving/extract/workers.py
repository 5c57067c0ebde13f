"""The per-batch work of `kdre extract`, written once for every engine (the Ray Data pattern: a
pure function over an Arrow batch; the local loop and Ray's actor pools call the same code).

    documents ──chunks──▶ ParseWorker ──pairs──▶ ScoreWorker ──rows──▶ the shard's output
                          └──────── ExtractWorker (both, one process) ─────┘

A chunk is ``chunk_size`` consecutive documents of one shard (``document_chunks``); each engine
hands a chunk whole to one ParseWorker call and that call's output whole to one ScoreWorker call,
so both engines give the model the same batches and hence the same numbers, bit for bit (padding
to other lengths would change the last float digits). Every document leaves one "doc" row (its
sentence and pair counts, or its error) beside its "pair" rows, so the writer can count and
report without a second pass; a shard's last chunk is one "end" row, after which the writer
writes the shard (engines keep the input order).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

import pyarrow as pa

from kdre.serving.extract.documents import Shard, read_documents

DOC = "doc"
PAIR = "pair"
END = "end"  # the last row of a shard: its writer may write it
END_INDEX = -1  # a documents row with this index is the shard's end, not a document

_KEY = [
    ("shard", pa.int32()),
    ("index", pa.int64()),  # the document's position in its shard
    ("doc_id", pa.string()),
    ("line", pa.int64()),
]
DOCUMENTS = pa.schema([*_KEY, ("text", pa.string()), ("error", pa.string())])
_SPANS = [
    ("sentence", pa.int32()),  # the subject's sentence, counted from 0 in the document
    ("subj_start", pa.int32()),  # character offsets in the document, end exclusive
    ("subj_end", pa.int32()),
    ("obj_start", pa.int32()),
    ("obj_end", pa.int32()),
    ("subj_text", pa.string()),
    ("obj_text", pa.string()),
    ("subj_label", pa.string()),  # the entity label (noun chunks: NP)
    ("obj_label", pa.string()),
]
_STATUS = [
    ("kind", pa.string()),
    ("error", pa.string()),
    ("sentences", pa.int32()),
    ("pairs", pa.int32()),
]
_EXAMPLE = [  # the model's input for one pair (kdre.serving.candidates.pair_example)
    ("tokens", pa.list_(pa.string())),
    ("spaces", pa.list_(pa.bool_())),
    ("subj_first", pa.int32()),
    ("subj_last", pa.int32()),
    ("obj_first", pa.int32()),
    ("obj_last", pa.int32()),
    ("pos", pa.list_(pa.string())),
    ("ner", pa.list_(pa.string())),
    ("head", pa.list_(pa.int32())),
    ("deprel", pa.list_(pa.string())),
    ("subj_type", pa.string()),
    ("obj_type", pa.string()),
]
PARSED = pa.schema([*_KEY, *_STATUS, *_SPANS, *_EXAMPLE])
TOP_K = pa.list_(pa.struct([("relation", pa.string()), ("probability", pa.float64())]))
_SCORES = [
    ("relation", pa.string()),
    ("probability", pa.float64()),
    ("is_relation", pa.bool_()),  # top-1 is not the NA label and reaches --threshold
    ("top_k", TOP_K),
    ("model_sha256", pa.string()),
]
SCORED = pa.schema([*_KEY, *_STATUS, *_SPANS, *_SCORES])


def document_chunks(shard_id: int, shard: Shard, chunk_size: int) -> Iterator[pa.Table]:
    """A shard's documents as tables of ``chunk_size`` rows (the last one shorter), then the
    one-row chunk that ends the shard."""
    yield from _chunks(shard_id, shard, chunk_size)
    end = {"shard": shard_id, "index": END_INDEX, "doc_id": "", "line": None, "text": None}
    yield pa.Table.from_pylist([{**end, "error": None}], schema=DOCUMENTS)


def _chunks(shard_id: int, shard: Shard, chunk_size: int) -> Iterator[pa.Table]:
    docs = enumerate(read_documents(shard))
    while chunk := list(islice(docs, chunk_size)):
        yield pa.Table.from_pylist(
            [
                {
                    "shard": shard_id,
                    "index": i,
                    "doc_id": d.id,
                    "line": d.line,
                    "text": d.text,
                    "error": d.error,
                }
                for i, d in chunk
            ],
            schema=DOCUMENTS,
        )


class ParseWorker:
    """spaCy over a chunk of documents, then every candidate pair as the model's input.

    A document spaCy cannot take (empty, longer than ``max_chars``, or one that makes the
    pipeline raise) becomes a doc row with its reason; the others in its chunk go on."""

    def __init__(
        self,
        spacy_model: str,
        candidates: str,
        max_distance: int,
        both_orders: bool,
        max_chars: int,
        pipe_batch_size: int = 64,
    ) -> None:
        from kdre.data import parsing

        self.nlp = parsing.load_pipeline(spacy_model)
        self.nlp.max_length = max(self.nlp.max_length, max_chars + 1)
        self.candidates, self.max_distance = candidates, max_distance
        self.both_orders, self.max_chars = both_orders, max_chars
        self.pipe_batch_size = pipe_batch_size

    def problem(self, text: str) -> str | None:
        if not text.strip():
            return "empty text"
        if len(text) > self.max_chars:
            return f"too long ({len(text)} characters; --max-chars {self.max_chars})"
        return None

    def _parse(self, texts: list[str]) -> list:
        """Docs, in order; a text spaCy raises on gives its reason instead (one at a time only
        after the batch failed, so good chunks pay nothing)."""
        try:
            return list(self.nlp.pipe(texts, batch_size=self.pipe_batch_size))
        except Exception:  # noqa: BLE001 - find the document(s) that broke the batch
            out = []
            for text in texts:
                try:
                    out.append(self.nlp(text))
                except Exception as err:  # noqa: BLE001
                    out.append(f"spaCy failed ({type(err).__name__}: {err})")
            return out

    def __call__(self, chunk: pa.Table) -> pa.Table:
        from kdre.serving.candidates import DocColumns, candidate_pairs, pair_example

        rows = chunk.to_pylist()
        out: list[dict] = []
        todo = []
        for row in rows:
            key = {k: row[k] for k in ("shard", "index", "doc_id", "line")}
            if row["index"] == END_INDEX:
                out.append({**key, "kind": END})
                continue
            problem = row["error"] or self.problem(row["text"])
            if problem:
                out.append({**key, "kind": DOC, "error": problem, "sentences": 0, "pairs": 0})
            else:
                todo.append((key, row["text"]))
        for (key, _), doc in zip(todo, self._parse([t for _, t in todo]), strict=True):
            if isinstance(doc, str):
                out.append({**key, "kind": DOC, "error": doc, "sentences": 0, "pairs": 0})
                continue
            pairs = candidate_pairs(doc, self.candidates, self.max_distance, self.both_orders)
            cols = DocColumns(doc)
            sentences = cols.sent_index[-1] + 1 if len(doc) else 0
            out.append({**key, "kind": DOC, "sentences": sentences, "pairs": len(pairs)})
            for subj, obj in pairs:
                ex = pair_example(doc, subj, obj, "", cols)
                out.append(
                    {
                        **key,
                        "kind": PAIR,
                        "sentence": cols.sent_index[subj.start],
                        "subj_start": subj.start_char,
                        "subj_end": subj.end_char,
                        "obj_start": obj.start_char,
                        "obj_end": obj.end_char,
                        "subj_text": subj.text,
                        "obj_text": obj.text,
                        "subj_label": subj.label_,
                        "obj_label": obj.label_,
                        "tokens": ex.tokens,
                        "spaces": ex.spaces,
                        "subj_first": ex.subj[0],
                        "subj_last": ex.subj[1],
                        "obj_first": ex.obj[0],
                        "obj_last": ex.obj[1],
                        "pos": ex.annotations["pos"],
                        "ner": ex.annotations["ner"],
                        "head": ex.annotations["head"],
                        "deprel": ex.annotations["deprel"],
                        "subj_type": ex.types[0],
                        "obj_type": ex.types[1],
                    }
                )
        return pa.Table.from_pylist(out, schema=PARSED)


class ScoreWorker:
    """The model over a ParseWorker's output: the pairs scored as `kdre predict` scores them
    (``RelationExtractor.predict_parsed``), kept when the top relation is not NA and reaches
    ``threshold`` (all of them with ``keep_all``); doc rows pass through."""

    def __init__(
        self,
        model: str,
        model_sha256: str,
        threshold: float = 0.0,
        keep_all: bool = False,
        top_k: int = 3,
        model_batch_size: int = 32,
        device: str = "cpu",
        threads: int | None = None,
    ) -> None:
        import torch

        from kdre.serving.extractor import RelationExtractor

        if threads:
            torch.set_num_threads(threads)
        self.extractor = RelationExtractor(model, device=device)
        self.na = self.extractor.vocab.na_label
        self.sha = model_sha256
        self.threshold, self.keep_all, self.top_k = threshold, keep_all, top_k
        self.model_batch_size = model_batch_size

    def __call__(self, parsed: pa.Table) -> pa.Table:
        from kdre.serving.extractor import _Parsed

        rows = parsed.to_pylist()
        pairs = [r for r in rows if r["kind"] == PAIR]
        examples = [
            _Parsed(
                str(i),
                r["tokens"],
                r["spaces"],
                (r["subj_first"], r["subj_last"]),
                (r["obj_first"], r["obj_last"]),
                {k: r[k] for k in ("pos", "ner", "head", "deprel")},
                (r["subj_type"], r["obj_type"]),
            )
            for i, r in enumerate(pairs)
        ]
        predictions = self.extractor.predict_parsed(
            examples, top_k=self.top_k, batch_size=self.model_batch_size
        )
        keep = [f for f, _ in _KEY + _STATUS + _SPANS]
        out = [{k: r[k] for k in keep} for r in rows if r["kind"] != PAIR]  # doc and end rows
        for r, p in zip(pairs, predictions, strict=True):
            found = p.relation != self.na and p.probability >= self.threshold
            if not (found or self.keep_all):
                continue
            out.append(
                {
                    **{k: r[k] for k in keep},
                    "relation": p.relation,
                    "probability": p.probability,
                    "is_relation": found,
                    "top_k": [{"relation": lab, "probability": q} for lab, q in p.top_k],
                    "model_sha256": self.sha,
                }
            )
        return pa.Table.from_pylist(out, schema=SCORED)


class ExtractWorker:
    """A ParseWorker and a ScoreWorker in one: parse a chunk, score its pairs, in the same
    process. On CPUs this is the unit of work (the local engine, each Ray CPU actor): the pairs
    never cross a process boundary, and N workers use N cores for the whole job — scoring was
    a fifth to two thirds of the time (docs/extract.md), too much for one shared scorer."""

    def __init__(self, parse_kwargs: dict, score_kwargs: dict) -> None:
        self.parse = ParseWorker(**parse_kwargs)
        self.score = ScoreWorker(**score_kwargs)

    def __call__(self, chunk: pa.Table) -> pa.Table:
        return self.score(self.parse(chunk))
