"""Parsed split → padded id matrices, once; batches are slices of them.

Everything that depends only on the example (ids, entity masks, the pruned tree) is computed
once here, so a training step does no per-example Python work beyond gathering tree edges.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
import torch

from kdre.data.tree import prune
from kdre.data.vocab import PAD_ID, UNK_ID, Vocab
from kdre.errors import InputError


@dataclass
class SoftLabels:
    """The teacher's logits for each example (paper §Student): ``final`` = F(h_base) + γ ⊙ G(p),
    ``local`` = F(h_base), ``global_`` = γ ⊙ G(p) (None: the teacher has no type term).
    Arrays of a split, or tensors of a batch."""

    final: Any
    local: Any
    global_: Any

    def take(self, index: np.ndarray) -> SoftLabels:
        return SoftLabels(
            *(None if a is None else torch.from_numpy(a[index]) for a in self.arrays())
        )

    def to(self, device: torch.device) -> SoftLabels:
        return SoftLabels(*(None if t is None else t.to(device) for t in self.arrays()))

    def arrays(self) -> tuple:
        return self.final, self.local, self.global_


@dataclass
class Encoded:
    """A split as arrays: row i of every matrix is example i (padded with 0 to ``max_len``)."""

    ids: list[str]
    words: np.ndarray  # (N, max_len) int64
    pos: np.ndarray
    ner: np.ndarray
    lengths: np.ndarray  # (N,)
    subj: np.ndarray  # (N, 2) inclusive span
    obj: np.ndarray
    labels: np.ndarray  # (N,)
    edges: list[np.ndarray]  # pruned tree, (n_edges, 2) per example
    subj_types: list[str]
    obj_types: list[str]
    ctx: list[np.ndarray] | None = None  # frozen contextual vectors, (n_tokens, d) per example
    patterns: np.ndarray | None = None  # (N, relations) G(p) of each example, for a teacher
    soft_labels: SoftLabels | None = None  # the teacher's logits, for a student
    base_logits: np.ndarray | None = None  # (N, relations) a frozen base's F(h_base), cached
    # (N,) bool: the example has a gold label (None: all have); a transfer example has not
    gold: np.ndarray | None = None
    # entity-marked word pieces, for a transformer (kdre.features.pieces)
    pieces: Pieces | None = None

    def __len__(self) -> int:
        return len(self.ids)


def encode(df: pd.DataFrame, vocab: Vocab, prune_k: int, source: str = "split") -> Encoded:
    """Map a parsed split to ids; labels outside the model's label set are an error."""
    return encode_rows(df.to_dict("records"), vocab, prune_k, source)


def encode_rows(rows: list[dict], vocab: Vocab, prune_k: int, source: str = "split") -> Encoded:
    """:func:`encode` over rows of the parsed schema (dicts), without a DataFrame: what
    `kdre predict` and the spaCy component build for each input."""
    n = len(rows)
    lengths = np.array([len(row["tokens"]) for row in rows], dtype=np.int64)
    max_len = int(lengths.max()) if n else 1
    words = np.zeros((n, max_len), dtype=np.int64)
    pos = np.zeros_like(words)
    ner = np.zeros_like(words)
    labels = np.zeros(n, dtype=np.int64)
    edges = []
    for i, row in enumerate(rows):
        length = lengths[i]
        words[i, :length] = vocab.masked_word_ids(row)
        pos[i, :length] = vocab.tag_ids(row["pos"], vocab.pos_index)
        ner[i, :length] = vocab.tag_ids(row["ner"], vocab.ner_index)
        label = vocab.label_index.get(row["relation"])
        if label is None:
            raise InputError(
                f"relation {row['relation']!r} is not in the model's label set",
                source,
                record=str(row["id"]),
            )
        labels[i] = label
        span_s = (int(row["subj_start"]), int(row["subj_end"]))
        span_o = (int(row["obj_start"]), int(row["obj_end"]))
        edges.append(prune(list(row["head"]), span_s, span_o, prune_k))
    spans = {
        name: np.array(
            [[int(row[f"{name}_start"]), int(row[f"{name}_end"])] for row in rows], dtype=np.int64
        ).reshape(n, 2)
        for name in ("subj", "obj")
    }
    return Encoded(
        ids=[str(row["id"]) for row in rows],
        words=words,
        pos=pos,
        ner=ner,
        lengths=lengths,
        subj=spans["subj"],
        obj=spans["obj"],
        labels=labels,
        edges=edges,
        subj_types=[str(row["subj_type"]) for row in rows],
        obj_types=[str(row["obj_type"]) for row in rows],
    )


@dataclass
class Batch:
    index: torch.Tensor  # (B,) rows of the Encoded split (stays on the CPU)
    words: torch.Tensor  # (B, L)
    pos: torch.Tensor
    ner: torch.Tensor
    mask: torch.Tensor  # (B, L) True on real tokens
    lengths: torch.Tensor  # (B,) on CPU, for packing
    subj_pos: torch.Tensor  # (B, L) signed distance to the subject span (0 inside)
    obj_pos: torch.Tensor
    adj: torch.Tensor  # (B, L, L) symmetric 0/1 adjacency of the pruned tree
    labels: torch.Tensor  # (B,)
    ctx: torch.Tensor | None = None  # (B, L, d) float32, zeros on padding
    patterns: torch.Tensor | None = None  # (B, relations) G(p)
    soft_labels: SoftLabels | None = None
    base_logits: torch.Tensor | None = None
    gold: torch.Tensor | None = None  # (B,) bool, see Encoded.gold
    pieces: torch.Tensor | None = None  # (B, P) piece ids, padded
    piece_mask: torch.Tensor | None = None  # (B, P) True on real pieces
    anchors: torch.Tensor | None = None  # (B, 3) positions of [CLS], <e1>, <e2>

    def to(self, device: torch.device) -> Batch:
        """The batch on ``device``; ``index`` and ``lengths`` stay on the CPU."""
        if device.type == "cpu":
            return self
        moved = {
            f.name: getattr(self, f.name)
            if f.name in ("index", "lengths") or getattr(self, f.name) is None
            else getattr(self, f.name).to(device)
            for f in fields(self)
        }
        return Batch(**moved)

    @property
    def subj_mask(self) -> torch.Tensor:
        return self.subj_pos.eq(0) & self.mask

    @property
    def obj_mask(self) -> torch.Tensor:
        return self.obj_pos.eq(0) & self.mask


