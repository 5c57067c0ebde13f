"""Never a non-finite model: non-finite params, vectors, soft labels, losses and weights are
refused with one line, and nothing of the stage is written (issue Hardening, item 2)."""

from __future__ import annotations

import math

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from conftest import tiny_params

from kdre.errors import InputError
from kdre.features.vectors import read_text_vectors
from kdre.models.files import load_model
from kdre.training.recipe import prepare, run_baseline
from kdre.training.soft_labels import attach_soft_labels


def test_a_vectors_file_with_nan_names_its_line(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text("the 0.1 0.2\naudits nan 0.3\n")
    with pytest.raises(InputError, match=r"vectors.txt:2: a vector value is not finite"):
        read_text_vectors(path, ["the", "audits"])


def test_a_diverging_loss_stops_training_and_writes_nothing(tiny_parsed, tmp_path, monkeypatch):
    from kdre.models.baseline import Baseline

    real = Baseline.loss

    def nan_loss(self, out, batch):
        loss, parts = real(self, out, batch)
        return loss * math.nan, parts

    monkeypatch.setattr(Baseline, "loss", nan_loss)
    model = tmp_path / "baseline.pt"
    with pytest.raises(InputError, match="training loss became nan at epoch 1, batch 1"):
        run_baseline(tiny_params(), tiny_parsed, model, progress=False)
    assert not model.exists()


def test_a_model_file_with_non_finite_weights_is_refused(tiny_parsed, tmp_path):
    path = tmp_path / "baseline.pt"
    run_baseline(tiny_params(), tiny_parsed, path, progress=False)
    payload = torch.load(path, weights_only=True)
    first = next(iter(payload["state_dict"]))
    payload["state_dict"][first] = payload["state_dict"][first] * math.inf
    torch.save(payload, path)
    with pytest.raises(InputError, match=f"weights are not finite \\(first: {first}\\)"):
        load_model(path)


def test_soft_labels_with_nan_are_refused(tiny_parsed, tmp_path):
    params = tiny_params()
    prep = prepare(params, tiny_parsed)
    train, vocab = prep.splits["train"], prep.vocab
    width = len(vocab.labels)
    rows = [[0.0] * width for _ in train.ids]
    rows[3][0] = float("nan")
    table = pa.table(
        {
            "id": train.ids,
            "relation": ["Other"] * len(train.ids),
            "final": rows,
            "local": rows,
            "global": rows,
        }
    ).replace_schema_metadata({"labels": "\t".join(vocab.labels), "vocab_size": "1"})
    path = tmp_path / "soft.parquet"
    pq.write_table(table, path)
    with pytest.raises(InputError, match="column 'final' holds non-finite values"):
        attach_soft_labels(path, train, vocab)


def test_a_vectors_path_that_is_a_folder_or_a_false_gzip_is_one_line(tmp_path):
    with pytest.raises(InputError, match="is a folder, not a vectors file"):
        read_text_vectors(tmp_path, ["the"])
    fake = tmp_path / "vectors.txt.gz"
    fake.write_text("the 0.1 0.2\n")
    with pytest.raises(InputError, match="cannot be read as a gzip file"):
        read_text_vectors(fake, ["the"])


def test_a_model_with_non_finite_weights_is_never_saved(tiny_parsed, tmp_path):
    from kdre.models.files import save_model

    path = tmp_path / "baseline.pt"
    run_baseline(tiny_params(), tiny_parsed, path, progress=False)
    model, vocab, payload = load_model(path)
    with torch.no_grad():
        next(model.parameters()).fill_(math.nan)
    target = tmp_path / "nan.pt"
    with pytest.raises(InputError, match="trained weights are not finite"):
        save_model(target, model, vocab, tiny_params().model, "semeval")
    assert not target.exists()
