"""`kdre_relations`: a trained kdre model as a spaCy pipeline component.

    nlp = spacy.load("en_core_web_sm")
    nlp.add_pipe("kdre_relations", config={"model": "models/student.pt"})
    doc = nlp("Bill Gates founded Microsoft in Albuquerque.")
    doc._.rel[(0, 3)]  # {"org:founded_by": 0.91, ...}: subject starts at token 0, object at 3

The factory is registered through the ``spacy_factories`` entry point (pyproject.toml), so
``add_pipe`` and ``spacy.load`` find it without an import of kdre. Each ordered pair of
candidate spans (subject, object) within ``max_distance`` tokens becomes one example built from
the Doc's own tokens, tags, entities and dependency parse — the sentences that hold the two
spans, their roots joined as the parse stage joins a TACRED record's (kdre.data.tree) — and is
scored in batches over ``nlp.pipe``. ``doc._.<attr>[(subject.start, object.start)]`` maps each of
the model's labels to its probability (``threshold`` / ``top_k`` keep fewer).
"""

from __future__ import annotations

import shutil
import sys
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from spacy.language import Language
from spacy.tokens import Doc, Span

# Only spaCy and kdre.serving.candidates (standard library only) at module level: spaCy imports
# every registered factory's module whenever it loads a pipeline, so an import error here would
# break spaCy for everyone; kdre's model code loads when the component is built.
from kdre.serving.candidates import (
    DocColumns,
    candidate_pairs,
    candidate_spans,
    candidates_problem,
    pair_example,
)

if TYPE_CHECKING:
    from kdre.serving.extractor import RelationExtractor, _Parsed

MODEL_FILE = "model.pt"


