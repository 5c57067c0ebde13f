"""The work behind the ``student`` stage: distil the teacher's soft labels into a student."""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from kdre.checkpoint import save_model
from kdre.config import Params
from kdre.data import Encoded
from kdre.errors import InputError
from kdre.models.student import Student
from kdre.runs import parser_of, prepare, score_splits, train_and_report, word_vectors
from kdre.training import seed_everything
from kdre.vocab import Vocab

_COLUMNS = {"teacher_final": "final", "teacher_local": "local", "teacher_global": "global"}


def attach_soft_labels(path: Path | str, train: Encoded, vocab: Vocab) -> None:
    """Put the teacher's logits beside each training example, matched by id.

    Refuses soft labels made for another label set or vocabulary, or that miss an example:
    distilling from a mismatched teacher would silently teach the wrong classes.
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
    if int(meta.get(b"vocab_size", b"-1")) != len(vocab.words):
        raise InputError(
            f"soft labels come from a teacher with another vocabulary "
            f"({meta.get(b'vocab_size', b'?').decode()} words, the student has "
            f"{len(vocab.words)}); retrain the teacher with the same `model` params",
            path,
        )
    missing = [c for c in _COLUMNS.values() if c not in table.column_names]
    if missing:
        raise InputError(f"soft labels lack columns {missing}", path)
    row_of = {rid: i for i, rid in enumerate(table.column("id").to_pylist())}
    absent = [rid for rid in train.ids if rid not in row_of]
    if absent:
        raise InputError(
            f"no soft label for {len(absent)} training examples (first: id {absent[0]})", path
        )
    order = np.array([row_of[rid] for rid in train.ids])
    for key, column in _COLUMNS.items():
        values = np.asarray(table.column(column).to_pylist(), dtype=np.float32)
        train.extra[key] = values[order]


def run_student(
    params: Params,
    parsed_dir: Path | str,
    soft_labels_path: Path | str,
    model_path: Path | str,
    progress: bool = True,
    embeddings_dir: Path | str | None = None,
):
    """Train the student (knowledge distillation unless ``student.kd`` is false)."""
    start = time.perf_counter()
    seed_everything(params.seed)
    scfg = params.student
    prep = prepare(params, parsed_dir, embeddings_dir=embeddings_dir)
    if scfg.kd:
        attach_soft_labels(soft_labels_path, prep.splits["train"], prep.vocab)
    vectors, coverage = word_vectors(params, prep.vocab, embeddings_dir)
    v = prep.vocab
    model = Student(
        params.model,
        scfg,
        *v.sizes,
        params.train.pooling_l2,
        vectors,
    )
    result, metrics = train_and_report(params, model, prep, progress, "student")
    metrics.update(score_splits(model, prep, params.train.batch_size * 2))
    if coverage is not None:
        metrics["embedding_coverage"] = round(coverage, 4)
    extra = {"student": {"config": asdict(scfg)}, **parser_of(params)}
    save_model(model_path, model.cpu(), v, params.model, prep.spec.name, extra)
    metrics["wall_seconds"] = round(time.perf_counter() - start, 1)
    return metrics, result.history
