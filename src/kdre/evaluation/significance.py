"""Paired bootstrap test (Koehn 2004; Berg-Kirkpatrick et al. 2012) on the official metric.

Resample the test examples with replacement; count how often system A fails to beat system B
on the resample. The metric is recomputed on every resample from per-relation counts, so 1,000+
resamples take seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from kdre.data.datasets.base import DatasetSpec
from kdre.evaluation.scoring import LINEAGE_EPSILON


class FastScorer:
    """The dataset's F1 (as ``kdre.evaluation.scoring.score_with``: SemEval's official macro-F1, the
    lineage figure for a 10-way SemEval model, TACRED's micro-F1) from index arrays, for many
    resamples."""

    def __init__(self, spec: DatasetSpec, gold: Sequence[str]) -> None:
        self.spec = spec
        if spec.scorer == "semeval":
            self.groups = sorted({label.split("(")[0] for label in spec.labels})
            self.group_of = {lab: self.groups.index(lab.split("(")[0]) for lab in spec.labels}
            self.na_group = self.groups.index(spec.na_label)
        else:
            self.groups = list(spec.labels)
            self.group_of = {lab: i for i, lab in enumerate(spec.labels)}
            self.na_group = self.groups.index(spec.na_label)
        self.gold = np.array(list(gold))
        self.gold_group = np.array([self.group_of[g] for g in gold])

    def arrays(self, pred: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        pred = np.array(list(pred))
        pred_group = np.array([self.group_of[p] for p in pred])
        correct = (pred == self.gold) & (self.gold_group != self.na_group)
        return pred_group, correct

    def score(self, pred_group: np.ndarray, correct: np.ndarray, idx: np.ndarray) -> float:
        k = len(self.groups)
        gold = np.bincount(self.gold_group[idx], minlength=k).astype(float)
        guessed = np.bincount(pred_group[idx], minlength=k).astype(float)
        right = np.bincount(self.gold_group[idx][correct[idx]], minlength=k).astype(float)
        keep = np.arange(k) != self.na_group
        if self.spec.scorer == "semeval":
            present = keep & (gold > 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                p = np.where(guessed > 0, 100.0 * right / guessed, 0.0)
                r = np.where(gold > 0, 100.0 * right / gold, 0.0)
                f1 = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
            return float(f1[present].mean()) if present.any() else 0.0
        if self.spec.scorer == "semeval_lineage":  # kdre.evaluation.scoring.lineage_score
            eps = LINEAGE_EPSILON
            predicted, present = keep & (guessed > 0), keep & (gold > 0)
            p = (
                100.0 * (right[predicted] / (guessed[predicted] + eps)).mean()
                if predicted.any()
                else 0.0
            )
            r = 100.0 * (right[present] / (gold[present] + eps)).mean() if present.any() else 0.0
            return float(2 * p * r / (p + r)) if p + r else 0.0
        c, g, n = right[keep].sum(), guessed[keep].sum(), gold[keep].sum()
        p = 100.0 * c / g if g else 100.0
        r = 100.0 * c / n if n else 0.0
        return 2 * p * r / (p + r) if p + r else 0.0


def paired_bootstrap(
    spec: DatasetSpec,
    gold: Sequence[str],
    pred_a: Sequence[str],
    pred_b: Sequence[str],
    samples: int = 1000,
    seed: int = 1,
) -> dict[str, float]:
    """One-sided p-value for "A is better than B": share of resamples where F1(A) <= F1(B)."""
    scorer = FastScorer(spec, gold)
    a, b = scorer.arrays(pred_a), scorer.arrays(pred_b)
    n = len(gold)
    full = np.arange(n)
    delta = scorer.score(*a, full) - scorer.score(*b, full)
    rng = np.random.default_rng(seed)
    not_better = 0
    deltas = np.empty(samples)
    for i in range(samples):
        idx = rng.integers(0, n, size=n)
        deltas[i] = scorer.score(*a, idx) - scorer.score(*b, idx)
        not_better += deltas[i] <= 0
    return {
        "delta_f1": delta,
        "p_value": not_better / samples,
        "ci95_low": float(np.percentile(deltas, 2.5)),
        "ci95_high": float(np.percentile(deltas, 97.5)),
        "samples": samples,
    }


def seed_bootstrap(
    spec: DatasetSpec,
    gold: Sequence[str],
    runs_a: Mapping[int, Sequence[str]],
    runs_b: Mapping[int, Sequence[str]],
    samples: int = 1000,
    seed: int = 1,
) -> dict[str, float]:
    """A seed-aware paired bootstrap of "A is better than B" over the seeds both ran.

    Each resample draws the seeds with replacement (seed s of A stays paired with seed s of B)
    and the test examples with replacement (one draw for every seed), and compares the mean F1
    over the drawn seeds: the p-value then covers the variance between training runs as well
    as the test sample's, where a per-seed bootstrap covers the test sample's alone and a few
    seeds' spread alone ignores it. One-sided p = share of resamples where mean F1(A) <= mean
    F1(B)."""
    seeds = sorted(set(runs_a) & set(runs_b))
    if len(seeds) < 2:
        raise ValueError("a seed-aware bootstrap needs at least two seeds both systems ran")
    scorer = FastScorer(spec, gold)
    a = {s: scorer.arrays(runs_a[s]) for s in seeds}
    b = {s: scorer.arrays(runs_b[s]) for s in seeds}
    n = len(gold)
    full = np.arange(n)
    per_seed = {s: scorer.score(*a[s], full) - scorer.score(*b[s], full) for s in seeds}
    delta = float(np.mean(list(per_seed.values())))
    rng = np.random.default_rng(seed)
    deltas = np.empty(samples)
    for i in range(samples):
        drawn = rng.choice(seeds, size=len(seeds), replace=True)
        idx = rng.integers(0, n, size=n)
        deltas[i] = np.mean([scorer.score(*a[s], idx) - scorer.score(*b[s], idx) for s in drawn])
    return {
        "delta_f1": delta,
        "p_value": float(np.mean(deltas <= 0)),
        "ci95_low": float(np.percentile(deltas, 2.5)),
        "ci95_high": float(np.percentile(deltas, 97.5)),
        "samples": samples,
        "seeds": len(seeds),
    }
