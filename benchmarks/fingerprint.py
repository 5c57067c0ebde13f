"""Which CPU kernels give this host's floats: one digest per kind of kernel the training runs.

A run is reproducible across hosts only if every kernel it uses returns the same bits. This
pushes fixed inputs (made with NumPy's legacy generator, which is host-independent) through each
kind of kernel the C-GCN training uses, at ``train.cpu_isa`` and ``train.threads`` of the params
file, and hashes the exact float32 bytes of every output and gradient: the word embedding and
its sparse gradient, the fused LSTM in both directions (kdre's own BiLSTM), the GCN's batched
matmuls and linear layers, dropout masks from torch's generator, masked max pooling, softmax and
cross-entropy, the SGD and Adam steps, and gradient-norm clipping. Runs in seconds.

Usage:
    python benchmarks/fingerprint.py [--params params.yaml] [--out FILE]
    python benchmarks/fingerprint.py --compare reports/fingerprint.json
``--compare`` names the first kernel (in training order) whose digest differs from the
reference file, and exits 1 if any does. The reference host's file is committed as
reports/fingerprint.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

# The caps must be in the environment before torch runs its first kernel (kdre.cpu).
from kdre.cpu import isa_from_params_file, set_isa_environment  # noqa: E402


def digest(*tensors) -> str:
    h = hashlib.sha256()
    for t in tensors:
        h.update(t.detach().contiguous().float().numpy().tobytes())
    return h.hexdigest()[:16]


def kernels(threads: int) -> dict[str, str]:
    """Kernel kind → digest of its outputs (and gradients), in the order training meets them."""
    import numpy as np
    import torch
    from torch import nn

    from kdre.models.encoders.layers import Dropout, bidirectional_lstm

    torch.set_num_threads(threads)
    rng = np.random.RandomState(0)

    def randn(*shape: int, scale: float = 1.0) -> torch.Tensor:
        return torch.from_numpy((rng.standard_normal(shape) * scale).astype(np.float32))

    out: dict[str, str] = {}
    batch, length, vocab, dim, hidden = 16, 24, 500, 50, 64
    lengths = torch.from_numpy(rng.randint(3, length + 1, size=batch)).sort(descending=True)[0]
    mask = torch.arange(length)[None, :] < lengths[:, None]

    # Embedding lookup and its sparse gradient (the word table trains with sparse=True).
    emb = nn.Embedding(vocab, dim, sparse=True)
    with torch.no_grad():
        emb.weight.copy_(randn(vocab, dim, scale=0.1))
    words = torch.from_numpy(rng.randint(0, vocab, size=(batch, length)))
    x = emb(words)
    (x * randn(batch, length, dim)).sum().backward()
    grad = emb.weight.grad.coalesce()
    out["embedding"] = digest(x, grad.values(), grad.indices())

    # The fused LSTM, both directions, forward and backward (kdre's BiLSTM over padded input).
    rnn = nn.LSTM(dim, hidden, 1, batch_first=True, bidirectional=True)
    with torch.no_grad():
        for p in rnn.parameters():
            p.copy_(randn(*p.shape, scale=0.1))
    inp = randn(batch, length, dim).requires_grad_()
    h = bidirectional_lstm(rnn, inp, mask, lengths)
    (h * randn(*h.shape)).sum().backward()
    out["lstm"] = digest(h, inp.grad, *(p.grad for p in rnn.parameters()))

    # GCN layer: adjacency matmul, linear, ReLU, forward and backward; then its parts alone,
    # so that a difference names its op.
    adj = torch.from_numpy((rng.rand(batch, length, length) < 0.15).astype(np.float32))
    adj = ((adj + adj.transpose(1, 2)) > 0).float()
    lin = nn.Linear(2 * hidden, hidden)
    with torch.no_grad():
        lin.weight.copy_(randn(hidden, 2 * hidden, scale=0.1))
        lin.bias.copy_(randn(hidden, scale=0.1))
    g_in = randn(batch, length, 2 * hidden).requires_grad_()
    denom = adj.sum(2, keepdim=True) + 1
    g = torch.relu(lin(adj.bmm(g_in)) / denom)
    upstream = randn(*g.shape)
    (g * upstream).sum().backward()
    out["gcn_layer"] = digest(g, g_in.grad, lin.weight.grad, lin.bias.grad)
    with torch.no_grad():
        flat = g_in.detach().reshape(-1, 2 * hidden)
        out["gcn.bmm"] = digest(adj.bmm(g_in.detach()))
        out["gcn.row_sum"] = digest(denom)
        out["gcn.linear_forward"] = digest(nn.functional.linear(flat, lin.weight, lin.bias))
        out["gcn.matmul_nt"] = digest(upstream.reshape(-1, hidden).t() @ flat)
        out["gcn.matmul_nn"] = digest(upstream.reshape(-1, hidden) @ lin.weight)

    # Dropout masks from torch's generator (kdre's Dropout draws them with torch.rand).
    torch.manual_seed(1)
    drop = Dropout(0.5).train()
    out["dropout_mask"] = digest(drop(torch.ones(batch, length, 2 * hidden)))

    # Masked max pooling over tokens (the C-GCN's sentence and entity pooling).
    pooled = g.detach().masked_fill(~mask[:, :, None], -1e12).max(1)[0]
    out["max_pooling"] = digest(pooled)

    # Softmax and cross-entropy, forward and backward.
    logits = randn(batch, 19, scale=2.0).requires_grad_()
    labels = torch.from_numpy(rng.randint(0, 19, size=batch))
    loss = nn.functional.cross_entropy(logits, labels)
    loss.backward()
    out["softmax_cross_entropy"] = digest(torch.softmax(logits.detach(), -1), loss, logits.grad)

    # Optimiser steps, after clipping the gradient norm (the C-GCN clips at train.max_grad_norm).
    params = [nn.Parameter(randn(300, 200, scale=0.1)), nn.Parameter(randn(200, scale=0.1))]
    for p in params:
        p.grad = randn(*p.shape)
    norm = nn.utils.clip_grad_norm_(params, 5.0)
    out["clip_grad_norm"] = digest(norm, *(p.grad for p in params))
    sgd = torch.optim.SGD(params, lr=0.3)
    sgd.step()
    out["sgd_step"] = digest(*params)
    # AdamW (the transformer teacher's), in torch's default implementation and as a loop.
    start = [p.detach().clone() for p in params]
    for name, foreach in (("adam_step", None), ("adam_step.for_loop", False)):
        with torch.no_grad():
            for p, value in zip(params, start, strict=True):
                p.copy_(value)
        adam = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01, foreach=foreach)
        for _ in range(3):
            adam.step()
        out[name] = digest(*params)
    return out


def fingerprint(params_path: Path) -> dict:
    from kdre.config import load_params
    from kdre.cpu import cpu_info

    params = load_params(params_path)
    env = {
        k: os.environ[k]
        for k in ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "ONEDNN_MAX_CPU_ISA")
        if k in os.environ
    }
    return {
        "host": {**cpu_info(params.train.cpu_isa), "threads": params.train.threads, "env": env},
        "kernels": kernels(params.train.threads),
    }


def compare(mine: dict, reference: dict) -> list[str]:
    """The kernels whose digests differ, in training order."""
    return [k for k, v in reference["kernels"].items() if mine["kernels"].get(k) != v]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--params", type=Path, default=ROOT / "params.yaml")
    parser.add_argument("--out", type=Path, help="write the JSON here too")
    parser.add_argument("--compare", type=Path, help="a reference file (reports/fingerprint.json)")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set after the caps, to try another setting (e.g. MKL_CBWR=AVX2: no STRICT)",
    )
    args = parser.parse_args()
    set_isa_environment(isa_from_params_file(str(args.params)))
    for item in args.env:
        key, _, value = item.partition("=")
        os.environ[key] = value
    result = fingerprint(args.params)
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    if args.compare:
        reference = json.loads(args.compare.read_text())
        differ = compare(result, reference)
        if differ:
            host = reference["host"]
            print(
                f"fingerprint: {len(differ)} kernel(s) differ from {args.compare}, first "
                f"{differ[0]!r}: {', '.join(differ)} (reference host: "
                f"{host.get('cpu_model')}, {host.get('aten_capability')}, "
                f"torch {host.get('torch')})",
                file=sys.stderr,
            )
            return 1
        print(f"fingerprint: every kernel equals {args.compare}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
