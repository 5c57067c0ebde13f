from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import REPO, tiny_params

import kdre
from kdre.data.datasets import get_spec
from kdre.data.schema import read_split
from kdre.training.recipe import run_baseline

MARKED = "The <e1>audits</e1> were about <e2>waste</e2> and recycling."


@pytest.fixture(scope="module")
def model_file(tiny_parsed, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "baseline.pt"
    run_baseline(tiny_params(), tiny_parsed, path, progress=False)
    return path


def run_predict(*args, stdin: str | None = None):
    return subprocess.run(
        [sys.executable, "-m", "stages.cli", "predict", *args],
        input=stdin,
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def test_api_accepts_every_input_form(model_file):
    m = kdre.load_model(model_file)
    text = "The audits were about waste and recycling."
    preds = m.predict(
        [
            MARKED,
            {"id": "x", "text": text, "subj": [4, 10], "obj": [22, 27]},
            {
                "id": "y",
                "tokens": text[:-1].split() + ["."],
                "subj_start": 1,
                "subj_end": 1,
                "obj_start": 4,
                "obj_end": 4,
            },
        ],
        top_k=3,
    )
    assert [p.id for p in preds] == ["1", "x", "y"]
    # The same sentence and entities in three forms give the same answer.
    assert preds[0].relation == preds[1].relation == preds[2].relation
    assert preds[0].probability == pytest.approx(preds[1].probability, abs=1e-5)
    for p in preds:
        assert len(p.top_k) == 3 and p.top_k[0][0] == p.relation
        assert sum(prob for _, prob in p.top_k) <= 1.0 + 1e-6
        assert p.relation in m.vocab.labels


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("no markers at all", "missing <e1>"),
        ("only <e1>one</e1> entity", "missing <e2>"),
        ("", "empty text"),
        ({"text": "abc def", "subj": [0, 3], "obj": [4, 99]}, "outside the text"),
        (
            {"tokens": ["a", "b"], "subj_start": 0, "subj_end": 0, "obj_start": 2, "obj_end": 2},
            "outside the sentence",
        ),
    ],
)
def test_bad_inputs_raise_with_position(model_file, item, message):
    with pytest.raises(ValueError, match=f"input 2: .*{message}"):
        kdre.load_model(model_file).predict([MARKED, item])


def test_cli_stdin_jsonl_and_skip_invalid(model_file):
    lines = [
        MARKED,
        "no markers",
        json.dumps({"id": "j", "text": "A cat on a mat.", "subj": [2, 5], "obj": [11, 14]}),
        "{bad json",
    ]
    stop = run_predict(str(model_file), stdin="\n".join(lines) + "\n")
    assert stop.returncode == 1
    assert stop.stderr.strip().endswith("<stdin>:2: missing <e1>...</e1> entity markers")
    done = run_predict(str(model_file), "--skip-invalid", stdin="\n".join(lines) + "\n")
    assert done.returncode == 0, done.stderr
    records = [json.loads(x) for x in done.stdout.splitlines()]
    assert len(records) == len(lines)
    assert [r["id"] for r in records] == ["1", "2", "j", "4"]
    assert "error" in records[1] and "invalid JSON" in records[3]["error"]
    assert records[0]["relation"] and "error" not in records[0]


@pytest.mark.semeval
def test_tsv_round_trip_matches_the_parsed_pipeline(model_file, tiny_parsed, tmp_path):
    """Raw SemEval lines → predict --format tsv → kdre score equals scoring the parsed split."""
    from conftest import TEST

    from kdre.evaluation.predictions import predict_file

    test = read_split(tiny_parsed / "test.parquet")
    ids = set(test["id"])
    raw = [line for line in TEST.read_text().splitlines() if line.split("\t")[0] in ids]
    (tmp_path / "in.txt").write_text("\n".join(raw) + "\n")
    out = run_predict(
        str(model_file),
        str(tmp_path / "in.txt"),
        "--format",
        "tsv",
        "-o",
        str(tmp_path / "pred.txt"),
    )
    assert out.returncode == 0, out.stderr
    key = tmp_path / "key.txt"
    key.write_text(
        "".join(f"{i}\t{r}\n" for i, r in zip(test["id"], test["relation"], strict=True))
    )
    scored = subprocess.run(
        [
            sys.executable,
            "-m",
            "stages.cli",
            "score",
            "semeval",
            "--json",
            str(tmp_path / "pred.txt"),
            str(key),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    expected = predict_file("baseline", model_file, test, get_spec("semeval"), "test")
    assert json.loads(scored.stdout)["f1"] == pytest.approx(expected.score.f1, abs=1e-9)
    lines = (tmp_path / "pred.txt").read_text().splitlines()
    assert [x.split("\t")[1] for x in lines] == expected.pred


def test_model_file_records_its_spacy_pipeline(model_file, tmp_path):
    m = kdre.load_model(model_file)
    assert m.payload["spacy_model"] == tiny_params().parse.spacy_model
    assert m.spacy_model == m.payload["spacy_model"]
    assert kdre.load_model(model_file, spacy_model="other_pipeline").spacy_model == "other_pipeline"


def tacred_item(**changes) -> dict:
    item = {
        "id": "x",
        "tokens": ["Bill", "founded", "Microsoft", "."],
        "subj_start": 0,
        "subj_end": 0,
        "obj_start": 2,
        "obj_end": 2,
        "stanford_pos": ["NNP", "VBD", "NNP", "."],
        "stanford_ner": ["PERSON", "O", "ORGANIZATION", "O"],
        "stanford_head": [2, 0, 2, 2],
        "stanford_deprel": ["nsubj", "ROOT", "dobj", "punct"],
    }
    item.update(changes)
    return item


def test_a_bad_line_writes_nothing_and_keeps_an_existing_output(model_file, tmp_path):
    out = tmp_path / "pred.jsonl"
    out.write_text("previous\n")
    lines = [MARKED] * 70 + ["no markers here"]
    done = run_predict(str(model_file), "-", "-o", str(out), stdin="\n".join(lines) + "\n")
    assert done.returncode == 1 and "<stdin>:71:" in done.stderr
    assert out.read_text() == "previous\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".kdre-predict-")]
    done = run_predict(str(model_file), stdin="no markers\n" + MARKED + "\n")
    assert done.returncode == 1 and done.stdout == ""  # nothing reached stdout either


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (tacred_item(stanford_head=[2, 0, 2, 9]), "head index 9 outside 0..4"),
        (tacred_item(stanford_head=[2, 1, 2, 2]), "no root"),
        (tacred_item(stanford_head=[3, 0, 1, 2]), "cycle"),
        (tacred_item(stanford_head=[2, 0, 2.5, 2]), "stanford_head must hold integers"),
    ],
)
def test_bad_tacred_heads_are_one_line(model_file, item, message):
    done = run_predict(str(model_file), stdin=json.dumps(item) + "\n")
    assert done.returncode == 1 and message in done.stderr
    assert done.stderr.strip().count("\n") == 0


