from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from kdre.config import load_params
from kdre.data import schema
from kdre.errors import InputError

ROW = {
    "id": "1",
    "tokens": ["a", "b", "c"],
    "whitespace": [True, True, False],
    "pos": ["DT", "NN", "."],
    "ner": ["O", "O", "O"],
    "head": [2, 0, 2],
    "deprel": ["det", "ROOT", "punct"],
    "subj_start": 0,
    "subj_end": 0,
    "obj_start": 1,
    "obj_end": 1,
    "subj_type": "O",
    "obj_type": "O",
    "relation": "Other",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pos": ["DT"]}, "pos has 1 entries for 3 tokens"),
        ({"obj_end": 3}, r"obj span \[1, 3\] outside"),
        ({"subj_start": 1, "subj_end": 0}, r"subj span \[1, 0\]"),
        ({"head": [2, 0, 0]}, "exactly one root"),
        ({"head": [2, 0, 4]}, "head index outside"),
    ],
)
def test_validate_rejects(change, message):
    with pytest.raises(InputError, match=message):
        schema.validate_table(schema.to_table([{**ROW, **change}]), "t")


def test_write_splits_is_all_or_nothing(tmp_path, monkeypatch):
    good = schema.to_table([ROW])
    real_write = pq.write_table

    def failing_write(table, where, *a, **k):
        if "test" in str(where):
            raise OSError("disk full")
        return real_write(table, where, *a, **k)

    monkeypatch.setattr(pq, "write_table", failing_write)
    with pytest.raises(OSError):
        schema.write_splits({"train": good, "dev": good, "test": good}, tmp_path)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    paths = schema.write_splits({"train": good, "dev": good, "test": good}, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "dev.parquet",
        "test.parquet",
        "train.parquet",
    ]
    assert schema.read_split(paths["train"]).id.tolist() == ["1"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("parse:\n  spacy_modle: x\n", "unknown key parse.spacy_modle"),
        ("parse:\n  batch_size: ten\n", "parse.batch_size must be int"),
        ("dataset:\n  name: conll\n", "dataset.name must be one of"),
        ("seed: [1\n", "invalid YAML"),
        ("parse:\n  limit: -1\n", "parse.limit must be >= 0"),
        ("gamma: vectr\n", r"gamma must be one of \['scalar', 'vector', 'relation'\], got 'vectr'"),
        ("teacher:\n  base: cold\n", "teacher.base must be one of"),
        ("train:\n  device: tpu\n", "train.device must be one of"),
        ("model:\n  input_dropout: 1.5\n", r"model.input_dropout must lie in \[0, 1\)"),
        ("graph:\n  na_prob: 2\n", "graph.na_prob must lie in"),
        ("embeddings:\n  source: file\n", "embeddings.path is empty"),
        ("student:\n  lambda_kd: 1.5\n", r"student.lambda_kd must lie in \[0, 1\], got 1.5"),
        ("student:\n  lambda_ht: -1\n", "student.lambda_ht must be >= 0"),
        ("student:\n  anneal_direction: up\n", "student.anneal_direction must be one of"),
        ("student:\n  maa: maybe\n", "student.maa must be bool"),
        # non-finite numbers (issue Hardening, item 2)
        ("train:\n  lr: .nan\n", "train.lr must be a finite number"),
        ("train:\n  max_grad_norm: .inf\n", "train.max_grad_norm must be a finite number"),
        ("gamma_scalar: .nan\n", "gamma_scalar must be a finite number"),
        ("teacher:\n  transformer:\n    lr: -.inf\n", "teacher.transformer.lr must be a finite"),
        # values that mean nothing, once tracebacks (issue Hardening, items 5 and 7)
        ("model:\n  ner_dim: -1\n", "model.ner_dim must be >= 0"),
        ("train:\n  pooling_l2: -1\n", "train.pooling_l2 must be >= 0"),
        ("gamma_scalar: -5\n", "gamma_scalar must be >= 0"),
        ("teacher:\n  transformer:\n    weight_decay: -1\n", "weight_decay must be >= 0"),
        ("1: a\nfoo: b\n", "unknown key 1"),
        ("train:\n  cpu_isa: [avx2]\n", "train.cpu_isa must be str"),
    ],
)
def test_params_errors(tmp_path, text, message):
    path = tmp_path / "params.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_params(path)


def test_repo_params_load():
    from conftest import REPO

    params = load_params(REPO / "params.yaml")
    assert params.dataset.name == "semeval" and params.dataset.dev_size == 500
