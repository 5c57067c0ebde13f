"""The soft-label file: what the teacher writes and the student reads, in one place.

One parquet row per training example, keyed by id: the gold relation and the teacher's logits
``final`` = F(h_base) + γ ⊙ G(p), ``local`` = F(h_base) and ``global`` = γ ⊙ G(p) (paper §Student),
with the label order in the file's metadata so that a student of another label set is refused.
A teacher without the type term (−TC) has no global logits and writes no ``global`` column:
its student then has no global hint term (an all-zero column would be a uniform target).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kdre.atomic import atomic_path
from kdre.data.encode import Encoded, SoftLabels
from kdre.data.vocab import Vocab
from kdre.errors import InputError
from kdre.models.heads import FINAL, GLOBAL, LOCAL

COLUMNS = (FINAL, LOCAL, GLOBAL)  # the soft-label columns, in SoftLabels' field order
REQUIRED = (FINAL, LOCAL)  # GLOBAL only where the teacher has the type term

SURE = 0.9  # "right and sure": the gold label's probability at least this


def teacher_columns(logits: dict[str, np.ndarray], type_term: bool) -> dict[str, np.ndarray]:
    """The columns a teacher writes: all three, or without ``global`` when it has no type
    term (``teacher.type_constraints`` false)."""
    return {k: v for k, v in logits.items() if k in COLUMNS and (type_term or k != GLOBAL)}


def write_soft_labels(
    path: Path | str, data: Encoded, vocab: Vocab, logits: dict[str, np.ndarray]
) -> None:
    """Final, local and global logits per training example, keyed by id; label order in metadata."""
    relations = [vocab.labels[y] for y in data.labels]
    meta = {"vocab_size": str(len(vocab.words))}
    write_soft_label_rows(path, data.ids, relations, vocab.labels, logits, meta)


def write_soft_label_rows(
    path: Path | str,
    ids: list[str],
    relations: list[str],
    labels: list[str],
    logits: dict[str, np.ndarray],
    meta: dict[str, str] | None = None,
) -> None:
    """The file itself: one row per id with its gold relation and the logits columns (rows in
    ``ids`` order), ``labels`` (the logits' order) and ``meta`` in the metadata."""
    path = Path(path)
    for key, values in logits.items():
        if not np.isfinite(values).all():
            raise InputError(f"the teacher's {key} logits are not finite: no soft labels written")
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = {
        "id": pa.array(ids, pa.string()),
        "relation": pa.array(relations, pa.string()),
    }
    for key in COLUMNS:
        if key in logits:
            columns[key] = pa.array(list(logits[key]), pa.list_(pa.float32()))
    table = pa.table(columns).replace_schema_metadata({"labels": "\t".join(labels), **(meta or {})})
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def attach_soft_labels(path: Path | str, train: Encoded, vocab: Vocab) -> None:
    """Put the teacher's logits beside each training example, matched by id.

    Refuses soft labels made for another label set, or that miss an example: distilling from a
    mismatched teacher would silently teach the wrong classes. Any teacher's will do otherwise
    (a C-GCN's or a transformer's: they are keyed by example id, not by vocabulary).
    """
    train.soft_labels = SoftLabels(*read_soft_labels(path, train.ids, vocab.labels))


def read_soft_labels(
    path: Path | str, ids: list[str], labels: list[str]
) -> list[np.ndarray | None]:
    """The final, local and global logits of ``ids`` (in that order) from a soft-label file,
    checked: the file's label order must be ``labels``, every id must be there, every value
    finite. Global is None when the file has none (a teacher without the type term)."""
    path = Path(path)
    if not path.exists():
        raise InputError("soft labels not found (run the teacher stage first)", path)
    table = pq.read_table(path)
    meta = table.schema.metadata or {}
    theirs = meta.get(b"labels", b"").decode().split("\t")
    if theirs != labels:
        raise InputError(
            f"soft labels were made for another label set ({len(theirs)} labels, the student "
            f"has {len(labels)}); retrain the teacher on this dataset",
            path,
        )
    missing = [c for c in REQUIRED if c not in table.column_names]
    if missing:
        raise InputError(f"soft labels lack columns {missing}", path)
    present = [c for c in COLUMNS if c in table.column_names]
    row_of = {rid: i for i, rid in enumerate(table.column("id").to_pylist())}
    absent = [rid for rid in ids if rid not in row_of]
    if absent:
        raise InputError(
            f"no soft label for {len(absent)} training examples (first: id {absent[0]})", path
        )
    order = np.array([row_of[rid] for rid in ids], dtype=np.int64)
    arrays = {
        c: np.asarray(table.column(c).to_pylist(), dtype=np.float32).reshape(-1, len(labels))[order]
        for c in present
    }
    for column, values in arrays.items():
        if not np.isfinite(values).all():
            raise InputError(f"soft labels: column {column!r} holds non-finite values", path)
    return [arrays.get(c) for c in COLUMNS]


def confidence(logits: np.ndarray, gold: np.ndarray, name: str) -> dict[str, float]:
    """How much a soft label can say beyond the gold label: the share of examples the teacher
    gets right, and right and sure (gold probability ≥ SURE), where a soft label is nearly the
    one-hot gold label. (With γ = relation the teacher reads the gold label: not a score.)"""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs = shifted / shifted.sum(axis=-1, keepdims=True)
    right = probs.argmax(-1) == gold
    sure = probs[np.arange(len(gold)), gold] >= SURE
    return {
        f"{name}_right": round(float(right.mean()), 4),
        f"{name}_right_and_sure": round(float((right & sure).mean()), 4),
    }
