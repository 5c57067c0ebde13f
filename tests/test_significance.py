from __future__ import annotations

import random

import numpy as np
import pytest

from kdre.data.datasets import semeval, tacred
from kdre.evaluation import scoring
from kdre.evaluation.significance import FastScorer, paired_bootstrap


def random_preds(gold, labels, rate, seed):
    rng = random.Random(seed)
    return [rng.choice(labels) if rng.random() < rate else g for g in gold]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fast_semeval_score_equals_official(seed):
    rng = random.Random(seed)
    gold = [rng.choice(semeval.LABELS) for _ in range(300)]
    pred = random_preds(gold, semeval.LABELS, 0.5, seed)
    ids = [str(i) for i in range(300)]
    scorer = FastScorer(semeval.SPEC, gold)
    arrays = scorer.arrays(pred)
    subset = np.array(sorted(rng.sample(range(300), 120)))
    for idx in (np.arange(300), subset):
        official = scoring.semeval_score(
            {ids[i]: pred[i] for i in idx}, {ids[i]: gold[i] for i in idx}
        )
        assert scorer.score(*arrays, idx) == pytest.approx(official.f1, abs=1e-9)


def test_fast_tacred_score_equals_official():
    rng = random.Random(3)
    labels = list(tacred.LABELS[:6])
    gold = [rng.choice(labels + ["no_relation"] * 6) for _ in range(400)]
    pred = random_preds(gold, labels, 0.4, 3)
    scorer = FastScorer(tacred.SPEC, gold)
    official = scoring.tacred_score(dict(enumerate(pred)), dict(enumerate(gold)))
    assert scorer.score(*scorer.arrays(pred), np.arange(400)) == pytest.approx(official.f1)


def test_bootstrap_extremes():
    rng = random.Random(0)
    gold = [rng.choice(semeval.LABELS) for _ in range(200)]
    same = paired_bootstrap(semeval.SPEC, gold, gold, gold, samples=200)
    assert same["delta_f1"] == 0.0 and same["p_value"] == 1.0
    others = ["Other"] * len(gold)
    clear = paired_bootstrap(semeval.SPEC, gold, gold, others, samples=200)
    assert clear["delta_f1"] == pytest.approx(100.0) and clear["p_value"] == 0.0
    noisy = random_preds(gold, semeval.LABELS, 0.3, 1)
    result = paired_bootstrap(semeval.SPEC, gold, noisy, gold, samples=200)
    assert result["p_value"] == 1.0 and result["ci95_high"] <= 0
