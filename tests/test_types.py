"""Knowledge: entity types from WordNet supersenses and GloVe clusters (types.source)."""

from __future__ import annotations

import dataclasses
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import tiny_params

from kdre.data.schema import read_split
from kdre.errors import InputError
from kdre.knowledge import wordnet
from kdre.knowledge.types import EntityTyper, retype, span_head, type_entropy

REPO = Path(__file__).resolve().parent.parent

# A WordNet in miniature, in the 3.0 file formats: "bank" has a location sense first and an
# institution sense second, "ice_cream" is a compound, "mice" an irregular plural.
DATA_NOUN = """\
  1 This software and database is being provided to you, the LICENSEE, by
00000100 15 n 01 bank 0 000 | sloping land
00000200 14 n 01 bank 0 000 | a financial institution
00000300 13 n 01 ice_cream 0 000 | frozen dessert
00000400 13 n 01 cream 0 000 | dairy product
00000500 05 n 01 mouse 0 000 | a rodent
00000600 18 n 01 child 0 000 | a young person
"""
INDEX_NOUN = """\
  1 This software and database is being provided to you, the LICENSEE, by
bank n 2 1 @ 2 1 00000100 00000200
ice_cream n 1 0 1 0 00000300
cream n 1 0 1 0 00000400
mouse n 1 1 @ 1 0 00000500
child n 1 0 1 0 00000600
"""
NOUN_EXC = "mice mouse\nchildren child\n"


@pytest.fixture()
def mini_wordnet(tmp_path) -> Path:
    root = tmp_path / "wn"
    root.mkdir()
    (root / "data.noun").write_text(DATA_NOUN)
    (root / "index.noun").write_text(INDEX_NOUN)
    (root / "noun.exc").write_text(NOUN_EXC)
    return root


def test_the_table_takes_the_first_sense_and_maps_irregular_plurals(mini_wordnet):
    table = wordnet.build_table(mini_wordnet)
    assert table["bank"] == "location"  # the first synset listed, not the institution
    assert table["ice_cream"] == "food"
    assert table["mice"] == "animal" and table["children"] == "person"


def test_lookup_prefers_the_longest_compound_and_reduces_plurals(mini_wordnet):
    table = wordnet.build_table(mini_wordnet)
    assert wordnet.supersense(["Ice", "cream"], table) == "food"
    assert wordnet.supersense(["sour", "cream"], table) == "food"  # falls back to the head
    assert wordnet.supersense(["banks"], table) == "location"
    assert wordnet.supersense(["mice"], table) == "animal"
    assert wordnet.supersense(["xyzzy"], table) is None


def test_the_shipped_table_is_what_the_command_builds(mini_wordnet, tmp_path):
    """`kdre wordnet-table` writes the same bytes twice (a rebuild shows no diff) with the
    licence notice; the shipped table reads and knows the real WordNet's supersenses."""
    out1, out2 = tmp_path / "a.tsv.gz", tmp_path / "b.tsv.gz"
    for out in (out1, out2):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "stages.cli",
                "wordnet-table",
                "--wordnet-dir",
                str(mini_wordnet),
                "--out",
                str(out),
            ],
            cwd=REPO,
            check=True,
            capture_output=True,
        )
    assert out1.read_bytes() == out2.read_bytes()
    text = gzip.decompress(out1.read_bytes()).decode()
    assert "WordNet 3.0 Copyright 2006 by Princeton University" in text
    assert "bank\tlocation\n" in text
    shipped = wordnet.shipped_table()
    assert len(shipped) > 100_000
    assert set(shipped.values()) <= set(wordnet.NOUN_SUPERSENSES)
    assert shipped["dog"] == "animal" and shipped["children"] == "person"


