"""`dataset.name: semeval-format`: any corpus in SemEval's record format (KBP37's shape) —
labels from train, stray whitespace stripped, ids unique per split, its own dev split,
records with or without `Comment:`, pre-tokenised text with spaced markers — and its scoring."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kdre.config import DatasetConfig, ParseConfig
from kdre.data.corpus import parse_dataset
from kdre.data.datasets import dataset_spec
from kdre.data.datasets.semeval import read_semeval
from kdre.errors import InputError
from kdre.evaluation import scoring

# Our own sentences, in KBP37's layout: ids from 0 in every file, spaced markers, no Comment
# line, two blank lines between records, one label with a trailing space.
TRAIN = [
    (
        "<e1> Ada Lovelace </e1> worked for <e2> the Analytical Society </e2> in London .",
        "per:employee_of(e1,e2)",
    ),
    (
        "<e1> Acme Corp </e1> is based in <e2> Springfield </e2> , its home since 1990 .",
        "org:city_of_headquarters(e1,e2) ",
    ),
    (
        "<e1> Springfield </e1> is the home of <e2> Acme Corp </e2> and a few others .",
        "org:city_of_headquarters(e2,e1)",
    ),
    ("<e1> Grace Hopper </e1> met <e2> Alan Turing </e2> once , they say .", "no_relation"),
    ("<e1> Paris </e1> and <e2> Rome </e2> are both old cities .", "no_relation"),
]
DEV = [("<e1> Bob Smith </e1> works at <e2> Initech </e2> .", "per:employee_of(e1,e2)")]
TEST = [
    (
        "<e1> Initech </e1> moved to <e2> Austin </e2> last year .",
        "org:city_of_headquarters(e1,e2)",
    ),
    ("<e1> Jane Roe </e1> visited <e2> Paris </e2> .", "no_relation"),
]


def write(path, records, comment=False):
    lines = []
    for i, (sentence, label) in enumerate(records):
        lines += [f'{i}\t" {sentence} "', label]
        lines += ["Comment:"] if comment else []
        lines += ["", ""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path):
    write(tmp_path / "train.txt", TRAIN)
    write(tmp_path / "dev.txt", DEV, comment=True)  # with Comment lines: both forms read
    write(tmp_path / "test.txt", TEST)
    return tmp_path


def test_the_lenient_reader_takes_kbp37s_layout(folder):
    examples = read_semeval(folder / "train.txt", labels=None, strict=False)
    assert [ex.id for ex in examples] == ["0", "1", "2", "3", "4"]
    assert examples[1].relation == "org:city_of_headquarters(e1,e2)"  # stripped
    ex = examples[0]
    assert ex.text[ex.subj[0] : ex.subj[1]] == "Ada Lovelace"
    assert ex.text[ex.obj[0] : ex.obj[1]] == "the Analytical Society"
    with pytest.raises(InputError, match="Comment"):  # the release's strict reader refuses it
        read_semeval(folder / "train.txt", labels=None)


def test_a_semeval_format_corpus_parses_with_its_own_labels_and_dev(folder, tmp_path):
    from kdre.data import schema

    data = DatasetConfig(name="semeval-format", format_dir=str(folder))
    tables = parse_dataset(data, ParseConfig(), seed=1, progress=False)
    assert {k: t.num_rows for k, t in tables.items()} == {"train": 5, "dev": 1, "test": 2}
    assert tables["train"]["id"].to_pylist() == [f"train-{i}" for i in range(5)]
    assert tables["test"]["id"].to_pylist() == ["test-0", "test-1"]
    out = tmp_path / "parsed"
    schema.write_splits(tables, out)
    spec = dataset_spec("semeval-format", out)
    assert spec.labels[0] == "no_relation" and spec.scorer == "semeval"
    assert set(spec.labels) == {label.strip() for _, label in TRAIN}
    assert spec.swapped("per:employee_of(e1,e2)") is None  # (e2,e1) never seen in train
    assert spec.swapped("org:city_of_headquarters(e1,e2)") == "org:city_of_headquarters(e2,e1)"
    row = tables["train"].slice(0, 1).to_pylist()[0]
    assert row["tokens"][row["subj_start"] : row["subj_end"] + 1] == ["Ada", "Lovelace"]


def test_a_label_train_lacks_and_a_missing_split_are_one_line(folder):
    write(folder / "test.txt", [("<e1> A </e1> and <e2> B </e2> .", "org:founded(e1,e2)")])
    data = DatasetConfig(name="semeval-format", format_dir=str(folder))
    with pytest.raises(InputError, match="'org:founded\\(e1,e2\\)' does not occur in train"):
        parse_dataset(data, ParseConfig(), seed=1, progress=False)
    (folder / "test.txt").unlink()
    with pytest.raises(InputError, match="no test.txt"):
        parse_dataset(data, ParseConfig(), seed=1, progress=False)


def test_without_dev_txt_dev_is_held_out_of_train(folder):
    (folder / "dev.txt").unlink()
    data = DatasetConfig(name="semeval-format", format_dir=str(folder), dev_size=1)
    tables = parse_dataset(data, ParseConfig(), seed=1, progress=False)
    assert tables["train"].num_rows == 4 and tables["dev"].num_rows == 1
    assert tables["dev"]["id"].to_pylist()[0].startswith("dev-")


def test_without_dev_txt_the_label_set_is_all_of_train_txts(folder, tmp_path):
    """dev_size 4 of 5 holds out every relation seen once: they stay in the label set (dev
    holds them), for every seed, and the report's raw gold reader names the same set."""
    from kdre.data import schema
    from kdre.data.corpus import test_gold_labels

    (folder / "dev.txt").unlink()
    data = DatasetConfig(name="semeval-format", format_dir=str(folder), dev_size=4)
    tables = parse_dataset(data, ParseConfig(), seed=1, progress=False)
    assert set(tables["train"]["relation"].to_pylist()) == {"no_relation"}
    out = tmp_path / "parsed"
    schema.write_splits(tables, out)
    parsed = dataset_spec("semeval-format", out)
    assert set(parsed.labels) == {label.strip() for _, label in TRAIN}
    assert test_gold_labels(data)[0].labels == parsed.labels


