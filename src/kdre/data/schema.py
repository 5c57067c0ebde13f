"""The parsed-example schema every stage after ``parse`` reads.

It follows TACRED's JSON fields, so SemEval and TACRED look the same downstream:

=============  ==============  ==========================================================
column         type            meaning
=============  ==============  ==========================================================
id             string          source id (SemEval sentence number, TACRED record id)
tokens         list<string>    tokens
whitespace     list<bool>      a space follows the token (exact detokenisation)
pos            list<string>    Penn Treebank tag (spaCy ``tag_``, TACRED ``stanford_pos``)
ner            list<string>    entity label per token, ``O`` outside entities
head           list<int32>     dependency head, 1-based, 0 = root
deprel         list<string>    dependency label
subj_start     int32           subject span, first token (0-based)
subj_end       int32           subject span, last token (inclusive)
obj_start      int32           object span, first token
obj_end        int32           object span, last token (inclusive)
subj_type      string          subject entity type (``O`` when none)
obj_type       string          object entity type
relation       string          gold label (with direction on SemEval)
=============  ==============  ==========================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kdre.atomic import atomic_paths
from kdre.errors import InputError

SPLITS = ("train", "dev", "test")

ARROW_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("tokens", pa.list_(pa.string())),
        ("whitespace", pa.list_(pa.bool_())),
        ("pos", pa.list_(pa.string())),
        ("ner", pa.list_(pa.string())),
        ("head", pa.list_(pa.int32())),
        ("deprel", pa.list_(pa.string())),
        ("subj_start", pa.int32()),
        ("subj_end", pa.int32()),
        ("obj_start", pa.int32()),
        ("obj_end", pa.int32()),
        ("subj_type", pa.string()),
        ("obj_type", pa.string()),
        ("relation", pa.string()),
    ]
)
COLUMNS = tuple(ARROW_SCHEMA.names)
TOKEN_COLUMNS = ("tokens", "whitespace", "pos", "ner", "head", "deprel")


def validate_table(table: pa.Table, source: str = "table") -> None:
    """Check the invariants the models rely on; raise InputError naming the first bad row."""
    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        raise InputError(f"missing columns {missing}", source)
    rows = table.select(list(COLUMNS)).to_pylist()
    seen: set[str] = set()
    for row in rows:
        rid = row["id"]
        if rid in seen:
            raise InputError("duplicate id", source, record=rid)
        seen.add(rid)
        n = len(row["tokens"])
        if n == 0:
            raise InputError("no tokens", source, record=rid)
        for col in TOKEN_COLUMNS[1:]:
            if len(row[col]) != n:
                raise InputError(
                    f"{col} has {len(row[col])} entries for {n} tokens", source, record=rid
                )
        for name in ("subj", "obj"):
            start, end = row[f"{name}_start"], row[f"{name}_end"]
            if not 0 <= start <= end < n:
                raise InputError(
                    f"{name} span [{start}, {end}] outside 0..{n - 1}", source, record=rid
                )
        if any(h < 0 or h > n for h in row["head"]):
            raise InputError("head index outside 0..n", source, record=rid)
        if sum(1 for h in row["head"] if h == 0) != 1:
            raise InputError("dependency tree must have exactly one root", source, record=rid)


# Parquet metadata of a split: how many dependency roots beyond the first the parse stage
# hung under the first (kdre.data.tree.adopt_extra_roots), for its metrics.
EXTRA_ROOTS_KEY = "kdre.extra_roots"


def extra_roots(table: pa.Table) -> int:
    return int((table.schema.metadata or {}).get(EXTRA_ROOTS_KEY.encode(), b"0"))


# Records of the corpus file the split could not hold (a semeval-format corpus's records with an
# empty entity, e.g. KBP37's `<e1> </e1>`): counted so the parse metrics say how many.
SKIPPED_KEY = "kdre.skipped_records"


def skipped_records(table: pa.Table) -> int:
    return int((table.schema.metadata or {}).get(SKIPPED_KEY.encode(), b"0"))


def to_table(records: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(records, schema=ARROW_SCHEMA)


def write_splits(tables: Mapping[str, pa.Table], out_dir: Path | str) -> dict[str, Path]:
    """Write one parquet per split, all or nothing: temp files first, renamed at the end."""
    out_dir = Path(out_dir)
    with atomic_paths() as stage:
        for split, table in tables.items():
            pq.write_table(table, stage(out_dir / f"{split}.parquet"))
    return {split: out_dir / f"{split}.parquet" for split in tables}


def read_split(path: Path | str, validate: bool = True) -> pd.DataFrame:
    """Read a parsed split as a DataFrame (list columns hold numpy arrays)."""
    path = Path(path)
    if not path.exists():
        raise InputError("parsed split not found (run `kdre parse` / `dvc repro parse`)", path)
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputError(f"not a readable parquet file ({first})", path) from None
    if validate:
        validate_table(table, str(path))
    return table.to_pandas()
