"""The soft-label file: what the teacher writes and the student reads, in one place.

One parquet row per training example, keyed by id: the gold relation and the teacher's logits
``final`` = F(h_base) + γ ⊙ G(p), ``local`` = F(h_base) and ``global`` = γ ⊙ G(p) (paper §Student),
with the label order in the file's metadata so that a student of another label set is refused.
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


def write_soft_labels(
    path: Path | str, data: Encoded, vocab: Vocab, logits: dict[str, np.ndarray]
) -> None:
    """Final, local and global logits per training example, keyed by id; label order in metadata."""
    path = Path(path)
    for key, values in logits.items():
        if not np.isfinite(values).all():
            raise InputError(f"the teacher's {key} logits are not finite: no soft labels written")
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = {
        "id": pa.array(data.ids, pa.string()),
        "relation": pa.array([vocab.labels[y] for y in data.labels], pa.string()),
    }
    for key in COLUMNS:
        if key in logits:
            columns[key] = pa.array(list(logits[key]), pa.list_(pa.float32()))
    table = pa.table(columns).replace_schema_metadata(
        {"labels": "\t".join(vocab.labels), "vocab_size": str(len(vocab.words))}
    )
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def attach_soft_labels(path: Path | str, train: Encoded, vocab: Vocab) -> None:
    """Put the teacher's logits beside each training example, matched by id.

    Refuses soft labels made for another label set, or that miss an example: distilling from a
    mismatched teacher would silently teach the wrong classes. Any teacher's will do otherwise
    (a C-GCN's or a transformer's: they are keyed by example id, not by vocabulary).
    """
    path = Path(path)
    if not path.exists():
        raise InputError("soft labels not found (run the teacher stage first)", path)
    table = pq.read_table(path)
    meta = table.schema.metadata or {}
    labels = meta.get(b"labels", b"").decode().split("\t")
    if labels != vocab.labels:
        raise InputError(
            f"soft labels were made for another label set ({len(labels)} labels, the student "
            f"has {len(vocab.labels)}); retrain the teacher on this dataset",
            path,
        )
    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        raise InputError(f"soft labels lack columns {missing}", path)
    row_of = {rid: i for i, rid in enumerate(table.column("id").to_pylist())}
    absent = [rid for rid in train.ids if rid not in row_of]
    if absent:
        raise InputError(
            f"no soft label for {len(absent)} training examples (first: id {absent[0]})", path
        )
    order = np.array([row_of[rid] for rid in train.ids])
    arrays = [np.asarray(table.column(c).to_pylist(), dtype=np.float32)[order] for c in COLUMNS]
    for column, values in zip(COLUMNS, arrays, strict=True):
        if not np.isfinite(values).all():
            raise InputError(f"soft labels: column {column!r} holds non-finite values", path)
    train.soft_labels = SoftLabels(*arrays)
