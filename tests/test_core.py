"""The Core issue: one set of defaults, checks across sections, the speed-written layers equal
to torch's, the CPU ISA pin, the KD temperature, the frozen teacher's cache."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import REPO, tiny_params
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from kdre.config import Params, load_params
from kdre.errors import InputError
from kdre.models.encoders.layers import Dropout, bidirectional_lstm
from kdre.models.losses import kd_loss
from kdre.training.loop import clip_grad_norm


def test_params_yaml_is_the_default_configuration():
    """One source of defaults: what the pipeline runs is what Params() means."""
    assert load_params(REPO / "params.yaml") == Params()


def test_a_key_deleted_from_params_yaml_takes_the_pipelines_value(tmp_path):
    text = (REPO / "params.yaml").read_text().replace("  epochs: 50\n", "")
    (tmp_path / "p.yaml").write_text(text)
    assert load_params(tmp_path / "p.yaml").train.epochs == Params().train.epochs == 50


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "types:\n  source: wordnet\nmodel:\n  entity_masking: true\n",
            "entity_masking.*types.source is 'wordnet'",
        ),
        ("types:\n  source: senses\n", r"types.source must be one of \['ner', 'wordnet'"),
        ("types:\n  clusters: 1\n", "types.clusters must be >= 2"),
        ("train:\n  decay_after: -1\n", "train.decay_after must be >= 0"),
        ("train:\n  max_grad_norm: 0\n", "train.max_grad_norm must be > 0"),
        ("train:\n  cpu_isa: avx9\n", r"train.cpu_isa must be one of \['avx2', 'native'\]"),
    ],
)
def test_combinations_are_refused_before_any_data_is_read(tmp_path, text, message):
    (tmp_path / "p.yaml").write_text(text)
    with pytest.raises(InputError, match=message):
        load_params(tmp_path / "p.yaml")


def test_decay_after_zero_trains(tiny_parsed, tmp_path):
    from kdre.training.recipe import run_baseline

    train = dataclasses.replace(tiny_params().train, epochs=3, decay_after=0)
    metrics, history = run_baseline(tiny_params(train=train), tiny_parsed, tmp_path / "b.pt", False)
    assert len(history) == 3 and history[0]["lr"] == train.lr


def test_bidirectional_lstm_equals_the_packed_lstm():
    torch.manual_seed(0)
    for layers in (1, 2):
        rnn = torch.nn.LSTM(6, 5, layers, batch_first=True, bidirectional=True).eval()
        lengths = torch.tensor([7, 3, 5, 1])
        x = torch.randn(4, 7, 6)
        mask = torch.arange(7)[None, :] < lengths[:, None]
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        want, _ = pad_packed_sequence(rnn(packed)[0], batch_first=True, total_length=7)
        got = bidirectional_lstm(rnn, x, mask, lengths)
        assert torch.allclose(got, want, atol=1e-6)
        assert torch.all(got[~mask] == 0)


def test_dropout_keeps_expectation_and_rate():
    torch.manual_seed(0)
    layer = Dropout(0.5)
    x = torch.ones(200, 500)
    y = layer(x)
    assert set(torch.unique(y).tolist()) == {0.0, 2.0}
    assert abs((y == 0).float().mean().item() - 0.5) < 0.01
    assert torch.equal(layer.eval()(x), x)


def test_clip_grad_norm_matches_torch_and_handles_sparse_gradients():
    torch.manual_seed(0)
    dense = [torch.nn.Parameter(torch.randn(3, 4)) for _ in range(2)]
    twins = [torch.nn.Parameter(p.detach().clone()) for p in dense]
    for group in (dense, twins):
        sum((p**2).sum() for p in group).backward()
    want = torch.nn.utils.clip_grad_norm_(twins, 1.0)
    got = clip_grad_norm(dense, 1.0)
    assert got == pytest.approx(float(want))
    assert all(torch.allclose(a.grad, b.grad) for a, b in zip(dense, twins, strict=True))
    emb = torch.nn.Embedding(10, 4, sparse=True)
    emb(torch.tensor([1, 1, 2])).sum().backward()  # row 1 twice: two entries of one row
    norm = clip_grad_norm(list(emb.parameters()), 0.1)
    assert norm == pytest.approx(float(np.sqrt(2**2 * 4 + 1 * 4)))
    assert torch.linalg.vector_norm(emb.weight.grad.to_dense()) == pytest.approx(0.1, rel=1e-4)


def test_kd_temperature_scales_as_hinton_et_al():
    """τ² · KL(softmax(T/τ) ‖ softmax(S/τ)): at τ = 1 the paper's loss; the gradient of the
    soft term keeps its scale as τ grows (about τ² larger than without the factor)."""
    torch.manual_seed(0)
    s, t = torch.randn(8, 5), torch.randn(8, 5)
    plain = torch.nn.functional.kl_div(
        torch.log_softmax(s, -1), torch.softmax(t, -1), reduction="batchmean"
    )
    assert torch.allclose(kd_loss(s, t, 1.0), plain)
    hot = torch.nn.functional.kl_div(
        torch.log_softmax(s / 4, -1), torch.softmax(t / 4, -1), reduction="batchmean"
    )
    assert torch.allclose(kd_loss(s, t, 4.0), 16 * hot)


def test_a_frozen_teachers_cached_logits_equal_its_encoder(tiny_parsed, tmp_path):
    """The teacher stage caches a frozen base's F(h_base) once; the model file, which has no
    cache, must predict the same (eval mode)."""
    import pandas as pd

    from kdre.data.encode import encode
    from kdre.data.schema import read_split
    from kdre.knowledge.graph import build_graph
    from kdre.models.files import load_model, pattern_table_of
    from kdre.models.inference import predict_logits
    from kdre.training.recipe import run_baseline
    from kdre.training.teachers import run_teacher

    params = dataclasses.replace(tiny_params(), gamma="vector")
    run_baseline(params, tiny_parsed, tmp_path / "b.pt", False)
    build_graph(read_split(tiny_parsed / "train.parquet"), "Other").to_parquet(tmp_path / "g.pq")
    frozen = dataclasses.replace(params, teacher=dataclasses.replace(params.teacher, base="frozen"))
    metrics, _ = run_teacher(
        frozen,
        tiny_parsed,
        tmp_path / "g.pq",
        tmp_path / "b.pt",
        tmp_path / "t.pt",
        tmp_path / "soft.parquet",
        False,
    )
    assert metrics["base_frozen"] is True
    teacher, vocab, payload = load_model(tmp_path / "t.pt")
    train = encode(read_split(tiny_parsed / "train.parquet"), vocab, 1)  # no base_logits
    train.patterns = pattern_table_of(payload).lookup(train.subj_types, train.obj_types)
    fresh = predict_logits(teacher, train, 16, torch.device("cpu"))["final"]
    soft = pd.read_parquet(tmp_path / "soft.parquet")
    cached = np.stack(soft["final"].to_numpy())
    order = [list(soft["id"]).index(i) for i in train.ids]
    assert np.allclose(fresh, cached[order], atol=1e-5)


def test_the_isa_pin_refuses_a_process_that_already_chose_wider_kernels():
    """torch decides its kernels at its first op: pinning after that must fail, not pass
    silently with host-dependent results."""
    env = {k: v for k, v in os.environ.items() if k not in ("ATEN_CPU_CAPABILITY", "MKL_CBWR")}
    probe = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.backends.cpu.get_cpu_capability())"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.strip()
    if probe in ("AVX2", "DEFAULT", "NO AVX"):
        pytest.skip(f"this host's widest kernels are {probe}: nothing wider to refuse")
    code = (
        "import torch; torch.ones(2) + 1\nfrom kdre.cpu import pin_cpu_isa\npin_cpu_isa('avx2')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode != 0 and "already runs" in done.stderr
    ok = "from kdre.cpu import pin_cpu_isa; pin_cpu_isa('avx2')\nimport torch; torch.ones(2) + 1\n"
    ok += "print(torch.backends.cpu.get_cpu_capability())"
    done = subprocess.run([sys.executable, "-c", ok], capture_output=True, text=True, env=env)
    assert done.stdout.strip() == "AVX2", done.stderr


def test_the_loop_takes_another_optimisation_accumulating_gradients(tiny_parsed):
    """The one loop admits a model with its own optimiser and schedule (a transformer teacher):
    AdamW, a per-step hook, two batches per step."""
    import math

    from kdre.models.baseline import Baseline
    from kdre.training.loop import Optimization, train_model
    from kdre.training.recipe import evaluator, prepare

    params = tiny_params()
    prep = prepare(params, tiny_parsed)
    model = Baseline(params.model, *prep.vocab.sizes)
    model.encoder.word_emb.sparse = False  # AdamW takes dense gradients only
    steps: list[int] = []
    opt = Optimization(
        make_optimizer=lambda ps: torch.optim.AdamW(ps, lr=1e-3),
        max_grad_norm=1.0,
        after_step=lambda optimizer, n: steps.append(n),
        accumulate=2,
    )
    train = prep.splits["train"]
    cfg = dataclasses.replace(params.train, epochs=1)
    result = train_model(
        model,
        train,
        prep.splits["dev"],
        cfg,
        evaluator(prep.spec, prep.vocab, prep.splits["dev"]),
        1,
        0.0,
        torch.device("cpu"),
        False,
        "t",
        opt,
    )
    batches = math.ceil(len(train) / cfg.batch_size)
    assert steps == list(range(1, math.ceil(batches / 2) + 1))
    assert result.history[0]["lr"] == 1e-3
