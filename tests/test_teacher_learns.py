"""Knowledge: a Teacher-R that learns Γ over its frozen base, and the self-distillation control."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import tiny_params

from kdre.data.schema import read_split
from kdre.knowledge.graph import build_graph


@pytest.fixture(scope="module")
def trained_base(tiny_parsed, tmp_path_factory):
    """A tiny C-GCN trained long enough to be sure of itself on train, and the graph."""
    from kdre.training.recipe import run_baseline

    out = tmp_path_factory.mktemp("base")
    train = dataclasses.replace(tiny_params().train, epochs=6)
    params = tiny_params(train=train)
    run_baseline(params, tiny_parsed, out / "b.pt", False)
    build_graph(read_split(tiny_parsed / "train.parquet"), "Other").to_parquet(out / "g.pq")
    return params, out


def teacher_run(params, tiny_parsed, out, name, gamma="relation", **teacher):
    from kdre.training.teachers import run_teacher

    params = dataclasses.replace(
        params,
        gamma=gamma,
        teacher=dataclasses.replace(params.teacher, **{"base": "frozen", **teacher}),
    )
    return run_teacher(
        params,
        tiny_parsed,
        out / "g.pq",
        out / "b.pt",
        out / f"{name}.pt",
        out / f"{name}.soft.parquet",
        False,
    )


def gamma_diagonal(path) -> float:
    from kdre.models.files import load_model

    model, _, _ = load_model(path)
    return float(model.gamma.Gamma.weight.detach().diag().mean())


def test_dropout_passes_are_noisy_and_each_example_draws_one(trained_base, tiny_parsed):
    from kdre.data.encode import encode, iterate
    from kdre.models.files import load_model
    from kdre.models.inference import predict_logits
    from kdre.models.teacher import Teacher
    from kdre.training.teacher import dropout_logits

    params, out = trained_base
    base, vocab, _ = load_model(out / "b.pt")
    train = encode(read_split(tiny_parsed / "train.parquet"), vocab, 1)
    eval_mode = predict_logits(base, train, 16, torch.device("cpu"))["final"]
    passes = [dropout_logits(base, train, 16, torch.device("cpu")) for _ in range(2)]
    assert not base.training  # left in eval mode
    assert not np.allclose(passes[0], passes[1]) and not np.allclose(passes[0], eval_mode)
    # each pass keeps the data order (the batches are sorted by length inside)
    assert np.corrcoef(passes[0].ravel(), eval_mode.ravel())[0, 1] > 0.5
    train.base_logits = np.stack(passes, axis=1)
    train.patterns = np.zeros((len(train), len(vocab.labels)), dtype=np.float32)
    teacher = Teacher(
        params.model, params.teacher, "relation", 0.8, *vocab.sizes, vocab.na_id, 0.003
    )
    batch = next(iter(iterate(train, 40)))
    local = teacher(batch).parts["local"].numpy()
    index = batch.index.numpy()
    from_first = np.isclose(local, passes[0][index]).all(axis=1)
    from_second = np.isclose(local, passes[1][index]).all(axis=1)
    assert (from_first | from_second).all() and from_first.any() and from_second.any()


def test_gamma_learns_over_dropout_passes_with_adam(trained_base, tiny_parsed):
    """The Knowledge issue's finding: over eval-mode logits with the C-GCN's SGD schedule Γ
    barely moves from its U(−1, 1) start; over dropout passes with Adam it carries the label."""
    params, out = trained_base
    teacher_run(params, tiny_parsed, out, "old", base_dropout_passes=0, gamma_lr=0.0)
    teacher_run(params, tiny_parsed, out, "new", base_dropout_passes=4, gamma_lr=0.05)
    old, new = gamma_diagonal(out / "old.pt"), gamma_diagonal(out / "new.pt")
    assert abs(old) < 0.3 < new


def test_the_self_distillation_control_is_its_frozen_base(trained_base, tiny_parsed):
    """type_constraints false on a frozen base: nothing trains, no epochs, and the soft labels
    are the C-GCN's own eval-mode logits, without a global column."""
    from kdre.data.encode import encode
    from kdre.models.files import load_model
    from kdre.models.inference import predict_logits

    params, out = trained_base
    metrics, history = teacher_run(
        params, tiny_parsed, out, "sd", type_constraints=False, base="frozen"
    )
    assert history == [] and metrics["best_epoch"] == 0 and metrics["base_frozen"]
    base, vocab, _ = load_model(out / "b.pt")
    train = encode(read_split(tiny_parsed / "train.parquet"), vocab, 1)
    own = predict_logits(base, train, 16, torch.device("cpu"))["final"]
    soft = pd.read_parquet(out / "sd.soft.parquet").set_index("id").loc[train.ids]
    assert np.allclose(np.stack(soft["final"].to_numpy()), own, atol=1e-5)
    assert "global" not in soft.columns  # no type term: no global target for the student


@pytest.mark.parametrize("leave_one_out", [False, True])
def test_leave_one_out_soft_rules_reach_the_training_soft_labels(
    trained_base, tiny_parsed, leave_one_out
):
    """With γ_s fixed (nothing trains) the global soft label is γ_s ⊙ G(p): on train it is the
    leave-one-out G(p) when asked, the full one otherwise; dev is scored with the full graph."""
    from kdre.data.encode import encode
    from kdre.knowledge.graph import PatternTable
    from kdre.models.files import load_model

    params, out = trained_base
    name = f"loo-{leave_one_out}"
    teacher_run(params, tiny_parsed, out, name, gamma="scalar", leave_one_out=leave_one_out)
    _, vocab, _ = load_model(out / "b.pt")
    train = encode(read_split(tiny_parsed / "train.parquet"), vocab, 1)
    table = PatternTable(pd.read_parquet(out / "g.pq"), vocab.labels, "Other", 0.2)
    full = table.lookup(train.subj_types, train.obj_types)
    loo = table.lookup(train.subj_types, train.obj_types, train.labels)
    assert not np.allclose(full, loo)  # the fixture has patterns where it matters
    soft = pd.read_parquet(out / f"{name}.soft.parquet").set_index("id").loc[train.ids]
    expected = 0.8 * (loo if leave_one_out else full)
    assert np.allclose(np.stack(soft["global"].to_numpy()), expected, atol=1e-6)


def test_training_curves_skip_a_teacher_that_trained_no_epoch(tmp_path):
    """The self-distillation control's teacher writes a bare-header history; the evaluate
    stage's curves must still draw the others (this failed the matrix's no-tc cells)."""
    from kdre.evaluation.plots import curves_png
    from stages.common import write_history

    write_history(tmp_path / "teacher.csv", [])
    rows = [
        {"epoch": 1, "train_loss": 1.0, "dev_f1": 50.0},
        {"epoch": 2, "train_loss": 0.5, "dev_f1": 60.0},
    ]
    histories = {"baseline": pd.DataFrame(rows), "teacher": pd.read_csv(tmp_path / "teacher.csv")}
    curves_png(histories, tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 1000
