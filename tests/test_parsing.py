from __future__ import annotations

import re

import pytest
from conftest import SEMEVAL_DIR, TEST, TRAIN, write_records

from kdre.config import DatasetConfig, ParseConfig
from kdre.data import corpus, parsing, schema
from kdre.data.datasets import semeval
from kdre.errors import InputError


def detokenize(words, spaces, start, end) -> str:
    pieces = [
        w + (" " if sp else "")
        for w, sp in zip(words[start : end + 1], spaces[start : end + 1], strict=True)
    ]
    return "".join(pieces).rstrip(" ")


def raw_entities(path) -> dict[str, tuple[str, str]]:
    """Marked entity texts read straight off the raw lines, independently of the reader."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r'^(\d+)\t"(.*)"$', line)
        if match:
            body = match.group(2)
            e1 = re.search(r"<e1>(.*?)</e1>", body).group(1)
            e2 = re.search(r"<e2>(.*?)</e2>", body).group(1)
            out[match.group(1)] = (e1, e2)
    return out


@pytest.mark.semeval
def test_every_semeval_entity_is_a_token_span(nlp):
    """The alignment property, on all 10,717 examples."""
    checked = 0
    for path in (TRAIN, TEST):
        marked = raw_entities(path)
        for ex in semeval.read_semeval(path):
            tok = parsing.tokenize_with_spans(nlp.tokenizer, ex.text, ex.subj, ex.obj)
            assert detokenize(tok.words, tok.spaces, *tok.subj) == marked[ex.id][0], ex.id
            assert detokenize(tok.words, tok.spaces, *tok.obj) == marked[ex.id][1], ex.id
            assert not any(w.isspace() for w in tok.words)
            checked += 1
    assert checked == 10717


def test_glued_marker_splits_the_token(nlp):
    text = "The bird ate dovesmoles."
    tok = parsing.tokenize_with_spans(nlp.tokenizer, text, (4, 8), (18, 23))
    assert tok.words[tok.obj[0] : tok.obj[1] + 1] == ["moles"]
    assert tok.words[tok.obj[0] - 1] == "doves" and tok.spaces[tok.obj[0] - 1] is False


def test_annotation_is_one_tree_per_sentence(nlp):
    words = "He said it . Then he left the house with a dog . And the cat".split()
    (ann,) = parsing.annotate(nlp, [(words, [True] * (len(words) - 1) + [False])])
    assert ann.head.count(0) == 1
    assert len(ann.pos) == len(ann.ner) == len(ann.deprel) == len(words)
    assert all(0 <= h <= len(words) for h in ann.head)


def test_span_type_is_majority_ner_label():
    ner = ["O", "ORG", "ORG", "GPE", "O"]
    assert parsing.span_type(ner, 1, 3) == "ORG"
    assert parsing.span_type(ner, 0, 0) == "O"
    assert parsing.span_type(ner, 3, 4) == "GPE"


def test_missing_spacy_model_is_one_clear_error():
    with pytest.raises(InputError, match="not installed; install the default with"):
        parsing.load_pipeline("no_such_model_xyz")


@pytest.mark.semeval
def test_parse_semeval_subset_matches_schema():
    tables = corpus.parse_semeval(
        DatasetConfig(semeval_dir=str(SEMEVAL_DIR)), ParseConfig(limit=25), seed=1, progress=False
    )
    assert set(tables) == {"train", "dev", "test"}
    for split, table in tables.items():
        assert table.schema.equals(schema.ARROW_SCHEMA)
        assert table.num_rows == 25
        schema.validate_table(table, split)
    first = tables["test"].to_pylist()[0]
    assert first["id"] == "8001" and first["relation"] == "Message-Topic(e1,e2)"
    assert first["tokens"][first["subj_start"]] == "audits"
    assert first["tokens"][first["obj_start"]] == "waste"
    assert first["subj_type"] == "O"


def test_parse_fails_before_annotating_on_bad_input(tmp_path):
    root = tmp_path / "release"
    for rel in (semeval.TRAIN_FILE, semeval.TEST_FILE):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
    write_records(root / semeval.TRAIN_FILE, [('1\t"<e1>a</e1> b <e2>c</e2>"', "Bogus")])
    write_records(root / semeval.TEST_FILE, [('2\t"<e1>a</e1> b <e2>c</e2>"', "Other")])
    with pytest.raises(InputError, match="TRAIN_FILE.TXT:2: unknown relation label 'Bogus'"):
        corpus.parse_semeval(DatasetConfig(semeval_dir=str(root)), ParseConfig(), 1, False)
