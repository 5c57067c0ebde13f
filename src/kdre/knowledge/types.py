"""Entity types for the teacher's patterns (``types.source``): where the knowledge comes from.

A pattern is (subject type, object type) and G(p) = P(relation | pattern) from train, so the
teacher knows only as much as the types tell apart. Four sources:

ner       the parse stage's types, unchanged: spaCy NER on SemEval (``O`` for 98.7 % of its
          nominals, so G(p) is nearly one constant vector), the given types on TACRED.
wordnet   the WordNet 3.0 noun supersense of the nominal (``artifact``, ``person``, ``food``…;
          see kdre.knowledge.wordnet): the longest compound WordNet knows ending at the span's
          syntactic head, its last word reduced by WordNet's morphy rules.
clusters  k-means (K = ``types.clusters``) over the GloVe 6B 50-d vectors of the heads (lower
          case) of train's subjects and objects, fitted on train only; a head is typed by its
          nearest centroid (``c07``).
none      one constant type (``ENTITY``) for every nominal: a single pattern, so G(p) is the
          training prior of the relations — the no-knowledge control.

The fallback, defined the same for both knowledge sources: a nominal they cannot type (WordNet
lacks it, GloVe has no vector for its head) keeps its ``ner`` type (``PERSON``, or ``O``).
Types never read the gold label, so every split is typed the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kdre.data.parsing import NO_ENTITY, span_type
from kdre.data.schema import SPLITS, read_split
from kdre.errors import InputError
from kdre.knowledge import wordnet

SOURCES = ("ner", "wordnet", "clusters", "none")
CONSTANT_TYPE = "ENTITY"  # types.source none
CLUSTER_VECTORS = "glove-6b-50d"
TYPER_FILE = "typer.json"  # the types stage's typer state, beside the typed splits


def span_head(head: Sequence[int], start: int, end: int) -> int:
    """The span's syntactic head: its last token whose head lies outside the span (heads are
    1-based, 0 = root); the last token when the parse gives none."""
    outside = [i for i in range(start, end + 1) if not start < head[i] <= end + 1]
    return outside[-1] if outside else end


@dataclass
class EntityTyper:
    """Types of nominals from one source; the state a model file keeps so that `kdre predict`
    types new text exactly as training did (``to_dict``/``from_dict``)."""

    source: str = "ner"
    centroids: np.ndarray | None = None  # clusters: (K, 50)
    _vectors: dict[str, np.ndarray | None] = field(default_factory=dict, repr=False)

    def frame_types(self, frame: pd.DataFrame) -> tuple[list[str], list[str]]:
        """(subject types, object types) of every row of a parsed-schema frame."""
        out: dict[str, list[str]] = {}
        for role in ("subj", "obj"):
            spans = list(zip(frame[f"{role}_start"], frame[f"{role}_end"], strict=True))
            if f"{role}_type" in frame:  # the parse stage's (TACRED: the given) types
                fallback = [str(t) for t in frame[f"{role}_type"]]
            else:
                fallback = [
                    span_type(list(ner), int(s), int(e))
                    for ner, (s, e) in zip(frame["ner"], spans, strict=True)
                ]
            if self.source == "ner":
                out[role] = fallback
                continue
            if self.source == "none":
                out[role] = [CONSTANT_TYPE] * len(fallback)
                continue
            heads = [
                span_head(list(head), int(s), int(e))
                for head, (s, e) in zip(frame["head"], spans, strict=True)
            ]
            if self.source == "wordnet":
                found = [
                    wordnet.supersense(list(tokens[int(s) : h + 1]))
                    for tokens, (s, _), h in zip(frame["tokens"], spans, heads, strict=True)
                ]
            else:
                words = [
                    str(tokens[h]).lower() for tokens, h in zip(frame["tokens"], heads, strict=True)
                ]
                found = self._nearest(words)
            out[role] = [f if f is not None else fb for f, fb in zip(found, fallback, strict=True)]
        return out["subj"], out["obj"]

    # -- clusters ----------------------------------------------------------------------------
    def _lookup(self, words: Sequence[str]) -> list[np.ndarray | None]:
        missing = sorted({w for w in words if w not in self._vectors})
        if missing:
            from kdre.features.vectors import glove_6b_50d

            table = glove_6b_50d(missing)
            index = table.lookup()
            for w in missing:
                self._vectors[w] = table.vectors[index[w]] if w in index else None
        return [self._vectors[w] for w in words]

    def _nearest(self, words: Sequence[str]) -> list[str | None]:
        assert self.centroids is not None, "fit the cluster typer first"
        vectors = self._lookup(words)
        known = [i for i, v in enumerate(vectors) if v is not None]
        out: list[str | None] = [None] * len(words)
        if known:
            x = np.stack([vectors[i] for i in known]).astype(np.float64)
            dist = ((x[:, None, :] - self.centroids[None, :, :]) ** 2).sum(-1)
            for i, c in zip(known, dist.argmin(1), strict=True):
                out[i] = f"c{int(c):02d}"
        return out

    def fit(self, train: pd.DataFrame, k: int, seed: int) -> EntityTyper:
        """Clusters: k-means on the distinct heads of train's subjects and objects (each word
        once, so frequent words do not pull the centroids); a no-op for the other sources."""
        if self.source != "clusters":
            return self
        from sklearn.cluster import KMeans

        words: set[str] = set()
        for role in ("subj", "obj"):
            for tokens, head, s, e in zip(
                train["tokens"],
                train["head"],
                train[f"{role}_start"],
                train[f"{role}_end"],
                strict=True,
            ):
                words.add(str(tokens[span_head(list(head), int(s), int(e))]).lower())
        ordered = sorted(words)
        vectors = [v for v in self._lookup(ordered) if v is not None]
        if len(vectors) < k:
            raise InputError(
                f"types.clusters is {k}, but train has only {len(vectors)} distinct head vectors "
                "to cluster; lower types.clusters"
            )
        km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(np.stack(vectors))
        self.centroids = km.cluster_centers_.astype(np.float64)
        return self

    # -- persistence -------------------------------------------------------------------------
    def to_dict(self) -> dict:
        data: dict = {"source": self.source}
        if self.centroids is not None:
            data["centroids"] = self.centroids.tolist()
            data["vectors"] = CLUSTER_VECTORS
        return data

    @classmethod
    def from_dict(cls, data: dict) -> EntityTyper:
        centroids = data.get("centroids")
        return cls(
            str(data["source"]),
            None if centroids is None else np.asarray(centroids, dtype=np.float64),
        )


def retype(frame: pd.DataFrame, typer: EntityTyper) -> pd.DataFrame:
    """A copy of a parsed-schema frame with subj_type/obj_type from ``typer``."""
    subj, obj = typer.frame_types(frame)
    out = frame.copy()
    out["subj_type"] = subj
    out["obj_type"] = obj
    return out


def type_entropy(frame: pd.DataFrame, na_label: str) -> dict[str, float]:
    """How much the patterns say about the relation on a split's non-NA examples: H(R) and
    H(R | pattern) in bits, and the share of nominals left at the fallback ``O``."""
    pos = frame[frame["relation"] != na_label]
    pattern = pos["subj_type"].astype(str) + "|" + pos["obj_type"].astype(str)
    rel = pos["relation"].astype(str)

    def entropy(counts: pd.Series) -> float:
        p = counts.to_numpy(dtype=np.float64) / counts.sum()
        return float(-(p * np.log2(p)).sum())

    h_r = entropy(rel.value_counts()) if len(pos) else 0.0
    joint = pd.crosstab(pattern, rel)
    h_cond = sum(
        joint.loc[p].sum() / len(pos) * entropy(joint.loc[p][joint.loc[p] > 0]) for p in joint.index
    )
    untyped = (
        (frame["subj_type"] == NO_ENTITY).sum() + (frame["obj_type"] == NO_ENTITY).sum()
    ) / max(2 * len(frame), 1)
    return {
        "h_relation_bits": round(h_r, 4),
        "h_relation_given_pattern_bits": round(float(h_cond), 4),
        "untyped_share": round(float(untyped), 4),
        "patterns": int(pattern.nunique()),
    }


def held_out_entropy(
    train: pd.DataFrame, other: pd.DataFrame, na_label: str, beta: float = 1.0
) -> dict[str, float]:
    """What the patterns say about the relation on examples they were not counted on: the
    cross-entropy (bits) of ``other``'s non-NA relations under train's P(r | pattern), smoothed
    towards train's prior P(r) with weight ``beta`` (P(r|p) = (c(p,r) + beta·P(r)) / (c(p) +
    beta); P(r) add-one smoothed), beside the cross-entropy under P(r) alone. The in-sample
    plug-in H(R | pattern) is biased low for fine typings (a singleton pattern has entropy 0);
    this one is not, and a typing that does not generalise scores above the prior."""
    train_pos = train[train["relation"] != na_label]
    pos = other[other["relation"] != na_label]
    relations = sorted(set(train_pos["relation"].astype(str)) | set(pos["relation"].astype(str)))
    if pos.empty or not relations:
        return {"h_relation_held_out_bits": 0.0, "h_relation_given_pattern_held_out_bits": 0.0}
    index = {r: i for i, r in enumerate(relations)}
    prior = np.ones(len(relations))
    np.add.at(prior, [index[r] for r in train_pos["relation"].astype(str)], 1.0)
    prior /= prior.sum()

    def patterns(frame: pd.DataFrame) -> pd.Series:
        return frame["subj_type"].astype(str) + "|" + frame["obj_type"].astype(str)

    counts: dict[str, np.ndarray] = {}
    for pattern, relation in zip(
        patterns(train_pos), train_pos["relation"].astype(str), strict=True
    ):
        counts.setdefault(pattern, np.zeros(len(relations)))[index[relation]] += 1
    h_prior = h_pattern = 0.0
    for pattern, relation in zip(patterns(pos), pos["relation"].astype(str), strict=True):
        r = index[relation]
        c = counts.get(pattern)
        p = prior[r] if c is None else (c[r] + beta * prior[r]) / (c.sum() + beta)
        h_prior -= np.log2(prior[r])
        h_pattern -= np.log2(p)
    return {
        "h_relation_held_out_bits": round(h_prior / len(pos), 4),
        "h_relation_given_pattern_held_out_bits": round(h_pattern / len(pos), 4),
    }


@dataclass
class TypedSplits:
    """The types stage's result: each parsed split with its types replaced (Arrow tables, the
    parse stage's schema and metadata kept), the fitted typer, and the entropy summary."""

    tables: dict[str, pa.Table]
    typer: EntityTyper
    summary: dict


def type_splits(
    parsed_dir: Path | str, source: str, clusters: int, seed: int, na_label: str
) -> TypedSplits:
    """Fit the typer of ``source`` on train and type every split with it (never reading the
    gold label); per split, :func:`type_entropy` of the typed examples, and for dev and test
    the held-out figure (:func:`held_out_entropy`, counts from train)."""
    parsed_dir = Path(parsed_dir)
    frames = {s: read_split(parsed_dir / f"{s}.parquet") for s in SPLITS}
    typer = EntityTyper(source).fit(frames["train"], clusters, seed)
    summary: dict = {"source": source}
    tables: dict[str, pa.Table] = {}
    typed_train = retype(frames["train"], typer)
    for split, frame in frames.items():
        typed = typed_train if split == "train" else retype(frame, typer)
        table = pq.read_table(parsed_dir / f"{split}.parquet")
        for column in ("subj_type", "obj_type"):
            index = table.schema.get_field_index(column)
            table = table.set_column(index, column, pa.array(typed[column], pa.string()))
        tables[split] = table
        summary[split] = type_entropy(typed, na_label)
        if split != "train":
            summary[split].update(held_out_entropy(typed_train, typed, na_label))
    return TypedSplits(tables, typer, summary)
