"""Stage ``student``: C-GCN + multi-aspect attention, distilled from the teacher's soft labels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kdre.config import load_params
from kdre.data.transfer import require_transfer_set
from kdre.training.student import run_student
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


def student(
    params: ParamsOption = PARAMS,
    parsed: ParsedOption = PARSED,
    soft_labels: Annotated[Path, typer.Option(help="The teacher's soft labels of train.")] = Path(
        "data/soft_labels/train.parquet"
    ),
    model: Annotated[Path, typer.Option(help="Model file to write.")] = Path("models/student.pt"),
    metrics: Annotated[Path, typer.Option(help="Metrics JSON.")] = Path("metrics/student.json"),
    history: Annotated[Path, typer.Option(help="Per-epoch CSV.")] = Path(
        "metrics/student_history.csv"
    ),
    embeddings: EmbeddingsOption = EMBEDDINGS,
    transfer: Annotated[Path, typer.Option(help="The augment stage's transfer set.")] = Path(
        "data/transfer"
    ),
    transfer_labels: Annotated[
        Path, typer.Option(help="The teacher's soft labels of the transfer set.")
    ] = Path("data/soft_labels/transfer.parquet"),
    progress: ProgressOption = True,
) -> None:
    """Train the student: F(h_base) + F(h_maa), loss (1−λ_kd)·L_GT + λ_kd·(L_KD + λ_ht·L_HT).

    Reads params: `student` (kd, hint, maa, anneal, anneal_direction, lambda_kd, lambda_ht,
    temperature, pos_dim, ner_dim, attn_dim, max_position, transfer_ratio, transfer_weight,
    transfer_anneal, epochs) plus `seed`, `dataset`, `embeddings`, `model`, `train` as the
    baseline; `train.epochs` unless `student.epochs` sets the student's own. Teacher annealing
    (default): λ_kd falls linearly from lambda_kd to 0 over the epochs, so the student leans
    on the teacher early and on the gold labels at the end (Clark et al. 2019; the paper's
    text states the opposite direction, `anneal_direction: gold_first` gives it). The student
    reads the teacher only through soft labels (SOFT_LABELS, TRANSFER_LABELS) — never the
    graph or entity types — and refuses soft labels of another label set.

    With a transfer set (`transfer.copies` > 0: TRANSFER, labelled by the teacher stage into
    TRANSFER_LABELS), each epoch also trains on `student.transfer_ratio` × |train| transfer
    examples drawn afresh: their teacher terms (KD, hint) weighted `student.transfer_weight`
    and annealed with λ_kd (unless `student.transfer_anneal` is false), no gold term (they have
    no gold label).

    Writes MODEL (self-contained), METRICS (dev/test P/R/F1, official scorer) and HISTORY.
    """
    cfg = load_params(params)
    require_transfer_set(transfer)
    with outputs_together() as stage:  # model, metrics and history appear together or not at all
        result, rows = run_student(
            cfg,
            parsed,
            soft_labels,
            stage(model),
            progress,
            embeddings,
            transfer,
            transfer_labels,
        )
        write_json(stage(metrics), result)
        write_history(stage(history), rows)
    typer.echo(
        f"student: dev F1 {result['dev']['f1']:.2f}, test F1 {result['test']['f1']:.2f} "
        f"(epoch {result['best_epoch']})",
        err=True,
    )
