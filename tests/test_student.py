from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
import torch.nn.functional as F
from conftest import tiny_params

from kdre.config import StudentConfig
from kdre.data.encode import SoftLabels, collate
from kdre.data.schema import read_split
from kdre.errors import InputError
from kdre.knowledge.graph import build_graph
from kdre.models.files import load_model
from kdre.models.inference import predict_logits
from kdre.models.losses import hint_loss, kd_loss, logit_mse_loss
from kdre.models.student import Student
from kdre.training.recipe import prepare
from kdre.training.soft_labels import attach_soft_labels
from kdre.training.student import run_student
from kdre.training.teachers import run_teacher


def test_lambda_kd_schedule():
    cfg = StudentConfig()
    assert [cfg.lambda_kd_at(e, 5) for e in range(1, 6)] == [1.0, 0.75, 0.5, 0.25, 0.0]
    up = StudentConfig(anneal_direction="gold_first")
    assert [up.lambda_kd_at(e, 3) for e in (1, 2, 3)] == [0.0, 0.5, 1.0]
    assert StudentConfig(anneal=False, lambda_kd=0.7).lambda_kd_at(3, 5) == 0.7
    assert StudentConfig(kd=False).lambda_kd_at(1, 5) == 0.0


def test_kd_loss_is_kl_teacher_to_student():
    s, t = torch.randn(4, 5), torch.randn(4, 5)
    p_t = F.softmax(t, -1)
    expected = (p_t * (p_t.log() - F.log_softmax(s, -1))).sum(-1).mean()
    assert kd_loss(s, t).item() == pytest.approx(expected.item(), rel=1e-5)
    assert kd_loss(t, t).item() == pytest.approx(0.0, abs=1e-6)
    assert kd_loss(s, t, temperature=2.0).item() != pytest.approx(kd_loss(s, t).item())


def test_logit_mse_matches_centred_logits_and_ignores_a_shift_per_row():
    """student.kd_loss mse (Tang et al. 2019): squared error of row-centred logits, mean over
    classes and batch; a constant added to a row changes neither softmax nor the loss."""
    s, t = torch.randn(4, 5), torch.randn(4, 5)
    cs, ct = s - s.mean(-1, keepdim=True), t - t.mean(-1, keepdim=True)
    assert logit_mse_loss(s, t).item() == pytest.approx((cs - ct).pow(2).mean().item(), rel=1e-5)
    shift = torch.randn(4, 1)
    assert logit_mse_loss(s + shift, t).item() == pytest.approx(logit_mse_loss(s, t).item())
    assert logit_mse_loss(t + shift, t).item() == pytest.approx(0.0, abs=1e-6)
    # the same softmax gaps at another logit scale: KL at τ = 1 barely sees it, MSE does
    assert kd_loss(2 * t, t, kind="mse").item() == pytest.approx(ct.pow(2).mean().item())
    assert kd_loss(s, t, kind="mse").item() == pytest.approx(logit_mse_loss(s, t).item())
    with pytest.raises(ValueError, match="unknown distillation loss"):
        kd_loss(s, t, kind="l1")


def test_mse_distillation_takes_no_temperature():
    with pytest.raises(ValueError, match="no temperature"):
        StudentConfig(kd_loss="mse", temperature=2.0)
    assert StudentConfig(kd_loss="mse").temperature == 1.0


def test_student_kd_loss_mse_reaches_both_teacher_terms(prep):
    """With kd_loss mse the student's L_KD and both hint terms are logit MSE: zero when the
    student's logits are the teacher's, shifted per row."""
    torch.manual_seed(0)
    model = _student(prep, kd_loss="mse").eval()
    batch = _batch_with_soft_labels(prep)
    out = model(batch)
    shift = torch.randn(len(batch.labels), 1)
    batch.soft_labels = SoftLabels(out.logits + shift, out.parts["local"] - shift, out.parts["aux"])
    model.start_epoch(1, 3)  # λ_kd = 1: the teacher terms alone
    loss, parts = model.loss(out, batch)
    assert parts["kd"] == pytest.approx(0.0, abs=1e-6)
    assert parts["hint"] == pytest.approx(0.0, abs=1e-6)
    # a teacher twice as sure: each kind's own distance, and the two differ
    batch.soft_labels = SoftLabels(2 * out.logits, 2 * out.parts["local"], 2 * out.parts["aux"])
    kl = _student(prep).eval()
    kl.load_state_dict(model.state_dict())
    kl.start_epoch(1, 3)
    mse_kd, kl_kd = model.loss(out, batch)[1]["kd"], kl.loss(out, batch)[1]["kd"]
    assert mse_kd == pytest.approx(logit_mse_loss(out.logits, 2 * out.logits).item(), rel=1e-5)
    assert kl_kd == pytest.approx(kd_loss(out.logits, 2 * out.logits).item(), rel=1e-5)
    assert mse_kd != pytest.approx(kl_kd, rel=1e-2)


