from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PERL_SCORER, SCORER_DIR, TEST

from kdre.data.datasets import semeval, tacred
from kdre.errors import InputError
from kdre.evaluation import scoring

REPO = Path(__file__).resolve().parent.parent

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


@pytest.mark.semeval
@pytest.mark.parametrize("seed", [0, 1])
def test_python_equals_perl_on_generated_predictions(tmp_path, key_lines, seed):
    key = _write(tmp_path / "key.txt", key_lines)
    for name, pairs in _variants(key_lines, seed).items():
        pred = _write(tmp_path / f"{name}.txt", pairs)
        assert python_official(pred, key) == perl_official(pred, key), name


@pytest.mark.semeval
def test_python_equals_perl_on_a_small_key_missing_relations(tmp_path, key_lines):
    rng = random.Random(3)
    small = [pair for pair in key_lines if not pair[1].startswith(("Cause", "Message"))][:150]
    key = _write(tmp_path / "key.txt", small)
    pred = _write(tmp_path / "pred.txt", [(i, rng.choice(semeval.LABELS)) for i, _ in small])
    assert python_official(pred, key) == perl_official(pred, key)


@pytest.mark.semeval
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_python_equals_perl_on_organisers_examples(n):
    """Prediction files written by the task organisers, not by us."""
    pred, key = SCORER_DIR / f"proposed_answer{n}.txt", SCORER_DIR / f"answer_key{n}.txt"
    expected = _OFFICIAL.search((SCORER_DIR / f"result_scores{n}.txt").read_text()).group(1)
    assert python_official(pred, key) == perl_official(pred, key) == expected


@pytest.mark.semeval
def test_release_file_works_as_key(tmp_path, key_lines):
    pred = _write(tmp_path / "pred.txt", key_lines)
    assert python_official(pred, TEST) == "100.00"


@pytest.mark.semeval
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


@pytest.mark.semeval
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


# -- every figure the Perl scorer prints (Comparable issue) -------------------------------------

_BLOCKS = {
    "directed_19way": "<<< (2*9+1)-WAY EVALUATION (USING DIRECTIONALITY)>>>",
    "undirected": "<<< (9+1)-WAY EVALUATION IGNORING DIRECTIONALITY >>>",
    "official": "<<< (9+1)-WAY EVALUATION TAKING DIRECTIONALITY INTO ACCOUNT -- OFFICIAL >>>",
}
_PCT = r"([0-9.]+)%"


def perl_figures(pred: Path, key: Path) -> dict[str, dict]:
    """The Perl scorer's printed figures per evaluation, as 2-decimal strings."""
    out = subprocess.run(
        ["perl", str(PERL_SCORER), str(pred), str(key)], capture_output=True, text=True, check=True
    ).stdout
    figures = {}
    names = list(_BLOCKS)
    for i, name in enumerate(names):
        start = out.index(_BLOCKS[name])
        end = out.index(_BLOCKS[names[i + 1]]) if i + 1 < len(names) else len(out)
        block = out[start:end]
        rel = re.findall(
            r"^\s*(\S+) :\s+P = .*?= +" + _PCT + r"\s+R = .*?= +" + _PCT + r"\s+F1 = +" + _PCT,
            block,
            re.M,
        )
        micro = re.search(
            r"Micro-averaged.*\n.*?= +" + _PCT + r".*?= +" + _PCT + r".*?= +" + _PCT, block
        )
        macro = re.search(
            r"MACRO-averaged.*\nP = +" + _PCT + r"\s+R = +" + _PCT + r"\s+F1 = +" + _PCT, block
        )
        acc = re.findall(r"= +" + _PCT + r"\n", block[: block.index("Results for")])
        figures[name] = {
            "per_relation": {r[0]: r[1:] for r in rel if r[0] != "_Other"},
            "micro": micro.groups(),
            "macro": macro.groups(),
            "coverage_and_accuracies": tuple(acc),
        }
    return figures


def python_figures(pred: Path, key: Path) -> dict[str, dict]:
    answers = scoring.read_answer_file(pred, semeval.LABELS)
    gold = scoring.read_semeval_key(key)
    out = {}
    for name in _BLOCKS:
        ev = scoring.perl_evaluation(answers, gold, name)
        two = lambda *xs: tuple(f"{x:0.2f}" for x in xs)  # noqa: E731
        out[name] = {
            "per_relation": {
                r: two(s.precision, s.recall, s.f1) for r, s in ev.per_relation.items()
            },
            "micro": two(ev.micro.precision, ev.micro.recall, ev.micro.f1),
            "macro": two(ev.macro.precision, ev.macro.recall, ev.macro.f1),
            "coverage_and_accuracies": two(
                ev.coverage, ev.accuracy, ev.accuracy_skipped_wrong, ev.accuracy_skipped_other
            ),
        }
    return out


@pytest.mark.semeval
@pytest.mark.parametrize("seed", [0, 1])
def test_every_perl_figure_on_generated_predictions(tmp_path, key_lines, seed):
    key = _write(tmp_path / "key.txt", key_lines)
    for name, pairs in _variants(key_lines, seed).items():
        pred = _write(tmp_path / f"{name}.txt", pairs)
        assert python_figures(pred, key) == perl_figures(pred, key), name


