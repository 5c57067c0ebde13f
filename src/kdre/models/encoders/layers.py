"""Layers of the C-GCN encoder written for CPU speed, each equal in math to the torch module it
replaces (profiled on SemEval with torch 2.13 at 2 threads: see docs/performance.md).

- :class:`Dropout` draws its mask from ``torch.rand`` instead of ``bernoulli_``: the same
  distribution, but ``bernoulli_`` took 5.4 ms for a 50 × 25 × 360 batch against 1.9 ms.
- :func:`bidirectional_lstm` runs each direction of an ``nn.LSTM`` as a unidirectional LSTM over
  padded input, the backward one over each sentence reversed within its own length. A packed
  sequence of unequal lengths sends torch's CPU LSTM down a per-time-step loop; padded input of
  one direction takes the fused oneDNN kernel (1.5× faster forward + backward). Outputs equal
  the packed LSTM's on real tokens (within float rounding) and are zero on padding. On CUDA the
  module itself runs over a packed sequence: cuDNN packs natively, and only the module keeps its
  weights in the one contiguous buffer cuDNN wants (per-direction weights make it warn and copy).
"""

from __future__ import annotations

import torch
from torch import nn


class Dropout(nn.Module):
    """Inverted dropout: zero each element with probability ``p``, scale the rest by 1/(1−p)."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        return x * (torch.rand_like(x) >= self.p) * (1.0 / (1.0 - self.p))


def reverse_index(
    lengths: torch.Tensor, max_len: int, device: torch.device | None = None
) -> torch.Tensor:
    """(B, L) gather index that reverses each row within its length and leaves padding put,
    on ``device`` (default: that of ``lengths``, which a :class:`kdre.data.encode.Batch` keeps
    on the CPU — so a caller on another device must name it)."""
    idx = torch.arange(max_len, device=device or lengths.device).unsqueeze(0)
    lengths = lengths.to(idx.device).unsqueeze(1)
    return torch.where(idx < lengths, lengths - 1 - idx, idx)


def _gather_time(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    return x.gather(1, index.unsqueeze(-1).expand(-1, -1, x.size(-1)))


def bidirectional_lstm(
    rnn: nn.LSTM, x: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor
) -> torch.Tensor:
    """Outputs (B, L, 2·hidden) of the bidirectional, batch-first ``rnn`` over padded ``x``
    (``mask`` True on real tokens), with ``rnn``'s own weights and inter-layer dropout."""
    if not (rnn.bidirectional and rnn.batch_first and rnn.bias) or rnn.proj_size:
        raise ValueError("bidirectional_lstm needs a batch-first bidirectional LSTM with biases")
    batch, max_len = x.shape[:2]
    if x.is_cuda:
        return _packed_lstm(rnn, x, lengths, max_len)
    rev = reverse_index(lengths, max_len, x.device)
    keep = mask.unsqueeze(-1).to(x.dtype)
    zeros = x.new_zeros(1, batch, rnn.hidden_size)
    h = x
    for layer in range(rnn.num_layers):
        if layer:
            h = nn.functional.dropout(h, rnn.dropout, rnn.training)
        outs = []
        for suffix, reverse in (("", False), ("_reverse", True)):
            weights = [
                getattr(rnn, f"{name}_l{layer}{suffix}")
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
            ]
            inp = _gather_time(h, rev) if reverse else h
            out = torch.lstm(inp, (zeros, zeros), weights, True, 1, 0.0, rnn.training, False, True)[
                0
            ]
            outs.append(_gather_time(out, rev) if reverse else out)
        h = torch.cat(outs, dim=-1) * keep
    return h


def _packed_lstm(
    rnn: nn.LSTM, x: torch.Tensor, lengths: torch.Tensor, max_len: int
) -> torch.Tensor:
    """The module over a packed sequence (the cuDNN path): zeros on padding, like the CPU path."""
    rnn.flatten_parameters()
    packed = nn.utils.rnn.pack_padded_sequence(
        x, lengths.cpu(), batch_first=True, enforce_sorted=False
    )
    out = rnn(packed)[0]
    return nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=max_len)[0]
