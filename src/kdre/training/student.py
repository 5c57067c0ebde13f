"""The work behind the ``student`` stage: distil the teacher's soft labels into a student."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch
from torch import nn

from kdre.config import Params
from kdre.models.student import Student
from kdre.training.recipe import ModelRecipe, Prepared, run_recipe
from kdre.training.soft_labels import attach_soft_labels


class StudentRecipe(ModelRecipe):
    """C-GCN + multi-aspect attention, distilled from the soft labels (unless ``student.kd``
    is false: then hard labels only)."""

    name = "student"

    def __init__(self, soft_labels_path: Path | str) -> None:
        self.soft_labels_path = Path(soft_labels_path)

    def attach(self, params: Params, prep: Prepared) -> None:
        if params.student.kd:
            attach_soft_labels(self.soft_labels_path, prep.splits["train"], prep.vocab)

    def build(self, params: Params, prep: Prepared, vectors: torch.Tensor | None) -> nn.Module:
        return Student(
            params.model, params.student, *prep.vocab.sizes, params.train.pooling_l2, vectors
        )

    def finish(self, params: Params, model: nn.Module, prep: Prepared, metrics: dict) -> dict:
        return {"student": {"config": asdict(params.student)}}


def run_student(
    params: Params,
    parsed_dir: Path | str,
    soft_labels_path: Path | str,
    model_path: Path | str,
    progress: bool = True,
    embeddings_dir: Path | str | None = None,
) -> tuple[dict, list[dict]]:
    """Train the student (knowledge distillation unless ``student.kd`` is false)."""
    recipe = StudentRecipe(soft_labels_path)
    return run_recipe(params, recipe, parsed_dir, model_path, progress, embeddings_dir)
