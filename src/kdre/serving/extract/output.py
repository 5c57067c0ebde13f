"""`kdre extract`'s output: one parquet file per input shard, written whole or not at all.

OUT/<shard>.parquet holds the shard's scored pairs, sorted (document, sentence, subject,
object), with the run's model hash, options, input fingerprint and counts in its schema metadata:
a rerun skips a shard whose file says the same model, options and input (so a crashed or
stopped job resumes), and redoes it otherwise. A shard's unreadable documents go to
OUT/_errors/<shard>.parquet, written before the shard's own file (whose rename marks the shard
done); OUT/_errors.parquet gathers them for the whole input at the end, and OUT/_summary.json
tells what the run did. Names starting with `_` or `.` are what pyarrow's dataset reader skips,
so ``pd.read_parquet(OUT)`` reads the relations alone.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kdre.atomic import atomic_path
from kdre.serving.extract.documents import Shard
from kdre.serving.extract.workers import DOC, END, PAIR, SCORED

META_KEY = b"kdre.extract"
COLUMNS = [
    "doc_id",
    "sentence",
    "subj_start",
    "subj_end",
    "obj_start",
    "obj_end",
    "subj_text",
    "obj_text",
    "subj_label",
    "obj_label",
    "relation",
    "probability",
    "is_relation",
    "top_k",
    "model_sha256",
]
OUTPUT = pa.schema([SCORED.field(c) for c in COLUMNS])
ERRORS = pa.schema(
    [("shard", pa.string()), ("doc_id", pa.string()), ("line", pa.int64()), ("reason", pa.string())]
)
ERRORS_DIR = "_errors"
ERRORS_FILE = "_errors.parquet"
SUMMARY_FILE = "_summary.json"


@dataclass
class Counts:
    """What a shard (or a run) held."""

    documents: int = 0
    sentences: int = 0
    pairs: int = 0
    relations: int = 0
    errors: int = 0

    def add(self, other: Counts) -> None:
        for key, value in asdict(other).items():
            setattr(self, key, getattr(self, key) + value)


def shard_file(out: Path, shard: Shard) -> Path:
    return out / f"{shard.name}.parquet"


def errors_file(out: Path, shard: Shard) -> Path:
    return out / ERRORS_DIR / f"{shard.name}.parquet"


def finished(out: Path, shard: Shard, identity: dict) -> Counts | None:
    """The counts of a shard already extracted with this ``identity`` (model, options, input),
    or None when it must be done (missing, another model or options, changed input, unreadable)."""
    path = shard_file(out, shard)
    if not path.is_file():
        return None
    try:
        meta = json.loads((pq.read_schema(path).metadata or {})[META_KEY])
    except Exception:  # noqa: BLE001 - an unreadable or foreign file is redone, not trusted
        return None
    if meta.get("identity") != identity:
        return None
    return Counts(**meta["counts"])


class ShardSink:
    """Takes the engines' scored tables and writes each shard when its end row has come (the
    engines keep each shard's rows in order, its end row last)."""

    def __init__(self, out: Path, shards: list[Shard], identities: dict[int, dict]) -> None:
        self.out, self.shards, self.identities = out, shards, identities
        self.parts: dict[int, list[pa.Table]] = {sid: [] for sid in identities}
        self.counts = Counts()
        self.written: list[int] = []

    def add(self, table: pa.Table) -> Counts:
        """Take one table; return the counts of its doc rows (for progress)."""
        seen = Counts()
        docs = table.filter(pc.equal(table["kind"], DOC))
        seen.documents = docs.num_rows
        seen.sentences = int(pc.sum(docs["sentences"]).as_py() or 0)
        for sid in pc.unique(table["shard"]).to_pylist():
            if sid not in self.parts:
                raise RuntimeError(f"extract: rows of shard {sid} after its end, or unasked")
            part = table.filter(pc.equal(table["shard"], sid))
            self.parts[sid].append(part)
            if pc.any(pc.equal(part["kind"], END)).as_py():
                self._write(sid)
        return seen

    def close(self) -> None:
        """Every shard asked for was written: an engine that ended early is a bug, not a
        shorter output."""
        if self.parts:
            names = ", ".join(self.shards[sid].name for sid in sorted(self.parts))
            raise RuntimeError(f"extract: the engine ended before the end of shards {names}")

    def _write(self, sid: int) -> None:
        shard = self.shards[sid]
        table = pa.concat_tables(self.parts.pop(sid))
        docs = table.filter(pc.equal(table["kind"], DOC))
        failed = docs.filter(pc.invert(pc.is_null(docs["error"])))
        pairs = table.filter(pc.equal(table["kind"], PAIR))
        pairs = pairs.sort_by(
            [(k, "ascending") for k in ("index", "subj_start", "subj_end", "obj_start", "obj_end")]
        )
        counts = Counts(
            documents=docs.num_rows,
            sentences=int(pc.sum(docs["sentences"]).as_py() or 0),
            pairs=int(pc.sum(docs["pairs"]).as_py() or 0),
            relations=int(pc.sum(pc.cast(pairs["is_relation"], pa.int64())).as_py() or 0),
            errors=failed.num_rows,
        )
        errors = errors_file(self.out, shard)
        if failed.num_rows:
            rows = pa.table(
                {
                    "shard": [shard.name] * failed.num_rows,
                    "doc_id": failed["doc_id"],
                    "line": failed["line"],
                    "reason": failed["error"],
                },
                schema=ERRORS,
            )
            with atomic_path(errors) as tmp:
                pq.write_table(rows, tmp)
        else:
            errors.unlink(missing_ok=True)
        meta = {"identity": self.identities[sid], "counts": asdict(counts)}
        result = pairs.select(COLUMNS).cast(OUTPUT)
        result = result.replace_schema_metadata({META_KEY: json.dumps(meta)})
        with atomic_path(shard_file(self.out, shard)) as tmp:
            pq.write_table(result, tmp)
        self.counts.add(counts)
        self.written.append(sid)


def gather_errors(out: Path, shards: list[Shard]) -> int:
    """OUT/_errors.parquet from the shards' error files (this input's shards only)."""
    parts = [pq.read_table(p) for s in shards if (p := errors_file(out, s)).is_file()]
    table = pa.concat_tables(parts).cast(ERRORS) if parts else ERRORS.empty_table()
    with atomic_path(out / ERRORS_FILE) as tmp:
        pq.write_table(table, tmp)
    return table.num_rows
