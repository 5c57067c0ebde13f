"""The work behind the ``student`` stage: distil the teacher's soft labels into a student."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from kdre.config import Params, TrainConfig
from kdre.data.encode import SoftLabels, encode
from kdre.data.schema import read_split
from kdre.data.transfer import TRANSFER_FILE
from kdre.errors import InputError
from kdre.models.student import Student
from kdre.training.recipe import ModelRecipe, Prepared, run_recipe
from kdre.training.soft_labels import attach_soft_labels, read_soft_labels


class StudentRecipe(ModelRecipe):
    """C-GCN + multi-aspect attention, distilled from the soft labels (unless ``student.kd``
    is false: then hard labels only).

    With a transfer set (the augment stage's, labelled by the teacher stage) the student's
    training split is train followed by the transfer examples, which carry soft labels and no
    gold label (``Encoded.gold``); each epoch trains on all of train and on
    ``student.transfer_ratio`` × |train| transfer examples drawn afresh."""

    name = "student"
    reads = (*ModelRecipe.reads, "student")

    def __init__(
        self,
        soft_labels_path: Path | str,
        parsed_dir: Path | str | None = None,
        transfer_dir: Path | str | None = None,
        transfer_labels_path: Path | str | None = None,
    ) -> None:
        self.soft_labels_path = Path(soft_labels_path)
        self.parsed_dir = None if parsed_dir is None else Path(parsed_dir)
        self.transfer_dir = None if transfer_dir is None else Path(transfer_dir)
        self.transfer_labels_path = (
            None if transfer_labels_path is None else Path(transfer_labels_path)
        )
        self.n_gold = 0
        self.n_transfer = 0

    def attach(self, params: Params, prep: Prepared) -> None:
        if not params.student.kd:
            return
        train = prep.splits["train"]
        attach_soft_labels(self.soft_labels_path, train, prep.vocab)
        self.n_gold = len(train)
        transfer = self._transfer_rows(params)
        if transfer is None or not len(transfer):
            return
        if params.embeddings.contextual != "none":
            raise InputError(
                "a transfer set with embeddings.contextual is not supported: the contextual "
                "vectors are cached for the parsed splits only"
            )
        assert self.parsed_dir is not None and self.transfer_labels_path is not None
        frame = read_split(self.parsed_dir / "train.parquet")
        both = pd.concat([frame, transfer], ignore_index=True)
        combined = encode(both, prep.vocab, params.model.prune_k, "train + transfer set")
        ids = list(transfer["id"].astype(str))
        theirs = read_soft_labels(self.transfer_labels_path, ids, prep.vocab.labels)
        assert train.soft_labels is not None
        columns = []
        for mine, other in zip(train.soft_labels.arrays(), theirs, strict=True):
            if (mine is None) != (other is None):
                raise InputError(
                    "the soft labels of train and of the transfer set come from different "
                    "teachers (one has global logits, the other not); rerun the teacher stage",
                    self.transfer_labels_path,
                )
            columns.append(None if mine is None else np.concatenate([mine, other]))
        combined.soft_labels = SoftLabels(*columns)
        combined.gold = np.arange(len(combined)) < len(train)
        prep.splits["train"] = combined
        self.n_transfer = len(transfer)

    def _transfer_rows(self, params: Params) -> pd.DataFrame | None:
        if self.transfer_dir is None or params.student.transfer_ratio == 0:
            return None
        return read_split(self.transfer_dir / TRANSFER_FILE)

    def sampler(self, params: Params, prep: Prepared):
        if not self.n_transfer:
            return None
        n_gold, n_transfer = self.n_gold, self.n_transfer
        per_epoch = min(n_transfer, round(params.student.transfer_ratio * n_gold))

        def rows(rng: np.random.Generator) -> np.ndarray:
            drawn = rng.choice(n_transfer, size=per_epoch, replace=False)
            return np.concatenate([np.arange(n_gold), n_gold + np.sort(drawn)])

        return rows

    def train_config(self, params: Params) -> TrainConfig:
        """train.* with the student's own epoch count when ``student.epochs`` sets one."""
        if params.student.epochs == 0:
            return params.train
        return dataclasses.replace(params.train, epochs=params.student.epochs)

    def build(self, params: Params, prep: Prepared, vectors: torch.Tensor | None) -> nn.Module:
        return Student(
            params.model, params.student, *prep.vocab.sizes, params.train.pooling_l2, vectors
        )

    def finish(self, params: Params, model: nn.Module, prep: Prepared, metrics: dict) -> dict:
        if self.n_transfer:
            metrics["transfer_examples"] = self.n_transfer
            metrics["transfer_per_epoch"] = min(
                self.n_transfer, round(params.student.transfer_ratio * self.n_gold)
            )
        return {"student": {"config": asdict(params.student)}}


def run_student(
    params: Params,
    parsed_dir: Path | str,
    soft_labels_path: Path | str,
    model_path: Path | str,
    progress: bool = True,
    embeddings_dir: Path | str | None = None,
    transfer_dir: Path | str | None = None,
    transfer_labels_path: Path | str | None = None,
) -> tuple[dict, list[dict]]:
    """Train the student (knowledge distillation unless ``student.kd`` is false), on train
    and, given the augment stage's ``transfer_dir`` and the teacher's labels of it, on the
    transfer set."""
    recipe = StudentRecipe(soft_labels_path, parsed_dir, transfer_dir, transfer_labels_path)
    return run_recipe(params, recipe, parsed_dir, model_path, progress, embeddings_dir)
