"""Cross-fitted teachers: folds that never label their own training examples."""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import tiny_params

from kdre.data.schema import read_split
from kdre.data.splits import stratified_folds
from kdre.knowledge.graph import build_graph


def test_folds_are_stratified_balanced_and_seeded():
    labels = ["a"] * 10 + ["b"] * 7 + ["c"] * 3
    folds = stratified_folds(labels, 3, seed=5)
    assert sorted(Counter(folds).values()) == [6, 7, 7]  # balanced over all labels
    for label in "abc":
        per_fold = Counter(f for f, y in zip(folds, labels, strict=True) if y == label)
        assert max(per_fold.values()) - min(per_fold.get(k, 0) for k in range(3)) <= 1
    assert np.array_equal(folds, stratified_folds(labels, 3, seed=5))
    assert not np.array_equal(folds, stratified_folds(labels, 3, seed=6))
    with pytest.raises(ValueError, match="folds must lie in 2..20"):
        stratified_folds(labels, 1, seed=5)


@pytest.fixture(scope="module")
def crossfit_run(tiny_parsed, tmp_path_factory):
    """A 2-fold cross-fit of a tiny C-GCN teacher over a frozen base, recording what each
    fold's base and teacher were trained on and what the fold labelled."""
    from kdre.training import crossfit
    from kdre.training.teachers import _fold_base, _fold_teacher

    out = tmp_path_factory.mktemp("crossfit")
    params = tiny_params(gamma="vector")
    params = dataclasses.replace(
        params, teacher=dataclasses.replace(params.teacher, base="frozen", folds=2)
    )
    build_graph(read_split(tiny_parsed / "train.parquet"), "Other").to_parquet(out / "g.pq")
    seen: list[dict] = []
    base_runner = _fold_base(params, False, None)
    teacher_runner = _fold_teacher(out / "g.pq", False, None)

    def base(p, folder, model_path):
        seen.append({"base": set(read_split(folder / "train.parquet")["id"])})
        return base_runner(p, folder, model_path)

    def teacher(p, folder, base_path, model_path, soft):
        seen[-1]["teacher"] = set(read_split(folder / "train.parquet")["id"])
        seen[-1]["labels"] = set(read_split(folder / "test.parquet")["id"])
        return teacher_runner(p, folder, base_path, model_path, soft)

    # stand-in transfer copies: the training rows under transfer ids, reversed
    transfer = read_split(tiny_parsed / "train.parquet").iloc[::-1].reset_index(drop=True)
    transfer["id"] = transfer["id"].astype(str) + "~t0"
    metrics, transfer_logits = crossfit.run_crossfit(
        params,
        tiny_parsed,
        out / "g.pq",
        out / "soft.pq",
        out / "work",
        base,
        teacher,
        False,
        transfer,
    )
    return params, out, metrics, seen, transfer, transfer_logits


def test_no_fold_labels_an_example_it_was_trained_on(crossfit_run, tiny_parsed):
    _, out, metrics, seen, _, _ = crossfit_run
    train_ids = set(read_split(tiny_parsed / "train.parquet")["id"])
    assert len(seen) == 2 and metrics["folds"] == 2
    for fold in seen:
        assert fold["base"] == fold["teacher"]  # the frozen base is cross-fitted too
        assert not fold["labels"] & fold["teacher"]
        assert fold["labels"] | fold["teacher"] == train_ids
    assert seen[0]["labels"] | seen[1]["labels"] == train_ids
    assert not seen[0]["labels"] & seen[1]["labels"]
    soft = pd.read_parquet(out / "soft.pq")
    assert set(soft["id"]) == train_ids and len(soft) == len(train_ids)
    assert pq.read_schema(out / "soft.pq").metadata[b"folds"] == b"2"
    assert 0.0 <= metrics["out_of_fold_right_and_sure"] <= metrics["out_of_fold_right"] <= 1.0


def test_a_fold_label_is_its_own_teachers_logits(crossfit_run, tiny_parsed):
    """The soft label of a held-out example is what the fold's teacher file predicts for it,
    and a transfer copy is labelled by the teacher of its source's fold (which saw neither)."""
    from kdre.training.labelling import label_rows

    params, out, _, seen, transfer, transfer_logits = crossfit_run
    graph = pd.read_parquet(out / "g.pq")
    soft = pd.read_parquet(out / "soft.pq").set_index("id")
    for k in (0, 1):
        folder = out / "work" / f"fold{k}"
        held = read_split(folder / "test.parquet")
        assert set(held["id"]) == seen[k]["labels"]
        again = label_rows(params, folder / "teacher.pt", held, graph, "held")
        rows = soft.loc[list(held["id"])]
        copies = transfer["id"].str.removesuffix("~t0").isin(seen[k]["labels"]).to_numpy()
        from_copies = label_rows(params, folder / "teacher.pt", transfer[copies], graph, "transfer")
        for key in ("final", "local", "global"):
            assert np.allclose(np.stack(rows[key].to_numpy()), again[key], atol=1e-5)
            assert np.allclose(transfer_logits[key][copies], from_copies[key], atol=1e-5)


def test_the_stage_keeps_the_full_teacher_and_writes_fold_labels(tiny_parsed, tmp_path):
    """run_teacher with folds 2: the model file is the teacher of all train (its dev score as
    with folds 1), the soft labels the folds', and the metrics say so."""
    from kdre.training.labelling import label_rows
    from kdre.training.teachers import run_teacher

    train = read_split(tiny_parsed / "train.parquet")
    build_graph(train, "Other").to_parquet(tmp_path / "g.pq")
    (tmp_path / "transfer").mkdir()
    copies = train.assign(id=train["id"].astype(str) + "~t0")
    copies.to_parquet(tmp_path / "transfer" / "typed.parquet", index=False)
    params = tiny_params()  # γ_s, a teacher from scratch: no base to cross-fit
    runs = {}
    for k in (1, 2):
        p = dataclasses.replace(params, teacher=dataclasses.replace(params.teacher, folds=k))
        runs[k] = run_teacher(
            p,
            tiny_parsed,
            tmp_path / "g.pq",
            tmp_path / "none.pt",
            tmp_path / f"t{k}.pt",
            tmp_path / f"s{k}.pq",
            False,
            transfer_dir=tmp_path / "transfer",
            transfer_labels_path=tmp_path / f"x{k}.pq",
        )[0]
    assert runs[1]["dev"] == runs[2]["dev"] and "crossfit" not in runs[1]
    assert runs[2]["crossfit"]["folds"] == 2 and len(runs[2]["crossfit"]["fold_dev_f1"]) == 2
    one, two = (pd.read_parquet(tmp_path / f"s{k}.pq").set_index("id") for k in (1, 2))
    assert set(one.index) == set(two.index)
    assert not np.allclose(np.stack(one["final"]), np.stack(two.loc[one.index, "final"]))
    # the transfer set: labelled by the teacher itself with folds 1, by the folds with 2
    full = label_rows(params, tmp_path / "t1.pt", copies, pd.read_parquet(tmp_path / "g.pq"), "x")
    x1, x2 = (pd.read_parquet(tmp_path / f"x{k}.pq").set_index("id") for k in (1, 2))
    assert list(x1.index) == list(copies["id"]) == list(x2.index)
    assert runs[1]["transfer_examples"] == len(copies)
    assert np.allclose(np.stack(x1["final"]), full["final"], atol=1e-5)
    assert not np.allclose(np.stack(x2["final"]), full["final"], atol=1e-3)
