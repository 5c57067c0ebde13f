"""Bad input everywhere: one line, exit 1, no partial or emptied output; valid input never
refused (issue Robust)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kdre.errors import InputError
from kdre.evaluation.predictions import Predictions, per_relation_f1
from kdre.evaluation.scoring import tacred_score
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
        return Predictions(name, ids, gold, pred, score, False, "tacred")

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


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"seed: -1\n", r"seed must lie in \[0, 2\*\*32\), got -1"),
        (b"model:\n  gcn_layers: 0\n", "model.gcn_layers must be >= 1"),
        (b"train:\n  early_stop: -4\n", "train.early_stop must be >= 0, got -4"),
        (b"train:\n  max_grad_norm: -1\n", "train.max_grad_norm must be > 0, got -1"),
        (b"dataset:\n  name: custom\n  na_label: ''\n", "dataset.na_label must be a non-empty"),
        (b"seed: 1\nseed: 2\n", ":2: key 'seed' given twice"),
        (b"train:\n  epochs: 3\ntrain:\n  lr: 0.1\n", ":3: key 'train' given twice"),
        (b"seed: 1\ngamma: \xff\n", ":2: not UTF-8 text"),
        (b"seed: [1\n", "invalid YAML: "),
        (b"- 1\n- 2\n", "must be a mapping of params, not a list"),
    ],
)
def test_bad_params_are_one_line(tmp_path, content, message):
    from kdre.config import load_params

    path = tmp_path / "params.yaml"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as err:
        load_params(path)
    assert "\n" not in str(err.value)


def test_a_null_section_means_its_defaults(tmp_path):
    from kdre.config import Params, load_params

    assert load_params(_params(tmp_path, "train:\nmodel: null\n")) == Params()


def test_params_given_as_a_folder_is_one_line(tmp_path):
    from kdre.config import load_params

    with pytest.raises(InputError, match="is a folder, not a file"):
        load_params(tmp_path)


def test_cuda_without_a_gpu_is_one_line():
    import torch

    from kdre.cpu import resolve_device

    if torch.cuda.is_available():
        pytest.skip("this host has a GPU")
    with pytest.raises(InputError, match="train.device is 'cuda' but torch sees no CUDA"):
        resolve_device("cuda")


def test_score_given_a_folder_is_one_line(tmp_path):
    import subprocess
    import sys

    from conftest import REPO

    done = subprocess.run(
        [sys.executable, "-m", "stages.cli", "score", "semeval", str(tmp_path), str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 1 and "is a folder, not a file" in done.stderr
    assert done.stderr.strip().count("\n") == 0


def test_a_semeval_file_with_a_byte_order_mark_reads(tmp_path):
    from conftest import write_records

    from kdre.data.datasets.semeval import read_semeval

    path = write_records(
        tmp_path / "t.txt", [('1\t"The <e1>cat</e1> ate the <e2>rat</e2>."', "Other")]
    )
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert [ex.id for ex in read_semeval(path)] == ["1"]


def test_tsd_k_beyond_the_label_set_is_refused_before_training(tiny_parsed, tmp_path):
    import dataclasses

    from conftest import tiny_params

    from kdre.training.teachers import run_teacher

    params = tiny_params()
    params = dataclasses.replace(params, teacher=dataclasses.replace(params.teacher, tsd_k=50))
    with pytest.raises(InputError, match="teacher.tsd_k is 50, but semeval has only 19 labels"):
        run_teacher(
            params,
            tiny_parsed,
            tmp_path / "g",
            tmp_path / "b",
            tmp_path / "t.pt",
            tmp_path / "s.parquet",
            False,
        )
    assert not (tmp_path / "t.pt").exists()
