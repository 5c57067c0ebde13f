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
