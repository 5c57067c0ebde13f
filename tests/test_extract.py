"""`kdre extract`: corpus formats, the component's candidates, `kdre predict`'s scores, resuming,
bad documents, and the same rows from the local and the Ray engine."""

from __future__ import annotations

import json
import os

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import tiny_params

from kdre.errors import InputError
from kdre.serving.extract import extract
from kdre.serving.extract.documents import find_shards, read_documents

TEXTS = [
    "Bill Gates founded Microsoft in Albuquerque. Steve Jobs lived in California.",
    "The company Apple is based in Cupertino, and Tim Cook runs it from there.",
    "Angela Merkel met Emmanuel Macron in Paris on Monday.",
    "Toyota builds cars in Japan and sells them in the United States.",
]


@pytest.fixture(scope="module")
def model_file(tiny_parsed, tmp_path_factory):
    from kdre.training.recipe import run_baseline

    path = tmp_path_factory.mktemp("model") / "baseline.pt"
    run_baseline(tiny_params(), tiny_parsed, path, progress=False)
    return path


def corpus(folder, texts=TEXTS):
    """Two JSONL shards and a parquet shard of the texts, and two .txt documents."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "a.jsonl", "w", encoding="utf-8") as f:
        for i, text in enumerate(texts[:2]):
            f.write(json.dumps({"id": f"a{i}", "text": text}) + "\n")
    sub = folder / "more"
    sub.mkdir(exist_ok=True)
    pq.write_table(pa.table({"id": ["p0", "p1"], "text": texts[2:4]}), sub / "b.parquet")
    (folder / "t1.txt").write_text(texts[2], encoding="utf-8")
    (folder / "t2.txt").write_text(texts[3], encoding="utf-8")
    return folder


def rows(out):
    table = pd.read_parquet(out)
    return table.sort_values(["doc_id", "subj_start", "obj_start"]).reset_index(drop=True)


def test_shards_of_a_folder_a_file_and_a_glob(tmp_path):
    root = corpus(tmp_path / "c")
    (root / "_errors.parquet").write_bytes(b"old output")  # `_`-names are never input
    (root / ".hidden.jsonl").write_text("{}", encoding="utf-8")
    (root / "notes.md").write_text("not a corpus file", encoding="utf-8")
    shards = find_shards(root, txt_per_shard=1)
    assert [(s.name, s.kind) for s in shards] == [
        ("txt-00000", "txt"),
        ("txt-00001", "txt"),
        ("a", "jsonl"),
        ("more/b", "parquet"),
    ]
    assert [s.name for s in find_shards(root)][:1] == ["txt-00000"]  # both .txt in one shard
    assert len(find_shards(root)[0].paths) == 2
    assert [s.name for s in find_shards(root / "a.jsonl")] == ["a"]
    assert [s.name for s in find_shards(str(root / "**" / "*.parquet"))] == ["b"]
    with pytest.raises(InputError, match="no such file"):
        find_shards(tmp_path / "missing")
    (root / "a.parquet").write_bytes(b"")
    with pytest.raises(InputError, match="two shards would write a.parquet"):
        find_shards(root)


def test_bad_documents_have_reasons_and_the_rest_are_read(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(
        b'{"id": 7, "text": "fine"}\n\nnot json\n[1, 2]\n{"id": "n"}\n{"text": 3}\n'
        b'{"text": "\xff"}\n{"text": "no id"}\n'
    )
    (shard,) = find_shards(path)
    docs = [(d.id, d.error, d.line) for d in read_documents(shard)]
    assert docs == [
        ("7", None, 1),
        ("line 3", "invalid JSON (Expecting value)", 3),
        ("line 4", "not a JSON object", 4),
        ("n", "no 'text'", 5),
        ("line 6", "'text' is not a string", 6),
        ("line 7", "not UTF-8 (byte 10)", 7),
        ("line 8", None, 8),
    ]
    bad = tmp_path / "y.parquet"
    pq.write_table(pa.table({"body": ["x"]}), bad)
    (shard,) = find_shards(bad)
    (doc,) = read_documents(shard)
    assert doc.text is None and "no 'text' column" in doc.error
    broken = tmp_path / "z.parquet"
    broken.write_bytes(b"PAR1 not really")
    (doc,) = read_documents(find_shards(broken)[0])
    assert "not a readable parquet file" in doc.error


def test_rows_errors_and_summary(tmp_path, model_file):
    root = corpus(tmp_path / "c")
    with open(root / "a.jsonl", "a", encoding="utf-8") as f:
        f.write('{"id": "empty", "text": "  "}\n{"id": "long", "text": "' + "word " * 50 + '"}\n')
        f.write("broken\n")
    out = tmp_path / "out"
    summary = extract(root, out, model_file, keep_all=True, max_chars=200)
    got = rows(out)
    assert len(got) == summary.total.pairs > 0
    for row in got.itertuples():
        ids = ["a0", "a1", "p0", "p1", "t1", "t2"]
        text = dict(zip(ids, TEXTS[:4] + TEXTS[2:4], strict=True))[row.doc_id]
        assert text[row.subj_start : row.subj_end] == row.subj_text
        assert text[row.obj_start : row.obj_end] == row.obj_text
        assert row.top_k[0]["relation"] == row.relation and len(row.top_k) == 3
    errors = pd.read_parquet(out / "_errors.parquet")
    assert sorted(errors.doc_id) == ["empty", "line 5", "long"]
    reasons = dict(zip(errors.doc_id, errors.reason, strict=True))
    assert reasons["empty"] == "empty text" and reasons["long"].startswith("too long (250")
    saved = json.loads((out / "_summary.json").read_text())
    assert saved["total"]["documents"] == 9 and saved["total"]["errors"] == 3
    assert saved["total"]["sentences"] == 7  # TEXTS[0] holds two sentences
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]
    # non-NA at top-1 only (the default): a subset of --all, all of them relations
    kept = extract(root, tmp_path / "kept", model_file, max_chars=200)
    assert kept.total.relations == summary.total.relations
    assert len(rows(tmp_path / "kept")) == int(got.is_relation.sum())


def test_candidates_and_scores_are_the_spacy_components(tmp_path, nlp, model_file):
    """The same pairs as the kdre_relations component finds (same options), scored as it and
    `kdre predict` score them."""
    import kdre

    (tmp_path / "c").mkdir()
    with open(tmp_path / "c" / "d.jsonl", "w", encoding="utf-8") as f:
        for i, text in enumerate(TEXTS):
            f.write(json.dumps({"id": str(i), "text": text}) + "\n")
    for candidates, distance in (("ents", 20), ("noun_chunks", 3), ("both", 5)):
        out = tmp_path / candidates
        extract(
            tmp_path / "c",
            out,
            model_file,
            candidates=candidates,
            max_distance=distance,
            keep_all=True,
            top_k=19,
        )
        got = rows(out)
        name = f"kdre_{candidates}"
        nlp.add_pipe(
            "kdre_relations",
            name=name,
            config={"model": str(model_file), "candidates": candidates, "max_distance": distance},
        )
        try:
            expected = {}
            for i, doc in enumerate(nlp.pipe(TEXTS)):
                for (s, o), scores in doc._.rel.items():
                    subj = next(sp for sp in nlp.get_pipe(name).spans(doc) if sp.start == s)
                    obj = next(sp for sp in nlp.get_pipe(name).spans(doc) if sp.start == o)
                    expected[(str(i), subj.start_char, obj.start_char)] = scores
        finally:
            nlp.remove_pipe(name)
        keys = {(r.doc_id, r.subj_start, r.obj_start) for r in got.itertuples()}
        assert keys == set(expected) and keys
        for r in got.itertuples():
            scores = expected[(r.doc_id, r.subj_start, r.obj_start)]
            assert r.relation == max(scores, key=scores.get)
            assert r.probability == pytest.approx(scores[r.relation], abs=1e-5)
    # one-sentence documents: `kdre predict` on the same character spans gives the same scores
    got = rows(tmp_path / "ents")
    single = got[got.doc_id.isin(["2", "3"])]
    extractor = kdre.load_model(model_file)
    inputs = [
        {
            "text": TEXTS[int(r.doc_id)],
            "subj": [r.subj_start, r.subj_end],
            "obj": [r.obj_start, r.obj_end],
        }
        for r in single.itertuples()
    ]
    for r, want in zip(single.itertuples(), extractor.predict(inputs, top_k=19), strict=True):
        assert r.relation == want.relation
        assert r.probability == pytest.approx(want.probability, abs=1e-5)


def test_a_rerun_skips_finished_shards_and_resumes_after_a_crash(tmp_path, model_file, monkeypatch):
    import kdre.serving.extract.engines as engines

    root = corpus(tmp_path / "c")
    out = tmp_path / "out"
    real = engines.ScoreWorker.__call__
    calls = {"n": 0}

    def crash_in_third_shard(self, table):
        calls["n"] += 1
        if calls["n"] == 5:  # shards 1 and 2: a chunk and an end row each
            raise KeyboardInterrupt  # a stopped job
        return real(self, table)

    monkeypatch.setattr(engines.ScoreWorker, "__call__", crash_in_third_shard)
    with pytest.raises(KeyboardInterrupt):
        extract(root, out, model_file, keep_all=True)
    done = sorted(p.name for p in out.glob("*.parquet"))
    assert done == ["a.parquet", "txt-00000.parquet"]  # shards 1, 2 of 3 whole; none half
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]
    monkeypatch.setattr(engines.ScoreWorker, "__call__", real)
    before = {p: p.stat().st_mtime_ns for p in out.glob("*.parquet")}
    resumed = extract(root, out, model_file, keep_all=True)
    assert (resumed.shards_done, resumed.shards_skipped) == (1, 2)
    assert all(p.stat().st_mtime_ns == t for p, t in before.items())
    fresh = extract(root, tmp_path / "fresh", model_file, keep_all=True)
    assert rows(out).equals(rows(tmp_path / "fresh"))
    assert resumed.total == fresh.total
    # another option, or a changed input file, redoes exactly what it touches
    again = extract(root, out, model_file, keep_all=True)
    assert (again.shards_done, again.shards_skipped) == (0, 3)
    (root / "a.jsonl").write_text(json.dumps({"id": "z", "text": TEXTS[3]}) + "\n")
    os.utime(root / "a.jsonl", ns=(1, 1))
    changed = extract(root, out, model_file, keep_all=True)
    assert (changed.shards_done, changed.shards_skipped) == (1, 2)
    assert set(pd.read_parquet(out / "a.parquet").doc_id) == {"z"}
    other = extract(root, out, model_file, keep_all=True, max_distance=2)
    assert other.shards_done == 3
    inner = extract(root, root / "extracted", model_file)  # an output folder inside the corpus
    again = extract(root, root / "extracted", model_file)
    assert (inner.shards, again.shards, again.shards_skipped) == (3, 3, 3)


def test_bad_options_and_inputs_are_one_line(tmp_path, model_file):
    root = corpus(tmp_path / "c")
    with pytest.raises(InputError, match="--engine must be one of local, ray"):
        extract(root, tmp_path / "o", model_file, engine="spark")
    with pytest.raises(InputError, match="--candidates must be"):
        extract(root, tmp_path / "o", model_file, candidates="tokens")
    with pytest.raises(InputError, match="model file not found"):
        extract(root, tmp_path / "o", tmp_path / "none.pt")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        extract(root, tmp_path / "file", model_file)
    assert not (tmp_path / "o").exists()


def test_ray_engine_without_ray_names_the_extra(tmp_path, model_file, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(InputError, match=r"kdre\[ray\]"):
        extract(corpus(tmp_path / "c"), tmp_path / "o", model_file, engine="ray")


def test_the_ray_engine_gives_the_local_engines_rows(tmp_path, model_file):
    pytest.importorskip("ray.data", reason="the ray extra (pip install 'kdre[ray]')")
    root = corpus(tmp_path / "c")
    (root / "a.jsonl").open("a").write('{"id": "bad", "text": ""}\n')
    local = extract(root, tmp_path / "local", model_file, keep_all=True, chunk_size=1)
    ray_run = extract(
        root,
        tmp_path / "ray",
        model_file,
        engine="ray",
        keep_all=True,
        chunk_size=1,
        workers=2,
        ray_init={"num_cpus": 2, "include_dashboard": False},
    )
    assert ray_run.total == local.total and local.total.errors == 1
    for name in ("a.parquet", "txt-00000.parquet", "more/b.parquet", "_errors.parquet"):
        assert pq.read_table(tmp_path / "local" / name).equals(
            pq.read_table(tmp_path / "ray" / name)
        ), name
