"""Candidate pairs in a parsed spaCy Doc, and each pair as the model's input.

One module for the `kdre_relations` spaCy component and `kdre extract`, so both find the same
pairs and build the same examples (the issue asks for the *same code*, not a copy). Only the
standard library at module level: spaCy imports the component's module whenever it loads any
pipeline, and this one with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

    from kdre.serving.extractor import _Parsed

CANDIDATES = "'ents', 'noun_chunks', 'both' or 'spans:KEY'"


def candidates_problem(candidates: object) -> str | None:
    """Why ``candidates`` names no candidate source, or None when it does."""
    if isinstance(candidates, str) and (
        candidates in ("ents", "noun_chunks", "both")
        or (candidates.startswith("spans:") and len(candidates) > 6)
    ):
        return None
    return f"candidates must be {CANDIDATES}, got {candidates!r}"


def candidate_spans(doc: Doc, candidates: str) -> list[Span]:
    """The Doc's candidate spans in text order: its entities, its noun chunks, both (a noun
    chunk that overlaps an entity is left out: the entity stands for it) or a span group."""
    if candidates == "ents":
        found = list(doc.ents)
    elif candidates == "noun_chunks":
        found = list(doc.noun_chunks)
    elif candidates == "both":
        ents = list(doc.ents)
        found = ents + [
            c for c in doc.noun_chunks if not any(c.start < e.end and e.start < c.end for e in ents)
        ]
    else:
        key = candidates.split(":", 1)[1]
        found = list(doc.spans[key]) if key in doc.spans else []
    return sorted(found, key=lambda s: (s.start, s.end))


def candidate_pairs(
    doc: Doc, candidates: str, max_distance: int, both_orders: bool
) -> list[tuple[Span, Span]]:
    """Ordered (subject, object) pairs of non-overlapping candidates, at most ``max_distance``
    tokens apart (the tokens between them); with ``both_orders`` false only those whose subject
    comes first in the text (SemEval's e1 always does)."""
    spans = candidate_spans(doc, candidates)
    out = []
    for s in spans:
        for o in spans:
            if s is o or (s.start < o.end and o.start < s.end):
                continue
            if not both_orders and s.start > o.start:
                continue
            gap = max(o.start - s.end, s.start - o.end, 0)
            if gap <= max_distance:
                out.append((s, o))
    return out


class DocColumns:
    """A Doc's tokens as plain lists, read once (each Token access builds a Python object), and
    each token's sentence bounds (the whole Doc when it has no sentence boundaries)."""

    def __init__(self, doc: Doc) -> None:
        from kdre.data.parsing import NO_ENTITY

        self.text, self.space, self.tag, self.ner, self.head, self.dep = [], [], [], [], [], []
        for token in doc:
            self.text.append(token.text)
            self.space.append(bool(token.whitespace_))
            self.tag.append(token.tag_)
            self.ner.append(token.ent_type_ or NO_ENTITY)
            self.head.append(token.head.i)
            self.dep.append(token.dep_)
        n = len(doc)
        self.sent_start, self.sent_end = [0] * n, [n] * n
        self.sent_index = [0] * n  # the ordinal of each token's sentence in the Doc
        if doc.has_annotation("SENT_START"):
            for k, sent in enumerate(doc.sents):
                for i in range(sent.start, sent.end):
                    self.sent_start[i], self.sent_end[i] = sent.start, sent.end
                    self.sent_index[i] = k


def pair_example(
    doc: Doc, subj: Span, obj: Span, rid: str, cols: DocColumns | None = None
) -> _Parsed:
    """The sentences that hold both spans, as the model's input: the Doc's tokens, tags,
    entity types and parse (one tree: extra roots hang under the first, as the parse stage
    joins a TACRED record's)."""
    from kdre.data.parsing import span_type
    from kdre.data.tree import adopt_extra_roots
    from kdre.serving.extractor import _Parsed

    c = cols or DocColumns(doc)
    start = min(c.sent_start[subj.start], c.sent_start[obj.start])
    end = max(c.sent_end[subj.end - 1], c.sent_end[obj.end - 1])
    head = []
    for i in range(start, end):
        h = c.head[i]
        head.append(h - start + 1 if start <= h < end and h != i else 0)
    head, _ = adopt_extra_roots(head)
    deprel = [c.dep[i] if head[i - start] else "ROOT" for i in range(start, end)]
    ner = c.ner[start:end]
    s = (subj.start - start, subj.end - 1 - start)
    o = (obj.start - start, obj.end - 1 - start)
    annotations = {"pos": c.tag[start:end], "ner": ner, "head": head, "deprel": deprel}
    types = (span_type(ner, *s), span_type(ner, *o))
    return _Parsed(rid, c.text[start:end], c.space[start:end], s, o, annotations, types)
