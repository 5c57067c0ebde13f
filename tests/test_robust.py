"""Bad input everywhere: one line, exit 1, no partial or emptied output; valid input never
refused (issue Robust)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kdre.errors import InputError
from kdre.evaluation import Predictions, per_relation_f1
from kdre.scoring import tacred_score
from stages.common import outputs_together, write_text


def test_outputs_appear_together_or_not_at_all(tmp_path):
    old = tmp_path / "metrics.json"
    old.write_text("previous")
    with pytest.raises(RuntimeError), outputs_together() as stage:
        write_text(stage(old), "new")
        write_text(stage(tmp_path / "pred" / "a.txt"), "x")
        raise RuntimeError("a plot failed")
    assert old.read_text() == "previous"
    assert not (tmp_path / "pred" / "a.txt").exists()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["metrics.json"]
    with outputs_together() as stage:
        write_text(stage(old), "new")
        write_text(stage(tmp_path / "pred" / "a.txt"), "x")
    assert old.read_text() == "new" and (tmp_path / "pred" / "a.txt").read_text() == "x"


def test_per_relation_table_when_models_predict_different_relations():
    """TACRED: a model that never predicts per:religion has no such key (was a KeyError)."""
    gold = ["per:religion", "org:founded", "no_relation"]

    def result(name: str, pred: list[str]) -> Predictions:
        ids = [str(i) for i in range(len(gold))]
        score = tacred_score(dict(zip(ids, pred, strict=True)), dict(zip(ids, gold, strict=True)))
        return Predictions(name, ids, gold, pred, score, False)

    results = {
        "baseline": result("baseline", ["no_relation", "org:founded", "no_relation"]),
        "student": result("student", ["per:religion", "per:title", "no_relation"]),
    }
    table = per_relation_f1(results)
    assert list(table.columns) == ["baseline", "student"]
    assert set(table.index) >= {"per:religion", "org:founded"}
    assert table.loc["org:founded", "baseline"] == pytest.approx(100.0)


def _params(tmp_path, text: str = "") -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(text)
    return path


def test_graph_writes_nothing_when_dev_or_test_is_bad(tiny_parsed, tmp_path):
    from stages.graph import graph

    parsed = tmp_path / "parsed"
    parsed.mkdir()
    for split in ("train", "dev"):
        (parsed / f"{split}.parquet").write_bytes((tiny_parsed / f"{split}.parquet").read_bytes())
    (parsed / "test.parquet").write_text("not parquet")
    out = tmp_path / "graph" / "graph.parquet"
    with pytest.raises(InputError):
        graph(_params(tmp_path), parsed, out, tmp_path / "g.json", tmp_path / "g.png")
    assert not out.exists() and not (tmp_path / "g.json").exists()


def test_graph_refuses_parsed_data_of_another_dataset(tiny_parsed, tmp_path):
    from stages.graph import graph

    out = tmp_path / "graph.parquet"
    with pytest.raises(InputError, match="not a tacred label.*rerun the parse stage"):
        graph(
            _params(tmp_path, "dataset:\n  name: tacred\n"),
            tiny_parsed,
            out,
            tmp_path / "g.json",
            tmp_path / "g.png",
        )
    assert not out.exists()
