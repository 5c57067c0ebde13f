"""The teacher stage: the teacher recipe of ``teacher.encoder``, and the typer it must match.

A new teacher encoder is a recipe in a file of its own (as ``teacher.py`` for the C-GCN and
``transformer_teacher.py`` for a Hugging Face encoder) and one entry in :data:`ENCODERS`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from kdre.config import Params
from kdre.errors import InputError
from kdre.knowledge.types import TYPER_FILE
from kdre.training.recipe import run_recipe
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
) -> tuple[dict, list[dict]]:
    """Train a teacher (γ = params.gamma), write its model and the soft labels of train: the
    C-GCN teacher, or with ``teacher.encoder: transformer`` the transformer teacher (which
    reads its typed splits' word pieces and never the baseline)."""
    recipe = ENCODERS[params.teacher.encoder](
        parsed_dir=parsed_dir,
        graph_path=graph_path,
        baseline_path=baseline_path,
        soft_labels_path=soft_labels_path,
    )
    recipe.typer = read_typer(parsed_dir, params.types.source)
    return run_recipe(params, recipe, parsed_dir, model_path, progress, embeddings_dir)


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
