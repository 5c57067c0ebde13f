"""The transfer set's augmentations: new sentences made from a training sentence whose two
nominals stay whole and marked, for the teacher to label and the student to imitate.

Distillation into a small student works when the teacher labels many more inputs than the
labelled set (Tang et al. 2019: masking, POS-guided word replacement and n-gram sampling;
TinyBERT's augmentation ablation). Each copy of a training sentence goes through the
operations below, each applied with its own probability (``transfer.*``), on tokens: the
nominal spans are never cut, masked or replaced by the token operations, so every copy still
has both nominals where the spans say.

- mask: a word (outside the nominals) becomes :data:`MASK`;
- replace: a word becomes another training word of the same POS tag;
- window: the sentence is cut to a window that holds both nominals;
- nominal: one nominal is replaced by another training nominal of the same entity type
  (the types stage's: a WordNet supersense by default), one token long;
- swap: subject and object exchange roles, and the label's direction flips (only where the
  dataset has a direction to flip: ``flip`` returns None otherwise).

A copy keeps its source's relation, direction flipped on a swap: the label the augmentation
*assumes*, which only a teacher that reads the gold label (γ_r) uses; the student never trains
on it (a transfer example has soft labels and no gold label). The copies are then parsed
exactly as the parse stage parses (kdre.data.parsing), outside this module.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

MASK = "<unk>"  # a masked word: the student's and the C-GCN's unknown word
SEPARATOR = "~t"  # a transfer id is "<source id>~t<copy>"


@dataclass(frozen=True)
class Sentence:
    """One example as the augmentations see it: tokens and the two nominal spans (inclusive)."""

    words: list[str]
    spaces: list[bool]
    pos: list[str]
    subj: tuple[int, int]
    obj: tuple[int, int]
    relation: str
    subj_type: str = "O"
    obj_type: str = "O"

    def inside(self, i: int) -> bool:
        return self.subj[0] <= i <= self.subj[1] or self.obj[0] <= i <= self.obj[1]


@dataclass(frozen=True)
class Rates:
    """The probability of each operation (per word for mask/replace, per copy otherwise)."""

    mask: float = 0.1
    replace: float = 0.1
    window: float = 0.3
    nominal: float = 0.3
    swap: float = 0.3


@dataclass
class Vocabulary:
    """What replacements draw from: training words by POS tag, training nominals by type."""

    by_pos: dict[str, list[str]]
    by_type: dict[str, list[str]]

    @classmethod
    def of(cls, sentences: Iterable[Sentence]) -> Vocabulary:
        by_pos: dict[str, set[str]] = defaultdict(set)
        by_type: dict[str, set[str]] = defaultdict(set)
        for s in sentences:
            for i, (word, tag) in enumerate(zip(s.words, s.pos, strict=True)):
                if not s.inside(i) and word.isalpha():
                    by_pos[tag].add(word)
            for (start, end), kind in ((s.subj, s.subj_type), (s.obj, s.obj_type)):
                if start == end and kind != "O" and s.words[start].isalpha():
                    by_type[kind].add(s.words[start])
        return cls(
            {tag: sorted(words) for tag, words in by_pos.items()},
            {kind: sorted(words) for kind, words in by_type.items()},
        )


def source_of(transfer_id: str) -> str:
    """The training example a transfer example was made from."""
    return transfer_id.rsplit(SEPARATOR, 1)[0]


def _pick(rng: np.random.Generator, choices: list[str], avoid: str) -> str | None:
    if not choices or (len(choices) == 1 and choices[0] == avoid):
        return None
    while True:
        word = choices[int(rng.integers(len(choices)))]
        if word != avoid:
            return word


def token_noise(s: Sentence, rng: np.random.Generator, rates: Rates, vocab: Vocabulary) -> Sentence:
    """Mask each word outside the nominals with its probability; replace one not masked by
    another training word of its POS tag with the other."""
    words = list(s.words)
    for i, word in enumerate(words):
        if s.inside(i):
            continue
        if rng.random() < rates.mask:
            words[i] = MASK
        elif rng.random() < rates.replace:
            words[i] = _pick(rng, vocab.by_pos.get(s.pos[i], []), word) or word
    return Sentence(words, s.spaces, s.pos, s.subj, s.obj, s.relation, s.subj_type, s.obj_type)


def window(s: Sentence, rng: np.random.Generator) -> Sentence:
    """A random window of the sentence that holds both nominals whole."""
    first = min(s.subj[0], s.obj[0])
    last = max(s.subj[1], s.obj[1])
    start = int(rng.integers(0, first + 1))
    end = int(rng.integers(last, len(s.words)))
    keep = slice(start, end + 1)
    spaces = s.spaces[keep]
    spaces = [*spaces[:-1], False]

    def shift(span: tuple[int, int]) -> tuple[int, int]:
        return span[0] - start, span[1] - start

    return Sentence(
        s.words[keep],
        spaces,
        s.pos[keep],
        shift(s.subj),
        shift(s.obj),
        s.relation,
        s.subj_type,
        s.obj_type,
    )


def replace_nominal(s: Sentence, rng: np.random.Generator, vocab: Vocabulary) -> Sentence | None:
    """One nominal (subject or object, at random) becomes one token: another training nominal
    of the same entity type. None when that type has no other nominal."""
    role = "subj" if rng.random() < 0.5 else "obj"
    span, kind = (s.subj, s.subj_type) if role == "subj" else (s.obj, s.obj_type)
    current = " ".join(s.words[span[0] : span[1] + 1])
    word = _pick(rng, vocab.by_type.get(kind, []), current)
    if word is None:
        return None
    cut = span[1] - span[0]  # tokens removed when the span becomes one token

    def moved(other: tuple[int, int]) -> tuple[int, int]:
        return (other[0] - cut, other[1] - cut) if other[0] > span[1] else other

    words = [*s.words[: span[0]], word, *s.words[span[1] + 1 :]]
    spaces = [*s.spaces[: span[0]], s.spaces[span[1]], *s.spaces[span[1] + 1 :]]
    pos = [*s.pos[: span[0]], s.pos[span[1]], *s.pos[span[1] + 1 :]]
    new = (span[0], span[0])
    subj, obj = (new, moved(s.obj)) if role == "subj" else (moved(s.subj), new)
    return Sentence(words, spaces, pos, subj, obj, s.relation, s.subj_type, s.obj_type)


def swap(s: Sentence, flip: Callable[[str], str | None]) -> Sentence | None:
    """Subject and object exchange roles; the label's direction flips (None: no direction)."""
    relation = flip(s.relation)
    if relation is None:
        return None
    return Sentence(s.words, s.spaces, s.pos, s.obj, s.subj, relation, s.obj_type, s.subj_type)


