"""Relation extraction on new text with a trained model file (the student, usually).

Input examples are parsed on the fly with the same spaCy settings as the parse stage, encoded
with the model's own vocabulary and batched. Used by ``kdre predict`` and as a Python API:

    from kdre import load_model
    m = load_model("models/student.pt")
    m.predict(["The <e1>audits</e1> were about <e2>waste</e2>."])
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from kdre.config import DEFAULT_SPACY_MODEL
from kdre.data import parsing
from kdre.data.datasets import tacred
from kdre.data.datasets.semeval import strip_markers
from kdre.data.encode import encode_rows
from kdre.data.tree import adopt_extra_roots, check_heads
from kdre.errors import InputError
from kdre.features.pieces import attach_model_pieces
from kdre.knowledge.types import EntityTyper
from kdre.models import files as checkpoint
from kdre.models.heads import FINAL
from kdre.models.inference import predict_logits

TACRED_ANNOTATIONS = ("stanford_pos", "stanford_ner", "stanford_head", "stanford_deprel")


@dataclass
class Prediction:
    id: str
    relation: str | None
    probability: float | None
    top_k: list[tuple[str, float]] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> str:
        data = asdict(self)
        data["top_k"] = [{"relation": r, "probability": p} for r, p in self.top_k]
        if self.error is None:
            data.pop("error")
        return json.dumps(data)


@dataclass
class _Parsed:
    """One input, tokenised, with entity spans (inclusive token indices)."""

    id: str
    tokens: list[str]
    spaces: list[bool]
    subj: tuple[int, int]
    obj: tuple[int, int]
    annotations: dict | None = None  # pos/ner/head/deprel given by the input (TACRED)
    types: tuple[str, str] | None = None


def _span(value, name: str) -> tuple[int, int]:
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise ValueError(f"'{name}' must be [start, end]")
    return int(value[0]), int(value[1])


class RelationExtractor:
    """A loaded model plus the spaCy pipeline that prepares its input."""

    def __init__(self, path: Path | str, spacy_model: str | None = None, device: str = "cpu"):
        self.path = Path(path)
        self.model, self.vocab, self.payload = checkpoint.load_model(path)
        teacher = self.payload.get("teacher")
        if teacher and teacher["gamma"] == "relation" and teacher["config"]["type_constraints"]:
            raise InputError(
                "a Teacher-R model needs the gold label to predict; use the student", path
            )
        self.table = checkpoint.pattern_table_of(self.payload)
        # A teacher's patterns need its training types (types.source): the same typer here.
        types = self.payload.get("types") or {"source": "ner"}
        self.typer = EntityTyper.from_dict(types) if types["source"] != "ner" else None
        self.prune_k = self.payload["model_config"]["prune_k"]
        # The pipeline the model was trained on, unless the caller overrides it.
        self.spacy_model = spacy_model or self.payload.get("spacy_model") or DEFAULT_SPACY_MODEL
        self.device = torch.device(device)
        self.model.to(self.device)
        self._nlp = None
        self._featurizer = None

    @property
    def featurizer(self):
        """Frozen MiniLM, loaded on first use, for models trained with contextual vectors."""
        if self._featurizer is None:
            from kdre.features.huggingface import WordFeaturizer

            self._featurizer = WordFeaturizer(str(self.device))
        return self._featurizer

    @property
    def nlp(self):
        if self._nlp is None:
            self._nlp = parsing.load_pipeline(self.spacy_model)
        return self._nlp

    # -- input forms -------------------------------------------------------------------------
    def parse_input(self, item, default_id: str) -> _Parsed:
        """A marked sentence, a {"text", "subj", "obj"} dict (character offsets, end
        exclusive) or a {"tokens"/"token", "subj_start", ...} dict (TACRED fields, inclusive)."""
        if isinstance(item, str):
            return self._from_marked(item, default_id)
        if not isinstance(item, dict):
            raise ValueError("expected a marked sentence or a JSON object")
        rid = str(item.get("id", default_id))
        if "text" in item:
            text = item["text"]
            if not isinstance(text, str) or not text.strip():
                raise ValueError("empty text")
            subj, obj = _span(item.get("subj"), "subj"), _span(item.get("obj"), "obj")
            for name, (s, e) in (("subj", subj), ("obj", obj)):
                if not 0 <= s < e <= len(text) or not text[s:e].strip():
                    raise ValueError(f"{name} span [{s}, {e}] is outside the text or empty")
            if subj[0] < obj[1] and obj[0] < subj[1]:
                raise ValueError("subject and object spans overlap")
            tok = parsing.tokenize_with_spans(self.nlp.tokenizer, text, subj, obj)
            return _Parsed(rid, tok.words, tok.spaces, tok.subj, tok.obj)
        tokens = item.get("tokens", item.get("token"))
        if not isinstance(tokens, list) or not tokens:
            raise ValueError("needs 'text' with 'subj'/'obj', or a non-empty 'tokens' list")
        blank = next((i for i, t in enumerate(tokens) if str(t) == ""), None)
        if blank is not None:
            raise ValueError(f"token {blank} is an empty string")
        n = len(tokens)
        spans = []
        for name in ("subj", "obj"):
            try:
                s, e = int(item[f"{name}_start"]), int(item[f"{name}_end"])
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"needs integer '{name}_start' and '{name}_end'") from None
            problem = tacred.span_problem(name, s, e, n)
            if problem:
                raise ValueError(problem)
            spans.append((s, e))
        if spans[0] == spans[1]:
            raise ValueError("the subject and object spans are the same tokens")
        annotations = None
        if all(k in item for k in TACRED_ANNOTATIONS):
            heads = list(item["stanford_head"])
            if not all(tacred.is_head_index(h) for h in heads):
                raise ValueError("stanford_head must hold integers (or strings of digits)")
            heads = [int(h) for h in heads]
            annotations = {
                "pos": list(item["stanford_pos"]),
                "ner": list(item["stanford_ner"]),
                "head": heads,
                "deprel": list(item["stanford_deprel"]),
            }
            if any(len(v) != n for v in annotations.values()):
                raise ValueError("annotation lists must have one entry per token")
            check_heads(heads)  # as the parse stage: indices in range, a root, no cycle
            annotations["head"], _ = adopt_extra_roots(heads)
        types = None
        if "subj_type" in item and "obj_type" in item:
            types = (str(item["subj_type"]), str(item["obj_type"]))
        spaces = [True] * (n - 1) + [False]
        return _Parsed(
            rid, [str(t) for t in tokens], spaces, spans[0], spans[1], annotations, types
        )

    def _from_marked(self, line: str, default_id: str) -> _Parsed:
        rid = default_id
        if "\t" in line:
            rid, line = line.split("\t", 1)
        line = line.strip()
        if len(line) >= 2 and line[0] == line[-1] == '"':
            line = line[1:-1]
        if not line.strip():
            raise ValueError("empty text")
        try:
            text, spans = strip_markers(line, "input", 0)
        except InputError as err:
            raise ValueError(err.problem) from None
        tok = parsing.tokenize_with_spans(self.nlp.tokenizer, text, spans["e1"], spans["e2"])
        return _Parsed(rid, tok.words, tok.spaces, tok.subj, tok.obj)

    # -- prediction --------------------------------------------------------------------------
    def _rows(self, parsed: Sequence[_Parsed]) -> list[dict]:
        """Rows of the parsed schema, one per input (spaCy runs on those without annotations)."""
        todo = [p for p in parsed if p.annotations is None]
        # Inputs that bring their annotations (TACRED fields, the spaCy component's Docs) never
        # load the spaCy pipeline.
        annotated = parsing.annotate(self.nlp, ((p.tokens, p.spaces) for p in todo)) if todo else []
        anns = {id(p): a for p, a in zip(todo, annotated, strict=True)}
        rows = []
        for p in parsed:
            ann = anns[id(p)] if p.annotations is None else p.annotations
            rows.append(
                parsing.example_row(
                    p.id, self.vocab.na_label, p.tokens, p.spaces, p.subj, p.obj, ann, p.types
                )
            )
        return rows

    def predict_parsed(
        self, parsed: Sequence[_Parsed], top_k: int = 3, batch_size: int = 64
    ) -> list[Prediction]:
        if not parsed:
            return []
        rows = self._rows(parsed)
        if self.typer is not None:
            subj, obj = self.typer.frame_types(pd.DataFrame(rows))
            for row, s, o in zip(rows, subj, obj, strict=True):
                row["subj_type"], row["obj_type"] = s, o
        data = encode_rows(rows, self.vocab, self.prune_k, "input")
        attach_model_pieces(self.model, self.payload, data, rows)  # a transformer's pieces
        if self.payload["model_config"].get("ctx_dim"):
            data.ctx = self.featurizer([list(row["tokens"]) for row in rows])
        if self.table is not None:
            data.patterns = self.table.lookup(data.subj_types, data.obj_types)
        logits = predict_logits(self.model, data, batch_size, self.device)[FINAL]
        probs = torch.softmax(torch.from_numpy(logits), dim=-1).numpy()
        k = min(top_k, probs.shape[1])
        best = np.argsort(-probs, axis=1, kind="stable")[:, :k]
        # Whole-array lookups, then plain lists: per-element numpy access was a tenth of the
        # spaCy component's time.
        names = np.asarray(self.vocab.labels, dtype=object)[best].tolist()
        values = np.take_along_axis(probs, best, axis=1).astype(float).tolist()
        out = []
        for rid, labels, scores in zip(data.ids, names, values, strict=True):
            top = list(zip(labels, scores, strict=True))
            out.append(Prediction(rid, top[0][0], top[0][1], top))
        return out

    def predict(self, items: Iterable, top_k: int = 3) -> list[Prediction]:
        """Predict a list of inputs; a bad input raises ValueError naming its position."""
        parsed = []
        for i, item in enumerate(items, start=1):
            try:
                parsed.append(self.parse_input(item, str(i)))
            except ValueError as err:
                raise ValueError(f"input {i}: {err}") from None
        return self.predict_parsed(parsed, top_k)

    def predict_stream(
        self,
        items: Iterable[tuple[str, object]],
        top_k: int,
        batch_size: int,
        skip_invalid: bool,
        source: str,
    ) -> Iterator[Prediction]:
        """(line id, input) pairs → predictions in input order; bad inputs stop the run with
        their line, or (``skip_invalid``) give an error record so no line is lost."""
        batch: list[_Parsed | Prediction] = []

        def flush():
            ready = [b for b in batch if isinstance(b, _Parsed)]
            done = iter(self.predict_parsed(ready, top_k))
            for b in batch:
                yield b if isinstance(b, Prediction) else next(done)
            batch.clear()

        for line_id, item in items:
            try:
                if isinstance(item, ValueError):  # the reader could not decode this line
                    raise item
                batch.append(self.parse_input(item, line_id))
            except ValueError as err:
                if not skip_invalid:
                    raise InputError(str(err), source, int(line_id)) from None
                batch.append(Prediction(line_id, None, None, [], str(err)))
            if len(batch) >= batch_size:
                yield from flush()
        yield from flush()


def load_model(path: Path | str, spacy_model: str | None = None, device: str = "cpu"):
    """Load a kdre model file for prediction on raw text."""
    return RelationExtractor(path, spacy_model, device)
