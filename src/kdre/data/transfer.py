"""The transfer set: augmented copies of the training sentences (kdre.data.augment), parsed
exactly as the parse stage parses (spaCy on fixed tokens, one tree per sentence, the same row
builder), for the teacher to label and the student to imitate.

Rows follow the parsed schema (kdre.data.schema) with the parser's entity types, as the parse
stage writes them; the ``relation`` column holds the label the augmentation assumes (see
kdre.data.augment), never a gold label for the student.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from kdre.data.augment import SEPARATOR, Rates, Sentence, Vocabulary, copies, source_of
from kdre.data.datasets.base import DatasetSpec
from kdre.data.parsing import annotate, example_row
from kdre.data.schema import to_table
from kdre.errors import InputError

TRANSFER_FILE = "transfer.parquet"  # the augment stage's rows, parser types: the student's
TYPED_FILE = "typed.parquet"  # the same rows typed by the types stage: the teacher's


def require_transfer_set(folder: Path) -> None:
    """The augment stage's folder must be there (with ``transfer.copies: 0``, empty files)."""
    for name in (TRANSFER_FILE, TYPED_FILE):
        if not (Path(folder) / name).exists():
            raise InputError(
                "transfer set not found: run `kdre augment` / `dvc repro augment` first "
                "(with transfer.copies: 0 it writes an empty one)",
                Path(folder) / name,
            )


@dataclass
class TransferSet:
    table: pa.Table  # the parsed schema, parser types
    summary: dict


def sentence_of(row: dict, typed: dict | None = None) -> Sentence:
    """A parsed row as the augmentations see it; ``typed``: the same row from the types stage,
    whose entity types choose the nominal replacements."""
    types = typed or row
    return Sentence(
        list(row["tokens"]),
        [bool(x) for x in row["whitespace"]],
        list(row["pos"]),
        (int(row["subj_start"]), int(row["subj_end"])),
        (int(row["obj_start"]), int(row["obj_end"])),
        str(row["relation"]),
        str(types["subj_type"]),
        str(types["obj_type"]),
    )


def marked(s: Sentence) -> str:
    """The sentence with its nominals marked as SemEval marks them (for the metrics' sample)."""
    out = []
    for i, word in enumerate(s.words):
        if i == s.subj[0]:
            out.append("<e1>")
        if i == s.obj[0]:
            out.append("<e2>")
        out.append(word)
        if i == s.subj[1]:
            out.append("</e1>")
        if i == s.obj[1]:
            out.append("</e2>")
    return " ".join(out)


def build_transfer_set(
    train: pd.DataFrame,
    typed_train: pd.DataFrame,
    spec: DatasetSpec,
    n_copies: int,
    rates: Rates,
    seed: int,
    nlp,
    batch_size: int = 256,
    n_process: int = 1,
    sample: int = 5,
) -> TransferSet:
    """``n_copies`` augmented copies of every training sentence (fewer where the operations
    cannot make that many distinct ones), parsed; seeded by ``seed``."""
    start = time.perf_counter()
    rows = train.to_dict("records")
    typed_rows = {str(r["id"]): r for r in typed_train.to_dict("records")}
    sentences = [(str(r["id"]), sentence_of(r, typed_rows.get(str(r["id"])))) for r in rows]
    vocab = Vocabulary.of(s for _, s in sentences)
    rng = np.random.default_rng(seed)
    made: list[tuple[str, Sentence]] = []
    ops: Counter[str] = Counter()
    for rid, s in sentences:
        for j, (copy, applied) in enumerate(copies(s, n_copies, rng, rates, vocab, spec.swapped)):
            made.append((f"{rid}{SEPARATOR}{j}", copy))
            ops.update(applied)
    augmented = time.perf_counter()
    annotations = annotate(
        nlp, ((s.words, s.spaces) for _, s in made), batch_size=batch_size, n_process=n_process
    )
    records = [
        example_row(rid, s.relation, s.words, s.spaces, s.subj, s.obj, ann)
        for (rid, s), ann in zip(made, annotations, strict=True)
    ]
    parsed = time.perf_counter()
    by_id = dict(sentences)
    shown = sorted({int(i) for i in np.linspace(0, len(made) - 1, sample)}) if made else []
    summary = {
        "copies_per_sentence": n_copies,
        "sources": len(rows),
        "examples": len(records),
        "operations": dict(sorted(ops.items())),
        "augment_seconds": round(augmented - start, 1),
        "parse_seconds": round(parsed - augmented, 1),
        "sample": [
            {"source": marked(by_id[source_of(made[i][0])]), "copy": marked(made[i][1])}
            for i in shown
        ],
    }
    return TransferSet(to_table(records), summary)
