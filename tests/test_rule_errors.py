"""`kdre rule-errors`: a model's test errors judged by the teacher's G(p) — where the rules
prefer the gold label, where they prefer the error, and relation predictions they rule out."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kdre.data.datasets.base import DatasetSpec, spec_metadata
from kdre.evaluation.rule_errors import markdown, rule_table, rule_verdicts

NA = "no_relation"
LABELS = [NA, "r1", "r2"]
# pattern A|B: r1 ×3, r2 ×1 (G = .75 / .25); C|D: r2 ×2 (G(r2) = 1); NA examples are not counted
TRAIN = pd.DataFrame(
    [("t1", "A", "B", "r1"), ("t2", "A", "B", "r1"), ("t3", "A", "B", "r1")]
    + [("t4", "A", "B", "r2"), ("t5", "C", "D", "r2"), ("t6", "C", "D", "r2")]
    + [("t7", "C", "D", NA)],
    columns=["id", "subj_type", "obj_type", "relation"],
)
TEST = pd.DataFrame(
    [
        ("e1", "A", "B", "r1"),  # predicted r2: rules prefer gold (.75 > .25)
        ("e2", "C", "D", "r1"),  # predicted r2: rules prefer the error (1 > 0); G(r1) = 0
        ("e3", "X", "Y", "r1"),  # predicted r2, unseen pattern: a tie (0 = 0), r2 ruled out
        ("e4", "A", "B", "r1"),  # right
        ("e5", "C", "D", "r2"),  # predicted NA: rules prefer gold (1 > C = .2)
        ("e6", "C", "D", "r1"),  # predicted r1, right, but C|D never had r1: ruled out, right
        ("e7", "A", "B", "r2"),  # no prediction: not counted
    ],
    columns=["id", "subj_type", "obj_type", "relation"],
)
PRED = {"e1": "r2", "e2": "r2", "e3": "r2", "e4": "r1", "e5": NA, "e6": "r1"}


def test_each_error_is_judged_by_g_of_p_as_the_teacher_computes_it():
    table = rule_table(TRAIN, LABELS, NA, na_prob=0.2)
    v = rule_verdicts(table, TEST, PRED)
    assert (v.examples, v.errors) == (6, 4)
    assert (v.rules_prefer_gold, v.rules_prefer_prediction, v.rules_tie) == (2, 1, 1)
    assert (v.relation_predictions, v.ruled_out, v.ruled_out_right) == (5, 2, 1)
    assert "| x | 6 | 4 | 2 (50.0 %) | 1 (25.0 %) | 1 (25.0 %) | 5 | 2 (40.0 %) | 1 (50.0 %) |" in (
        markdown({"x": v})
    )


def test_a_higher_na_prob_turns_an_na_error_into_one_the_rules_prefer():
    table = rule_table(TRAIN, LABELS, NA, na_prob=1.0)  # G(p)[NA] = 1 ≥ G(r2 | C|D) = 1
    v = rule_verdicts(table, TEST, PRED)
    assert (v.rules_prefer_gold, v.rules_tie) == (1, 2)


def test_an_id_the_test_split_lacks_is_an_error():
    table = rule_table(TRAIN, LABELS, NA, na_prob=0.2)
    with pytest.raises(KeyError, match="not in the test split, e.g. zz"):
        rule_verdicts(table, TEST, {**PRED, "zz": "r1"})


def write_typed(folder):
    folder.mkdir()
    meta = spec_metadata(DatasetSpec("semeval-format", tuple(LABELS), NA, "semeval"))
    for name, frame in (("train", TRAIN), ("test", TEST)):
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table.replace_schema_metadata(meta), folder / f"{name}.parquet")


def run(*args):
    command = [sys.executable, "-m", "stages.cli", "rule-errors", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_the_command_prints_and_writes_the_table_and_names_a_bad_file(tmp_path):
    typed = tmp_path / "types"
    write_typed(typed)
    params = tmp_path / "params.yaml"
    params.write_text("dataset:\n  name: semeval-format\ngraph:\n  na_prob: 0.2\n")
    pred = tmp_path / "pred.txt"
    pred.write_text("".join(f"{k}\t{v}\n" for k, v in PRED.items()))
    out = tmp_path / "table.md"
    done = run(pred, "--params", params, "--typed", typed, "--out", out)
    assert done.returncode == 0, done.stderr
    assert "| 6 | 4 | 2 (50.0 %) | 1 (25.0 %) |" in done.stdout
    assert out.read_text() == done.stdout
    pred.write_text("e1\tr1\nzz\tr1\n")
    done = run(pred, "--params", params, "--typed", typed)
    assert done.returncode == 1
    assert str(pred) in done.stderr and "not in the test split, e.g. zz" in done.stderr
