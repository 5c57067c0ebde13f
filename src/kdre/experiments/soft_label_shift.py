"""What a teacher's type term changes in the soft labels its student learns from.

A teacher over a frozen C-GCN writes, per training example, its output ``final`` = F(h_base) +
γ ⊙ G(p) and its base's ``local`` = F(h_base) (kdre.training.soft_labels). The self-distillation
control's student learns from ``local`` alone, so the difference between the two distributions
is everything the type term adds for the student. Where it goes matters: Teacher-R's
γ_r = Γ[gold] reads the gold label, so it can move probability onto the gold label whatever the
types say (Γ[gold] scales any positive G(p)[gold]); the types' own knowledge is in how the rest
of the mass is spread over the wrong labels. This module splits the shift into those two parts,
and compares two teachers' outputs example by example.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from kdre.errors import InputError
from kdre.training.soft_labels import read_soft_labels


@dataclass(frozen=True)
class SoftLabelFile:
    """One soft-label file's rows: ids, gold label indices, the teacher's and its base's logits."""

    ids: list[str]
    labels: list[str]
    gold: np.ndarray  # (N,) label index
    final: np.ndarray  # (N, labels) teacher logits
    local: np.ndarray  # (N, labels) base logits


def read(path: Path | str) -> SoftLabelFile:
    """A soft-label file, checked as the student checks it (finite logits, every column)."""
    path = Path(path)
    try:
        table = pq.read_table(path, columns=["id", "relation"])
        labels = (table.schema.metadata or {}).get(b"labels", b"").decode().split("\t")
    except (OSError, ValueError) as err:
        raise InputError(f"not a soft-label file ({err})", path) from None
    ids = [str(i) for i in table.column("id").to_pylist()]
    index = {label: i for i, label in enumerate(labels)}
    relations = table.column("relation").to_pylist()
    unknown = sorted({r for r in relations if r not in index})
    if unknown:
        raise InputError(f"gold relation {unknown[0]!r} is not in the file's label set", path)
    final, local, _ = read_soft_labels(path, ids, labels)
    gold = np.array([index[r] for r in relations], dtype=np.int64)
    return SoftLabelFile(ids, labels, gold, final, local)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def total_variation(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Per row, ½ Σ |p − q|: the probability mass moved from one distribution to the other."""
    return 0.5 * np.abs(p - q).sum(axis=1)


def entropy(p: np.ndarray) -> np.ndarray:
    """Per row, −Σ p log p in nats (0 for a one-hot row): a soft label's information beyond its
    argmax lies in this spread."""
    logs = np.log(p, out=np.zeros_like(p), where=p > 0)
    return -(p * logs).sum(axis=1)


def _wrong_labels(p: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """p over the wrong labels only, renormalised (a row with no mass there stays zero)."""
    q = p.copy()
    q[np.arange(len(gold)), gold] = 0.0
    mass = q.sum(axis=1, keepdims=True)
    return np.divide(q, mass, out=np.zeros_like(q), where=mass > 0)


@dataclass(frozen=True)
class Shift:
    """Means over the training examples of one soft-label file."""

    examples: int
    base_right: float  # share whose base's argmax is the gold label
    teacher_right: float  # share whose teacher's argmax is the gold label
    base_gold_p: float  # mean probability of the gold label under the base
    teacher_gold_p: float  # ... under the teacher
    moved: float  # mean total variation between teacher and base: mass the type term moved
    onto_gold: float  # share of the moved mass that lands on the gold label
    argmax_changed: float  # share whose argmax the type term changed
    wrong_reshaped: float  # mean total variation between the two, over the wrong labels only
    base_entropy: float  # mean entropy of the base's distribution (nats): how soft it teaches
    teacher_entropy: float  # ... of the teacher's


def shift(soft: SoftLabelFile) -> Shift:
    """How the teacher's distribution differs from its base's on its training examples.

    ``onto_gold`` = Σ max(0, p_teacher[gold] − p_base[gold]) / Σ TV: 1 means the type term did
    nothing but move mass onto the gold label (what label smoothing towards the gold label
    would do); the types' knowledge about which wrong labels are plausible shows in
    ``wrong_reshaped`` (the two distributions over the wrong labels, each renormalised)."""
    teacher, base = softmax(soft.final), softmax(soft.local)
    rows = np.arange(len(soft.gold))
    moved = total_variation(teacher, base)
    gained = np.clip(teacher[rows, soft.gold] - base[rows, soft.gold], 0.0, None)
    reshaped = total_variation(_wrong_labels(teacher, soft.gold), _wrong_labels(base, soft.gold))
    return Shift(
        examples=len(rows),
        base_right=float(np.mean(base.argmax(axis=1) == soft.gold)),
        teacher_right=float(np.mean(teacher.argmax(axis=1) == soft.gold)),
        base_gold_p=float(base[rows, soft.gold].mean()),
        teacher_gold_p=float(teacher[rows, soft.gold].mean()),
        moved=float(moved.mean()),
        onto_gold=float(gained.sum() / moved.sum()) if moved.sum() > 0 else float("nan"),
        argmax_changed=float(np.mean(teacher.argmax(axis=1) != base.argmax(axis=1))),
        wrong_reshaped=float(reshaped.mean()),
        base_entropy=float(entropy(base).mean()),
        teacher_entropy=float(entropy(teacher).mean()),
    )


def between(a: SoftLabelFile, b: SoftLabelFile) -> float:
    """Mean total variation between two teachers' outputs on the ids both labelled (e.g.
    Teacher-R over informative types against Teacher-R over types that tell nothing, on one
    base): how differently the two would teach the same student."""
    if a.labels != b.labels:
        raise InputError("the two soft-label files have different label sets")
    rows_b = {rid: i for i, rid in enumerate(b.ids)}
    shared = [(i, rows_b[rid]) for i, rid in enumerate(a.ids) if rid in rows_b]
    if not shared:
        raise InputError("the two soft-label files share no training id")
    ia, ib = (np.array(x) for x in zip(*shared, strict=True))
    return float(total_variation(softmax(a.final[ia]), softmax(b.final[ib])).mean())


HEADER = (
    "| soft labels | examples | argmax = gold: base → teacher | p(gold): base → teacher | "
    "mass moved (TV) | of it onto gold | argmax changed | wrong labels reshaped (TV) | "
    "entropy (nats): base → teacher |"
)


def markdown(shifts: dict[str, Shift]) -> str:
    """One row per soft-label file."""
    lines = [HEADER, "|---|---|---|---|---|---|---|---|---|"]
    for name, s in shifts.items():
        lines.append(
            f"| {name} | {s.examples} | {s.base_right:.3f} → {s.teacher_right:.3f} | "
            f"{s.base_gold_p:.3f} → {s.teacher_gold_p:.3f} | {s.moved:.3f} | "
            f"{100 * s.onto_gold:.0f} % | {100 * s.argmax_changed:.1f} % | "
            f"{s.wrong_reshaped:.3f} | {s.base_entropy:.2f} → {s.teacher_entropy:.2f} |"
        )
    return "\n".join(lines) + "\n"
