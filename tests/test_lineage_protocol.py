"""Comparable: the C-GCN/AGGCN line's SemEval protocol (10 undirected labels, lineage metric)."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import SEMEVAL_DIR, tiny_params

from kdre.data.datasets import semeval
from kdre.data.datasets.base import spec_from_metadata
from kdre.data.schema import read_split
from kdre.evaluation import scoring


@pytest.fixture(scope="module")
def tiny_undirected(tmp_path_factory):
    from kdre.config import DatasetConfig, ParseConfig
    from kdre.data import corpus, schema

    out = tmp_path_factory.mktemp("parsed10")
    cfg = DatasetConfig(semeval_dir=str(SEMEVAL_DIR), dev_size=500, semeval_directions=False)
    schema.write_splits(corpus.parse_dataset(cfg, ParseConfig(limit=40), 1, False), out)
    return out


@pytest.mark.semeval
def test_ten_labels_and_the_same_dev_split(tiny_undirected, tiny_parsed):
    spec = spec_from_metadata(pq.read_schema(tiny_undirected / "train.parquet").metadata)
    assert spec == semeval.SPEC_UNDIRECTED and len(spec.labels) == 10
    for split in ("train", "dev", "test"):
        ten = read_split(tiny_undirected / f"{split}.parquet")
        nineteen = read_split(tiny_parsed / f"{split}.parquet")
        assert list(ten["id"]) == list(nineteen["id"])  # same held-out 500 (and order)
        assert list(ten["relation"]) == [semeval.undirected(x) for x in nineteen["relation"]]


@pytest.mark.semeval
def test_a_ten_way_model_is_selected_and_scored_by_the_lineage_metric(tiny_undirected, tmp_path):
    import json

    from kdre.training.recipe import run_baseline

    metrics, history = run_baseline(tiny_params(), tiny_undirected, tmp_path / "b.pt", False)
    assert 0.0 <= metrics["test"]["f1"] <= 100.0 and len(history) == 2
    from kdre.models.files import load_model

    _, vocab, _ = load_model(tmp_path / "b.pt")
    assert vocab.labels == list(semeval.UNDIRECTED_LABELS)
    from kdre.data.datasets import dataset_spec
    from kdre.evaluation.predictions import flat_metrics, predict_file

    spec = dataset_spec("semeval", tiny_undirected)
    test = read_split(tiny_undirected / "test.parquet")
    result = predict_file("baseline", tmp_path / "b.pt", test, spec, "test")
    gold = dict(zip(result.ids, result.gold, strict=True))
    pred = dict(zip(result.ids, result.pred, strict=True))
    assert result.score.f1 == pytest.approx(scoring.lineage_score(pred, gold).f1)
    flat = flat_metrics(result)
    assert flat["baseline.test.f1"] == flat["baseline.test.lineage.f1"]
    assert "baseline.test.undirected.macro_f1" in flat
    assert not any(".official." in k or ".directed_19way." in k for k in flat)
    json.dumps(flat)


def test_the_bootstrap_scores_the_lineage_figure():
    from kdre.evaluation.significance import FastScorer

    rng = np.random.default_rng(0)
    labels = list(semeval.UNDIRECTED_LABELS)
    gold = [labels[i] for i in rng.integers(0, 10, 300)]
    pred = [g if rng.random() < 0.6 else labels[rng.integers(0, 10)] for g in gold]
    fast = FastScorer(semeval.SPEC_UNDIRECTED, gold)
    ids = [str(i) for i in range(300)]
    exact = scoring.lineage_score(
        dict(zip(ids, pred, strict=True)), dict(zip(ids, gold, strict=True))
    )
    assert fast.score(*fast.arrays(pred), np.arange(300)) == pytest.approx(exact.f1)


def test_the_switch_is_semeval_only(tmp_path):
    from kdre.config import load_params
    from kdre.errors import InputError

    (tmp_path / "p.yaml").write_text("dataset:\n  name: tacred\n  semeval_directions: false\n")
    with pytest.raises(InputError, match="semeval_directions is a SemEval switch"):
        load_params(tmp_path / "p.yaml")
