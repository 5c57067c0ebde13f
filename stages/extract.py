"""``kdre extract``: the relations in a corpus of raw documents (not a pipeline stage; the
optional pipelines/extract/dvc.yaml runs it)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from kdre.serving.extract import ENGINES
from kdre.serving.extract import extract as run_extract


def extract(
    model: Annotated[Path, typer.Argument(help="A kdre model file (models/student.pt).")],
    input: Annotated[
        str,
        typer.Argument(
            help="A folder (searched recursively), a file or a quoted glob of .txt files (one "
            'document each), .jsonl files ({"id", "text"} per line) or .parquet files (id, '
            "text columns). Each JSONL or parquet file is a shard; .txt files are grouped into "
            "shards of --txt-per-shard."
        ),
    ],
    out: Annotated[
        Path, typer.Option("-o", "--out", help="Output folder: OUT/<shard>.parquet per shard.")
    ],
    engine: Annotated[
        str, typer.Option(help=f"Where to run: {' or '.join(ENGINES)} (Ray Data).")
    ] = "local",
    candidates: Annotated[
        str,
        typer.Option(
            help="Candidate spans: ents, noun_chunks, both (entities, and the noun chunks that "
            "overlap none), as the kdre_relations spaCy component finds them."
        ),
    ] = "ents",
    max_distance: Annotated[
        int, typer.Option(help="Most tokens between the two spans of a pair.")
    ] = 20,
    both_orders: Annotated[
        bool, typer.Option(help="Score (a, b) and (b, a); --no-both-orders: text order only.")
    ] = True,
    threshold: Annotated[
        float,
        typer.Option(help="Keep a pair when its top relation is not NA and at least this likely."),
    ] = 0.0,
    keep_all: Annotated[
        bool,
        typer.Option("--all", help="Keep every scored pair (is_relation says which pass)."),
    ] = False,
    top_k: Annotated[int, typer.Option(help="Relations listed per pair (top_k column).")] = 3,
    max_chars: Annotated[
        int, typer.Option(help="Longer documents are not parsed: an error row instead.")
    ] = 100_000,
    batch_size: Annotated[
        int, typer.Option(help="Documents per batch (one parse call, one scoring call).")
    ] = 128,
    txt_per_shard: Annotated[int, typer.Option(help=".txt documents per shard.")] = 1000,
    spacy_model: Annotated[
        str | None,
        typer.Option(help="spaCy pipeline; default: the one the model was trained on."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(help="Ray: actors, one CPU each (each parses and, on CPU, scores)."),
    ] = 2,
    gpus_per_worker: Annotated[
        float,
        typer.Option(
            help="Ray: GPUs of each scoring actor (one per worker); 0: the workers score on CPU."
        ),
    ] = 0.0,
    ray_address: Annotated[
        str | None,
        typer.Option(help="Ray: join this cluster (e.g. auto, ray://head:10001); else start one."),
    ] = None,
) -> None:
    """Extract relations from a corpus of raw documents into parquet.

    Per document: the model's spaCy pipeline (sentences, tags, parse, entities), candidate pairs
    found as the kdre_relations component finds them, the model's scores for each pair (as `kdre
    predict` gives them). OUT/<shard>.parquet holds one row per pair kept: doc_id, sentence,
    subject and object character offsets, texts and entity labels, relation, probability,
    is_relation, top_k and the model file's sha256. Each shard is written whole or not at all;
    rerun the same command after a crash or a stop and the finished shards are skipped (those of
    the same model, options and input files). A document that cannot be processed (bad bytes,
    broken JSON, empty, longer than --max-chars) is a row of OUT/_errors.parquet, never a stop.
    OUT/_summary.json tells what was done. Read the result with `pandas.read_parquet(OUT)`.
    """
    bar = tqdm(unit="doc", desc="extract", disable=None, file=sys.stderr)

    def progress(counts) -> None:
        bar.update(counts.documents)

    try:
        summary = run_extract(
            input,
            out,
            model,
            engine=engine,
            candidates=candidates,
            max_distance=max_distance,
            both_orders=both_orders,
            threshold=threshold,
            keep_all=keep_all,
            top_k=top_k,
            max_chars=max_chars,
            chunk_size=batch_size,
            txt_per_shard=txt_per_shard,
            spacy_model=spacy_model,
            workers=workers,
            gpus_per_worker=gpus_per_worker,
            ray_address=ray_address,
            progress=progress,
        )
    finally:
        bar.close()
    typer.echo(f"kdre extract: {summary.line()}", err=True)
