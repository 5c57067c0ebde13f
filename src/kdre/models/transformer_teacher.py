"""Transformer teacher: h_tea = F(h_transformer) + γ ⊙ G(p) (the paper's Eq. 8 with a
transformer in place of the C-GCN), trained with L_T = L_GT + L_TSD as the C-GCN teacher."""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch
from torch import nn

from kdre.config import TeacherConfig
from kdre.data.encode import Batch
from kdre.models.encoders.transformer import TransformerEncoder
from kdre.models.heads import GLOBAL, LOCAL, ModelOutput
from kdre.models.teacher import Gamma, teacher_loss, type_term


class TransformerTeacher(nn.Module):
    kind = "transformer-teacher"
    pooling_l2_weight = 0.0  # the C-GCN's pooled-vector penalty has no counterpart here

    def __init__(
        self,
        model: nn.Module,
        teacher: TeacherConfig,
        gamma: str,
        gamma_scalar: float,
        n_labels: int,
        na_id: int,
    ) -> None:
        super().__init__()
        self.encoder = TransformerEncoder(model)
        self.classifier = nn.Sequential(
            nn.Dropout(teacher.transformer.dropout), nn.Linear(self.encoder.out_dim, n_labels)
        )
        self.teacher_cfg = teacher
        self.gamma = Gamma(gamma, n_labels, na_id, gamma_scalar)
        if not teacher.type_constraints:
            self.gamma.requires_grad_(False)

    def forward(self, batch: Batch) -> ModelOutput:
        local = self.classifier(self.encoder(batch))
        global_ = type_term(self.gamma, self.teacher_cfg, batch, local)
        return ModelOutput(local + global_, None, {LOCAL: local, GLOBAL: global_})

    def loss(self, out: ModelOutput, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        return teacher_loss(out, batch, self.teacher_cfg, 0.0)


def rebuild(payload: dict, n_labels: int, na_id: int) -> TransformerTeacher:
    """The teacher of a model file (weights still to load), its tokenizer as ``.tokenizer``:
    the encoder from the recorded Hugging Face config, the tokenizer from its recorded files,
    so the file needs no model folder."""
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    record = payload["transformer"]
    config = dict(record["hf_config"])
    config_obj = AutoConfig.for_model(config.pop("model_type"), **config)
    model = AutoModel.from_config(config_obj)
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in record["tokenizer_files"].items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        tokenizer = AutoTokenizer.from_pretrained(tmp, local_files_only=True)
    from kdre.config import build

    t = payload["teacher"]
    teacher_cfg = build(TeacherConfig, t["config"], "teacher", "model file", tolerant=True)
    teacher = TransformerTeacher(model, teacher_cfg, t["gamma"], t["gamma_scalar"], n_labels, na_id)
    teacher.tokenizer = tokenizer
    return teacher
