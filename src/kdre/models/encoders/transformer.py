"""A Hugging Face encoder over entity-marked word pieces (kdre.features.pieces), pooled at [CLS]
and the two opening markers: the relation representation of the transformer relation classifiers
(R-BERT, Matching the Blanks)."""

from __future__ import annotations

import torch
from torch import nn

from kdre.data.encode import Batch


class TransformerEncoder(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.out_dim = 3 * int(model.config.hidden_size)

    def forward(self, batch: Batch) -> torch.Tensor:
        """(B, 3·hidden): the last layer's states at [CLS], <e1> and <e2>."""
        if batch.pieces is None or batch.anchors is None:
            raise ValueError("a transformer needs the word pieces of every example (Batch.pieces)")
        hidden = self.model(input_ids=batch.pieces, attention_mask=batch.piece_mask)
        states = hidden.last_hidden_state
        rows = torch.arange(states.size(0), device=states.device)[:, None]
        return states[rows, batch.anchors].flatten(1)
