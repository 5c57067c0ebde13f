"""Stage ``teacher``: C-GCN + type constraints, h_tea = F(h_base) + γ ⊙ G(p)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kdre.config import load_params
from kdre.data.transfer import require_transfer_set
from kdre.training.teachers import run_teacher
from stages.common import (
    EMBEDDINGS,
    PARAMS,
    TYPED,
    EmbeddingsOption,
    ParamsOption,
    ProgressOption,
    TypedOption,
    outputs_together,
    write_history,
    write_json,
)


def teacher(
    params: ParamsOption = PARAMS,
    parsed: TypedOption = TYPED,
    graph: Annotated[Path, typer.Option(help="Graph parquet.")] = Path("data/graph/graph.parquet"),
    baseline: Annotated[
        Path, typer.Option(help="Baseline model (teacher.base frozen/finetune).")
    ] = Path("models/baseline.pt"),
    model: Annotated[Path, typer.Option(help="Model file to write.")] = Path("models/teacher.pt"),
    soft_labels: Annotated[Path, typer.Option(help="Soft labels of train.")] = Path(
        "data/soft_labels/train.parquet"
    ),
    metrics: Annotated[Path, typer.Option(help="Metrics JSON.")] = Path("metrics/teacher.json"),
    history: Annotated[Path, typer.Option(help="Per-epoch CSV.")] = Path(
        "metrics/teacher_history.csv"
    ),
    embeddings: EmbeddingsOption = EMBEDDINGS,
    transfer: Annotated[Path, typer.Option(help="The augment stage's transfer set.")] = Path(
        "data/transfer"
    ),
    transfer_labels: Annotated[
        Path, typer.Option(help="Soft labels of the transfer set to write.")
    ] = Path("data/soft_labels/transfer.parquet"),
    progress: ProgressOption = True,
) -> None:
    """Train a teacher with soft type constraints and write the soft labels of the training set.

    Reads params: `gamma` (scalar: fixed γ_s = `gamma_scalar`; vector: trained γ_v; relation:
    γ_r = Γ[gold label], trained), `gamma_scalar`, `graph.na_prob` (C), `teacher` (tsd, tsd_k,
    type_constraints, base: auto | scratch | frozen | finetune — auto freezes the trained
    baseline; base_dropout_passes, gamma_lr: how γ trains over a frozen base;
    leave_one_out: a training example's G(p) without its own count; folds: K > 1 trains K
    cross-fitted teachers, each labelling the fold of train it did not see, while MODEL stays
    the teacher of all train), `types.source` (checked against the typed splits'
    typer.json, which the model file keeps), plus `seed`, `dataset`, `embeddings`, `model`,
    `train` as the baseline.

    Loss: L_T = L_GT + L_TSD (TSD on the softmax output, K = teacher.tsd_k, 1/(K-1) form).
    A frozen base with nothing to train (gamma scalar, or type_constraints false: the
    self-distillation control) runs no epochs: the teacher is the base (+ γ_s G(p)).
    `teacher.encoder: transformer` fine-tunes a Hugging Face encoder instead of the C-GCN
    (entity markers, settings under `teacher.transformer`; BASELINE is then unused), with the
    same fusion, loss, soft labels and model-file record.
    Writes MODEL (with its config, vocab and G(p) table), SOFT_LABELS (final, local and global
    logits per training example, keyed by id), TRANSFER_LABELS (the same for every example of
    the augment stage's TRANSFER set, each labelled by the teacher that did not see its
    source when folds > 1; empty without a transfer set), METRICS and HISTORY. With
    gamma=relation the dev/test scores use the gold label: they are stored as
    dev_leaky/test_leaky, never results.
    """
    cfg = load_params(params)
    require_transfer_set(transfer)
    with outputs_together() as stage:  # every output appears together or not at all
        result, rows = run_teacher(
            cfg,
            parsed,
            graph,
            baseline,
            stage(model),
            stage(soft_labels),
            progress,
            embeddings,
            transfer,
            stage(transfer_labels),
        )
        write_json(stage(metrics), result)
        write_history(stage(history), rows)
    key = "dev_leaky" if "dev_leaky" in result else "dev"
    typer.echo(
        f"teacher ({cfg.gamma}): {key} F1 {result[key]['f1']:.2f} (epoch {result['best_epoch']})",
        err=True,
    )
