"""The teacher stage: the teacher recipe of ``teacher.encoder``, and the typer it must match.

A new teacher encoder is a recipe in a file of its own (as ``teacher.py`` for the C-GCN and
``transformer_teacher.py`` for a Hugging Face encoder) and one entry in :data:`ENCODERS`."""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from kdre.config import Params
from kdre.data.datasets import dataset_spec
from kdre.data.schema import read_split
from kdre.data.transfer import TYPED_FILE
from kdre.errors import InputError
from kdre.knowledge.types import TYPER_FILE
from kdre.models.files import load_model
from kdre.training.crossfit import run_crossfit
from kdre.training.labelling import label_rows, own_counts
from kdre.training.recipe import run_baseline, run_recipe
from kdre.training.soft_labels import COLUMNS, teacher_columns, write_soft_label_rows
from kdre.training.teacher import TeacherRecipe
from kdre.training.transformer_teacher import TransformerTeacherRecipe


def _cgcn(*, graph_path, baseline_path, soft_labels_path, **_) -> TeacherRecipe:
    return TeacherRecipe(graph_path, baseline_path, soft_labels_path)


def _transformer(*, parsed_dir, graph_path, soft_labels_path, **_) -> TeacherRecipe:
    # reads its typed splits' word pieces, never the baseline
    return TransformerTeacherRecipe(parsed_dir, graph_path, soft_labels_path)


# teacher.encoder → the recipe that trains it (the config's TEACHER_ENCODERS, checked by a test)
ENCODERS: dict[str, Callable[..., TeacherRecipe]] = {"cgcn": _cgcn, "transformer": _transformer}


def run_teacher(
    params: Params,
    parsed_dir: Path | str,
    graph_path: Path | str,
    baseline_path: Path | str,
    model_path: Path | str,
    soft_labels_path: Path | str,
    progress: bool = True,
    embeddings_dir: Path | str | None = None,
    transfer_dir: Path | str | None = None,
    transfer_labels_path: Path | str | None = None,
) -> tuple[dict, list[dict]]:
    """Train a teacher (γ = params.gamma), write its model and the soft labels of train: the
    C-GCN teacher, or with ``teacher.encoder: transformer`` the transformer teacher (which
    reads its typed splits' word pieces and never the baseline).

    With ``teacher.folds`` K > 1 the soft labels of train come from K cross-fitted teachers
    (kdre.training.crossfit); the model file stays the teacher of all train. Given the
    augment stage's ``transfer_dir``, the transfer set is labelled too (by the teacher, or
    each copy by its source's fold teacher) into ``transfer_labels_path``."""
    recipe = ENCODERS[params.teacher.encoder](
        parsed_dir=parsed_dir,
        graph_path=graph_path,
        baseline_path=baseline_path,
        soft_labels_path=soft_labels_path,
    )
    recipe.typer = read_typer(parsed_dir, params.types.source)
    transfer = None
    if transfer_dir is not None:
        transfer = read_split(Path(transfer_dir) / TYPED_FILE)
        if transfer_labels_path is None:
            raise ValueError("a transfer set needs a path for its soft labels")
    with tempfile.TemporaryDirectory(prefix="kdre-folds-") as work:
        if params.teacher.folds > 1:
            # the teacher of all train (the model file, evaluated as usual); its own soft
            # labels are replaced by the folds' below
            recipe.soft_labels_path = Path(work) / "full.parquet"
        metrics, history = run_recipe(
            params, recipe, parsed_dir, model_path, progress, embeddings_dir
        )
        transfer_logits = None
        if params.teacher.folds > 1:
            metrics["crossfit"], transfer_logits = run_crossfit(
                params,
                parsed_dir,
                graph_path,
                soft_labels_path,
                work,
                _fold_base(params, progress, embeddings_dir),
                _fold_teacher(graph_path, progress, embeddings_dir),
                progress,
                transfer,
            )
        elif transfer is not None and len(transfer):
            train = read_split(Path(parsed_dir) / "train.parquet")
            na = dataset_spec(params.dataset.name, parsed_dir).na_label
            leave = own_counts(transfer, train, na) if params.teacher.leave_one_out else None
            graph = pd.read_parquet(graph_path)
            transfer_logits = label_rows(
                params, model_path, transfer, graph, "the transfer set", leave
            )
    if transfer is not None and transfer_labels_path is not None:
        labels = load_model(model_path)[1].labels
        ids = list(transfer["id"].astype(str))
        empty = teacher_columns(
            {key: np.zeros((0, len(labels)), np.float32) for key in COLUMNS},
            params.teacher.type_constraints,
        )
        write_soft_label_rows(
            transfer_labels_path,
            ids,
            list(transfer["relation"].astype(str)),
            labels,
            transfer_logits if transfer_logits is not None else empty,
            {"transfer": "true", "folds": str(params.teacher.folds)},
        )
        metrics["transfer_examples"] = len(ids)
    return metrics, history


def _fold_base(params: Params, progress: bool, embeddings_dir):
    """Fold k's C-GCN base, trained as the baseline stage trains it; None for teachers without
    one (a transformer, or ``teacher.base: scratch``)."""
    if params.teacher.encoder != "cgcn" or params.teacher.resolved_base() == "scratch":
        return None

    def train(p: Params, folder: Path, model_path: Path) -> dict:
        return run_baseline(p, folder, model_path, progress, embeddings_dir)[0]

    return train


def _fold_teacher(graph_path, progress: bool, embeddings_dir):
    def train(p: Params, folder: Path, base: Path, model_path: Path, soft: Path) -> dict:
        fold = dataclasses.replace(p, teacher=dataclasses.replace(p.teacher, folds=1))
        return run_teacher(
            fold, folder, graph_path, base, model_path, soft, progress, embeddings_dir
        )[0]

    return train


def read_typer(typed_dir: Path | str, source: str) -> dict:
    """The types stage's typer state beside the typed splits, checked against types.source;
    splits without one (the parse stage's own) carry the ner types."""
    path = Path(typed_dir) / TYPER_FILE
    if not path.exists():
        if source != "ner":
            raise InputError(
                f"types.source is {source!r}, but these splits were not typed by the types "
                "stage (no typer.json); run `dvc repro types` and pass data/types",
                typed_dir,
            )
        return {"source": "ner"}
    typer = json.loads(path.read_text(encoding="utf-8"))
    if typer.get("source") != source:
        raise InputError(
            f"the splits were typed with {typer.get('source')!r}, but types.source is "
            f"{source!r}; rerun the types stage",
            path,
        )
    return typer
