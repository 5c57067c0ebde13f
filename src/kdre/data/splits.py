"""Held-out dev split: stratified by label and seeded, so every run sees the same 500 examples."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np


def stratified_holdout(labels: Sequence[str], size: int, seed: int) -> list[int]:
    """Indices of ``size`` examples whose label mix matches the whole (largest remainder)."""
    if not 0 < size < len(labels):
        raise ValueError(f"dev size must lie in 1..{len(labels) - 1}, got {size}")
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_label[label].append(i)
    names = sorted(by_label)
    exact = np.array([size * len(by_label[n]) / len(labels) for n in names])
    quota = np.floor(exact).astype(int)
    # Ties in the remainders are broken by label name (stable sort), never by chance.
    order = np.argsort(-(exact - quota), kind="stable")
    quota[order[: size - quota.sum()]] += 1
    rng = np.random.default_rng(seed)
    chosen: list[int] = []
    for name, k in zip(names, quota, strict=True):
        chosen.extend(rng.choice(by_label[name], size=int(k), replace=False).tolist())
    return sorted(chosen)


def stratified_folds(labels: Sequence[str], k: int, seed: int) -> np.ndarray:
    """A fold id in 0..k−1 per example: each label's examples shuffled (seeded) and dealt
    round-robin, so every fold has the label mix of the whole (sizes differ by at most one per
    label). For cross-fitting: a model trained without fold i labels fold i."""
    if not 2 <= k <= len(labels):
        raise ValueError(f"folds must lie in 2..{len(labels)}, got {k}")
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_label[label].append(i)
    rng = np.random.default_rng(seed)
    folds = np.empty(len(labels), dtype=np.int64)
    start = 0  # each label starts dealing where the last one stopped: balanced fold sizes
    for name in sorted(by_label):
        members = rng.permutation(by_label[name])
        folds[members] = (start + np.arange(len(members))) % k
        start = (start + len(members)) % k
    return folds