def test_two_roots_are_accepted_as_in_the_parse_stage(model_file):
    done = run_predict(str(model_file), stdin=json.dumps(tacred_item(stanford_head=[2, 0, 0, 3])))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["relation"]


@pytest.mark.parametrize("k", ["0", "-2"])
def test_top_k_below_one_is_refused(model_file, k):
    done = run_predict(str(model_file), "--top-k", k, stdin=MARKED + "\n")
    assert done.returncode == 1 and f"--top-k must be >= 1, got {k}" in done.stderr


def test_blank_lines_and_a_leading_bracket_are_plain_input(model_file):
    text = f"[Note] {MARKED}\n\n   \n{MARKED}\n"
    done = run_predict(str(model_file), stdin=text)
    assert done.returncode == 0, done.stderr
    assert [json.loads(x)["id"] for x in done.stdout.splitlines()] == ["1", "4"]


def test_output_targets_that_are_not_writable_regular_files_are_refused(model_file, tmp_path):
    """-o replaces only a regular file the user may write; the check comes before any work."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    readonly = tmp_path / "readonly.jsonl"
    readonly.write_text("keep\n")
    readonly.chmod(0o444)
    cases = {
        tmp_path: "is a folder",
        tmp_path / "missing/out.jsonl": "folder does not exist",
        fifo: "not a regular file",
        readonly: "read-only",
    }
    for target, message in cases.items():
        result = run_predict(str(model_file), "-o", str(target), stdin=MARKED + "\n")
        assert result.returncode == 1, (target, result.stderr)
        assert message in result.stderr and str(target) in result.stderr
        assert "Traceback" not in result.stderr
    assert readonly.read_text() == "keep\n"


def test_output_keeps_the_mode_a_normal_write_gives(model_file, tmp_path):
    new = tmp_path / "new.jsonl"
    old = tmp_path / "old.jsonl"
    old.write_text("previous\n")
    old.chmod(0o640)
    umask = os.umask(0o022)
    try:
        for target in (new, old):
            result = run_predict(str(model_file), "-o", str(target), stdin=MARKED + "\n")
            assert result.returncode == 0, result.stderr
    finally:
        os.umask(umask)
    assert new.stat().st_mode & 0o777 == 0o644
    assert old.stat().st_mode & 0o777 == 0o640
    assert json.loads(old.read_text().splitlines()[0])["id"] == "1"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_a_full_stdout_is_one_line(model_file):
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "stages.cli", "predict", str(model_file)],
            input=MARKED + "\n",
            stdout=full,
            stderr=subprocess.PIPE,
            cwd=REPO,
            text=True,
        )
    assert result.returncode == 1
    assert "cannot write to stdout" in result.stderr and "Traceback" not in result.stderr


def test_an_empty_token_is_one_line_also_with_skip_invalid(model_file):
    line = json.dumps(
        {
            "id": "e",
            "tokens": ["", "audits", "were", "about", "waste"],
            "subj_start": 1,
            "subj_end": 1,
            "obj_start": 4,
            "obj_end": 4,
        }
    )
    stopped = run_predict(str(model_file), stdin=line + "\n")
    assert stopped.returncode == 1 and "Traceback" not in stopped.stderr
    assert "token 0 is an empty string" in stopped.stderr
    skipped = run_predict(str(model_file), "--skip-invalid", stdin=line + "\n")
    assert skipped.returncode == 0, skipped.stderr
    assert "empty string" in json.loads(skipped.stdout.splitlines()[0])["error"]
