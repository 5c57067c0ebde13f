from __future__ import annotations

from collections import Counter

import pytest

from kdre.data.splits import stratified_holdout

LABELS = ["a"] * 600 + ["b"] * 300 + ["c"] * 99 + ["d"]


def test_size_and_label_mix():
    idx = stratified_holdout(LABELS, 100, seed=1)
    assert len(idx) == len(set(idx)) == 100
    counts = Counter(LABELS[i] for i in idx)
    assert counts["a"] == 60 and counts["b"] == 30 and counts["c"] + counts["d"] == 10


def test_seeded():
    assert stratified_holdout(LABELS, 100, 1) == stratified_holdout(LABELS, 100, 1)
    assert stratified_holdout(LABELS, 100, 1) != stratified_holdout(LABELS, 100, 2)


def test_bad_size():
    with pytest.raises(ValueError):
        stratified_holdout(LABELS, len(LABELS), 1)