def test_hint_loss_has_both_branches_or_local_only():
    sl, tl, sa, tg = (torch.randn(3, 4) for _ in range(4))
    assert hint_loss(sl, tl, sa, tg).item() == pytest.approx(
        kd_loss(sl, tl).item() + kd_loss(sa, tg).item(), rel=1e-5
    )
    assert hint_loss(sl, tl, None, tg).item() == pytest.approx(kd_loss(sl, tl).item(), rel=1e-6)


@pytest.fixture(scope="module")
def prep(tiny_parsed):
    return prepare(tiny_params(), tiny_parsed)


def _student(prep, **student):
    v = prep.vocab
    params = tiny_params()
    return Student(
        params.model,
        StudentConfig(attn_dim=8, pos_dim=4, ner_dim=4, **student),
        len(v.words),
        len(v.pos),
        len(v.ner),
        len(v.labels),
    )


def _batch_with_soft_labels(prep, n=8):
    train = prep.splits["train"]
    rng = np.random.default_rng(0)
    shape = (len(train), len(prep.vocab.labels))
    train.soft_labels = SoftLabels(*(rng.normal(size=shape).astype(np.float32) for _ in range(3)))
    return collate(train, np.arange(n))


def test_attention_is_a_distribution_over_real_tokens(prep):
    torch.manual_seed(0)
    model = _student(prep).eval()
    batch = collate(prep.splits["dev"], np.arange(6))
    enc = model.encoder(batch)
    _, weights = model.maa(enc.tokens, enc.h_base, batch)
    assert torch.allclose(weights.sum(-1), torch.ones(6))
    assert torch.all(weights[~batch.mask] == 0)


def test_student_loss_mixes_gold_and_teacher_by_lambda(prep):
    torch.manual_seed(0)
    model = _student(prep).eval()
    batch = _batch_with_soft_labels(prep)
    out = model(batch)
    model.start_epoch(1, 3)  # λ_kd = 1: the gold labels play no part
    loss1, _ = model.loss(out, batch)
    shuffled = dataclasses.replace(batch, labels=batch.labels.roll(1))
    assert model.loss(out, shuffled)[0].item() == pytest.approx(loss1.item())
    model.start_epoch(3, 3)  # λ_kd = 0: only gold CE + pooling penalty
    loss0, parts = model.loss(out, batch)
    assert set(parts) == {"gt"}
    assert loss0.item() == pytest.approx(parts["gt"])


def test_without_maa_there_is_no_auxiliary_branch(prep):
    model = _student(prep, maa=False).eval()
    out = model(collate(prep.splits["dev"], np.arange(4)))
    assert "aux" not in out.parts and torch.equal(out.logits, out.parts["local"])


def _soft_table(ids, labels, vocab_size, width):
    rows = [[0.0] * width] * len(ids)
    return pa.table(
        {"id": ids, "relation": ["Other"] * len(ids), "final": rows, "local": rows, "global": rows}
    ).replace_schema_metadata({"labels": "\t".join(labels), "vocab_size": str(vocab_size)})


def test_soft_labels_are_checked(prep, tmp_path):
    train, v = prep.splits["train"], prep.vocab
    path = tmp_path / "soft.parquet"
    pq.write_table(_soft_table(train.ids, v.labels[:5], len(v.words), 5), path)
    with pytest.raises(InputError, match="another label set"):
        attach_soft_labels(path, train, v)
    # another vocabulary (a transformer teacher's, say) is fine: ids and labels tie them
    pq.write_table(_soft_table(train.ids, v.labels, len(v.words) + 3, 19), path)
    attach_soft_labels(path, train, v)
    assert train.soft_labels is not None
    pq.write_table(_soft_table(train.ids[1:], v.labels, len(v.words), 19), path)
    with pytest.raises(
        InputError, match=f"no soft label for 1 training examples \\(first: id {train.ids[0]}\\)"
    ):
        attach_soft_labels(path, train, v)
    with pytest.raises(InputError, match="soft labels not found"):
        attach_soft_labels(tmp_path / "none.parquet", train, v)


