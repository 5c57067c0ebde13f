from __future__ import annotations

import gzip

import numpy as np
import pytest

from kdre.embeddings import load_vectors
from kdre.errors import InputError
from kdre.vocab import Vocab


def vocab(words):
    return Vocab(
        words=["<PAD>", "<UNK>", *words], pos=[], ner=[], labels=["Other"], na_label="Other"
    )


def test_glove_text_file_with_coverage(tmp_path):
    path = tmp_path / "vec.txt"
    path.write_text("the 1 2 3\ncat 4 5 6\nDog 7 8 9\n")
    table, coverage = load_vectors(path, vocab(["the", "Cat", "Dog", "zebra"]), dim=3, seed=0)
    assert coverage == pytest.approx(3 / 4)
    assert table[2].tolist() == [1, 2, 3]
    assert table[3].tolist() == [4, 5, 6]  # "Cat" found lower-cased
    assert table[4].tolist() == [7, 8, 9]
    assert np.all(np.abs(table[5].numpy()) <= 1) and table[0].abs().sum() == 0


def test_word2vec_header_and_gzip(tmp_path):
    path = tmp_path / "vec.txt.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("2 3\nthe 1 2 3\ncat 4 5 6\n")
    _, coverage = load_vectors(path, vocab(["the", "cat"]), dim=3, seed=0)
    assert coverage == 1.0


def test_dimension_mismatch_names_line(tmp_path):
    path = tmp_path / "vec.txt"
    path.write_text("the 1 2 3\ncat 4 5\n")
    with pytest.raises(
        InputError, match=r"vec.txt:2: vector of dimension 2, but model.emb_dim is 3"
    ):
        load_vectors(path, vocab(["the"]), dim=3, seed=0)
