"""The work behind the ``student`` stage: distil the teacher's soft labels into a student."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import torch
from torch import nn

from kdre.config import Params
from kdre.data import Encoded, SoftLabels
from kdre.errors import InputError
from kdre.models.student import Student
from kdre.runs import ModelRecipe, Prepared, run_recipe
from kdre.vocab import Vocab

_COLUMNS = ("final", "local", "global")  # the soft-label columns, in SoftLabels' field order


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
    missing = [c for c in _COLUMNS if c not in table.column_names]
    if missing:
        raise InputError(f"soft labels lack columns {missing}", path)
    row_of = {rid: i for i, rid in enumerate(table.column("id").to_pylist())}
    absent = [rid for rid in train.ids if rid not in row_of]
    if absent:
        raise InputError(
            f"no soft label for {len(absent)} training examples (first: id {absent[0]})", path
        )
    order = np.array([row_of[rid] for rid in train.ids])
    arrays = [np.asarray(table.column(c).to_pylist(), dtype=np.float32)[order] for c in _COLUMNS]
    for column, values in zip(_COLUMNS, arrays, strict=True):
        if not np.isfinite(values).all():
            raise InputError(f"soft labels: column {column!r} holds non-finite values", path)
    train.soft_labels = SoftLabels(*arrays)


class StudentRecipe(ModelRecipe):
    """C-GCN + multi-aspect attention, distilled from the soft labels (unless ``student.kd``
    is false: then hard labels only)."""

    name = "student"

    def __init__(self, soft_labels_path: Path | str) -> None:
        self.soft_labels_path = Path(soft_labels_path)

    def attach(self, params: Params, prep: Prepared) -> None:
        if params.student.kd:
            attach_soft_labels(self.soft_labels_path, prep.splits["train"], prep.vocab)

    def build(self, params: Params, prep: Prepared, vectors: torch.Tensor | None) -> nn.Module:
        return Student(
            params.model, params.student, *prep.vocab.sizes, params.train.pooling_l2, vectors
        )

    def finish(self, params: Params, model: nn.Module, prep: Prepared, metrics: dict) -> dict:
        return {"student": {"config": asdict(params.student)}}


def run_student(
    params: Params,
    parsed_dir: Path | str,
    soft_labels_path: Path | str,
    model_path: Path | str,
    progress: bool = True,
    embeddings_dir: Path | str | None = None,
) -> tuple[dict, list[dict]]:
    """Train the student (knowledge distillation unless ``student.kd`` is false)."""
    recipe = StudentRecipe(soft_labels_path)
    return run_recipe(params, recipe, parsed_dir, model_path, progress, embeddings_dir)
