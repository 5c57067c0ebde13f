"""Vocabularies built from the training split: words, POS tags, NER tags, labels."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

import pandas as pd

PAD, UNK = "<PAD>", "<UNK>"
PAD_ID, UNK_ID = 0, 1


def subj_mask(entity_type: str) -> str:
    return f"SUBJ-{entity_type}"


def obj_mask(entity_type: str) -> str:
    return f"OBJ-{entity_type}"


@dataclass
class Vocab:
    """Id maps saved inside every model file, so a model is usable without the training data."""

    words: list[str]
    pos: list[str]
    ner: list[str]
    labels: list[str]
    na_label: str
    lower: bool = False
    entity_masking: bool = True
    # words[train_words:] come from dev/test (embeddings.extend_vocab): training never updates
    # their rows. None: every word is a training word.
    train_words: int | None = None

    def __post_init__(self) -> None:
        self.word_index = {w: i for i, w in enumerate(self.words)}
        self.pos_index = {w: i for i, w in enumerate(self.pos)}
        self.ner_index = {w: i for i, w in enumerate(self.ner)}
        self.label_index = {w: i for i, w in enumerate(self.labels)}

    @property
    def sizes(self) -> tuple[int, int, int, int]:
        """(words, POS tags, NER tags, labels): what every model's constructor needs."""
        return len(self.words), len(self.pos), len(self.ner), len(self.labels)

    @property
    def na_id(self) -> int:
        return self.label_index[self.na_label]

    def word_ids(self, words: Iterable[str]) -> list[int]:
        get = self.word_index.get
        if self.lower:
            return [get(w.lower(), UNK_ID) for w in words]
        return [get(w, UNK_ID) for w in words]

    def masked_word_ids(self, row) -> list[int]:
        """Word ids with entity masking: subject tokens → SUBJ-<type>, object → OBJ-<type>.

        Unseen types map to UNK, as an unseen word would. Without entity masking the entity
        words are looked up like any other word."""
        ids = self.word_ids(row["tokens"])
        if not self.entity_masking:
            return ids
        subj = self.word_index.get(subj_mask(row["subj_type"]), UNK_ID)
        obj = self.word_index.get(obj_mask(row["obj_type"]), UNK_ID)
        ids[row["subj_start"] : row["subj_end"] + 1] = [subj] * (
            row["subj_end"] - row["subj_start"] + 1
        )
        ids[row["obj_start"] : row["obj_end"] + 1] = [obj] * (row["obj_end"] - row["obj_start"] + 1)
        return ids

    def tag_ids(self, tags: Iterable[str], index: dict[str, int]) -> list[int]:
        return [index.get(t, UNK_ID) for t in tags]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Vocab:
        return cls(**data)


def build_vocab(
    train: pd.DataFrame,
    labels: list[str],
    na_label: str,
    min_freq: int = 1,
    lower: bool = False,
    entity_masking: bool = True,
) -> Vocab:
    """Words of the training split, most frequent first; with entity masking the entity spans
    are not counted (they are replaced by SUBJ-/OBJ-<type> tokens)."""
    counts: Counter[str] = Counter()
    masks: set[str] = set()
    for row in train.to_dict("records"):
        spans: set[int] = set()
        if entity_masking:
            spans = set(range(row["subj_start"], row["subj_end"] + 1))
            spans |= set(range(row["obj_start"], row["obj_end"] + 1))
            masks.add(subj_mask(row["subj_type"]))
            masks.add(obj_mask(row["obj_type"]))
        for i, tok in enumerate(row["tokens"]):
            if i not in spans:
                counts[tok.lower() if lower else tok] += 1
    words = [w for w, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= min_freq]
    words = [w for w in words if w not in masks]
    pos = sorted({t for tags in train["pos"] for t in tags})
    ner = sorted({t for tags in train["ner"] for t in tags})
    return Vocab(
        words=[PAD, UNK, *sorted(masks), *words],
        pos=[PAD, UNK, *pos],
        ner=[PAD, UNK, *ner],
        labels=list(labels),
        na_label=na_label,
        lower=lower,
        entity_masking=entity_masking,
    )


def with_pretrained_words(
    vocab: Vocab, tokens: Iterable[Iterable[str]], has_vector: Callable[[str], bool]
) -> Vocab:
    """``vocab`` plus every word of ``tokens`` it lacks that has a pretrained vector.

    Training never updates these rows (their words are not in train), so they keep the
    pretrained vector instead of collapsing to UNK: a dev/test nominal unseen in train, such as
    "saucepan", still lands near "pot". No label is read. (The C-GCN reference builds its
    vocabulary from train words only.) The new words go at the end, sorted, so the same corpus
    always gives the same ids, and ``train_words`` marks where they start.
    """
    known = vocab.word_index
    new: set[str] = set()
    for sentence in tokens:
        for tok in sentence:
            word = tok.lower() if vocab.lower else str(tok)
            if word not in known and has_vector(word):
                new.add(word)
    if not new:
        return vocab
    data = vocab.to_dict()
    data["words"] = [*vocab.words, *sorted(new)]
    data["train_words"] = len(vocab.words)
    return Vocab.from_dict(data)
