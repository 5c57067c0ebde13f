from __future__ import annotations

import json

import pytest

from kdre import corpus, schema
from kdre.config import DatasetConfig, ParseConfig
from kdre.errors import InputError


def record(rid: str, relation: str = "per:title", **changes) -> dict:
    rec = {
        "id": rid,
        "relation": relation,
        "token": ["Bill", "Gates", "is", "the", "founder", "of", "Microsoft", "."],
        "subj_start": 0,
        "subj_end": 1,
        "obj_start": 6,
        "obj_end": 6,
        "subj_type": "PERSON",
        "obj_type": "ORGANIZATION",
        "stanford_pos": ["NNP", "NNP", "VBZ", "DT", "NN", "IN", "NNP", "."],
        "stanford_ner": ["PERSON", "PERSON", "O", "O", "O", "O", "ORGANIZATION", "O"],
        "stanford_head": [2, 5, 5, 5, 0, 7, 5, 5],
        "stanford_deprel": ["compound", "nsubj", "cop", "det", "ROOT", "case", "nmod", "punct"],
    }
    rec.update(changes)
    return rec


def write_tacred(root, splits: dict[str, list[dict]]):
    root.mkdir(parents=True, exist_ok=True)
    for name, recs in splits.items():
        (root / f"{name}.json").write_text(json.dumps(recs, indent=1))
    return root


def good_splits():
    return {
        "train": [record("t1"), record("t2", "no_relation")],
        "dev": [record("d1", "org:founded_by")],
        "test": [record("e1")],
    }


def test_reader_keeps_stanford_annotations(tmp_path):
    root = write_tacred(tmp_path / "tacred", good_splits())
    tables = corpus.parse_tacred(
        DatasetConfig(name="tacred", tacred_dir=str(root)), ParseConfig(), False
    )
    assert [tables[s].num_rows for s in schema.SPLITS] == [2, 1, 1]
    row = tables["train"].to_pylist()[0]
    assert row["head"] == [2, 5, 5, 5, 0, 7, 5, 5]
    assert row["subj_type"] == "PERSON" and row["ner"][6] == "ORGANIZATION"


def test_reparse_replaces_annotations_with_spacy(tmp_path):
    root = write_tacred(tmp_path / "tacred", good_splits())
    tables = corpus.parse_tacred(
        DatasetConfig(name="tacred", tacred_dir=str(root)), ParseConfig(reparse=True), False
    )
    row = tables["train"].to_pylist()[0]
    assert row["deprel"] != record("x")["stanford_deprel"]  # spaCy labels differ from Stanford's
    assert row["head"].count(0) == 1
    assert row["subj_type"] == "PERSON"  # TACRED's types are kept


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"subj_end": 8}, r"subj span \[0, 8\] is outside the sentence"),
        ({"obj_start": -1}, r"obj span \[-1, 6\] is outside"),
        ({"stanford_pos": ["NNP"]}, "'stanford_pos' must be a list of 8 entries"),
        ({"subj_start": "x"}, "field 'subj_start' is not an integer"),
        ({"relation": "per:favourite_colour"}, "unknown relation label"),
        ({"stanford_head": [2, 5, 5, 5, 0, 7, 5, 9]}, "stanford_head entries"),
    ],
)
def test_bad_records(tmp_path, bad, message):
    splits = good_splits()
    splits["dev"] = [record("d1", **bad)]
    root = write_tacred(tmp_path / "tacred", splits)
    with pytest.raises(InputError, match=message) as err:
        corpus.parse_tacred(
            DatasetConfig(name="tacred", tacred_dir=str(root)), ParseConfig(), False
        )
    assert "dev.json (record d1)" in str(err.value)


def test_missing_field(tmp_path):
    rec = record("d1")
    del rec["stanford_deprel"]
    root = write_tacred(tmp_path / "tacred", {**good_splits(), "dev": [rec]})
    with pytest.raises(InputError, match=r"record d1\): missing fields \['stanford_deprel'\]"):
        corpus.parse_tacred(
            DatasetConfig(name="tacred", tacred_dir=str(root)), ParseConfig(), False
        )


def test_invalid_json_names_line(tmp_path):
    root = write_tacred(tmp_path / "tacred", good_splits())
    (root / "test.json").write_text('[\n{"id": "x",\n "token": [}\n]')
    with pytest.raises(InputError, match=r"test.json:3: invalid JSON"):
        corpus.parse_tacred(
            DatasetConfig(name="tacred", tacred_dir=str(root)), ParseConfig(), False
        )


def test_duplicate_id_across_splits(tmp_path):
    root = write_tacred(tmp_path / "tacred", {**good_splits(), "test": [record("t1")]})
    with pytest.raises(InputError, match="also used in the train split"):
        corpus.parse_tacred(
            DatasetConfig(name="tacred", tacred_dir=str(root)), ParseConfig(), False
        )
