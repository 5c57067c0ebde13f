"""Stage ``baseline``: the plain C-GCN (the paper's C-GCN row)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kdre.config import load_params
from kdre.training.recipe import run_baseline
from stages.common import (
    EMBEDDINGS,
    PARAMS,
    PARSED,
    EmbeddingsOption,
    ParamsOption,
    ParsedOption,
    ProgressOption,
    outputs_together,
    write_history,
    write_json,
)


def baseline(
    params: ParamsOption = PARAMS,
    parsed: ParsedOption = PARSED,
    model: Annotated[Path, typer.Option(help="Model file to write.")] = Path("models/baseline.pt"),
    metrics: Annotated[Path, typer.Option(help="Metrics JSON.")] = Path("metrics/baseline.json"),
    history: Annotated[Path, typer.Option(help="Per-epoch CSV.")] = Path(
        "metrics/baseline_history.csv"
    ),
    embeddings: EmbeddingsOption = EMBEDDINGS,
    progress: ProgressOption = True,
) -> None:
    """Train the C-GCN baseline and keep the checkpoint with the best dev F1.

    Reads params: `seed`, `dataset`, `embeddings` (source: random | glove-6b-50d | file |
    minilm-static; the table comes from the embed stage), `model` (encoder sizes, dropouts,
    prune_k, lower, min_freq) and `train` (epochs, batch_size, lr,
    lr_decay, decay_after, max_grad_norm, pooling_l2, early_stop, threads, device).

    Writes MODEL (weights + config + vocab, loadable alone), METRICS (dev and test P/R/F1 with
    the dataset's official scorer, best epoch, training time and speed) and HISTORY (one row per
    epoch: train loss, dev P/R/F1, learning rate, seconds). Test is scored once, on the model
    selected on dev.
    """
    cfg = load_params(params)
    with outputs_together() as stage:  # model, metrics and history appear together or not at all
        result, rows = run_baseline(cfg, parsed, stage(model), progress, embeddings)
        write_json(stage(metrics), result)
        write_history(stage(history), rows)
    typer.echo(
        f"baseline: dev F1 {result['dev']['f1']:.2f}, test F1 {result['test']['f1']:.2f} "
        f"(epoch {result['best_epoch']})",
        err=True,
    )
