"""C-GCN base encoder (Zhang, Qi & Manning 2018): embeddings → BiLSTM → GCN over the pruned
dependency tree → max pooling over sentence, subject and object → h_base."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from kdre.config import ModelConfig
from kdre.data.encode import Batch
from kdre.models.encoders.layers import Dropout, bidirectional_lstm

NEG_INF = -1e12


@dataclass
class EncoderOutput:
    h_base: torch.Tensor  # (B, 3 * hidden): [h_sent; h_subj; h_obj]
    h_sent: torch.Tensor  # (B, hidden), for the pooling L2 penalty
    tokens: torch.Tensor  # (B, L, hidden) GCN outputs h_i^gcn (the student's MAA attends them)


def masked_max(h: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    return h.masked_fill(~keep.unsqueeze(-1), NEG_INF).max(dim=1).values


class CGCN(nn.Module):
    def __init__(
        self,
        cfg: ModelConfig,
        n_words: int,
        n_pos: int,
        n_ner: int,
        word_vectors: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        self.cfg = cfg
        # Sparse gradients: a step touches the rows of its batch's words only, not the whole
        # table (training.clip_grad_norm and SGD handle them).
        self.word_emb = nn.Embedding(n_words, cfg.emb_dim, padding_idx=0, sparse=True)
        if word_vectors is not None:
            self.word_emb.weight.data.copy_(word_vectors)
        else:
            nn.init.uniform_(self.word_emb.weight, -1.0, 1.0)
            self.word_emb.weight.data[0].zero_()
        self.pos_emb = nn.Embedding(n_pos, cfg.pos_dim, padding_idx=0) if cfg.pos_dim else None
        self.ner_emb = nn.Embedding(n_ner, cfg.ner_dim, padding_idx=0) if cfg.ner_dim else None
        in_dim = cfg.emb_dim + cfg.pos_dim + cfg.ner_dim + cfg.ctx_dim
        self.input_dropout = Dropout(cfg.input_dropout)
        self.rnn = nn.LSTM(
            in_dim,
            cfg.rnn_hidden,
            cfg.rnn_layers,
            batch_first=True,
            bidirectional=True,
            dropout=cfg.rnn_dropout if cfg.rnn_layers > 1 else 0.0,
        )
        self.rnn_dropout = Dropout(cfg.rnn_dropout)
        dims = [2 * cfg.rnn_hidden] + [cfg.hidden_dim] * cfg.gcn_layers
        self.gcn = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims, dims[1:], strict=False))
        self.gcn_dropout = Dropout(cfg.gcn_dropout)
        self.out_dim = 3 * cfg.hidden_dim

    def forward(self, batch: Batch) -> EncoderOutput:
        parts = [self.word_emb(batch.words)]
        if self.pos_emb is not None:
            parts.append(self.pos_emb(batch.pos))
        if self.ner_emb is not None:
            parts.append(self.ner_emb(batch.ner))
        if self.cfg.ctx_dim:
            if batch.ctx is None or batch.ctx.size(-1) != self.cfg.ctx_dim:
                raise ValueError(f"this encoder needs {self.cfg.ctx_dim}-d contextual vectors")
            parts.append(batch.ctx)
        x = self.input_dropout(torch.cat(parts, dim=-1))
        h = self.rnn_dropout(bidirectional_lstm(self.rnn, x, batch.mask, batch.lengths))

        adj = batch.adj
        # A~ = A + I, normalised by degree + 1: each layer is ReLU(W(A h) + W h) / (d + 1).
        denom = adj.sum(dim=2, keepdim=True) + 1.0
        for i, layer in enumerate(self.gcn):
            # W(A h) + W h computed as one product (the reference adds the bias twice).
            h = torch.relu(layer(torch.bmm(adj, h) + h) / denom)
            if i < len(self.gcn) - 1:
                h = self.gcn_dropout(h)

        # Tokens pruned out of the tree are left out of the sentence pool (all tokens when the
        # pruned tree is empty, e.g. a one-token sentence).
        keep = ((adj.sum(dim=2) + adj.sum(dim=1)) > 0) & batch.mask
        keep = torch.where(keep.any(dim=1, keepdim=True), keep, batch.mask)
        h_sent = masked_max(h, keep)
        h_subj = masked_max(h, batch.subj_mask)
        h_obj = masked_max(h, batch.obj_mask)
        return EncoderOutput(torch.cat([h_sent, h_subj, h_obj], dim=-1), h_sent, h)
