"""Where `kdre extract`'s batches run: in this process, or on a Ray cluster.

Both engines run the same chunks through the same workers (kdre.serving.extract.workers) and
yield the scored tables in input order, so the writer and the rows are the same whichever ran.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa

from kdre.errors import InputError
from kdre.serving.extract.documents import Shard
from kdre.serving.extract.workers import (
    ExtractWorker,
    ParseWorker,
    ScoreWorker,
    document_chunks,
)

RAY_EXTRA = "pip install 'kdre[ray]'"


@dataclass(frozen=True)
class Settings:
    """Everything a worker needs; ``identity()`` is what makes two runs' outputs the same."""

    model: str
    model_sha256: str
    spacy_model: str
    candidates: str = "ents"
    max_distance: int = 20
    both_orders: bool = True
    max_chars: int = 100_000
    threshold: float = 0.0
    keep_all: bool = False
    top_k: int = 3
    chunk_size: int = 128  # documents per chunk: one ParseWorker call, one ScoreWorker call
    model_batch_size: int = 32
    threads: int = 1  # torch threads of each scoring worker

    def parse_kwargs(self) -> dict:
        return {
            "spacy_model": self.spacy_model,
            "candidates": self.candidates,
            "max_distance": self.max_distance,
            "both_orders": self.both_orders,
            "max_chars": self.max_chars,
        }

    def score_kwargs(self, device: str = "cpu") -> dict:
        return {
            "model": self.model,
            "model_sha256": self.model_sha256,
            "threshold": self.threshold,
            "keep_all": self.keep_all,
            "top_k": self.top_k,
            "model_batch_size": self.model_batch_size,
            "device": device,
            "threads": self.threads,
        }

    def identity(self, shard: Shard) -> dict:
        """The model, the options that change rows, and the shard's input files."""
        options = {**self.parse_kwargs(), **self.score_kwargs()}
        for key in ("model", "model_sha256", "model_batch_size", "device", "threads"):
            options.pop(key)
        return {"model_sha256": self.model_sha256, "options": options, "input": shard.fingerprint()}


def local_engine(pending: list[tuple[int, Shard]], settings: Settings) -> Iterator[pa.Table]:
    """In this process: parse a chunk, score it, next."""
    work = ExtractWorker(settings.parse_kwargs(), settings.score_kwargs())
    for sid, shard in pending:
        for chunk in document_chunks(sid, shard, settings.chunk_size):
            yield work(chunk)


def _read_shards(batch: pa.Table, chunk_size: int) -> Iterator[pa.Table]:
    """Ray's first stage: shards (a row naming each) → their chunks, one output block each."""
    for row in batch.to_pylist():
        shard = Shard(row["name"], row["kind"], tuple(row["paths"]), row["root"])
        yield from document_chunks(row["sid"], shard, chunk_size)


def ray_engine(
    pending: list[tuple[int, Shard]],
    settings: Settings,
    workers: int = 2,
    gpus_per_worker: float = 0.0,
    address: str | None = None,
    init_kwargs: dict | None = None,
) -> Iterator[pa.Table]:
    """On Ray Data: shards are read by one task, then each chunk goes whole to one of
    ``workers`` actors that load spaCy and the model once. On CPUs (``gpus_per_worker`` 0) an
    actor parses and scores its chunk (ExtractWorker, one CPU each: scoring is too large a share
    to funnel through one scorer); with GPUs, parsing (one CPU each) and scoring (one actor per
    worker, ``gpus_per_worker`` GPUs each) are two pools, so the GPUs score while the CPUs
    parse. Without ``address`` Ray starts on this machine; with it, joins that cluster (kdre
    must be installed on its nodes)."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise InputError(f"--engine ray needs Ray, which is not installed: {RAY_EXTRA}") from None
    if workers < 1:
        raise InputError(f"--workers must be >= 1, got {workers}")
    if not pending:
        return
    started = False
    if not ray.is_initialized():
        kwargs = {"include_dashboard": False, "log_to_driver": False, "logging_level": "WARNING"}
        if address:
            kwargs["address"] = address
        else:
            kwargs["num_cpus"] = max(workers, os.cpu_count() or 1)
        kwargs.update(init_kwargs or {})
        ray.init(**kwargs)
        started = True
    try:
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True  # the writer closes shards in order
        context.enable_progress_bars = False  # kdre's own bar counts documents
        items = [
            {"sid": sid, "name": s.name, "kind": s.kind, "paths": list(s.paths), "root": s.root}
            for sid, s in pending
        ]
        ds = ray.data.from_items(items, override_num_blocks=len(items))
        # Reading is a task of its own (not fused into the actors: other resources), so the
        # chunks of one large shard spread over every actor; it takes no CPU slot (file reading
        # is light), so it never waits behind actors that hold them all, and one such task at a
        # time (unbounded, Ray starts a worker process per shard: gigabytes for nothing).
        ds = ds.map_batches(
            _read_shards,
            fn_kwargs={"chunk_size": settings.chunk_size},
            batch_size=1,
            batch_format="pyarrow",
            num_cpus=0,
            concurrency=1,
        )
        # batch_size=None: each chunk (one block) whole to one call, as the local engine does
        whole = {"batch_size": None, "batch_format": "pyarrow"}
        if gpus_per_worker > 0:
            ds = ds.map_batches(
                ParseWorker,
                fn_constructor_kwargs=settings.parse_kwargs(),
                compute=ray.data.ActorPoolStrategy(size=workers),
                num_cpus=1,
                **whole,
            )
            ds = ds.map_batches(
                ScoreWorker,
                fn_constructor_kwargs=settings.score_kwargs("cuda"),
                compute=ray.data.ActorPoolStrategy(size=workers),
                num_gpus=gpus_per_worker,
                num_cpus=0,
                **whole,
            )
        else:
            ds = ds.map_batches(
                ExtractWorker,
                fn_constructor_args=(settings.parse_kwargs(), settings.score_kwargs()),
                compute=ray.data.ActorPoolStrategy(size=workers),
                num_cpus=1,
                **whole,
            )
        yield from ds.iter_batches(batch_size=None, batch_format="pyarrow")
    finally:
        if started:
            ray.shutdown()
