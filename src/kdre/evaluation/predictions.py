"""Score trained model files on a parsed split with the official scorer, and compare them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from kdre.config import reads_gold_label
from kdre.data.datasets.base import DatasetSpec
from kdre.data.encode import encode
from kdre.errors import InputError
from kdre.evaluation import scoring
from kdre.evaluation.significance import paired_bootstrap
from kdre.features.pieces import attach_model_pieces
from kdre.features.vectors import attach_contextual
from kdre.models.files import load_model, pattern_table_of
from kdre.models.heads import FINAL
from kdre.models.inference import predict_logits


@dataclass
class Predictions:
    name: str
    ids: list[str]
    gold: list[str]
    pred: list[str]
    score: scoring.Score
    leaky: bool  # the model saw the gold label (Teacher-R): never a result
    spec_scorer: str  # the dataset's scorer (DatasetSpec.scorer): which figures exist
    na_label: str = "Other"
    dataset: str = "semeval"


def predict_file(
    name: str,
    model_path: Path | str,
    split: pd.DataFrame,
    spec: DatasetSpec,
    source: str,
    contextual_path: Path | str | None = None,
) -> Predictions:
    """Load a model file, predict a parsed split, score it with the dataset's official metric.

    A model trained with contextual vectors reads the split's cache at ``contextual_path``."""
    model, vocab, payload = load_model(model_path)
    if payload["dataset"] != spec.name or vocab.labels != list(spec.labels):
        raise InputError(
            f"model was trained on {payload['dataset']} data with other labels, not this "
            f"{spec.name} data",
            model_path,
        )
    data = encode(split, vocab, payload["model_config"]["prune_k"], source)
    attach_model_pieces(model, payload, data, split)  # a transformer's word pieces; else none
    if payload["model_config"].get("ctx_dim"):
        if contextual_path is None:
            raise InputError("this model needs contextual vectors", model_path)
        attach_contextual(data, contextual_path)
    leaky = False
    table = pattern_table_of(payload)
    if table is not None:
        data.patterns = table.lookup(data.subj_types, data.obj_types)
        teacher = payload["teacher"]
        leaky = reads_gold_label(teacher["gamma"], teacher["config"]["type_constraints"])
    logits = predict_logits(model, data, 100, torch.device("cpu"))[FINAL]
    pred = [vocab.labels[i] for i in logits.argmax(-1)]
    gold = [vocab.labels[i] for i in data.labels]
    score = scoring.score_with(
        spec, dict(zip(data.ids, pred, strict=True)), dict(zip(data.ids, gold, strict=True))
    )
    return Predictions(
        name, data.ids, gold, pred, score, leaky, spec.scorer, spec.na_label, spec.name
    )


def flat_metrics(result: Predictions, split: str = "test") -> dict[str, float]:
    """``<model>.<split>.f1`` style keys, the same for every model, for `dvc metrics diff`."""
    key = f"{result.name}.{split}_leaky" if result.leaky else f"{result.name}.{split}"
    out = {
        f"{key}.f1": round(result.score.f1, 4),
        f"{key}.precision": round(result.score.precision, 4),
        f"{key}.recall": round(result.score.recall, 4),
    }
    for rel, s in result.score.per_relation.items():
        out[f"{key}.f1_per_relation.{rel}"] = round(s.f1, 4)
    out.update(other_figures(result, key))
    return out


def other_figures(result: Predictions, key: str) -> dict[str, float]:
    """On SemEval (and a semeval-format corpus: KBP37), every other figure of the Perl scorer
    and the lineage's, each named by its protocol (``<model>.test.undirected.macro_f1``,
    ``….lineage.f1``…) so that `dvc metrics diff` shows them beside the official one; on a
    semeval-format corpus also TACRED-style micro-F1 (``….micro_tacred.f1``), the other figure
    such corpora are quoted with; nothing on TACRED, whose scorer has one figure."""
    if result.spec_scorer not in ("semeval", "semeval_lineage"):
        return {}
    pred = dict(zip(result.ids, result.pred, strict=True))
    gold = dict(zip(result.ids, result.gold, strict=True))
    out: dict[str, float] = {}
    if result.dataset != "semeval":
        micro = scoring.tacred_score(pred, gold, result.name, result.na_label)
        out[f"{key}.micro_tacred.f1"] = round(micro.f1, 4)
    for name, figure in scoring.semeval_figures(pred, gold, result.na_label).items():
        if "unavailable" in figure:
            continue
        if name == "lineage":
            for part in ("precision", "recall", "f1"):
                out[f"{key}.lineage.{part}"] = round(figure[part], 4)
            continue
        for avg in ("micro", "macro"):
            for part in ("precision", "recall", "f1"):
                out[f"{key}.{name}.{avg}_{part}"] = round(figure[avg][part], 4)
    return out


def per_relation_f1(results: dict[str, Predictions]) -> pd.DataFrame:
    """F1 per relation (rows) and model (columns, "(leaky)" marked), over the relations any
    model's score lists: a model that never predicts nor meets a relation scores 0 there
    (on TACRED a model may never predict per:religion, and the keys differ between models)."""
    relations = sorted({rel for r in results.values() for rel in r.score.per_relation})
    return pd.DataFrame(
        {
            name + (" (leaky)" if r.leaky else ""): [
                r.score.per_relation[x].f1 if x in r.score.per_relation else 0.0 for x in relations
            ]
            for name, r in results.items()
        },
        index=relations,
    )


def confusion(result: Predictions, labels: list[str]) -> np.ndarray:
    index = {lab: i for i, lab in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for g, p in zip(result.gold, result.pred, strict=True):
        matrix[index[g], index[p]] += 1
    return matrix


def against_baseline(
    results: dict[str, Predictions], spec: DatasetSpec, samples: int, seed: int
) -> dict[str, float]:
    """Paired bootstrap of the student, and of a teacher whose scores do not leak, against the
    baseline on the same test examples: ``<model>_vs_baseline.<statistic>``."""
    comparisons = [("student", "baseline")]
    if not results["teacher"].leaky:
        comparisons.append(("teacher", "baseline"))
    out: dict[str, float] = {}
    for a, b in comparisons:
        test_result = paired_bootstrap(
            spec, results[b].gold, results[a].pred, results[b].pred, samples, seed
        )
        out.update({f"{a}_vs_{b}.{k}": round(float(v), 4) for k, v in test_result.items()})
    return out
