"""Stage ``evaluate``: official test scores of baseline, teacher and student, side by side."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from kdre.config import Params, load_params
from kdre.data.datasets import dataset_spec
from kdre.data.datasets.base import DatasetSpec
from kdre.data.schema import read_split
from kdre.evaluation import plots, scoring
from kdre.evaluation.predictions import (
    Predictions,
    against_baseline,
    confusion,
    flat_metrics,
    per_relation_f1,
    predict_file,
)
from stages.common import PARAMS, TYPED, ParamsOption, TypedOption, outputs_together, write_metrics

MODELS = ("baseline", "teacher", "student")


def evaluate(
    params: ParamsOption = PARAMS,
    parsed: TypedOption = TYPED,
    models: Annotated[Path, typer.Option(help="Folder of baseline/teacher/student.pt.")] = Path(
        "models"
    ),
    metrics: Annotated[Path, typer.Option(help="Metrics JSON.")] = Path("metrics/evaluate.json"),
    predictions: Annotated[Path, typer.Option(help="Folder for prediction files.")] = Path(
        "predictions"
    ),
    plots_dir: Annotated[Path, typer.Option("--plots", help="Folder for PNG/CSV plots.")] = Path(
        "plots"
    ),
    contextual: Annotated[
        Path, typer.Option(help="Cached contextual vectors (models trained with them).")
    ] = Path("data/embeddings/contextual"),
) -> None:
    """Score the three models on test with the dataset's official scorer and compare them.

    Reads params: `dataset.name`, `seed`, `evaluate.bootstrap_samples`. Writes METRICS with one
    flat set of keys (`baseline.test.f1`, `student.test.precision`,
    `teacher.test.f1_per_relation.<relation>`, …; a Teacher-R scores under `teacher.test_leaky`
    because it reads the gold label), the paired-bootstrap p-value of student vs baseline
    (`student_vs_baseline.p_value`: share of resamples where the student is not better), the
    official-format predictions `<model>_test.txt` (score them with `kdre score`) and CSVs
    (id, actual, predicted) under PREDICTIONS, and under PLOTS: a confusion matrix of the
    student, per-relation F1 of every model, and the training curves.
    """
    cfg = load_params(params)
    spec = dataset_spec(cfg.dataset.name, parsed)
    test = read_split(parsed / "test.parquet")
    source = str(parsed / "test.parquet")
    results = {
        name: predict_file(
            name, models / f"{name}.pt", test, spec, source, contextual / "test.parquet"
        )
        for name in MODELS
    }
    with outputs_together() as stage:
        out = _write_outputs(cfg, spec, results, stage, metrics, predictions, plots_dir)
    summary = ", ".join(
        f"{name} {'(leaky) ' if r.leaky else ''}{r.score.f1:.2f}" for name, r in results.items()
    )
    typer.echo(
        f"test F1: {summary}; student vs baseline p = {out['student_vs_baseline.p_value']}",
        err=True,
    )


def _write_outputs(
    cfg: Params,
    spec: DatasetSpec,
    results: dict[str, Predictions],
    stage: Callable[[Path], Path],
    metrics: Path,
    predictions: Path,
    plots_dir: Path,
) -> dict[str, float]:
    """Every output of the stage, each through ``stage`` (see outputs_together)."""
    out: dict[str, float] = {}
    for name, result in results.items():
        out.update(flat_metrics(result))
        scoring.write_answers(
            dict(zip(result.ids, result.pred, strict=True)), stage(predictions / f"{name}_test.txt")
        )
        pd.DataFrame({"id": result.ids, "actual": result.gold, "predicted": result.pred}).to_csv(
            stage(predictions / f"{name}_test.csv"), index=False
        )
    out.update(against_baseline(results, spec, cfg.evaluate.bootstrap_samples, cfg.seed))
    write_metrics(stage(metrics), out, cfg)

    per_rel = per_relation_f1(results)
    per_rel.rename_axis("relation").reset_index().melt(
        id_vars="relation", var_name="model", value_name="f1"
    ).to_csv(stage(plots_dir / "per_relation_f1.csv"), index=False)
    plots.per_relation_png(per_rel, stage(plots_dir / "per_relation_f1.png"))
    labels = list(spec.labels)
    plots.confusion_png(
        confusion(results["student"], labels),
        labels,
        "Student on test (rows gold, columns predicted)",
        stage(plots_dir / "confusion_student.png"),
    )
    histories = {
        name: pd.read_csv(path)
        for name in MODELS
        if (path := metrics.parent / f"{name}_history.csv").exists()
    }
    if histories:
        plots.curves_png(histories, stage(plots_dir / "training_curves.png"))
    return out
