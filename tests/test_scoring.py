from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

import pytest
from conftest import PERL_SCORER, SCORER_DIR, TEST

from kdre import scoring
from kdre.datasets import semeval, tacred
from kdre.errors import InputError

_OFFICIAL = re.compile(r"macro-averaged F1 = ([0-9.]+)% >>>")


def perl_official(pred: Path, key: Path) -> str:
    out = subprocess.run(
        ["perl", str(PERL_SCORER), str(pred), str(key)], capture_output=True, text=True, check=True
    ).stdout
    return _OFFICIAL.search(out.strip().splitlines()[-1]).group(1)


def python_official(pred: Path, key: Path) -> str:
    score = scoring.semeval_score(
        scoring.read_answer_file(pred, semeval.LABELS), scoring.read_semeval_key(key)
    )
    return f"{score.f1:0.2f}"


@pytest.fixture(scope="module")
def key_lines() -> list[tuple[str, str]]:
    return [(ex.id, ex.relation) for ex in semeval.read_semeval(TEST)]


def _flip(label: str) -> str:
    if "(e1,e2)" in label:
        return label.replace("(e1,e2)", "(e2,e1)")
    return label.replace("(e2,e1)", "(e1,e2)")


def _variants(key_lines, seed: int) -> dict[str, list[tuple[str, str]]]:
    rng = random.Random(seed)
    labels = list(semeval.LABELS)

    def noisy(rate: float):
        return [(i, rng.choice(labels) if rng.random() < rate else lab) for i, lab in key_lines]

    return {
        "perfect": list(key_lines),
        "all_other": [(i, "Other") for i, _ in key_lines],
        "flipped": [(i, _flip(lab)) for i, lab in key_lines],
        "noise_20": noisy(0.2),
        "noise_60": noisy(0.6),
        "uniform_random": [(i, rng.choice(labels)) for i, _ in key_lines],
        "half_flipped_shuffled": rng.sample(
            [(i, _flip(lab) if rng.random() < 0.5 else lab) for i, lab in key_lines], len(key_lines)
        ),
        "subset_missing_ids": [pair for pair in noisy(0.3) if rng.random() < 0.7],
    }


def _write(path: Path, pairs) -> Path:
    scoring.write_answers(dict(pairs), path)
    return path


@pytest.mark.parametrize("seed", [0, 1])
def test_python_equals_perl_on_generated_predictions(tmp_path, key_lines, seed):
    key = _write(tmp_path / "key.txt", key_lines)
    for name, pairs in _variants(key_lines, seed).items():
        pred = _write(tmp_path / f"{name}.txt", pairs)
        assert python_official(pred, key) == perl_official(pred, key), name


def test_python_equals_perl_on_a_small_key_missing_relations(tmp_path, key_lines):
    rng = random.Random(3)
    small = [pair for pair in key_lines if not pair[1].startswith(("Cause", "Message"))][:150]
    key = _write(tmp_path / "key.txt", small)
    pred = _write(tmp_path / "pred.txt", [(i, rng.choice(semeval.LABELS)) for i, _ in small])
    assert python_official(pred, key) == perl_official(pred, key)


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_python_equals_perl_on_organisers_examples(n):
    """Prediction files written by the task organisers, not by us."""
    pred, key = SCORER_DIR / f"proposed_answer{n}.txt", SCORER_DIR / f"answer_key{n}.txt"
    expected = _OFFICIAL.search((SCORER_DIR / f"result_scores{n}.txt").read_text()).group(1)
    assert python_official(pred, key) == perl_official(pred, key) == expected


def test_release_file_works_as_key(tmp_path, key_lines):
    pred = _write(tmp_path / "pred.txt", key_lines)
    assert python_official(pred, TEST) == "100.00"


def test_known_values(tmp_path, key_lines):
    key = dict(key_lines)
    assert scoring.semeval_score(key, key).f1 == pytest.approx(100.0)
    assert scoring.semeval_score({i: "Other" for i in key}, key).f1 == 0.0
    assert scoring.semeval_score({i: _flip(lab) for i, lab in key.items()}, key).f1 == 0.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"8001\tCause-Effect(e1,e2)", "does not end with a newline"),
        (b"8001\tCause-Effect\n", "unknown label"),
        (b"8001 Other\n", "expected '<id><TAB><label>'"),
        (b"8001\tOther\n8001\tOther\n", "already defined"),
    ],
)
def test_bad_prediction_files(tmp_path, content, message):
    path = tmp_path / "pred.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        scoring.read_answer_file(path, semeval.LABELS)


def test_unknown_id_is_an_error(key_lines):
    with pytest.raises(InputError, match="not in the answer key"):
        scoring.semeval_score({"1": "Other"}, dict(key_lines))


def test_tacred_micro_f1():
    na = tacred.NA_LABEL
    key = {"a": "per:age", "b": "per:title", "c": na, "d": "org:founded"}
    pred = {"a": "per:age", "b": "per:age", "c": "per:title", "d": na}
    score = scoring.tacred_score(pred, key)
    # 1 correct of 3 guessed non-NA; 1 correct of 3 gold non-NA.
    assert score.precision == pytest.approx(100 / 3)
    assert score.recall == pytest.approx(100 / 3)
    assert score.f1 == pytest.approx(100 / 3)
    assert scoring.tacred_score({k: na for k in key}, key).f1 == 0.0
    assert scoring.tacred_score(key, key).f1 == pytest.approx(100.0)


def test_tacred_answers_from_json_and_tsv(tmp_path):
    (tmp_path / "key.json").write_text(
        '[{"id": "a", "relation": "per:age"}, {"id": "b", "relation": "no_relation"}]'
    )
    (tmp_path / "pred.txt").write_text("a\tper:age\nb\tper:title\n")
    key = scoring.read_tacred_answers(tmp_path / "key.json")
    pred = scoring.read_tacred_answers(tmp_path / "pred.txt")
    assert key == {"a": "per:age", "b": "no_relation"}
    assert scoring.tacred_score(pred, key).precision == pytest.approx(50.0)