def augment(
    s: Sentence,
    rng: np.random.Generator,
    rates: Rates,
    vocab: Vocabulary,
    flip: Callable[[str], str | None],
) -> tuple[Sentence, list[str]]:
    """One copy of ``s``: each operation with its probability; returns the copy and the names
    of the operations applied (``[]`` when none was: the caller draws again)."""
    ops: list[str] = []
    if rng.random() < rates.nominal:
        replaced = replace_nominal(s, rng, vocab)
        if replaced is not None:
            s, ops = replaced, [*ops, "nominal"]
    if rng.random() < rates.swap:
        swapped = swap(s, flip)
        if swapped is not None:
            s, ops = swapped, [*ops, "swap"]
    if rng.random() < rates.window:
        cut = window(s, rng)
        if len(cut.words) < len(s.words):
            s, ops = cut, [*ops, "window"]
    noisy = token_noise(s, rng, rates, vocab)
    if noisy.words != s.words:
        s, ops = noisy, [*ops, "words"]
    return s, ops


def copies(
    s: Sentence,
    n: int,
    rng: np.random.Generator,
    rates: Rates,
    vocab: Vocabulary,
    flip: Callable[[str], str | None],
    tries: int = 4,
) -> list[tuple[Sentence, list[str]]]:
    """Up to ``n`` distinct copies of ``s`` that differ from it (a few tries each)."""
    seen = {(tuple(s.words), s.subj, s.obj)}
    out: list[tuple[Sentence, list[str]]] = []
    for _ in range(n * tries):
        if len(out) == n:
            break
        copy, ops = augment(s, rng, rates, vocab, flip)
        key = (tuple(copy.words), copy.subj, copy.obj)
        if ops and key not in seen:
            seen.add(key)
            out.append((copy, ops))
    return out
