from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import torch
from conftest import tiny_params

from kdre.config import TeacherConfig
from kdre.data.encode import collate, encode
from kdre.data.schema import read_split
from kdre.knowledge.graph import PatternTable, build_graph
from kdre.models.files import load_model, save_model
from kdre.models.inference import predict_logits
from kdre.models.losses import tsd_loss
from kdre.models.teacher import Gamma, Teacher
from kdre.training.recipe import prepare, run_baseline
from kdre.training.teachers import run_teacher


def test_tsd_loss_hand_computed():
    probs = torch.tensor([[0.5, 0.3, 0.1, 0.1], [0.7, 0.1, 0.1, 0.1]])
    logits = probs.log()  # softmax(log p) = p
    # (0.5 - (0.3 + 0.1) / 2 + 0.7 - (0.1 + 0.1) / 2) / 2 = (0.3 + 0.6) / 2
    assert tsd_loss(logits, k=3).item() == pytest.approx(0.45, abs=1e-6)
    assert tsd_loss(logits, k=2).item() == pytest.approx(((0.5 - 0.3) + (0.7 - 0.1)) / 2, abs=1e-6)


def test_gamma_vector_receives_gradient():
    gamma = Gamma("vector", n_labels=4, na_id=0, scalar=0.8)
    g = torch.tensor([[0.2, 0.5, 0.5, 0.0]])
    (gamma(torch.tensor([1])) * g).sum().backward()
    assert gamma.gamma_v.grad is not None
    assert torch.allclose(gamma.gamma_v.grad, g[0])


def test_gamma_relation_indexes_by_gold_label_and_keeps_na_row_zero():
    gamma = Gamma("relation", n_labels=4, na_id=0)
    labels = torch.tensor([2, 0, 3])
    rows = gamma(labels)
    assert torch.equal(rows[0], gamma.Gamma.weight[2]) and torch.equal(
        rows[2], gamma.Gamma.weight[3]
    )
    assert torch.count_nonzero(rows[1]) == 0
    rows.sum().backward()
    assert torch.count_nonzero(gamma.Gamma.weight.grad[0]) == 0


def test_gamma_scalar_is_not_trained():
    gamma = Gamma("scalar", n_labels=4, na_id=0, scalar=0.8)
    assert list(gamma.parameters()) == []
    assert gamma(torch.tensor([1])).item() == pytest.approx(0.8)


def _teacher(params, prep, gamma="vector"):
    v = prep.vocab
    return Teacher(
        params.model,
        params.teacher,
        gamma,
        0.8,
        len(v.words),
        len(v.pos),
        len(v.ner),
        len(v.labels),
        v.na_id,
    )


def test_save_load_round_trip_gives_identical_logits(tiny_parsed, tmp_path):
    params = tiny_params()
    prep = prepare(params, tiny_parsed)
    table = PatternTable(
        build_graph(read_split(tiny_parsed / "train.parquet"), "Other"),
        prep.vocab.labels,
        "Other",
        0.2,
    )
    dev = prep.splits["dev"]
    dev.patterns = table.lookup(dev.subj_types, dev.obj_types)
    torch.manual_seed(0)
    model = _teacher(params, prep)
    with torch.no_grad():
        model.gamma.gamma_v.uniform_(-1, 1)
    before = predict_logits(model, dev, 16, torch.device("cpu"))
    extra = {
        "teacher": {
            "config": dataclasses.asdict(params.teacher),
            "gamma": "vector",
            "gamma_scalar": 0.8,
            "pattern_table": table.to_dict(),
        }
    }
    save_model(tmp_path / "t.pt", model, prep.vocab, params.model, "semeval", extra)
    loaded, vocab, payload = load_model(tmp_path / "t.pt")
    after = predict_logits(loaded, dev, 16, torch.device("cpu"))
    for key in ("final", "local", "global"):
        assert np.array_equal(before[key], after[key])
    assert vocab.words == prep.vocab.words and payload["kind"] == "teacher"


def test_type_constraints_off_means_no_global_term(tiny_parsed):
    params = tiny_params(teacher=TeacherConfig(type_constraints=False))
    prep = prepare(params, tiny_parsed)
    dev = prep.splits["dev"]
    dev.patterns = np.ones((len(dev), len(prep.vocab.labels)), np.float32)
    out = predict_logits(_teacher(params, prep), dev, 16, torch.device("cpu"))
    assert np.count_nonzero(out["global"]) == 0
    assert np.array_equal(out["final"], out["local"])


