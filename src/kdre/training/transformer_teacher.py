"""The transformer teacher's recipe (``teacher.encoder: transformer``): any local Hugging Face
encoder, entity markers, h_tea = F(h_transformer) + γ ⊙ G(p), fine-tuned with AdamW and a
linear warm-up, its soft labels in the C-GCN teacher's parquet so the student needs nothing
teacher-specific. Its settings live under ``teacher.transformer``; ``train.*`` stays the C-GCN
recipe except the thread count and the device."""

from __future__ import annotations

import dataclasses
import math
import tempfile
from pathlib import Path

import torch
from torch import nn

from kdre.config import Params, TrainConfig, reads_gold_label
from kdre.data.schema import SPLITS, read_split
from kdre.data.vocab import Vocab
from kdre.features import huggingface as minilm
from kdre.features.pieces import add_markers, attach_pieces
from kdre.models.transformer_teacher import TransformerTeacher
from kdre.training.loop import Optimization
from kdre.training.recipe import Prepared
from kdre.training.teacher import TeacherRecipe


class TransformerTeacherRecipe(TeacherRecipe):
    """A transformer teacher; the pattern table, soft labels and model-file record are the C-GCN
    teacher's (TeacherRecipe), the encoder, inputs and schedule its own."""

    def __init__(self, typed_dir: Path | str, graph_path, soft_labels_path) -> None:
        super().__init__(graph_path, "", soft_labels_path)
        self.typed_dir = Path(typed_dir)
        self.tokenizer = None
        self.encoder_model: nn.Module | None = None
        self.n_train = 0

    def load(self, params: Params) -> Vocab | None:
        self.name = f"teacher-transformer-{params.gamma}"
        self.leaky = reads_gold_label(params.gamma, params.teacher.type_constraints)
        self.base_mode = "transformer"
        self.tokenizer, self.encoder_model = minilm.load(params.teacher.transformer.model)
        add_markers(self.tokenizer)
        self.encoder_model.resize_token_embeddings(len(self.tokenizer))
        return None  # the vocabulary is built from train: only its label set is used

    def attach(self, params: Params, prep: Prepared) -> None:
        super().attach(params, prep)  # G(p) of every example
        cfg = params.teacher.transformer
        for split in SPLITS:
            frame = read_split(self.typed_dir / f"{split}.parquet", validate=False)
            attach_pieces(
                prep.splits[split], frame, self.tokenizer, cfg.max_length, cfg.typed_markers
            )
        self.n_train = len(prep.splits["train"])

    def wants_word_vectors(self, params: Params) -> bool:
        return False

    def build(self, params: Params, prep: Prepared, vectors: torch.Tensor | None) -> nn.Module:
        assert self.encoder_model is not None
        return TransformerTeacher(
            self.encoder_model,
            params.teacher,
            params.gamma,
            params.gamma_scalar,
            len(prep.vocab.labels),
            prep.vocab.na_id,
        )

    def train_config(self, params: Params) -> TrainConfig:
        cfg = params.teacher.transformer
        return dataclasses.replace(
            params.train, epochs=cfg.epochs, batch_size=cfg.batch_size, early_stop=0
        )

    def optimization(self, params: Params) -> Optimization:
        """AdamW at teacher.transformer.lr, linear warm-up over the first `warmup` share of
        the optimiser steps and linear decay to 0 after, gradient accumulation, bf16 on CUDA."""
        cfg = params.teacher.transformer
        steps = cfg.epochs * math.ceil(self.n_train / (cfg.batch_size * cfg.accumulate))
        warm = max(1, round(cfg.warmup * steps))

        def schedule(optimizer: torch.optim.Optimizer, step: int) -> None:
            scale = step / warm if step < warm else max(0.0, (steps - step) / max(1, steps - warm))
            for group in optimizer.param_groups:
                group["lr"] = cfg.lr * scale

        def make(ps):
            optimizer = torch.optim.AdamW(ps, lr=cfg.lr / warm, weight_decay=cfg.weight_decay)
            return optimizer

        return Optimization(
            make_optimizer=make,
            max_grad_norm=params.train.max_grad_norm,
            after_step=schedule,
            accumulate=cfg.accumulate,
            amp=True,
        )

    def finish(self, params: Params, model: nn.Module, prep: Prepared, metrics: dict) -> dict:
        extra = super().finish(params, model, prep, metrics)
        assert self.tokenizer is not None and self.encoder_model is not None
        metrics["truncated_examples"] = sum(
            int(prep.splits[s].pieces.truncated) for s in SPLITS if prep.splits[s].pieces
        )
        extra["transformer"] = {
            "hf_config": self.encoder_model.config.to_dict(),
            "tokenizer_files": tokenizer_files(self.tokenizer),
        }
        return extra


def tokenizer_files(tokenizer) -> dict[str, str]:
    """The tokenizer's files as text, for a self-contained model file."""
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer.save_pretrained(tmp)
        return {p.name: p.read_text(encoding="utf-8") for p in Path(tmp).iterdir() if p.is_file()}