def relative_positions(spans: np.ndarray, length: int) -> np.ndarray:
    """Signed token distance to a span: negative before it, 0 inside, positive after."""
    idx = np.arange(length)[None, :]
    start, end = spans[:, :1], spans[:, 1:]
    return np.where(idx < start, idx - start, np.where(idx > end, idx - end, 0))


def collate(
    data: Encoded,
    index: np.ndarray,
    word_dropout: float = 0.0,
    rng: np.random.Generator | None = None,
) -> Batch:
    length = int(data.lengths[index].max())
    words = data.words[index, :length].copy()
    if word_dropout > 0 and rng is not None:
        drop = (rng.random(words.shape) < word_dropout) & (words != PAD_ID) & (words != UNK_ID)
        words[drop] = UNK_ID
    mask = np.arange(length)[None, :] < data.lengths[index][:, None]
    adj = np.zeros((len(index), length, length), dtype=np.float32)
    owner = np.concatenate([np.full(len(data.edges[i]), b) for b, i in enumerate(index)])
    pairs = np.concatenate([data.edges[i] for i in index]).reshape(-1, 2)
    if len(pairs):
        owner = owner.astype(np.int64)
        adj[owner, pairs[:, 0], pairs[:, 1]] = 1.0
        adj[owner, pairs[:, 1], pairs[:, 0]] = 1.0
    return Batch(
        index=torch.from_numpy(np.asarray(index, dtype=np.int64)),
        words=torch.from_numpy(words),
        pos=torch.from_numpy(data.pos[index, :length]),
        ner=torch.from_numpy(data.ner[index, :length]),
        mask=torch.from_numpy(mask),
        lengths=torch.from_numpy(data.lengths[index]),
        subj_pos=torch.from_numpy(relative_positions(data.subj[index], length)),
        obj_pos=torch.from_numpy(relative_positions(data.obj[index], length)),
        adj=torch.from_numpy(adj),
        labels=torch.from_numpy(data.labels[index]),
        ctx=None if data.ctx is None else _pad_ctx(data.ctx, index, length),
        patterns=None if data.patterns is None else torch.from_numpy(data.patterns[index]),
        soft_labels=None if data.soft_labels is None else data.soft_labels.take(index),
        base_logits=None if data.base_logits is None else torch.from_numpy(data.base_logits[index]),
        gold=None if data.gold is None else torch.from_numpy(data.gold[index]),
        **({} if data.pieces is None else _pad_pieces(data.pieces, index)),
    )


def _pad_pieces(pieces: Pieces, index: np.ndarray) -> dict[str, torch.Tensor]:
    width = max(len(pieces.ids[i]) for i in index)
    ids = np.full((len(index), width), pieces.pad_id, dtype=np.int64)
    mask = np.zeros((len(index), width), dtype=bool)
    for b, i in enumerate(index):
        ids[b, : len(pieces.ids[i])] = pieces.ids[i]
        mask[b, : len(pieces.ids[i])] = True
    return {
        "pieces": torch.from_numpy(ids),
        "piece_mask": torch.from_numpy(mask),
        "anchors": torch.from_numpy(pieces.anchors[index]),
    }


def _pad_ctx(ctx: list[np.ndarray], index: np.ndarray, length: int) -> torch.Tensor:
    out = np.zeros((len(index), length, ctx[index[0]].shape[1]), dtype=np.float32)
    for b, i in enumerate(index):
        out[b, : len(ctx[i])] = ctx[i]
    return torch.from_numpy(out)


def batch_order(
    lengths: np.ndarray, batch_size: int, rng: np.random.Generator | None = None
) -> list[np.ndarray]:
    """Length-bucketed batches: examples of similar length share a batch (less padding).

    With ``rng``, ties are broken at random and the batch order is shuffled (training);
    without, the order is fixed (evaluation).
    """
    order = np.arange(len(lengths)) if rng is None else rng.permutation(len(lengths))
    order = order[np.argsort(lengths[order], kind="stable")]
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def iterate(
    data: Encoded,
    batch_size: int,
    rng: np.random.Generator | None = None,
    word_dropout: float = 0.0,
    rows: np.ndarray | None = None,
) -> Iterator[Batch]:
    """Batches over ``data`` (``rows``: over those rows only, e.g. an epoch's sample)."""
    if rows is None:
        for index in batch_order(data.lengths, batch_size, rng):
            yield collate(data, index, word_dropout if rng is not None else 0.0, rng)
        return
    for index in batch_order(data.lengths[rows], batch_size, rng):
        yield collate(data, rows[index], word_dropout if rng is not None else 0.0, rng)


@dataclass
class Pieces:
    """Piece ids per example and the positions of its [CLS], <e1> and <e2> pieces."""

    ids: list[np.ndarray]
    anchors: np.ndarray  # (N, 3) int64: [CLS], <e1>, <e2>
    truncated: int  # examples whose marker fell past max_length (pooled at the last piece)
    pad_id: int = 0
