"""Student: h_stu = F(h_base) + F(h_maa) (paper Eq. 13), multi-aspect attention (Eq. 10–12),
trained with L_S = (1 − λ_kd)·L_GT + λ_kd·(L_KD + λ_ht·L_HT) (Eq. 17). It never sees types or
the graph: the teacher's knowledge arrives only through its soft labels."""

from __future__ import annotations

import torch
from torch import nn

from kdre.config import ModelConfig, StudentConfig
from kdre.data.encode import Batch
from kdre.models.baseline import Baseline
from kdre.models.heads import LOCAL, ModelOutput
from kdre.models.losses import ground_truth_loss, hint_loss, kd_loss, pooling_l2


class MultiAspectAttention(nn.Module):
    """u_i = vᵀ tanh(W_h h_i + W_p [p_i^s; p_i^o] + W_n ner_i + W_q q); a = softmax(u) over
    real tokens; h_maa = Σ a_i h_i. Position embeddings (one table shared by the subject and
    object offsets) and NER embeddings are the token's own, as in the paper."""

    def __init__(self, token_dim: int, query_dim: int, n_ner: int, cfg: StudentConfig) -> None:
        super().__init__()
        self.max_position = cfg.max_position
        self.position = nn.Embedding(2 * cfg.max_position + 1, cfg.pos_dim)
        self.ner = nn.Embedding(n_ner, cfg.ner_dim, padding_idx=0)
        nn.init.uniform_(self.position.weight, -1.0, 1.0)
        nn.init.uniform_(self.ner.weight, -1.0, 1.0)
        self.W_h = nn.Linear(token_dim, cfg.attn_dim, bias=False)
        self.W_p = nn.Linear(2 * cfg.pos_dim, cfg.attn_dim, bias=False)
        self.W_n = nn.Linear(cfg.ner_dim, cfg.attn_dim, bias=False)
        self.W_q = nn.Linear(query_dim, cfg.attn_dim, bias=True)
        self.v = nn.Linear(cfg.attn_dim, 1, bias=False)

    def forward(
        self, tokens: torch.Tensor, query: torch.Tensor, batch: Batch
    ) -> tuple[torch.Tensor, torch.Tensor]:
        m = self.max_position
        pos = torch.cat(
            [
                self.position(batch.subj_pos.clamp(-m, m) + m),
                self.position(batch.obj_pos.clamp(-m, m) + m),
            ],
            dim=-1,
        )
        scores = self.v(
            torch.tanh(
                self.W_h(tokens)
                + self.W_p(pos)
                + self.W_n(self.ner(batch.ner))
                + self.W_q(query).unsqueeze(1)
            )
        ).squeeze(-1)
        weights = torch.softmax(scores.masked_fill(~batch.mask, float("-inf")), dim=-1)
        return torch.bmm(weights.unsqueeze(1), tokens).squeeze(1), weights


class Student(Baseline):
    kind = "student"

    def __init__(
        self,
        cfg: ModelConfig,
        student: StudentConfig,
        n_words: int,
        n_pos: int,
        n_ner: int,
        n_labels: int,
        pooling_l2_weight: float = 0.003,
        word_vectors: torch.Tensor | None = None,
    ) -> None:
        super().__init__(cfg, n_words, n_pos, n_ner, n_labels, pooling_l2_weight, word_vectors)
        self.student_cfg = student
        self.lambda_kd = student.lambda_kd_at(1, 1)
        if student.maa:
            self.maa = MultiAspectAttention(cfg.hidden_dim, self.encoder.out_dim, n_ner, student)
            self.aux_classifier = nn.Linear(cfg.hidden_dim, n_labels)
        else:
            self.maa = None

    def start_epoch(self, epoch: int, epochs: int) -> dict[str, float]:
        """Teacher annealing: set λ_kd for this epoch (called by the training loop)."""
        self.lambda_kd = self.student_cfg.lambda_kd_at(epoch, epochs)
        return {"lambda_kd": self.lambda_kd}

    def forward(self, batch: Batch) -> ModelOutput:
        enc = self.encoder(batch)
        local = self.classifier(enc.h_base)
        parts = {LOCAL: local}
        if self.maa is None:
            return ModelOutput(local, enc.h_sent, parts)
        h_maa, _ = self.maa(enc.tokens, enc.h_base, batch)
        aux = self.aux_classifier(h_maa)
        parts["aux"] = aux
        return ModelOutput(local + aux, enc.h_sent, parts)

    def loss(self, out: ModelOutput, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        """L_S = (1 − λ_kd)·L_GT + λ_kd·(L_KD + λ_ht·L_HT) over the gold examples; a transfer
        example (``batch.gold`` false) has no gold term: its teacher terms join with weight
        μ·λ_kd = ``transfer_weight`` × this epoch's λ_kd, so λ_kd anneals them too (unless
        ``transfer_anneal`` is false: μ × the largest λ_kd in every epoch)."""
        cfg = self.student_cfg
        gold = batch.gold
        if gold is None or bool(gold.all()):
            return self._loss(out, batch, None)
        loss, parts = self._loss(out, batch, gold)
        weight = cfg.transfer_weight * (
            self.lambda_kd if cfg.transfer_anneal else cfg.lambda_kd_at(1, 1)
        )
        if weight == 0.0:
            return loss, parts
        transfer = self._teacher_terms(out, batch, ~gold)
        parts["transfer"] = transfer.item()
        return loss + weight * transfer, parts

    def _loss(
        self, out: ModelOutput, batch: Batch, rows: torch.Tensor | None
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """The paper's L_S over ``rows`` (None: all) of the batch."""
        logits, labels, h_sent = out.logits, batch.labels, out.h_sent
        if rows is not None:
            if not bool(rows.any()):
                return logits.sum() * 0.0, {"gt": 0.0}
            logits, labels, h_sent = logits[rows], labels[rows], h_sent[rows]
        gt = ground_truth_loss(logits, labels) + pooling_l2(h_sent, self.pooling_l2_weight)
        parts = {"gt": gt.item()}
        if self.lambda_kd == 0.0:
            return gt, parts
        teacher_terms = self._teacher_terms(out, batch, rows, parts)
        return (1.0 - self.lambda_kd) * gt + self.lambda_kd * teacher_terms, parts

    def _teacher_terms(
        self,
        out: ModelOutput,
        batch: Batch,
        rows: torch.Tensor | None,
        parts: dict[str, float] | None = None,
    ) -> torch.Tensor:
        """L_KD + λ_ht·L_HT over ``rows`` (None: all) of the batch."""
        cfg = self.student_cfg
        teacher = batch.soft_labels
        if teacher is None:
            raise ValueError("distillation needs the teacher's soft labels (Batch.soft_labels)")

        def pick(t: torch.Tensor | None) -> torch.Tensor | None:
            return t if t is None or rows is None else t[rows]

        kd = kd_loss(pick(out.logits), pick(teacher.final), cfg.temperature, cfg.kd_loss)
        terms = kd
        if parts is not None:
            parts["kd"] = kd.item()
        if cfg.hint:
            ht = hint_loss(
                pick(out.parts[LOCAL]),
                pick(teacher.local),
                pick(out.parts.get("aux")),
                pick(teacher.global_),
                cfg.temperature,
                cfg.kd_loss,
            )
            terms = terms + cfg.lambda_ht * ht
            if parts is not None:
                parts["hint"] = ht.item()
        return terms
