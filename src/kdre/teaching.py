"""The teacher stage's recipe: h_tea = F(h_base) + γ ⊙ G(p) trained, then the soft labels of
every training example written for the student."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import torch
from torch import nn

from kdre.checkpoint import load_model
from kdre.config import Params
from kdre.data import Encoded, iterate
from kdre.entity_types import TYPER_FILE
from kdre.errors import InputError
from kdre.graph import PatternTable
from kdre.models.baseline import Baseline
from kdre.models.teacher import Teacher
from kdre.runs import ModelRecipe, Prepared, run_recipe
from kdre.training import Optimization, predict_logits, reference_sgd, resolve_device
from kdre.vocab import Vocab


class TeacherRecipe(ModelRecipe):
    """A C-GCN teacher: its base from scratch, or the trained baseline frozen or fine-tuned
    (``teacher.base``), plus γ ⊙ G(p) over the pattern table of the graph stage.

    A frozen base gives the same F(h_base) at every epoch, so its logits are computed once per
    split (eval mode) and the teacher trains γ over them: a few seconds instead of a C-GCN's
    training time. (The reference instead runs the frozen encoder every epoch in train mode,
    its dropout active; see docs/model-notes.md.)"""

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
        self.leaky = params.gamma == "relation" and params.teacher.type_constraints
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
        for data in prep.splits.values():
            data.patterns = self.table.lookup(data.subj_types, data.obj_types)
        if self.base is not None and self.base_mode == "frozen":
            device = resolve_device(params.train.device)
            self.base.to(device)
            batch_size = params.train.batch_size * 2
            for data in prep.splits.values():
                data.base_logits = predict_logits(self.base, data, batch_size, device)["final"]
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
        write_soft_labels(self.soft_labels_path, train, prep.vocab, logits)
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
    if params.teacher.encoder == "transformer":
        from kdre.transformer_teaching import TransformerTeacherRecipe  # builds on this module

        recipe: TeacherRecipe = TransformerTeacherRecipe(parsed_dir, graph_path, soft_labels_path)
    else:
        recipe = TeacherRecipe(graph_path, baseline_path, soft_labels_path)
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


def write_soft_labels(
    path: Path | str, data: Encoded, vocab: Vocab, logits: dict[str, np.ndarray]
) -> None:
    """Final, local and global logits per training example, keyed by id; label order in metadata."""
    path = Path(path)
    for key, values in logits.items():
        if not np.isfinite(values).all():
            raise InputError(f"the teacher's {key} logits are not finite: no soft labels written")
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = {
        "id": pa.array(data.ids, pa.string()),
        "relation": pa.array([vocab.labels[y] for y in data.labels], pa.string()),
    }
    for key in ("final", "local", "global"):
        if key in logits:
            columns[key] = pa.array(list(logits[key]), pa.list_(pa.float32()))
    table = pa.table(columns).replace_schema_metadata(
        {"labels": "\t".join(vocab.labels), "vocab_size": str(len(vocab.words))}
    )
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        pq.write_table(table, tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
