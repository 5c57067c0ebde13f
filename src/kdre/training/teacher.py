"""The teacher stage's recipe: h_tea = F(h_base) + γ ⊙ G(p) trained, then the soft labels of
every training example written for the student."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from kdre.config import Params, reads_gold_label
from kdre.cpu import resolve_device
from kdre.data.encode import Encoded, iterate
from kdre.data.vocab import Vocab
from kdre.errors import InputError
from kdre.knowledge.graph import PatternTable
from kdre.models.baseline import Baseline
from kdre.models.files import load_model
from kdre.models.heads import FINAL
from kdre.models.inference import predict_logits
from kdre.models.teacher import Teacher
from kdre.training.loop import Optimization, reference_sgd
from kdre.training.recipe import ModelRecipe, Prepared
from kdre.training.soft_labels import confidence, teacher_columns, write_soft_labels


class TeacherRecipe(ModelRecipe):
    """A C-GCN teacher: its base from scratch, or the trained baseline frozen or fine-tuned
    (``teacher.base``), plus γ ⊙ G(p) over the pattern table of the graph stage.

    A frozen base gives the same F(h_base) at every epoch, so its logits are computed once per
    split (eval mode) and the teacher trains γ over them: a few seconds instead of a C-GCN's
    training time. (The reference instead runs the frozen encoder every epoch in train mode,
    its dropout active; see docs/model-notes.md.)"""

    # the baseline's params, and γ, the graph's, the teacher's and the types'
    reads = (*ModelRecipe.reads, "gamma", "gamma_scalar", "graph", "teacher", "types")

    def __init__(
        self, graph_path: Path | str, baseline_path: Path | str, soft_labels_path: Path | str
    ) -> None:
        self.graph_path = Path(graph_path)
        self.baseline_path = Path(baseline_path)
        self.soft_labels_path = Path(soft_labels_path)
        self.base: Baseline | None = None
        self.base_mode = "scratch"  # teacher.base resolved for the run's γ (set by load)
        self.table: PatternTable | None = None
        self.typer: dict = {"source": "ner"}  # how the splits were typed, for `kdre predict`

    def load(self, params: Params) -> Vocab | None:
        self.name = f"teacher-{params.gamma}"
        self.leaky = reads_gold_label(params.gamma, params.teacher.type_constraints)
        self.base_mode = params.teacher.resolved_base()
        if self.base_mode == "scratch":
            return None
        base, vocab, payload = load_model(self.baseline_path)
        if payload["model_config"] != asdict(params.model):
            raise InputError(
                "teacher.base needs the baseline trained with the same `model` params; "
                "rerun the baseline stage",
                self.baseline_path,
            )
        self.base = base
        return vocab

    def attach(self, params: Params, prep: Prepared) -> None:
        n_labels = len(prep.vocab.labels)
        if params.teacher.tsd and params.teacher.tsd_k > n_labels:
            raise InputError(
                f"teacher.tsd_k is {params.teacher.tsd_k}, but {prep.spec.name} has only "
                f"{n_labels} labels to rank"
            )
        graph = pd.read_parquet(self.graph_path)
        self.table = PatternTable(
            graph, prep.vocab.labels, prep.spec.na_label, params.graph.na_prob
        )
        for split, data in prep.splits.items():
            own = data.labels if split == "train" and params.teacher.leave_one_out else None
            data.patterns = self.table.lookup(data.subj_types, data.obj_types, own)
        if self.base is not None and self.base_mode == "frozen":
            device = resolve_device(params.train.device)
            self.base.to(device)
            batch_size = params.train.batch_size * 2
            for data in prep.splits.values():
                data.base_logits = predict_logits(self.base, data, batch_size, device)[FINAL]
            passes = params.teacher.base_dropout_passes
            trains = params.gamma != "scalar" and params.teacher.type_constraints
            if passes and trains:  # nothing trains otherwise: no noisy logits needed
                train = prep.splits["train"]
                train.base_logits = np.stack(
                    [dropout_logits(self.base, train, batch_size, device) for _ in range(passes)],
                    axis=1,
                )  # (N, passes, relations)

    def optimization(self, params: Params) -> Optimization:
        """Over a frozen base only γ trains: Adam at teacher.gamma_lr, constant (see
        TeacherConfig.gamma_lr); otherwise the C-GCN schedule of train.*."""
        if self.base_mode != "frozen" or not params.teacher.gamma_lr:
            return reference_sgd(params.train)
        lr = params.teacher.gamma_lr
        return Optimization(
            make_optimizer=lambda ps: torch.optim.Adam(ps, lr=lr),
            max_grad_norm=params.train.max_grad_norm,
        )

    def wants_word_vectors(self, params: Params) -> bool:
        return self.base is None

    def build(self, params: Params, prep: Prepared, vectors: torch.Tensor | None) -> nn.Module:
        model = Teacher(
            params.model,
            params.teacher,
            params.gamma,
            params.gamma_scalar,
            *prep.vocab.sizes,
            prep.vocab.na_id,
            params.train.pooling_l2,
            vectors,
        )
        if self.base is not None:
            model.encoder.load_state_dict(self.base.encoder.state_dict())
            model.classifier.load_state_dict(self.base.classifier.state_dict())
            if self.base_mode == "frozen":
                for p in (*model.encoder.parameters(), *model.classifier.parameters()):
                    p.requires_grad_(False)
        return model

    def finish(self, params: Params, model: nn.Module, prep: Prepared, metrics: dict) -> dict:
        assert self.table is not None  # a C-GCN Teacher or a TransformerTeacher: both have γ
        metrics["base_frozen"] = self.base_mode == "frozen"
        if self.leaky:
            metrics["note"] = (
                "gamma=relation uses the gold label: dev/test scores leak, never results"
            )
        if params.gamma == "vector":
            metrics["gamma_v_mean"] = float(model.gamma.gamma_v.detach().mean())
        device = next(model.parameters()).device
        train = prep.splits["train"]
        if train.base_logits is not None and train.base_logits.ndim == 3:
            train.base_logits = None  # soft labels from the base in eval mode
        logits = predict_logits(model, train, params.train.batch_size * 2, device)
        columns = teacher_columns(logits, params.teacher.type_constraints)
        write_soft_labels(self.soft_labels_path, train, prep.vocab, columns)
        metrics.update(confidence(logits[FINAL], train.labels, "train"))
        return {
            "types": self.typer,
            "teacher": {
                "config": asdict(params.teacher),
                "gamma": params.gamma,
                "gamma_scalar": params.gamma_scalar,
                "pattern_table": self.table.to_dict(),
            },
        }


def dropout_logits(model: nn.Module, data: Encoded, batch_size: int, device) -> np.ndarray:
    """One pass of a frozen model over ``data`` in train mode (dropout on, no word dropout):
    the noisy logits the reference's teacher trains γ over."""
    out = np.zeros((len(data), model.classifier.out.out_features), dtype=np.float32)
    model.train()
    try:
        with torch.no_grad():
            for batch in iterate(data, batch_size):
                logits = model(batch.to(device)).logits
                out[batch.index.numpy()] = logits.float().cpu().numpy()
    finally:
        model.eval()
    return out
