"""Running a model: where (device) and over what (a whole encoded split, in batches).

Inference code that evaluation, serving and training all use; it imports no training code, so
`kdre predict` and `kdre evaluate` load only what running a model needs."""

from __future__ import annotations

import numpy as np
import torch

from kdre.data.encode import Encoded, iterate
from kdre.models.heads import FINAL


@torch.no_grad()
def predict_logits(
    model: torch.nn.Module, data: Encoded, batch_size: int, device: torch.device
) -> dict[str, np.ndarray]:
    """Final logits and their named parts (local/global...) for every example, in data order."""
    model.eval()
    out: dict[str, np.ndarray] = {}
    for batch in iterate(data, batch_size):
        result = model(batch.to(device))
        named = {FINAL: result.logits, **result.parts}
        for key, value in named.items():
            if key not in out:
                out[key] = np.zeros((len(data), value.size(-1)), dtype=np.float32)
            out[key][batch.index.numpy()] = value.float().cpu().numpy()
    return out