def test_word_dropout_only_replaces_real_words():
    df = pd.DataFrame(
        [
            {
                "id": "1",
                "tokens": ["a", "b", "c", "d"],
                "whitespace": [True] * 3 + [False],
                "pos": ["DT"] * 4,
                "ner": ["O"] * 4,
                "head": [2, 0, 2, 2],
                "deprel": ["x"] * 4,
                "subj_start": 0,
                "subj_end": 0,
                "obj_start": 2,
                "obj_end": 2,
                "subj_type": "O",
                "obj_type": "O",
                "relation": "Other",
            }
        ]
    )
    from kdre.data.vocab import build_vocab

    vocab = build_vocab(df, ["Other"], "Other")
    data = encode(df, vocab, prune_k=1)
    batch = collate(data, np.array([0]), word_dropout=0.999, rng=np.random.default_rng(0))
    assert batch.words.tolist() == [[1, 1, 1, 1]]  # all replaced by UNK, none by PAD
    clean = collate(data, np.array([0]))
    assert 1 not in clean.words.tolist()[0]


def test_entity_masking_switch(tiny_parsed):
    from kdre.data.vocab import build_vocab, obj_mask, subj_mask

    train = read_split(tiny_parsed / "train.parquet")
    row = train.iloc[0].to_dict()
    masked = build_vocab(train, ["Other"], "Other")
    plain = build_vocab(train, ["Other"], "Other", entity_masking=False)
    subj_word = row["tokens"][row["subj_start"]]
    assert subj_mask(row["subj_type"]) in masked.words and obj_mask(row["obj_type"]) in masked.words
    assert not any(w.startswith(("SUBJ-", "OBJ-")) for w in plain.words)
    ids = plain.masked_word_ids(row)
    assert ids == plain.word_ids(row["tokens"]) and ids[row["subj_start"]] != 1
    assert plain.words[ids[row["subj_start"]]] == subj_word
    masked_ids = masked.masked_word_ids(row)
    assert masked.words[masked_ids[row["subj_start"]]] == subj_mask(row["subj_type"])


def test_same_seed_same_metrics(tiny_parsed, tmp_path):
    params = tiny_params()
    first, hist1 = run_baseline(params, tiny_parsed, tmp_path / "a.pt", progress=False)
    second, hist2 = run_baseline(params, tiny_parsed, tmp_path / "b.pt", progress=False)
    drop = ("train_seconds", "train_sentences_per_s", "wall_seconds")
    assert {k: v for k, v in first.items() if k not in drop} == {
        k: v for k, v in second.items() if k not in drop
    }
    assert [h["train_loss"] for h in hist1] == [h["train_loss"] for h in hist2]
    _, hist3 = run_baseline(
        dataclasses.replace(params, seed=2), tiny_parsed, tmp_path / "c.pt", progress=False
    )
    assert hist3[0]["train_loss"] != hist1[0]["train_loss"]


def test_teacher_relation_writes_leaky_keys_and_soft_labels(tiny_parsed, tmp_path):
    from stages.graph import graph as graph_stage  # noqa: F401  (stage module imports cleanly)

    params = tiny_params(gamma="relation")
    params = dataclasses.replace(params, teacher=dataclasses.replace(params.teacher, base="auto"))
    run_baseline(params, tiny_parsed, tmp_path / "base.pt", progress=False)
    g = build_graph(read_split(tiny_parsed / "train.parquet"), "Other")
    g.to_parquet(tmp_path / "graph.parquet")
    metrics, history = run_teacher(
        params,
        tiny_parsed,
        tmp_path / "graph.parquet",
        tmp_path / "base.pt",
        tmp_path / "t.pt",
        tmp_path / "soft.parquet",
        progress=False,
    )
    assert "dev_leaky" in metrics and "test_leaky" in metrics and "dev" not in metrics
    assert metrics["base_frozen"] is True
    soft = pq.read_table(tmp_path / "soft.parquet")
    assert soft.column_names == ["id", "relation", "final", "local", "global"]
    assert soft.num_rows == 40
    labels = soft.schema.metadata[b"labels"].decode().split("\t")
    assert len(soft.column("final")[0]) == len(labels) == 19
    frame = soft.to_pandas()
    # Γ[NA] = 0: the global logits of gold-Other examples are exactly zero.
    others = frame[frame.relation == "Other"]
    assert len(others) and all(np.count_nonzero(g) == 0 for g in others["global"])
    assert len(history) == params.train.epochs
