"""Scoring never decides silently (issue Hardening, item 8), and an empty token is one line
(item 6)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REPO

from kdre.data.datasets import tacred
from kdre.errors import InputError
from kdre.evaluation import scoring


def _score(*args):
    return subprocess.run(
        [sys.executable, "-m", "stages.cli", "score", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
    )


def test_a_tacred_json_key_with_a_duplicated_record_is_refused(tmp_path):
    key = tmp_path / "key.json"
    key.write_text(
        json.dumps([{"id": "a", "relation": "no_relation"}, {"id": "a", "relation": "per:title"}])
    )
    with pytest.raises(InputError, match=r"key.json \(record a\): id is already defined"):
        scoring.read_tacred_answers(key)


def test_an_empty_prediction_file_is_scored_but_said(tmp_path):
    key = tmp_path / "key.txt"
    key.write_text("1\tOther\n2\tCause-Effect(e1,e2)\n")
    pred = tmp_path / "pred.txt"
    pred.write_text("")
    result = _score("semeval", str(pred), str(key))
    assert result.returncode == 0
    assert "holds no prediction; every id counts as unanswered" in result.stderr


def test_a_prediction_file_mixing_directed_and_undirected_labels_is_refused(tmp_path):
    key = tmp_path / "key.txt"
    key.write_text("1\tCause-Effect(e1,e2)\n2\tMessage-Topic(e2,e1)\n")
    pred = tmp_path / "pred.txt"
    pred.write_text("1\tCause-Effect(e1,e2)\n2\tMessage-Topic\n")
    result = _score("semeval", str(pred), str(key))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "mixes directed labels (Cause-Effect(e1,e2), …) and undirected ones" in result.stderr


def test_an_empty_token_is_one_line(tmp_path):
    record = {
        "id": "r1",
        "relation": "no_relation",
        "token": ["", "audits", "were", "about", "waste"],
        "subj_start": 1,
        "subj_end": 1,
        "obj_start": 4,
        "obj_end": 4,
        "subj_type": "O",
        "obj_type": "O",
        "stanford_pos": ["NN"] * 5,
        "stanford_ner": ["O"] * 5,
        "stanford_head": [2, 3, 0, 3, 4],
        "stanford_deprel": ["dep"] * 5,
    }
    path = tmp_path / "train.json"
    path.write_text(json.dumps([record]))
    with pytest.raises(InputError, match=r"train.json \(record r1\): token 0 is an empty string"):
        tacred.read_tacred(path, None)


def test_an_empty_key_is_blamed_and_json_for_semeval_is_named(tmp_path):
    key = tmp_path / "key.txt"
    key.write_text("")
    pred = tmp_path / "pred.txt"
    pred.write_text("1\tOther\n")
    result = _score("semeval", str(pred), str(key))
    assert result.returncode == 1 and f"{key}: the key holds no answers" in result.stderr
    tacred_json = tmp_path / "pred.json"
    tacred_json.write_text('[{"id": "1", "relation": "Other"}]')
    key.write_text("1\tOther\n")
    result = _score("semeval", str(tacred_json), str(key))
    assert result.returncode == 1 and "looks like JSON" in result.stderr
