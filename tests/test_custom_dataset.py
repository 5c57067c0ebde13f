"""`dataset.name: custom`: any TACRED-format corpus with its own labels, through the whole
pipeline (DVC), `kdre predict` and `kdre score tacred --custom`."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import REPO
from test_cli import BIN

from kdre.config import DatasetConfig, ParseConfig
from kdre.data import corpus
from kdre.errors import InputError

NAMES = ["Ann", "Bob", "Cid", "Dee", "Eve", "Fay", "Gus", "Hal"]
PLACES = ["Oslo", "Lima", "Rome", "Kyiv", "Nice", "Bonn"]
FIRMS = ["Acme", "Initech", "Globex", "Umbrella", "Hooli"]
TEMPLATES = {
    "works_for": ("{s} works for {o} .", "PERSON", "ORG"),
    "lives_in": ("{s} lives in {o} .", "PERSON", "CITY"),
    "none": ("{s} met {o} .", "PERSON", "PERSON"),
}


def record(rid: str, relation: str, rng: random.Random) -> dict:
    text, subj_type, obj_type = TEMPLATES[relation]
    pool = {"ORG": FIRMS, "CITY": PLACES, "PERSON": NAMES}[obj_type]
    tokens = text.format(s=rng.choice(NAMES), o=rng.choice(pool)).split()
    n = len(tokens)
    obj = n - 2
    return {
        "id": rid,
        "relation": relation,
        "token": tokens,
        "subj_start": 0,
        "subj_end": 0,
        "obj_start": obj,
        "obj_end": obj,
        "subj_type": subj_type,
        "obj_type": obj_type,
        "stanford_pos": ["NNP", "VBZ", *["IN"] * (n - 4), "NNP", "."],
        "stanford_ner": [subj_type, "O", *["O"] * (n - 4), obj_type, "O"],
        "stanford_head": ["2", "0", *[str(obj + 1)] * (n - 4), "2", "2"],
        "stanford_deprel": ["nsubj", "ROOT", *["case"] * (n - 4), "obl", "punct"],
    }


def write_corpus(root, sizes=(24, 9, 9), extra: dict | None = None):
    rng = random.Random(0)
    root.mkdir(parents=True, exist_ok=True)
    for split, size in zip(("train", "dev", "test"), sizes, strict=True):
        recs = [record(f"{split}{i}", list(TEMPLATES)[i % 3], rng) for i in range(size)]
        recs += (extra or {}).get(split, [])
        (root / f"{split}.json").write_text(json.dumps(recs))
    return root


def test_labels_come_from_train_na_first(tmp_path):
    root = write_corpus(tmp_path / "c")
    cfg = DatasetConfig(name="custom", custom_dir=str(root), na_label="none")
    tables = corpus.parse_dataset(cfg, ParseConfig(), 1, False)
    from kdre.data.datasets.base import spec_from_metadata

    spec = spec_from_metadata(tables["train"].schema.metadata)
    assert spec.labels == ("none", "lives_in", "works_for") and spec.scorer == "tacred"


def test_a_dev_label_that_train_lacks_is_named(tmp_path):
    odd = record("dev99", "works_for", random.Random(1)) | {"relation": "founded"}
    root = write_corpus(tmp_path / "c", extra={"dev": [odd]})
    cfg = DatasetConfig(name="custom", custom_dir=str(root), na_label="none")
    with pytest.raises(InputError, match=r"dev.json \(record dev99\): relation 'founded' does not"):
        corpus.parse_dataset(cfg, ParseConfig(), 1, False)


@pytest.mark.semeval
def test_the_whole_pipeline_runs_on_a_custom_corpus(tmp_path):
    work = tmp_path / "repo"
    work.mkdir()
    for name in ("dvc.yaml", "params.yaml", "pyproject.toml"):
        shutil.copy(REPO / name, work / name)
    for name in ("src", "stages"):
        shutil.copytree(REPO / name, work / name, ignore=shutil.ignore_patterns("__pycache__"))
    write_corpus(work / "data/raw/custom")
    params = yaml.safe_load((work / "params.yaml").read_text())
    params["dataset"].update(name="custom", na_label="none")
    params["types"]["source"] = "ner"  # the corpus's given types
    params["model"].update(emb_dim=60, pos_dim=4, ner_dim=4, rnn_hidden=8, hidden_dim=8)
    params["train"].update(epochs=2, batch_size=8, threads=1, device="cpu")
    params["evaluate"]["bootstrap_samples"] = 100
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    # dvc.yaml's parse stage reads data/raw (SemEval here): a custom corpus lives under it too.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}

    def run(*cmd: str, stdin: str | None = None) -> str:
        done = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, input=stdin)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    run("git", "init", "-q")
    run("dvc", "init", "-q")
    run("dvc", "repro")
    evaluation = json.loads((work / "metrics/evaluate.json").read_text())
    assert 0.0 <= evaluation["student.test.f1"] <= 100.0
    graph = json.loads((work / "metrics/graph.json").read_text())
    assert graph["patterns"] == 2  # PERSON|ORG and PERSON|CITY; "none" is NA
    item = record("q1", "lives_in", random.Random(5))
    out = json.loads(run("kdre", "predict", "models/student.pt", stdin=json.dumps(item) + "\n"))
    assert out["relation"] in {"none", "lives_in", "works_for"}
    text = run(
        "kdre",
        "score",
        "tacred",
        "--custom",
        "--na-label",
        "none",
        "--json",
        "predictions/student_test.txt",
        "data/raw/custom/test.json",
    )
    assert json.loads(text)["f1"] == pytest.approx(evaluation["student.test.f1"], abs=0.01)


@pytest.mark.parametrize("na_label", ["no_relation", "Other"])
def test_an_na_label_the_data_lacks_is_refused_naming_the_datas_labels(tmp_path, na_label):
    """The corpus's NA label is `none`: a configured one that matches nothing would train the
    real NA class as a relation (issue Hardening, item 3)."""
    root = write_corpus(tmp_path / "c")
    cfg = DatasetConfig(name="custom", custom_dir=str(root), na_label=na_label)
    with pytest.raises(InputError) as err:
        corpus.parse_dataset(cfg, ParseConfig(), 1, False)
    message = str(err.value)
    assert f"dataset.na_label is {na_label!r}" in message and "train.json" in message
    assert "'lives_in', 'none', 'works_for'" in message


@pytest.mark.parametrize("na_label", ["NOPE", ""])
def test_scoring_with_an_na_label_that_matches_nothing_is_refused(tmp_path, na_label):
    key = tmp_path / "key.txt"
    key.write_text("1\tnone\n2\tlives_in\n")
    pred = tmp_path / "pred.txt"
    pred.write_text("1\tnone\n2\tworks_for\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "stages.cli",
            "score",
            "tacred",
            "--custom",
            "--na-label",
            na_label,
            str(pred),
            str(key),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"the NA label {na_label!r} occurs in neither" in result.stderr
    assert "'lives_in', 'none'" in result.stderr
