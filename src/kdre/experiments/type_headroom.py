"""How much the entity types add to a teacher's base when fused without the gold label.

Whatever a student learns from the types arrives through its teacher, and a teacher's type term
can add to its base only what G(p) knows that the base does not. This measures one way of
adding it, on data the base did not train on and with nothing trained: the base's logits
(``local``, the C-GCN a frozen-base teacher fuses with γ ⊙ G(p)) plus β·log(G(p) + ε), the
product of the base's distribution with the soft rules raised to β, with β and ε chosen on dev
over a small grid (β = 0, the base alone, among them) and scored on test. No gold label is read,
so unlike Teacher-R's these scores are results; the dev figure is optimistic (chosen over the
grid), test is not. Teacher-V (γ_v trained on train) is the paper's trained counterpart; neither
is an upper bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from kdre.data.datasets import dataset_spec
from kdre.data.datasets.base import DatasetSpec
from kdre.data.encode import encode
from kdre.data.schema import read_split
from kdre.errors import InputError
from kdre.evaluation import scoring
from kdre.features.pieces import attach_model_pieces
from kdre.models.files import load_model, pattern_table_of
from kdre.models.heads import LOCAL
from kdre.models.inference import predict_logits

BETAS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5)
EPSILONS = (1e-3, 1e-2, 0.05, 0.2)


@dataclass(frozen=True)
class Split:
    """A split as the teacher sees it: its base's logits, G(p) of each example, ids, gold."""

    local: np.ndarray  # (N, labels)
    rules: np.ndarray  # (N, labels) G(p)
    ids: list[str]
    gold: list[str]


def teacher_splits(
    model_path: Path, typed: Path, splits: tuple[str, ...] = ("dev", "test")
) -> tuple[dict[str, Split], DatasetSpec]:
    """The base logits and G(p) of ``splits`` of the types stage's output ``typed``, from a
    teacher model file (which carries its G(p) table and its base); and the dataset spec."""
    model, vocab, payload = load_model(model_path)
    table = pattern_table_of(payload)
    if table is None:
        raise InputError("not a teacher model file (no G(p) table)", model_path)
    spec = dataset_spec(payload["dataset"], typed)
    if vocab.labels != list(spec.labels):
        raise InputError(f"the model's labels are not those of {typed}", model_path)
    if payload["model_config"].get("ctx_dim"):
        raise InputError("a model on contextual vectors is not supported here", model_path)
    out = {}
    for name in splits:
        frame = read_split(typed / f"{name}.parquet")
        data = encode(frame, vocab, payload["model_config"]["prune_k"], str(typed / name))
        attach_model_pieces(model, payload, data, frame)  # a transformer's word pieces
        data.patterns = table.lookup(data.subj_types, data.obj_types)
        logits = predict_logits(model, data, 100, torch.device("cpu"))
        gold = [vocab.labels[i] for i in data.labels]
        out[name] = Split(logits[LOCAL], np.asarray(data.patterns), list(data.ids), gold)
    return out, spec


def fused_f1(split: Split, labels: list[str], spec: DatasetSpec, beta: float, eps: float) -> float:
    """The dataset's official F1 of argmax(local + β·log(G(p) + ε))."""
    logits = split.local + beta * np.log(split.rules + eps) if beta else split.local
    pred = [labels[i] for i in logits.argmax(axis=-1)]
    score = scoring.score_with(
        spec, dict(zip(split.ids, pred, strict=True)), dict(zip(split.ids, split.gold, strict=True))
    )
    return score.f1


@dataclass(frozen=True)
class Headroom:
    base_dev: float
    base_test: float
    beta: float
    eps: float
    fused_dev: float
    fused_test: float
    grid: int  # configurations tried on dev


def headroom(splits: dict[str, Split], spec: DatasetSpec) -> Headroom:
    """β, ε chosen on dev (ties: the smaller β, then the smaller ε), then scored on test."""
    labels = list(spec.labels)
    dev, test = splits["dev"], splits["test"]
    grid = [(b, e) for b in BETAS for e in (EPSILONS if b else EPSILONS[:1])]
    scored = [(fused_f1(dev, labels, spec, b, e), -b, -e) for b, e in grid]
    best_dev, neg_beta, neg_eps = max(scored)
    beta, eps = -neg_beta, -neg_eps
    return Headroom(
        base_dev=fused_f1(dev, labels, spec, 0.0, 1.0),
        base_test=fused_f1(test, labels, spec, 0.0, 1.0),
        beta=beta,
        eps=eps,
        fused_dev=best_dev,
        fused_test=fused_f1(test, labels, spec, beta, eps),
        grid=len(grid),
    )


HEADER = "| teacher | base dev | base test | β, ε (on dev) | + types dev | + types test | Δ test |"


def markdown(rows: dict[str, Headroom]) -> str:
    lines = [HEADER, "|---|---|---|---|---|---|---|"]
    for name, h in rows.items():
        lines.append(
            f"| {name} | {h.base_dev:.2f} | {h.base_test:.2f} | {h.beta:g}, {h.eps:g} | "
            f"{h.fused_dev:.2f} | {h.fused_test:.2f} | {h.fused_test - h.base_test:+.2f} |"
        )
    return "\n".join(lines) + "\n"