def test_a_folder_without_wordnet_is_one_line_that_says_how_to_get_it(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "stages.cli",
            "wordnet-table",
            "--wordnet-dir",
            str(tmp_path),
            "--out",
            str(tmp_path / "t.tsv.gz"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "apt-get install wordnet-base" in lines[0]
    assert not (tmp_path / "t.tsv.gz").exists()


def test_span_head_is_the_token_whose_head_lies_outside():
    # "the fishing boat sank": the(1)->boat(3), fishing(2)->boat(3), boat(3)->sank(4), root
    head = [3, 3, 4, 0]
    assert span_head(head, 0, 2) == 2
    assert span_head(head, 1, 2) == 2
    # a span whose last token depends on its first: "boat of wood" with boat the head
    assert span_head([0, 1, 2], 0, 2) == 0


def test_ner_keeps_the_given_types_and_wordnet_falls_back_to_them(tiny_parsed):
    train = read_split(tiny_parsed / "train.parquet")
    given = list(train["subj_type"])
    subj, _ = EntityTyper("ner").frame_types(train)
    assert subj == given
    tacred_like = train.assign(
        subj_type="PERSON", tokens=[["xyzzyq"] * len(t) for t in train.tokens]
    )
    subj, obj = EntityTyper("wordnet").frame_types(tacred_like)
    assert set(subj) == {"PERSON"}  # WordNet knows no xyzzyq: the given type stays


def test_wordnet_types_carry_knowledge_the_ner_types_lack(tiny_parsed):
    train = read_split(tiny_parsed / "train.parquet")
    ner = type_entropy(train, "Other")
    typed = type_entropy(retype(train, EntityTyper("wordnet")), "Other")
    assert ner["untyped_share"] > 0.8 > 0.2 > typed["untyped_share"]
    assert typed["h_relation_given_pattern_bits"] < ner["h_relation_given_pattern_bits"] - 0.5


def test_clusters_are_fitted_on_train_and_survive_a_model_file(tiny_parsed):
    train = read_split(tiny_parsed / "train.parquet")
    test = read_split(tiny_parsed / "test.parquet")
    typer = EntityTyper("clusters").fit(train, 4, seed=3)
    again = EntityTyper("clusters").fit(train, 4, seed=3)
    assert (typer.centroids == again.centroids).all()
    subj, obj = typer.frame_types(test)
    assert {t for t in subj + obj if t != "O"} <= {"c00", "c01", "c02", "c03"}
    restored = EntityTyper.from_dict(json.loads(json.dumps(typer.to_dict())))
    assert restored.frame_types(test) == (subj, obj)


def test_the_types_stage_writes_typed_splits_and_the_teacher_checks_them(tiny_parsed, tmp_path):
    params = tmp_path / "p.yaml"
    params.write_text("types:\n  source: wordnet\n")
    out = tmp_path / "types"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "stages.cli",
            "types",
            "--params",
            str(params),
            "--parsed",
            str(tiny_parsed),
            "--out",
            str(out),
            "--metrics",
            str(tmp_path / "m.json"),
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    typed = read_split(out / "train.parquet")
    parsed = read_split(tiny_parsed / "train.parquet")
    assert list(typed["id"]) == list(parsed["id"])
    assert (typed["subj_type"] != parsed["subj_type"]).mean() > 0.5
    pd.testing.assert_series_equal(typed["relation"], parsed["relation"])
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["source"] == "wordnet" and metrics["train"]["untyped_share"] < 0.2

    from kdre.training.teachers import read_typer

    assert read_typer(out, "wordnet") == {"source": "wordnet"}
    with pytest.raises(InputError, match="typed with 'wordnet', but types.source is 'clusters'"):
        read_typer(out, "clusters")
    with pytest.raises(InputError, match="not typed by the types stage"):
        read_typer(tiny_parsed, "wordnet")


def test_predict_types_new_text_as_the_teacher_was_trained(tiny_parsed, tmp_path):
    """A Teacher-V on WordNet types: `kdre predict` on the raw sentences gives the same labels
    as the model on the typed split (the typer travels in the model file)."""
    from kdre.data.datasets import dataset_spec
    from kdre.evaluation.predictions import predict_file
    from kdre.knowledge.graph import build_graph
    from kdre.serving.extractor import RelationExtractor
    from kdre.training.recipe import run_baseline
    from kdre.training.teachers import run_teacher

    base = tiny_params()
    params = dataclasses.replace(
        base,
        gamma="vector",
        model=dataclasses.replace(base.model, entity_masking=False),
        types=dataclasses.replace(base.types, source="wordnet"),
    )
    typed = tmp_path / "typed"
    typed.mkdir()
    for split in ("train", "dev", "test"):
        retype(read_split(tiny_parsed / f"{split}.parquet"), EntityTyper("wordnet")).to_parquet(
            typed / f"{split}.parquet"
        )
    (typed / "typer.json").write_text('{"source": "wordnet"}')
    run_baseline(params, tiny_parsed, tmp_path / "b.pt", False)
    build_graph(read_split(typed / "train.parquet"), "Other").to_parquet(tmp_path / "g.pq")
    run_teacher(
        params,
        typed,
        tmp_path / "g.pq",
        tmp_path / "b.pt",
        tmp_path / "t.pt",
        tmp_path / "soft.pq",
        False,
    )
    test = read_split(typed / "test.parquet")
    spec = dataset_spec("semeval", tiny_parsed)
    expected = predict_file("teacher", tmp_path / "t.pt", test, spec, "test").pred
    extractor = RelationExtractor(tmp_path / "t.pt")
    assert extractor.typer is not None and extractor.typer.source == "wordnet"
    items = [
        {
            "id": r.id,
            "token": list(r.tokens),
            "subj_start": int(r.subj_start),
            "subj_end": int(r.subj_end),
            "obj_start": int(r.obj_start),
            "obj_end": int(r.obj_end),
            "stanford_pos": list(r.pos),
            "stanford_ner": list(r.ner),
            "stanford_head": [int(h) for h in r.head],
            "stanford_deprel": list(r.deprel),
        }
        for r in read_split(tiny_parsed / "test.parquet").itertuples()
    ]
    got = [p.relation for p in extractor.predict(items)]
    assert got == expected


def test_none_is_one_constant_type_and_the_held_out_entropy_is_honest():
    """`none` gives one pattern (G(p) = the prior). The held-out figure charges a typing whose
    patterns do not generalise — one type per example memorises train (in-sample H(R|p) = 0)
    but says nothing on dev — with more bits than the prior, and credits one that does."""
    import pandas as pd

    from kdre.knowledge.types import CONSTANT_TYPE, EntityTyper, held_out_entropy, type_entropy

    def frame(types, relations):
        return pd.DataFrame(
            {
                "subj_type": [t for t, _ in types],
                "obj_type": [t for _, t in types],
                "relation": relations,
            }
        )

    relations = ["A", "B"] * 20 + ["Other"] * 4
    informative = [("x", "y") if r == "A" else ("y", "x") for r in relations]
    unique = [(f"u{i}", "z") for i in range(len(relations))]
    dev_rel = ["A", "B"] * 10
    dev_informative = [("x", "y") if r == "A" else ("y", "x") for r in dev_rel]
    dev_unique = [(f"d{i}", "z") for i in range(len(dev_rel))]
    good = held_out_entropy(frame(informative, relations), frame(dev_informative, dev_rel), "Other")
    bad = held_out_entropy(frame(unique, relations), frame(dev_unique, dev_rel), "Other")
    assert good["h_relation_held_out_bits"] == pytest.approx(1.0, abs=0.01)  # two even relations
    assert good["h_relation_given_pattern_held_out_bits"] < 0.2
    assert bad["h_relation_given_pattern_held_out_bits"] >= bad["h_relation_held_out_bits"]
    assert type_entropy(frame(unique, relations), "Other")["h_relation_given_pattern_bits"] == 0
    constant = EntityTyper("none")
    rows = pd.DataFrame(
        {
            "subj_start": [0],
            "subj_end": [0],
            "obj_start": [2],
            "obj_end": [2],
            "subj_type": ["PERSON"],
            "obj_type": ["ORG"],
            "ner": [["PERSON", "O", "ORG"]],
        }
    )
    assert constant.frame_types(rows) == ([CONSTANT_TYPE], [CONSTANT_TYPE])
    assert EntityTyper.from_dict(constant.to_dict()).source == "none"
