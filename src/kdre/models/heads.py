"""F(·): the map from a representation to relation logits (the reference's 2-layer MLP + linear)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn


class Classifier(nn.Module):
    def __init__(self, in_dim: int, hidden: int, mlp_layers: int, n_labels: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        dim = in_dim
        for _ in range(mlp_layers):
            layers += [nn.Linear(dim, hidden), nn.ReLU()]
            dim = hidden
        self.mlp = nn.Sequential(*layers)
        self.out = nn.Linear(dim, n_labels)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.out(self.mlp(h))


# The names of a model's logits, as the paper names the teacher's parts (Eq. 8): FINAL is what
# predictions use (h_tea = F(h_base) + γ ⊙ G(p) for a teacher), LOCAL = F(h_base), GLOBAL =
# γ ⊙ G(p). Inference returns them by these names and the soft-label file stores them so.
FINAL, LOCAL, GLOBAL = "final", "local", "global"


@dataclass
class ModelOutput:
    logits: torch.Tensor  # final logits (what predictions use)
    h_sent: torch.Tensor | None  # pooled sentence vector (None when a frozen base was cached)
    parts: dict[str, torch.Tensor] = field(default_factory=dict)  # LOCAL / GLOBAL logits
