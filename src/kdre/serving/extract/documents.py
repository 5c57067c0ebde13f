"""`kdre extract`'s input: the shards of a corpus and the documents in each.

A corpus is a folder, a glob or one file of `.txt` files (one document each), JSONL files
(`{"id", "text"}` per line) or parquet files (`id`, `text` columns). Each JSONL or parquet file is
one shard, the unit of output and of resuming; `.txt` files are grouped, in sorted order, into
shards of ``txt_per_shard`` documents (one output file per text file would be millions of files).

A document that cannot be read (bad bytes, broken JSON, no text) is yielded with its reason, never
raised: one bad document must not stop a job over millions.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kdre.errors import InputError

TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
PARQUET_SUFFIXES = (".parquet",)
SUFFIXES = TEXT_SUFFIXES + JSONL_SUFFIXES + PARQUET_SUFFIXES
PARQUET_ROWS = 4096  # parquet documents read at a time, so a large shard never sits in memory


@dataclass(frozen=True)
class Shard:
    """One unit of input and output: a JSONL or parquet file, or a group of `.txt` files."""

    name: str  # the output's name: OUT/<name>.parquet (posix, relative, no suffix)
    kind: str  # "txt", "jsonl" or "parquet"
    paths: tuple[str, ...]
    root: str  # the corpus root: `.txt` document ids are paths relative to it

    def fingerprint(self) -> list[list]:
        """(relative path, size, mtime) of each file: a rerun redoes a shard whose files changed
        (what make and rsync compare; hashing the corpus would cost a second read of it)."""
        out = []
        for path in self.paths:
            try:
                st = os.stat(path)
                out.append([os.path.relpath(path, self.root), st.st_size, st.st_mtime_ns])
            except OSError:
                out.append([os.path.relpath(path, self.root), None, None])
        return out


@dataclass(frozen=True)
class Document:
    """One document of a shard: its text, or why it has none (``error``)."""

    id: str
    text: str | None
    error: str | None = None
    line: int | None = None  # the JSONL line or parquet row (1-based) it came from


def _kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    for kind, suffixes in (
        ("txt", TEXT_SUFFIXES),
        ("jsonl", JSONL_SUFFIXES),
        ("parquet", PARQUET_SUFFIXES),
    ):
        if suffix in suffixes:
            return kind
    return None


def _visible(path: Path, root: Path) -> bool:
    """Not hidden, not `_`-prefixed (pyarrow's and Spark's markers): a corpus folder that holds
    an earlier output (`_errors.parquet`, `.x.tmp.parquet`) does not read it as input."""
    return not any(part.startswith((".", "_")) for part in path.relative_to(root).parts)


def find_shards(input: str | Path, txt_per_shard: int = 1000) -> list[Shard]:
    """The shards of a corpus: a folder (searched recursively), one file, or a glob pattern."""
    if txt_per_shard < 1:
        raise InputError(f"--txt-per-shard must be >= 1, got {txt_per_shard}")
    text = str(input)
    path = Path(text)
    if path.is_dir():
        root = path
        files = sorted(p for p in path.rglob("*") if p.is_file() and _visible(p, path))
        files = [p for p in files if _kind(p)]
    elif path.is_file():
        if _kind(path) is None:
            raise InputError(f"not a .txt, .jsonl or .parquet file (suffix {path.suffix!r})", path)
        root, files = path.parent, [path]
    elif glob.has_magic(text):
        files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        files = [p for p in files if _kind(p) and not p.name.startswith((".", "_"))]
        root = Path(os.path.commonpath([str(p.parent) for p in files])) if files else Path(".")
    else:
        raise InputError("no such file or folder", path)
    if not files:
        raise InputError(f"no {', '.join(SUFFIXES)} files there", text)
    shards: list[Shard] = []
    texts = [p for p in files if _kind(p) == "txt"]
    for start in range(0, len(texts), txt_per_shard):
        group = texts[start : start + txt_per_shard]
        shards.append(
            Shard(f"txt-{start // txt_per_shard:05d}", "txt", tuple(map(str, group)), str(root))
        )
    for p in files:
        kind = _kind(p)
        if kind != "txt":
            name = p.relative_to(root).with_suffix("").as_posix()
            shards.append(Shard(name, kind, (str(p),), str(root)))
    seen: dict[str, Shard] = {}
    for shard in shards:
        if shard.name in seen:
            raise InputError(
                f"two shards would write {shard.name}.parquet: {seen[shard.name].paths[0]} "
                f"and {shard.paths[0]}; rename one"
            )
        seen[shard.name] = shard
    return shards


def read_documents(shard: Shard) -> Iterator[Document]:
    """The documents of a shard in file order, bad ones with their reason."""
    if shard.kind == "txt":
        yield from _text_documents(shard)
    elif shard.kind == "jsonl":
        yield from _jsonl_documents(shard.paths[0])
    else:
        yield from _parquet_documents(shard.paths[0])


def _decode(data: bytes) -> tuple[str | None, str | None]:
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as err:
        return None, f"not UTF-8 (byte {err.start})"


def _text_documents(shard: Shard) -> Iterator[Document]:
    for path in shard.paths:
        doc_id = Path(os.path.relpath(path, shard.root)).with_suffix("").as_posix()
        try:
            data = Path(path).read_bytes()
        except OSError as err:
            yield Document(doc_id, None, f"cannot read the file ({err.strerror or err})")
            continue
        text, error = _decode(data)
        yield Document(doc_id, text, error)


def _jsonl_documents(path: str) -> Iterator[Document]:
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below; lines read one at a time
    except OSError as err:
        yield Document("", None, f"cannot read the file ({err.strerror or err})")
        return
    with handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            fallback = f"line {number}"
            line, error = _decode(raw)
            if error:
                yield Document(fallback, None, error, number)
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                yield Document(fallback, None, f"invalid JSON ({err.msg})", number)
                continue
            if not isinstance(record, dict):
                yield Document(fallback, None, "not a JSON object", number)
                continue
            doc_id = str(record["id"]) if record.get("id") is not None else fallback
            text = record.get("text")
            if not isinstance(text, str):
                problem = "no 'text'" if text is None else "'text' is not a string"
                yield Document(doc_id, None, problem, number)
                continue
            yield Document(doc_id, text, None, number)


def _parquet_documents(path: str) -> Iterator[Document]:
    import pyarrow.parquet as pq

    try:
        source = pq.ParquetFile(path)
        names = set(source.schema_arrow.names)
    except Exception as err:  # noqa: BLE001 - any unreadable file is one error row
        yield Document("", None, f"not a readable parquet file ({type(err).__name__}: {err})")
        return
    if "text" not in names:
        yield Document("", None, f"no 'text' column (columns: {', '.join(sorted(names))})")
        return
    columns = ["id", "text"] if "id" in names else ["text"]
    number = 0
    try:
        for batch in source.iter_batches(batch_size=PARQUET_ROWS, columns=columns):
            data = batch.to_pydict()
            ids = data.get("id") or [None] * batch.num_rows
            for doc_id, text in zip(ids, data["text"], strict=True):
                number += 1
                rid = str(doc_id) if doc_id is not None else f"row {number}"
                if isinstance(text, bytes):
                    text, error = _decode(text)
                    if error:
                        yield Document(rid, None, error, number)
                        continue
                if not isinstance(text, str):
                    yield Document(rid, None, "'text' is not a string", number)
                    continue
                yield Document(rid, text, None, number)
    except Exception as err:  # noqa: BLE001 - a corrupt row group ends the shard with a reason
        yield Document("", None, f"unreadable after row {number} ({type(err).__name__}: {err})")
