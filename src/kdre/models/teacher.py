"""Teacher: h_tea = F(h_base) + γ ⊙ G(p) (paper Eq. 8), trained with L_T = L_GT + L_TSD (Eq. 15)."""

from __future__ import annotations

import torch
from torch import nn

from kdre.config import ModelConfig, TeacherConfig
from kdre.data.encode import Batch
from kdre.models.baseline import Baseline
from kdre.models.heads import GLOBAL, LOCAL, ModelOutput
from kdre.models.losses import ground_truth_loss, pooling_l2, tsd_loss


class Gamma(nn.Module):
    """The weight γ of the global knowledge, in the paper's three forms.

    scalar   γ_s: a fixed number (not trained).
    vector   γ_v ∈ R^{d_r}: trained, one weight per relation dimension of G(p).
    relation γ_r = Γ[gold relation], Γ ∈ R^{d_r × d_r} trained; needs the gold label, so its
             dev/test scores leak the answer. As in the reference, Γ[NA] is zero and never trained.
    """

    def __init__(self, kind: str, n_labels: int, na_id: int, scalar: float = 0.8) -> None:
        super().__init__()
        self.kind = kind
        if kind == "scalar":
            self.register_buffer("gamma_s", torch.tensor(float(scalar)))
        elif kind == "vector":
            self.gamma_v = nn.Parameter(torch.full((n_labels,), float(scalar)))
        elif kind == "relation":
            self.Gamma = nn.Embedding(n_labels, n_labels, padding_idx=na_id)
            nn.init.uniform_(self.Gamma.weight, -1.0, 1.0)
            with torch.no_grad():
                self.Gamma.weight[na_id].zero_()
        else:
            raise ValueError(f"unknown gamma {kind!r}")

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        if self.kind == "scalar":
            return self.gamma_s
        if self.kind == "vector":
            return self.gamma_v
        return self.Gamma(labels)


class Teacher(Baseline):
    kind = "teacher"

    def __init__(
        self,
        cfg: ModelConfig,
        teacher: TeacherConfig,
        gamma: str,
        gamma_scalar: float,
        n_words: int,
        n_pos: int,
        n_ner: int,
        n_labels: int,
        na_id: int,
        pooling_l2_weight: float = 0.003,
        word_vectors: torch.Tensor | None = None,
    ) -> None:
        super().__init__(cfg, n_words, n_pos, n_ner, n_labels, pooling_l2_weight, word_vectors)
        self.teacher_cfg = teacher
        self.gamma = Gamma(gamma, n_labels, na_id, gamma_scalar)
        if not teacher.type_constraints:  # −TC: γ ⊙ G(p) is dropped, so γ is not trained
            self.gamma.requires_grad_(False)

    def forward(self, batch: Batch) -> ModelOutput:
        """h_tea = F(h_base) + γ ⊙ G(p). A batch that carries its frozen base's F(h_base)
        (``base_logits``, cached once by the teacher stage) skips the encoder: eval-mode logits
        (B, relations), or several train-mode (dropout) passes (B, passes, relations) of which
        each example takes one at random, as a base run in train mode would give."""
        h_sent = None
        if batch.base_logits is not None:
            local = batch.base_logits
            if local.dim() == 3:  # (B, passes, relations): one dropout pass per example
                pick = torch.randint(local.size(1), (local.size(0),), device=local.device)
                local = local[torch.arange(local.size(0), device=local.device), pick]
        else:
            enc = self.encoder(batch)
            local, h_sent = self.classifier(enc.h_base), enc.h_sent
        global_ = type_term(self.gamma, self.teacher_cfg, batch, local)
        return ModelOutput(local + global_, h_sent, {LOCAL: local, GLOBAL: global_})

    def loss(self, out: ModelOutput, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        return teacher_loss(out, batch, self.teacher_cfg, self.pooling_l2_weight)


def type_term(gamma: Gamma, cfg: TeacherConfig, batch: Batch, local: torch.Tensor) -> torch.Tensor:
    """γ ⊙ G(p) of the paper's Eq. 8 (zeros without type constraints, ablation −TC)."""
    if not cfg.type_constraints:
        return torch.zeros_like(local)
    if batch.patterns is None:
        raise ValueError("the teacher needs G(p) of every example (Batch.patterns)")
    return gamma(batch.labels) * batch.patterns


def teacher_loss(
    out: ModelOutput, batch: Batch, cfg: TeacherConfig, pooling_weight: float
) -> tuple[torch.Tensor, dict[str, float]]:
    """L_T = L_GT + L_TSD (Eq. 15), plus the C-GCN's pooling penalty where there is a pooled
    sentence vector."""
    gt = ground_truth_loss(out.logits, batch.labels)
    total = gt
    if out.h_sent is not None and pooling_weight:
        total = total + pooling_l2(out.h_sent, pooling_weight)
    parts = {"gt": gt.item()}
    if cfg.tsd:
        tsd = tsd_loss(out.logits, cfg.tsd_k)
        total = total + tsd
        parts["tsd"] = tsd.item()
    return total, parts