class KdreRelations:
    """Relations between candidate spans, from a kdre model file (student, baseline, or a
    teacher that needs no gold label)."""

    def __init__(
        self,
        nlp: Language,
        name: str,
        model: str | None,
        candidates: str,
        max_distance: int,
        threshold: float,
        top_k: int,
        attr: str,
        batch_size: int,
        both_orders: bool = True,
        model_batch_size: int = 32,
    ) -> None:
        if problem := candidates_problem(candidates):
            raise ValueError(f"kdre_relations: {problem}")
        integers = {
            "max_distance": max_distance,
            "top_k": top_k,
            "batch_size": batch_size,
            "model_batch_size": model_batch_size,
        }
        for key, value in integers.items():
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"kdre_relations: {key} must be an integer, got {value!r}")
        if not isinstance(threshold, (int, float)) or isinstance(threshold, bool):
            raise ValueError(f"kdre_relations: threshold must be a number, got {threshold!r}")
        if not isinstance(both_orders, bool):
            raise ValueError(
                f"kdre_relations: both_orders must be true or false, got {both_orders!r}"
            )
        if (
            max_distance < 0
            or top_k < 0
            or min(batch_size, model_batch_size) < 1
            or not 0.0 <= threshold <= 1.0
        ):
            raise ValueError(
                "kdre_relations: max_distance and top_k must be >= 0, batch_size and "
                "model_batch_size >= 1, threshold in [0, 1]"
            )
        self.nlp, self.name = nlp, name
        self.candidates, self.max_distance = candidates, max_distance
        self.threshold, self.top_k, self.attr, self.batch_size = threshold, top_k, attr, batch_size
        self.both_orders, self.model_batch_size = both_orders, model_batch_size
        if not Doc.has_extension(attr):
            Doc.set_extension(attr, default=None)  # each processed Doc gets its own dict
        self.extractor: RelationExtractor | None = None
        self.model_path = model
        self._warned = False
        # spacy.load calls the factory with the saved config's path, which need not exist on
        # this machine: the model then comes from the pipeline folder (from_disk).
        if model is not None and Path(model).is_dir():
            raise ValueError(f"kdre_relations: model {model!r} is a folder, not a kdre model file")
        if (model is None or not Path(model).exists()) and not _building_from_config():
            raise ValueError(
                f"kdre_relations: model file {model!r} not found; give the path of a kdre "
                "model file, e.g. config={'model': 'models/student.pt'}"
            )
        if model is not None and Path(model).is_file():
            self._load(Path(model))
        self._warned_no_parse = False

    def _load(self, path: Path) -> None:
        # torch and the model code load here, not at import: spaCy imports every registered
        # factory's module when it loads any pipeline.
        from kdre.errors import InputError
        from kdre.serving.extractor import RelationExtractor

        try:
            self.extractor = RelationExtractor(path)
        except InputError as err:
            raise ValueError(f"kdre_relations: {err}") from None

    # -- candidates and examples (kdre.serving.candidates: the same code as `kdre extract`) --
    def spans(self, doc: Doc) -> list[Span]:
        return candidate_spans(doc, self.candidates)

    def pairs(self, doc: Doc) -> list[tuple[Span, Span]]:
        return candidate_pairs(doc, self.candidates, self.max_distance, self.both_orders)

    def example(
        self, doc: Doc, subj: Span, obj: Span, rid: str, cols: DocColumns | None = None
    ) -> _Parsed:
        return pair_example(doc, subj, obj, rid, cols)

    # -- spaCy's component protocol ---------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, stream: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        size = batch_size or self.batch_size
        docs: list[Doc] = []
        for doc in stream:
            docs.append(doc)
            if len(docs) >= size:
                yield from self._annotate(docs)
                docs = []
        if docs:
            yield from self._annotate(docs)

    def _annotate(self, docs: list[Doc]) -> list[Doc]:
        extractor = self._ready()
        self._check_parser()
        if not self._warned_no_parse and any(len(d) and not d.has_annotation("DEP") for d in docs):
            # without sentence boundaries each pair reads the whole Doc: slow on long Docs
            warnings.warn(
                "kdre_relations: a Doc has no dependency parse (no parser before the component?):"
                " each pair then reads the whole Doc as one sentence, slowly on long Docs, and "
                "the model sees no tree it was trained on",
                stacklevel=2,
            )
            self._warned_no_parse = True
        todo, examples = [], []
        for d in docs:
            pairs = self.pairs(d)
            cols = DocColumns(d) if pairs else None  # one pass over the Doc, for all its pairs
            for s, o in pairs:
                examples.append(self.example(d, s, o, str(len(todo)), cols))
                todo.append((d, s, o))
        # The window's pairs go to the model sorted by length in batches of model_batch_size:
        # a wide window and small batches mean little padding for the BiLSTM, which is half
        # of the component's time (2026-12-02, 1,024 test sentences, 1 thread: window 64 and
        # batches of 64 took 2.5-2.7 s; window 256 and 32, 1.5-1.6 s; same top labels).
        predictions = extractor.predict_parsed(
            examples, top_k=len(extractor.vocab.labels), batch_size=self.model_batch_size
        )
        for doc in docs:
            setattr(doc._, self.attr, {})
        for (doc, s, o), pred in zip(todo, predictions, strict=True):
            scores = pred.top_k if not self.top_k else pred.top_k[: self.top_k]
            getattr(doc._, self.attr)[(s.start, o.start)] = {
                label: p for label, p in scores if p >= self.threshold
            }
        return docs

    def _ready(self) -> RelationExtractor:
        if self.extractor is None:
            raise ValueError(
                f"kdre_relations: no model loaded (model file {self.model_path!r} not found)"
            )
        return self.extractor

    def _check_parser(self) -> None:
        """Warn once when the model was trained on text parsed by another spaCy pipeline: its
        tags and trees are what the model learnt to read."""
        trained = self._ready().payload.get("spacy_model")
        if self._warned or trained is None:  # TACRED's Stanford annotations: nothing to compare
            return
        this = f"{self.nlp.meta.get('lang', '')}_{self.nlp.meta.get('name', '')}"
        if not (trained == this or trained.startswith(this + "_")):
            warnings.warn(
                f"kdre_relations: the model was trained on text parsed by {trained!r}; this "
                f"pipeline is {this!r}, so its tags and trees may differ from what the model "
                "learnt",
                stacklevel=3,
            )
        self._warned = True

    # -- serialisation: the model file travels inside the saved pipeline ---------------------
    def to_disk(self, path: str | Path, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        source = self._ready().path
        shutil.copyfile(source, path / MODEL_FILE)

    def from_disk(self, path: str | Path, exclude: Iterable[str] = ()) -> KdreRelations:
        self._load(Path(path) / MODEL_FILE)
        return self


def _building_from_config() -> bool:
    """True while spaCy builds a pipeline from a config (``spacy.load`` of a saved pipeline):
    the saved config's model path need not exist on this machine, as the model then comes from
    the pipeline folder (``from_disk``). A direct ``nlp.add_pipe`` is not inside it."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "from_config" and "spacy" in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


# The class is the factory (spaCy reads its settings from __init__'s signature); the entry
# point names it `make_kdre_relations`.
make_kdre_relations = Language.factory(
    "kdre_relations",
    default_config={
        "model": None,
        "candidates": "ents",
        "max_distance": 20,
        "threshold": 0.0,
        "top_k": 0,
        "attr": "rel",
        "batch_size": 256,
        "both_orders": True,
        "model_batch_size": 32,
    },
)(KdreRelations)
