from __future__ import annotations

import json

import pytest

from kdre.config import DatasetConfig, ParseConfig
from kdre.data import corpus, schema
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
        ({"stanford_head": [2, 5, 5, 5, 0, 7, 5, 9]}, "stanford_head: head index 9 outside"),
        (
            {"stanford_head": [2, 5, 5, 5, 1, 7, 5, 5]},
            "stanford_head: dependency heads have no root",
        ),
        (
            {"stanford_head": [2, 1, 5, 5, 0, 7, 5, 5]},
            "stanford_head: dependency heads form a cycle",
        ),
        ({"subj_end": 1.7}, "field 'subj_end' is not an integer: 1.7"),
        ({"obj_start": "6"}, "field 'obj_start' is not an integer: '6'"),
        ({"obj_end": True}, "field 'obj_end' is not an integer: True"),
        ({"stanford_head": [2, 5, 5, 5, 0, 7, 5, 5.0]}, "field 'stanford_head' is not an integer"),
        ({"relation": ["per:title"]}, "field 'relation' must be a string, got list"),
        ({"subj_type": ["PERSON"]}, "field 'subj_type' must be a string, got list"),
        (
            {"stanford_ner": ["PERSON", 1, "O", "O", "O", "O", "O", "O"]},
            "'stanford_ner' must hold strings",
        ),
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


def test_heads_as_strings_of_digits_load_as_in_the_ldc_release(tmp_path):
    heads = ["2", "5", "5", "5", "0", "7", "5", "5"]
    root = write_tacred(
        tmp_path / "tacred", {**good_splits(), "dev": [record("d1", stanford_head=heads)]}
    )
    tables = corpus.parse_tacred(
        DatasetConfig(name="tacred", tacred_dir=str(root)), ParseConfig(), False
    )
    assert tables["dev"].to_pylist()[0]["head"] == [2, 5, 5, 5, 0, 7, 5, 5]


def test_extra_roots_hang_under_the_first_and_are_counted(tmp_path):
    """A record converted with spaCy had two roots (two sentences): the first root adopts the
    others, the parse stage counts them, and pruning sees one tree."""
    two = record("d1", stanford_head=[2, 5, 5, 5, 0, 7, 0, 7])  # "Microsoft" a second root
    root = write_tacred(tmp_path / "tacred", {**good_splits(), "dev": [two]})
    tables = corpus.parse_tacred(
        DatasetConfig(name="tacred", tacred_dir=str(root)), ParseConfig(), False
    )
    row = tables["dev"].to_pylist()[0]
    assert row["head"] == [2, 5, 5, 5, 0, 7, 5, 7]
    assert schema.extra_roots(tables["dev"]) == 1 and schema.extra_roots(tables["train"]) == 0
    out = schema.write_splits(tables, tmp_path / "parsed")
    import pyarrow.parquet as pq

    assert schema.extra_roots(pq.read_table(out["dev"])) == 1
