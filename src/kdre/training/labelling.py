"""A trained teacher file labelling rows it was not trained on: a cross-fitted fold's held-out
training examples, and the transfer set. One function, so both are labelled the same way as the
teacher stage labels its own training examples (final, local and global logits)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from kdre.config import Params
from kdre.data.augment import source_of
from kdre.data.encode import encode
from kdre.features.pieces import attach_model_pieces
from kdre.knowledge.graph import PatternTable, pattern_of
from kdre.models.files import load_model
from kdre.models.inference import predict_logits
from kdre.training.soft_labels import teacher_columns


def label_rows(
    params: Params,
    model_path: Path | str,
    rows: pd.DataFrame,
    graph: pd.DataFrame,
    source: str,
    leave_out: list[str] | None = None,
) -> dict[str, np.ndarray]:
    """The final, local and global logits of a teacher file on typed ``rows`` (in order), with
    G(p) from the graph stage's counts; ``leave_out``: per row, the relation to leave out of
    its pattern's counts (the NA label: none), see :func:`own_counts`."""
    model, vocab, payload = load_model(model_path)
    data = encode(rows, vocab, payload["model_config"]["prune_k"], source)
    attach_model_pieces(model, payload, data, rows)
    na = vocab.labels[vocab.na_id]
    table = PatternTable(graph, vocab.labels, na, params.graph.na_prob)
    own = None
    if leave_out is not None:
        own = np.array([vocab.label_index[r] for r in leave_out], dtype=np.int64)
    data.patterns = table.lookup(data.subj_types, data.obj_types, own)
    logits = predict_logits(model, data, params.train.batch_size * 2, torch.device("cpu"))
    return teacher_columns(logits, params.teacher.type_constraints)


def own_counts(rows: pd.DataFrame, train: pd.DataFrame, na_label: str) -> list[str]:
    """What leave-one-out leaves out for each row: a training example's own relation; for a
    transfer example, its source's relation where the copy kept the source's pattern and label
    (the count the source put there), else nothing (the NA label: e.g. a swapped copy sits in
    another pattern, where its source is not counted)."""
    source = {
        str(r.id): (pattern_of(r.subj_type, r.obj_type), str(r.relation))
        for r in train.itertuples(index=False)
    }
    out = []
    for r in rows.itertuples(index=False):
        own = (pattern_of(r.subj_type, r.obj_type), str(r.relation))
        rid = str(r.id)
        origin = source.get(rid) or source.get(source_of(rid))
        out.append(own[1] if origin == own else na_label)
    return out