@pytest.mark.semeval
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_every_perl_figure_on_organisers_examples(n):
    pred, key = SCORER_DIR / f"proposed_answer{n}.txt", SCORER_DIR / f"answer_key{n}.txt"
    assert python_figures(pred, key) == perl_figures(pred, key)


@pytest.mark.semeval
def test_every_perl_figure_on_a_small_key_missing_relations(tmp_path, key_lines):
    rng = random.Random(4)
    small = [pair for pair in key_lines if not pair[1].startswith(("Cause", "Message"))][:150]
    key = _write(tmp_path / "key.txt", small)
    pred = _write(tmp_path / "pred.txt", [(i, rng.choice(semeval.LABELS)) for i, _ in small])
    assert python_figures(pred, key) == perl_figures(pred, key)


def test_lineage_figure_on_hand_computed_cases():
    """AGGCN's definition: directions merged, P averaged over relations predicted at least once,
    R over relations in the key, F1 of the two averages; Other out; counts + 1e-4."""
    key = {
        "1": "Cause-Effect(e1,e2)",
        "2": "Cause-Effect(e2,e1)",
        "3": "Message-Topic(e1,e2)",
        "4": "Other",
        "5": "Other",
    }
    pred = {
        "1": "Cause-Effect(e2,e1)",  # right once directions are merged
        "2": "Cause-Effect(e2,e1)",
        "3": "Other",
        "4": "Entity-Origin(e1,e2)",  # a relation predicted, never in the key: P 0 counts
    }  # id 5 unanswered = Other
    eps = scoring.LINEAGE_EPSILON
    p = (2 / (2 + eps) + 0 / (1 + eps)) / 2  # Cause-Effect, Entity-Origin
    r = (2 / (2 + eps) + 0 / (1 + eps)) / 2  # Cause-Effect, Message-Topic
    got = scoring.lineage_score(pred, key)
    assert got.precision == pytest.approx(100 * p) and got.recall == pytest.approx(100 * r)
    assert got.f1 == pytest.approx(100 * 2 * p * r / (p + r))
    # F1 of the averages, not the average of per-relation F1 (here they differ)
    pred2 = {"1": "Cause-Effect(e1,e2)", "2": "Cause-Effect(e1,e2)", "3": "Cause-Effect(e1,e2)"}
    got2 = scoring.lineage_score(pred2, key)
    p2, r2 = 2 / (3 + eps), (2 / (2 + eps) + 0) / 2
    assert got2.f1 == pytest.approx(100 * 2 * p2 * r2 / (p2 + r2))
    assert scoring.lineage_score({}, key).f1 == 0.0


@pytest.mark.semeval
def test_score_cli_prints_and_keys_every_figure(tmp_path, key_lines):
    import json

    key = _write(tmp_path / "key.txt", key_lines)
    pred = _write(tmp_path / "pred.txt", _variants(key_lines, 0)["noise_20"])
    done = subprocess.run(
        [sys.executable, "-m", "stages.cli", "score", "semeval", str(pred), str(key), "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(done.stdout)
    assert {"precision", "recall", "f1", "per_relation", "coverage", "total"} <= set(data)
    assert {"official", "directed_19way", "undirected", "lineage"} <= set(data)
    assert f"{data['official']['macro']['f1']:0.2f}" == perl_official(pred, key)
    assert data["f1"] == data["official"]["macro"]["f1"]
    text = subprocess.run(
        [sys.executable, "-m", "stages.cli", "score", "semeval", str(pred), str(key)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for heading in ("(2*9+1)-way", "ignoring directionality", "official", "lineage"):
        assert heading in text
    assert text.strip().splitlines()[-1].startswith("<<< The official score is")
    # a 10-way (undirected) file: the undirected and lineage figures, the official left out
    ten = _write(tmp_path / "ten.txt", [(i, lab.split("(")[0]) for i, lab in key_lines])
    data = json.loads(
        subprocess.run(
            [sys.executable, "-m", "stages.cli", "score", "semeval", str(ten), str(key), "--json"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert data["undirected"]["macro"]["f1"] == pytest.approx(100.0)
    assert data["lineage"]["f1"] == pytest.approx(100.0, abs=0.01)
    assert "no direction" in data["official"]["unavailable"]


@pytest.mark.semeval
def test_evaluate_metrics_name_every_protocol(key_lines):
    from kdre.evaluation.predictions import Predictions, flat_metrics

    ids = [i for i, _ in key_lines]
    gold = [lab for _, lab in key_lines]
    pred = [lab for _, lab in _variants(key_lines, 1)["noise_20"]]
    score = scoring.semeval_score(
        dict(zip(ids, pred, strict=True)), dict(zip(ids, gold, strict=True))
    )
    flat = flat_metrics(Predictions("student", ids, gold, pred, score, False, "semeval"))
    assert flat["student.test.f1"] == flat["student.test.official.macro_f1"]
    for name in ("directed_19way", "undirected", "official"):
        assert {
            f"student.test.{name}.{a}_{p}"
            for a in ("micro", "macro")
            for p in ("precision", "recall", "f1")
        } <= set(flat)
    assert flat["student.test.undirected.macro_f1"] > flat["student.test.official.macro_f1"]
    assert "student.test.lineage.f1" in flat
    tacred = Predictions("s", ids, gold, pred, score, False, "tacred")
    assert not any(".lineage." in k for k in flat_metrics(tacred))