def test_official_macro_f1_on_any_directed_label_set_with_its_na_label():
    key = {
        "a": "per:employee_of(e1,e2)",
        "b": "per:employee_of(e1,e2)",
        "c": "org:city_of_headquarters(e2,e1)",
        "d": "no_relation",
    }
    pred = {
        "a": "per:employee_of(e1,e2)",  # right
        "b": "per:employee_of(e2,e1)",  # wrong direction: counts against employee_of's P
        "c": "org:city_of_headquarters(e2,e1)",  # right
        "d": "org:city_of_headquarters(e1,e2)",  # a false positive
    }
    score = scoring.semeval_score(pred, key, na_label="no_relation")
    emp, city = (
        score.per_relation["per:employee_of"],
        score.per_relation["org:city_of_headquarters"],
    )
    assert (emp.precision, emp.recall) == (50.0, 50.0)
    assert city.precision == 50.0 and city.recall == 100.0
    assert score.f1 == pytest.approx((50.0 + 2 * 50 * 100 / 150) / 2)
    assert "no_relation" not in score.per_relation


def score(pred, key) -> subprocess.CompletedProcess:
    """`kdre score semeval-format PRED KEY`, as a user runs it."""
    command = [sys.executable, "-m", "stages.cli", "score", "semeval-format", str(pred), str(key)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_kdre_score_semeval_format_reads_the_corpus_file_as_key(folder, tmp_path):
    pred = tmp_path / "pred.txt"
    pred.write_text("test-0\torg:city_of_headquarters(e1,e2)\ntest-1\tno_relation\n")
    result = score(pred, folder / "test.txt")
    assert result.returncode == 0, result.stderr
    assert "macro-averaged F1 (SemEval official definition" in result.stdout
    assert "= 100.00%" in result.stdout and "micro-averaged F1 (TACRED-style" in result.stdout
    pred.write_text("test-9\tno_relation\n")
    bad = score(pred, folder / "test.txt")
    assert bad.returncode == 1 and "test-9" in bad.stderr and len(bad.stderr.splitlines()) == 1


def test_a_record_with_an_empty_entity_is_left_out_and_counted(folder):
    from kdre.data import schema

    write(
        folder / "test.txt",
        [
            *TEST,
            (
                "Kent is an <e1> </e1> station in <e2> Cork </e2> .",
                "org:city_of_headquarters(e1,e2)",
            ),
        ],
    )
    with pytest.raises(InputError, match="empty entity e1"):
        read_semeval(folder / "test.txt", labels=None, strict=False)
    data = DatasetConfig(name="semeval-format", format_dir=str(folder))
    tables = parse_dataset(data, ParseConfig(), seed=1, progress=False)
    assert tables["test"].num_rows == 2 and schema.skipped_records(tables["test"]) == 1
    assert schema.skipped_records(tables["train"]) == 0
    key = scoring.read_format_key(folder / "test.txt")  # the key keeps it: unanswered, a miss
    assert sorted(key) == ["test-0", "test-1", "test-2"]


def test_the_reports_gold_labels_are_read_raw_under_the_parse_stages_ids(folder):
    """`kdre report` tests archived predictions against the raw test split (no spaCy, whatever
    the workspace parsed last): its ids and labels must be the parse stage's."""
    from kdre.data.corpus import test_gold_labels

    data = DatasetConfig(name="semeval-format", format_dir=str(folder))
    spec, gold = test_gold_labels(data)
    tables = parse_dataset(data, ParseConfig(), seed=1, progress=False)
    test = tables["test"]
    parsed = dict(zip(test["id"].to_pylist(), test["relation"].to_pylist(), strict=True))
    assert gold == parsed == {"test-0": TEST[0][1], "test-1": "no_relation"}
    assert spec.scorer == "semeval" and set(spec.labels) == {label.strip() for _, label in TRAIN}
    (folder / "test.txt").unlink()
    with pytest.raises(InputError, match="test.txt"):
        test_gold_labels(data)


def test_the_reports_gold_labels_of_the_semeval_release_follow_its_protocol(tmp_path):
    from conftest import write_records

    from kdre.data.corpus import test_gold_labels
    from kdre.data.datasets import semeval

    (tmp_path / semeval.TEST_FILE).parent.mkdir(parents=True)
    write_records(
        tmp_path / semeval.TEST_FILE,
        [('8001\t"The <e1>fire</e1> caused <e2>smoke</e2>."', "Cause-Effect(e1,e2)")],
    )
    data = DatasetConfig(name="semeval", semeval_dir=str(tmp_path))
    spec, gold = test_gold_labels(data)
    assert gold == {"8001": "Cause-Effect(e1,e2)"} and spec is semeval.SPEC
    lineage = DatasetConfig(name="semeval", semeval_dir=str(tmp_path), semeval_directions=False)
    spec, gold = test_gold_labels(lineage)
    assert gold == {"8001": "Cause-Effect"} and spec is semeval.SPEC_UNDIRECTED
