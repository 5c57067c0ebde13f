"""The plain C-GCN: the paper's C-GCN row."""

from __future__ import annotations

import torch
from torch import nn

from kdre.config import ModelConfig
from kdre.data.encode import Batch
from kdre.models.encoders.cgcn import CGCN
from kdre.models.heads import LOCAL, Classifier, ModelOutput
from kdre.models.losses import ground_truth_loss, pooling_l2


class Baseline(nn.Module):
    kind = "baseline"

    def __init__(
        self,
        cfg: ModelConfig,
        n_words: int,
        n_pos: int,
        n_ner: int,
        n_labels: int,
        pooling_l2_weight: float = 0.003,
        word_vectors: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        self.encoder = CGCN(cfg, n_words, n_pos, n_ner, word_vectors)
        self.classifier = Classifier(self.encoder.out_dim, cfg.hidden_dim, cfg.mlp_layers, n_labels)
        self.pooling_l2_weight = pooling_l2_weight

    def forward(self, batch: Batch) -> ModelOutput:
        enc = self.encoder(batch)
        logits = self.classifier(enc.h_base)
        return ModelOutput(logits, enc.h_sent, {LOCAL: logits})

    def loss(self, out: ModelOutput, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        gt = ground_truth_loss(out.logits, batch.labels)
        l2 = pooling_l2(out.h_sent, self.pooling_l2_weight)
        return gt + l2, {"gt": gt.item()}