def test_student_end_to_end_and_round_trip(tiny_parsed, tmp_path):
    params = tiny_params(gamma="vector")
    build_graph(read_split(tiny_parsed / "train.parquet"), "Other").to_parquet(
        tmp_path / "g.parquet"
    )
    run_teacher(
        params,
        tiny_parsed,
        tmp_path / "g.parquet",
        tmp_path / "none.pt",
        tmp_path / "t.pt",
        tmp_path / "soft.parquet",
        progress=False,
    )
    metrics, history = run_student(
        params, tiny_parsed, tmp_path / "soft.parquet", tmp_path / "s.pt", progress=False
    )
    assert {"dev", "test", "best_epoch"} <= set(metrics)
    assert [h["lambda_kd"] for h in history] == [1.0, 0.0]
    model, vocab, payload = load_model(tmp_path / "s.pt")
    assert payload["kind"] == "student" and "teacher" not in payload
    prep = prepare(params, tiny_parsed, vocab)
    logits = predict_logits(model, prep.splits["test"], 16, torch.device("cpu"))
    assert set(logits) == {"final", "local", "aux"}


def test_the_students_own_epochs_leave_train_epochs_to_the_c_gcn(tiny_parsed, tmp_path):
    """student.epochs sets the student's schedule alone: annealing spans its epochs."""
    params = tiny_params(student=StudentConfig(kd=False))
    assert params.train.epochs == 2
    longer = dataclasses.replace(params, student=StudentConfig(kd=True, epochs=3))
    soft = tmp_path / "soft.parquet"
    build_graph(read_split(tiny_parsed / "train.parquet"), "Other").to_parquet(tmp_path / "g.pq")
    run_teacher(
        params,
        tiny_parsed,
        tmp_path / "g.pq",
        tmp_path / "none.pt",
        tmp_path / "t.pt",
        soft,
        progress=False,
    )
    metrics, history = run_student(longer, tiny_parsed, soft, tmp_path / "s.pt", progress=False)
    assert [h["lambda_kd"] for h in history] == [1.0, 0.5, 0.0]
    assert metrics["epochs_run"] == 3
    _, history = run_student(params, tiny_parsed, soft, tmp_path / "s2.pt", progress=False)
    assert len(history) == 2


def test_student_without_kd_needs_no_soft_labels(tiny_parsed, tmp_path):
    params = tiny_params(student=StudentConfig(kd=False))
    metrics, history = run_student(
        params, tiny_parsed, tmp_path / "missing.parquet", tmp_path / "s.pt", progress=False
    )
    assert all(h["lambda_kd"] == 0.0 for h in history)


def test_hint_switch_removes_the_hint_term(prep):
    torch.manual_seed(0)
    batch = _batch_with_soft_labels(prep)
    with_hint, without = _student(prep).eval(), _student(prep, hint=False).eval()
    without.load_state_dict(with_hint.state_dict())
    for model in (with_hint, without):
        model.start_epoch(1, 2)
    _, parts_on = with_hint.loss(with_hint(batch), batch)
    loss_off, parts_off = without.loss(without(batch), batch)
    assert "hint" in parts_on and "hint" not in parts_off
    assert loss_off.item() == pytest.approx(parts_off["kd"], rel=1e-6)


def test_soft_labels_without_a_global_column_drop_the_global_hint(prep, tmp_path):
    """A teacher without the type term writes no global logits: the student's hint is then
    the local term alone, never a pull of the MAA branch towards a uniform target."""
    from kdre.models.losses import hint_loss, kd_loss

    train, v = prep.splits["train"], prep.vocab
    rows = [[float(i % 3)] * len(v.labels) for i in range(len(train.ids))]
    table = pa.table(
        {"id": train.ids, "relation": ["Other"] * len(train.ids), "final": rows, "local": rows}
    ).replace_schema_metadata({"labels": "\t".join(v.labels)})
    pq.write_table(table, tmp_path / "soft.parquet")
    attach_soft_labels(tmp_path / "soft.parquet", train, v)
    assert train.soft_labels is not None and train.soft_labels.global_ is None
    model = _student(prep).train()
    batch = collate(train, np.arange(6))
    assert batch.soft_labels is not None and batch.soft_labels.global_ is None
    out = model(batch)
    model.lambda_kd = 1.0
    _, parts = model.loss(out, batch)
    local = kd_loss(out.parts["local"], batch.soft_labels.local)
    assert parts["hint"] == pytest.approx(local.item(), rel=1e-5)
    with_global = hint_loss(
        out.parts["local"], batch.soft_labels.local, out.parts["aux"], batch.soft_labels.local
    )
    assert with_global.item() > local.item()
