"""Model files are untrusted input: loading one never runs code, and a file that is not a kdre
model is one line naming it, never a traceback."""

from __future__ import annotations

import os

import pytest
import torch
from conftest import tiny_params
from test_predict import MARKED, run_predict

from kdre.errors import InputError
from kdre.models.files import load_model


class _Payload:
    """Unpickling this calls os.system: the classic crafted-.pt attack."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_payload_is_refused_without_running(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pt"
    torch.save({"format": "kdre-model", "format_version": 1, "x": _Payload(str(marker))}, path)
    with pytest.raises(InputError, match="refused: the file holds objects other than tensors"):
        load_model(path)
    assert not marker.exists()


@pytest.fixture(scope="module")
def model_file(tiny_parsed, tmp_path_factory):
    from kdre.training.recipe import run_baseline

    path = tmp_path_factory.mktemp("model") / "b.pt"
    run_baseline(tiny_params(), tiny_parsed, path, False)
    return path


def test_a_real_model_file_loads_safely(model_file):
    model, vocab, payload = load_model(model_file)
    assert payload["kind"] == "baseline" and vocab.words[:2] == ["<PAD>", "<UNK>"]


@pytest.mark.parametrize("kind", ["truncated", "text", "random", "parquet", "folder", "empty"])
def test_not_a_model_file_is_one_line(kind, model_file, tiny_parsed, tmp_path):
    path = tmp_path / "m.pt"
    if kind == "truncated":
        path.write_bytes(model_file.read_bytes()[:5000])
    elif kind == "text":
        path.write_text("seed: 1\ntrain:\n  epochs: 2\n")
    elif kind == "random":
        path.write_bytes(os.urandom(4096))
    elif kind == "parquet":
        path = tiny_parsed / "dev.parquet"
    elif kind == "folder":
        path = tmp_path
    else:
        path.write_bytes(b"")
    with pytest.raises(InputError, match="not a kdre model file|not a file") as err:
        load_model(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_predict_with_a_bad_model_file_exits_1_with_one_line(tmp_path):
    path = tmp_path / "m.pt"
    path.write_bytes(os.urandom(100))
    done = run_predict(str(path), stdin=MARKED + "\n")
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "not a kdre model file" in done.stderr


def _edited(model_file, tmp_path, edit):
    payload = torch.load(model_file, weights_only=True)
    edit(payload)
    path = tmp_path / "edited.pt"
    torch.save(payload, path)
    return path


def _cut_labels(p):
    p["vocab"]["labels"] = p["vocab"]["labels"][:3]


def _wrong_shape(p):
    first = next(iter(p["state_dict"]))
    p["state_dict"][first] = torch.zeros(2, 2)


def _missing_key(p):
    del p["state_dict"][next(iter(p["state_dict"]))]


@pytest.mark.parametrize(
    "edit",
    [
        lambda p: p.pop("vocab"),
        lambda p: p.update(vocab="words"),
        _wrong_shape,
        _missing_key,
        _cut_labels,
    ],
    ids=["no-vocab", "vocab-a-string", "wrong-shape", "missing-key", "labels-cut-short"],
)
def test_a_kdre_payload_whose_parts_do_not_fit_is_one_line(model_file, tmp_path, edit):
    """Issue Hardening, item 4: in the API and in `kdre predict` (the spaCy component loads
    through the same function)."""
    path = _edited(model_file, tmp_path, edit)
    with pytest.raises(InputError, match="edited.pt"):
        load_model(path)
    result = run_predict(str(path), stdin=MARKED + "\n")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "edited.pt" in result.stderr


def test_a_model_file_records_its_run(model_file):
    """Run identity from recorded facts: the resolved configuration, the setup version and
    the code's commit travel with the weights."""
    from dataclasses import asdict

    from kdre import SETUP_VERSION
    from kdre.provenance import select
    from kdre.training.recipe import BaselineRecipe

    _, _, payload = load_model(model_file)
    full = asdict(tiny_params())
    assert payload["config"] == select(full, BaselineRecipe.reads)
    assert payload["config"]["train"] == full["train"] and "student" not in payload["config"]
    assert payload["config"]["parse"] == {k: full["parse"][k] for k in ("spacy_model", "reparse")}
    assert payload["setup_version"] == SETUP_VERSION
    assert payload["code"] is None or len(payload["code"].split("+")[0]) == 40


def test_a_model_file_of_an_older_config_still_loads(model_file, tmp_path):
    """A key this kdre no longer knows is dropped with a warning; a key it added since takes
    its default. Either way the model loads and predicts as before."""

    def older(payload):
        payload["model_config"]["a_key_removed_since"] = 3
        del payload["model_config"]["min_freq"]

    path = _edited(model_file, tmp_path, older)
    with pytest.warns(UserWarning, match="ignored model.a_key_removed_since"):
        model, _, _ = load_model(path)
    reference, _, _ = load_model(model_file)
    for (name, a), (_, b) in zip(
        model.state_dict().items(), reference.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), name


def test_a_c_gcn_file_does_not_change_with_a_param_its_stage_does_not_read(
    model_file, tiny_parsed, tmp_path
):
    """The same C-GCN trained under another student schedule is the same file, byte for byte,
    so DVC sees the teacher's input unchanged; a param the baseline stage reads changes it."""
    import dataclasses
    import hashlib

    from kdre.training.recipe import run_baseline

    def md5(path) -> str:
        return hashlib.md5(path.read_bytes()).hexdigest()

    base = tiny_params()
    other = dataclasses.replace(base, student=dataclasses.replace(base.student, epochs=7))
    # the same file name: torch.save names the archive's records after the file
    (tmp_path / "same").mkdir()
    same = tmp_path / "same" / model_file.name
    run_baseline(other, tiny_parsed, same, False)
    assert md5(same) == md5(model_file)
    (tmp_path / "seed").mkdir()
    reseeded = tmp_path / "seed" / model_file.name
    run_baseline(dataclasses.replace(base, seed=base.seed + 1), tiny_parsed, reseeded, False)
    assert md5(reseeded) != md5(model_file)
