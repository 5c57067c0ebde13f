"""Transformer teacher: entity-marked pieces, F(h_transformer) + γ ⊙ G(p), its soft labels for
the unchanged student, and a model file that needs no model folder."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_params

from kdre.data.schema import read_split
from kdre.features.pieces import add_markers, encode_pieces, marked_words
from kdre.knowledge.graph import build_graph


def test_markers_surround_both_spans_in_sentence_order():
    tokens = ["the", "fishing", "boat", "left", "the", "harbour"]
    words = marked_words(tokens, (4, 5), (1, 2), "location", "artifact")
    assert words == [
        "the", "<e2>", "artifact", ":", "fishing", "boat", "</e2>", "left",
        "<e1>", "location", ":", "the", "harbour", "</e1>",
    ]  # fmt: skip
    assert marked_words(tokens, (0, 0), (5, 5), "O", None)[:3] == ["<e1>", "the", "</e1>"]


@pytest.fixture(scope="module")
def tokenizer():
    from kdre.features.huggingface import load

    tok, _ = load()
    add_markers(tok)
    return tok


def test_pieces_anchor_at_cls_and_the_opening_markers(tokenizer):
    row = {
        "tokens": ["Audits", "were", "about", "waste"],
        "subj_start": 0, "subj_end": 0, "obj_start": 3, "obj_end": 3,
        "subj_type": "act", "obj_type": "O",
    }  # fmt: skip
    pieces = encode_pieces(tokenizer, [row], 64, typed_markers=True)
    ids = pieces.ids[0]
    cls, e1, e2 = pieces.anchors[0]
    assert cls == 0 and ids[0] == tokenizer.cls_token_id
    assert tokenizer.convert_ids_to_tokens([int(ids[e1]), int(ids[e2])]) == ["<e1>", "<e2>"]
    assert "act" in tokenizer.convert_ids_to_tokens(ids[e1 + 1 : e1 + 3].tolist())
    short = encode_pieces(tokenizer, [row], 8, typed_markers=True)  # <e2> cut off
    assert short.truncated == 1 and short.anchors[0, 2] == len(short.ids[0]) - 1


def test_the_transformer_teacher_runs_end_to_end(tiny_parsed, tmp_path):
    from kdre.data.datasets import dataset_spec
    from kdre.evaluation.predictions import predict_file
    from kdre.models.files import load_model
    from kdre.training.recipe import prepare
    from kdre.training.soft_labels import attach_soft_labels
    from kdre.training.teachers import run_teacher

    base = tiny_params(gamma="vector")
    teacher = dataclasses.replace(
        base.teacher,
        base="auto",
        encoder="transformer",
        transformer=dataclasses.replace(
            base.teacher.transformer, epochs=1, batch_size=8, max_length=64
        ),
    )
    params = dataclasses.replace(base, teacher=teacher)
    build_graph(read_split(tiny_parsed / "train.parquet"), "Other").to_parquet(tmp_path / "g.pq")
    metrics, history = run_teacher(  # no baseline file: a transformer teacher never reads it
        params,
        tiny_parsed,
        tmp_path / "g.pq",
        tmp_path / "no-baseline.pt",
        tmp_path / "t.pt",
        tmp_path / "soft.pq",
        False,
    )
    assert len(history) == 1 and 0.0 <= metrics["test"]["f1"] <= 100.0
    soft = pd.read_parquet(tmp_path / "soft.pq")
    train = read_split(tiny_parsed / "train.parquet")
    assert list(soft["id"]) == list(train["id"])
    assert np.isfinite(np.stack(soft["final"].to_numpy())).all()
    # the model file rebuilds from itself and predicts what the stage scored
    model, vocab, payload = load_model(tmp_path / "t.pt")
    assert payload["kind"] == "transformer-teacher" and hasattr(model, "tokenizer")
    spec = dataset_spec("semeval", tiny_parsed)
    result = predict_file("teacher", tmp_path / "t.pt", read_split(tiny_parsed / "test.parquet"),
                          spec, "test")  # fmt: skip
    assert result.score.f1 == pytest.approx(metrics["test"]["f1"])
    # the unchanged student takes its soft labels
    prep = prepare(tiny_params(), tiny_parsed)
    attach_soft_labels(tmp_path / "soft.pq", prep.splits["train"], prep.vocab)
    assert prep.splits["train"].soft_labels is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("teacher:\n  encoder: bert\n", "teacher.encoder must be one of"),
        ("teacher:\n  encoder: transformer\n  base: frozen\n", "no C-GCN base"),
        ("teacher:\n  transformer:\n    epochs: 0\n", "teacher.transformer.epochs must be >= 1"),
    ],
)
def test_nonsense_is_refused_before_any_work(tmp_path, text, message):
    from kdre.config import load_params
    from kdre.errors import InputError

    (tmp_path / "p.yaml").write_text(text)
    with pytest.raises(InputError, match=message):
        load_params(tmp_path / "p.yaml")
