"""`kdre extract`: the relations in a whole corpus of raw documents, on one machine or a Ray
cluster, resumable shard by shard.

    from kdre.serving.extract import extract
    summary = extract("corpus/", "out/", "models/student.pt", candidates="ents")
    pd.read_parquet("out/")  # one row per relation found

documents (shards and documents of a corpus) → workers (spaCy and candidate pairs; the model)
→ engines (in process, or Ray Data actor pools) → output (a parquet file per shard, errors,
summary).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kdre.atomic import write_text
from kdre.errors import InputError
from kdre.serving.extract.documents import find_shards
from kdre.serving.extract.engines import Settings, local_engine, ray_engine
from kdre.serving.extract.output import (
    ERRORS_FILE,
    SUMMARY_FILE,
    Counts,
    ShardSink,
    finished,
    gather_errors,
)

ENGINES = ("local", "ray")


@dataclass
class Summary:
    """What one `kdre extract` run did (``this_run``) and what OUT holds for the input
    (``total``: this run's shards and those a previous run had finished)."""

    engine: str
    shards: int
    shards_done: int
    shards_skipped: int
    seconds: float
    sentences_per_second: float | None
    this_run: Counts = field(default_factory=Counts)
    total: Counts = field(default_factory=Counts)

    def line(self) -> str:
        t, r = self.total, self.this_run
        rate = f"{self.sentences_per_second:.1f}" if self.sentences_per_second else "-"
        return (
            f"{t.documents} documents, {t.sentences} sentences, {t.pairs} pairs, "
            f"{t.relations} relations, {t.errors} errors in {self.shards} shards "
            f"({self.shards_done} done now, {self.shards_skipped} already done); this run: "
            f"{r.sentences} sentences in {self.seconds:.1f} s ({rate} sentences/s)"
        )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def extract(
    input: str | Path,
    out: str | Path,
    model: str | Path,
    *,
    engine: str = "local",
    candidates: str = "ents",
    max_distance: int = 20,
    both_orders: bool = True,
    threshold: float = 0.0,
    keep_all: bool = False,
    top_k: int = 3,
    max_chars: int = 100_000,
    chunk_size: int = 128,
    txt_per_shard: int = 1000,
    spacy_model: str | None = None,
    workers: int = 2,
    gpus_per_worker: float = 0.0,
    ray_address: str | None = None,
    ray_init: dict | None = None,
    progress: Callable[[Counts], None] | None = None,
) -> Summary:
    """Extract the relations of every document under ``input`` into ``out``; see the module
    docstring. ``progress`` is called with each scored table's counts (a progress bar)."""
    from kdre.serving.candidates import candidates_problem
    from kdre.serving.extractor import RelationExtractor

    if engine not in ENGINES:
        raise InputError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if problem := candidates_problem(candidates):
        raise InputError(f"--{problem}")
    checks = {
        "--max-distance": (max_distance, 0),
        "--top-k": (top_k, 1),
        "--max-chars": (max_chars, 1),
        "--batch-size": (chunk_size, 1),
        "--workers": (workers, 1),
    }
    for name, (value, low) in checks.items():
        if value < low:
            raise InputError(f"{name} must be >= {low}, got {value}")
    if not 0.0 <= threshold <= 1.0:
        raise InputError(f"--threshold must be in [0, 1], got {threshold}")
    if gpus_per_worker < 0:
        raise InputError(f"--gpus-per-worker must be >= 0, got {gpus_per_worker}")
    model = Path(model)
    if not model.is_file():
        raise InputError("model file not found", model)
    out = Path(out)
    # an output folder inside the corpus holds parquet files: never read them back as input
    inside = out.resolve()
    shards = [
        s
        for s in find_shards(input, txt_per_shard)
        if not any(inside in Path(p).resolve().parents for p in s.paths)
    ]
    if not shards:
        raise InputError("no input files outside the output folder", input)
    # The model loads here first: a file that is no kdre model, or a Teacher-R, fails before
    # any worker starts; its spaCy pipeline is the one the text is parsed with.
    loaded = RelationExtractor(model, spacy_model)
    settings = Settings(
        model=str(model.resolve()),
        model_sha256=file_sha256(model),
        spacy_model=loaded.spacy_model,
        candidates=candidates,
        max_distance=max_distance,
        both_orders=both_orders,
        max_chars=max_chars,
        threshold=threshold,
        keep_all=keep_all,
        top_k=top_k,
        chunk_size=chunk_size,
    )
    del loaded
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder", out)
    out.mkdir(parents=True, exist_ok=True)
    identities = {sid: settings.identity(s) for sid, s in enumerate(shards)}
    total = Counts()
    pending = []
    for sid, shard in enumerate(shards):
        counts = finished(out, shard, identities[sid])
        if counts is None:
            pending.append((sid, shard))
        else:
            total.add(counts)
    sink = ShardSink(out, shards, {sid: identities[sid] for sid, _ in pending})
    start = time.perf_counter()
    if engine == "local":
        tables = local_engine(pending, settings)
    else:
        tables = ray_engine(
            pending, settings, workers, gpus_per_worker, ray_address, init_kwargs=ray_init
        )
    for table in tables:
        seen = sink.add(table)
        if progress is not None:
            progress(seen)
    sink.close()
    seconds = time.perf_counter() - start
    total.add(sink.counts)
    total.errors = gather_errors(out, shards)
    summary = Summary(
        engine=engine,
        shards=len(shards),
        shards_done=len(sink.written),
        shards_skipped=len(shards) - len(pending),
        seconds=round(seconds, 3),
        sentences_per_second=round(sink.counts.sentences / seconds, 2) if seconds > 0 else None,
        this_run=sink.counts,
        total=total,
    )
    write_text(out / SUMMARY_FILE, json.dumps(asdict(summary), indent=2) + "\n")
    return summary


__all__ = ["ENGINES", "ERRORS_FILE", "SUMMARY_FILE", "Summary", "extract"]
