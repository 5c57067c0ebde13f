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


def test_seed_bootstrap_counts_the_spread_between_seeds():
    """A gain that every seed shows is significant; one that a single lucky seed makes is not,
    though a per-seed bootstrap of that seed would call it certain."""
    from kdre.evaluation.significance import seed_bootstrap

    rng = random.Random(5)
    gold = [rng.choice(semeval.LABELS) for _ in range(400)]
    base = {s: random_preds(gold, semeval.LABELS, 0.5, s) for s in range(1, 6)}
    better = {s: random_preds(gold, semeval.LABELS, 0.3, 10 + s) for s in range(1, 6)}
    steady = seed_bootstrap(semeval.SPEC, gold, better, base, samples=300)
    assert steady["seeds"] == 5 and steady["delta_f1"] > 10 and steady["p_value"] == 0.0
    lucky = dict(base)
    lucky[1] = better[1]
    others = {s: random_preds(gold, semeval.LABELS, 0.5, 20 + s) for s in range(1, 6)}
    mixed = seed_bootstrap(semeval.SPEC, gold, lucky, others, samples=300)
    alone = paired_bootstrap(semeval.SPEC, gold, lucky[1], others[1], samples=300)
    assert alone["p_value"] == 0.0 and mixed["p_value"] > 0.05
    with pytest.raises(ValueError, match="at least two seeds"):
        seed_bootstrap(semeval.SPEC, gold, {1: gold}, {1: gold, 2: gold})
