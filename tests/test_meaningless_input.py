"""Input that parses but means nothing is refused in one line; input a person means is read
(issue Hardening, items 7, 9 and 11)."""

from __future__ import annotations

import json
import pickle

import pytest
from conftest import tiny_params, write_records
from test_predict import run_predict

from kdre.data.datasets import semeval, tacred
from kdre.data.parsing import load_pipeline
from kdre.errors import InputError

SENTENCE = '1\t"The <e1>audits</e1> were about <e2>waste</e2>."'


def test_a_nul_byte_in_a_semeval_file_names_its_line(tmp_path):
    path = write_records(
        tmp_path / "t.txt", [(SENTENCE, "Other"), ('2\t"A <e1>b\x00</e1> <e2>c</e2>."', "Other")]
    )
    with pytest.raises(InputError, match=r"t.txt:5: a NUL byte at column"):
        semeval.read_semeval(path)


def test_an_entity_of_invisible_characters_is_refused(tmp_path):
    path = write_records(
        tmp_path / "t.txt", [('1\t"The <e1>\u200b</e1> were about <e2>waste</e2>."', "Other")]
    )
    with pytest.raises(InputError, match="entity e1 holds only invisible characters"):
        semeval.read_semeval(path)


def test_cr_only_line_endings_are_read(tmp_path):
    path = tmp_path / "mac.txt"
    path.write_bytes((SENTENCE + "\rOther\rComment:\r\r").encode())
    (example,) = semeval.read_semeval(path)
    assert example.relation == "Other" and example.id == "1"


def _record(**changes):
    rec = {
        "id": "r1",
        "relation": "per:title",
        "token": ["Ann", "is", "a", "doctor"],
        "subj_start": 0,
        "subj_end": 0,
        "obj_start": 3,
        "obj_end": 3,
        "subj_type": "PERSON",
        "obj_type": "TITLE",
        "stanford_pos": ["NNP", "VBZ", "DT", "NN"],
        "stanford_ner": ["PERSON", "O", "O", "TITLE"],
        "stanford_head": [4, 4, 4, 0],
        "stanford_deprel": ["nsubj", "cop", "det", "ROOT"],
    }
    rec.update(changes)
    return rec


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"relation": ""}, "field 'relation' is empty"),
        ({"subj_type": " "}, "field 'subj_type' is empty"),
        ({"relation": "per:\ttitle"}, "holds a tab, newline or NUL"),
        ({"id": None}, "'id' must be a string or an integer, got None"),
        ({"obj_start": 0, "obj_end": 0}, "the subject and object spans are the same tokens"),
        ({"subj_start": 2, "subj_end": 1}, r"subj span \[2, 1\] is reversed"),
    ],
)
def test_meaningless_tacred_records_are_refused(tmp_path, changes, message):
    path = tmp_path / "train.json"
    path.write_text(json.dumps([_record(**changes)]))
    with pytest.raises(InputError, match=message):
        tacred.read_tacred(path, None)


def test_a_spacy_pipeline_without_tagger_parser_or_ner_is_refused():
    with pytest.raises(InputError, match="'blank:en' has no tagger, parser, ner"):
        load_pipeline("blank:en")


def test_more_threads_than_cores_is_said(tiny_parsed, tmp_path, monkeypatch, capsys):
    import dataclasses

    from kdre.training.recipe import run_baseline

    monkeypatch.setattr("os.cpu_count", lambda: 1)
    params = tiny_params()
    params = dataclasses.replace(
        params, train=dataclasses.replace(params.train, threads=2, epochs=1)
    )
    run_baseline(params, tiny_parsed, tmp_path / "b.pt", progress=False)
    assert "train.threads is 2, but this machine has 1 cores" in capsys.readouterr().err


def test_a_killed_stages_leftover_is_removed_at_its_next_start(tmp_path):
    from kdre.atomic import temp_path
    from stages.common import outputs_together

    leftover = temp_path(tmp_path / "parse.json")
    leftover.write_text("{")
    with pytest.raises(RuntimeError), outputs_together() as stage:
        stage(tmp_path / "parse.json")
        raise RuntimeError("the stage fails before writing")
    assert not leftover.exists()


def test_a_raw_pickle_model_is_one_line_without_torchs_warning(tmp_path):
    path = tmp_path / "model.pt"
    path.write_bytes(pickle.dumps({"format": "kdre-model"}))
    result = run_predict(str(path), stdin="x\n")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_sentence_starting_with_a_brace_is_a_sentence_and_a_nul_is_refused():
    from kdre.serving.formats import read_inputs

    text = "{Note} The <e1>audits</e1> were about <e2>waste</e2>.\nA\x00b\n{broken json\n"
    items = dict(read_inputs(text, "-"))
    assert items["1"].startswith("{Note}")
    assert isinstance(items["2"], ValueError) and "NUL" in str(items["2"])
    assert isinstance(items["3"], ValueError) and "invalid JSON" in str(items["3"])


def test_more_clusters_than_heads_is_one_line(tiny_parsed):
    from kdre.data.schema import read_split
    from kdre.knowledge.types import EntityTyper

    train = read_split(tiny_parsed, "train")
    with pytest.raises(InputError, match="types.clusters is 100000, but train has only"):
        EntityTyper("clusters").fit(train, 100000, 1)


@pytest.mark.semeval
def test_a_dev_size_beyond_train_names_the_file():
    from conftest import SEMEVAL_DIR

    from kdre.config import DatasetConfig, ParseConfig
    from kdre.data import corpus

    cfg = DatasetConfig(semeval_dir=str(SEMEVAL_DIR), dev_size=100000)
    with pytest.raises(InputError, match=r"TRAIN_FILE.TXT: dataset.dev_size=100000 leaves no"):
        corpus.parse_semeval(cfg, ParseConfig(limit=10), 1, False)
