"""One training loop for every model: seeded, length-bucketed, dev-selected.

The schedule is the C-GCN reference's: plain SGD, ×``lr_decay`` when dev F1 does not improve on
the previous epoch (once ``decay_after`` epochs are done), gradient-norm clipping, and the
checkpoint with the best dev F1 (never test) kept.
"""

from __future__ import annotations

import copy
import math
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm import tqdm

from kdre.config import TrainConfig
from kdre.data.encode import Encoded, iterate
from kdre.errors import InputError
from kdre.evaluation.scoring import Score
from kdre.models.heads import FINAL
from kdre.models.inference import predict_logits


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@torch.no_grad()
def clip_grad_norm(params: list[torch.nn.Parameter], max_norm: float) -> float:
    """Scale the gradients so that their joint L2 norm is at most ``max_norm``; returns the norm
    before clipping. ``torch.nn.utils.clip_grad_norm_`` with the same arithmetic, extended to the
    sparse gradients of the word embedding (coalesced first: a word twice in a batch gives two
    entries of one row)."""
    grads = []
    for p in params:
        if p.grad is None:
            continue
        if p.grad.is_sparse:
            p.grad = p.grad.coalesce()
            grads.append(p.grad.values())
        else:
            grads.append(p.grad)
    if not grads:
        return 0.0
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    coef = (max_norm / (total + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef)
    return float(total)


@dataclass
class TrainResult:
    best_epoch: int
    best_dev: Score
    history: list[dict] = field(default_factory=list)
    train_seconds: float = 0.0
    sentences_per_s: float = 0.0
    state_dict: dict = field(default_factory=dict)


@dataclass
class Optimization:
    """How a model's parameters move, so that one loop serves every model: the optimiser, its
    schedule per step and per epoch, gradient clipping, gradient accumulation and mixed
    precision. :func:`reference_sgd` is the C-GCN recipe every C-GCN model uses; a model with
    another recipe (a transformer: AdamW, warm-up, accumulation, bf16) brings its own."""

    make_optimizer: Callable[[list[torch.nn.Parameter]], torch.optim.Optimizer]
    max_grad_norm: float
    # after each epoch, with the history so far (its last row is this epoch): e.g. lr decay
    after_epoch: Callable[[torch.optim.Optimizer, list[dict]], None] | None = None
    # after each optimiser step, with the number of steps taken: e.g. warm-up
    after_step: Callable[[torch.optim.Optimizer, int], None] | None = None
    accumulate: int = 1  # batches whose gradients add up before one optimiser step
    amp: bool = False  # bfloat16 autocast on CUDA (ignored on the CPU)


def reference_sgd(cfg: TrainConfig) -> Optimization:
    """The C-GCN reference schedule: plain SGD at ``lr``, ×``lr_decay`` after an epoch whose
    dev F1 does not beat the previous epoch's, once ``decay_after`` epochs are done (and never
    after the first epoch, which has no previous one), gradients clipped to ``max_grad_norm``."""

    def decay(optimizer: torch.optim.Optimizer, history: list[dict]) -> None:
        if (
            len(history) > max(cfg.decay_after, 1)
            and history[-1]["dev_f1"] <= history[-2]["dev_f1"]
        ):
            for group in optimizer.param_groups:
                group["lr"] *= cfg.lr_decay

    return Optimization(
        make_optimizer=lambda params: torch.optim.SGD(params, lr=cfg.lr),
        max_grad_norm=cfg.max_grad_norm,
        after_epoch=decay,
    )


class _Selection:
    """Dev-based model selection and early stopping: the best dev F1 so far (strictly higher
    wins, so the earliest of equal epochs is kept), its epoch and a copy of its weights."""

    def __init__(self, model: torch.nn.Module, early_stop: int) -> None:
        self.best: Score | None = None
        self.epoch = 0
        self.state = copy.deepcopy(model.state_dict())
        self.early_stop = early_stop
        self.since_best = 0

    def see(self, model: torch.nn.Module, epoch: int, score: Score) -> None:
        if self.best is None or score.f1 > self.best.f1:
            self.best, self.epoch, self.since_best = score, epoch, 0
            self.state = copy.deepcopy(model.state_dict())
        else:
            self.since_best += 1

    def should_stop(self) -> bool:
        return bool(self.early_stop) and self.since_best >= self.early_stop


class _Steps:
    """One epoch of optimisation over the training batches, counting optimiser steps across
    epochs (a warm-up schedule reads the count)."""

    def __init__(self, model: torch.nn.Module, opt: Optimization, device: torch.device) -> None:
        self.model, self.opt, self.device = model, opt, device
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = opt.make_optimizer(self.params) if self.params else None
        self.autocast = opt.amp and device.type == "cuda"
        self.count = 0

    def epoch(self, batches, n_train: int, batch_size: int, epoch: int, name: str) -> float:
        """Train over ``batches``; the mean training loss per example."""
        opt, optimizer = self.opt, self.optimizer
        total_loss, n_seen = 0.0, 0
        optimizer.zero_grad(set_to_none=True)
        for i, batch in enumerate(batches, start=1):
            batch = batch.to(self.device)
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.autocast):
                out = self.model(batch)
                loss, _ = self.model.loss(out, batch)
            value = loss.item()
            if not math.isfinite(value):
                # stop before a step writes NaN into the weights: nothing of the stage is saved
                raise InputError(
                    f"{name}: the training loss became {value} at epoch {epoch}, batch {i}; "
                    "the model would not be finite (lower train.lr, or check the inputs: "
                    "word vectors, soft labels)"
                )
            (loss / opt.accumulate if opt.accumulate > 1 else loss).backward()
            total_loss += value * len(batch.index)
            n_seen += len(batch.index)
            if i % opt.accumulate == 0 or i * batch_size >= n_train:
                clip_grad_norm(self.params, opt.max_grad_norm)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                self.count += 1
                if opt.after_step is not None:
                    opt.after_step(optimizer, self.count)
        return total_loss / max(n_seen, 1)


class _Progress:
    """A bar on a terminal; one line per epoch in logs (DVC output redirected to a file, CI)."""

    def __init__(self, name: str, epochs: int, progress: bool) -> None:
        self.name, self.epochs, self.progress = name, epochs, progress
        self.interactive = progress and sys.stderr.isatty()
        self.bar = tqdm(range(1, epochs + 1), desc=name, unit="epoch", disable=not self.interactive)

    def __iter__(self):
        return iter(self.bar)

    def epoch_done(self, row: dict, best: Score, best_epoch: int) -> None:
        self.bar.set_postfix(
            loss=f"{row['train_loss']:.3f}",
            dev_f1=f"{row['dev_f1']:.2f}",
            best=f"{best.f1:.2f}@{best_epoch}",
        )
        if self.progress and not self.interactive:
            print(
                f"{self.name} epoch {row['epoch']}/{self.epochs}: loss {row['train_loss']:.4f} "
                f"dev F1 {row['dev_f1']:.2f} (best {best.f1:.2f} @ {best_epoch}) "
                f"lr {row['lr']:.4g} {row['seconds']:.1f}s",
                file=sys.stderr,
                flush=True,
            )


def train_model(
    model: torch.nn.Module,
    train: Encoded,
    dev: Encoded,
    cfg: TrainConfig,
    evaluate: Callable[[np.ndarray], Score],
    seed: int,
    word_dropout: float,
    device: torch.device,
    progress: bool = True,
    name: str = "train",
    optimization: Optimization | None = None,
    sample: Callable[[np.random.Generator], np.ndarray] | None = None,
) -> TrainResult:
    """Train ``model`` (which provides ``loss(out, batch)``) and return its best-on-dev state.

    ``cfg`` gives the epochs, batch size and early stopping; ``optimization`` how the
    parameters move (default: :func:`reference_sgd` of ``cfg``); ``sample``, when given, the
    rows of ``train`` each epoch trains on (drawn afresh per epoch, e.g. the student's train
    plus a share of the transfer set)."""
    opt = optimization or reference_sgd(cfg)
    rng = np.random.default_rng(seed)
    model.to(device)
    steps = _Steps(model, opt, device)
    if steps.optimizer is None:
        # Nothing trains (a frozen teacher without a trained type term, e.g. the
        # self-distillation control): the model as it is, scored on dev, no epochs.
        score = evaluate(predict_logits(model, dev, cfg.batch_size * 2, device)[FINAL])
        state = copy.deepcopy(model.state_dict())
        return TrainResult(0, score, [], 0.0, 0.0, state)
    selection = _Selection(model, cfg.early_stop)
    history: list[dict] = []
    train_seconds = 0.0
    seen = 0  # examples trained on, over all epochs
    bar = _Progress(name, cfg.epochs, progress)
    start_epoch = getattr(model, "start_epoch", None)  # e.g. the student's teacher annealing
    for epoch in bar:
        schedule = start_epoch(epoch, cfg.epochs) if start_epoch is not None else {}
        model.train()
        start = time.perf_counter()
        rows = sample(rng) if sample is not None else None
        batches = iterate(train, cfg.batch_size, rng, word_dropout, rows)
        n_epoch = len(train) if rows is None else len(rows)
        train_loss = steps.epoch(batches, n_epoch, cfg.batch_size, epoch, name)
        seen += n_epoch
        seconds = time.perf_counter() - start
        train_seconds += seconds
        dev_score = evaluate(predict_logits(model, dev, cfg.batch_size * 2, device)[FINAL])
        selection.see(model, epoch, dev_score)
        row = {
            "epoch": epoch,
            "train_loss": train_loss,
            "dev_f1": dev_score.f1,
            "dev_precision": dev_score.precision,
            "dev_recall": dev_score.recall,
            "lr": steps.optimizer.param_groups[0]["lr"],
            "seconds": seconds,
            **schedule,
        }
        history.append(row)
        assert selection.best is not None
        bar.epoch_done(row, selection.best, selection.epoch)
        if opt.after_epoch is not None:
            opt.after_epoch(steps.optimizer, history)
        if selection.should_stop():
            break
    model.load_state_dict(selection.state)
    assert selection.best is not None
    return TrainResult(
        best_epoch=selection.epoch,
        best_dev=selection.best,
        history=history,
        train_seconds=train_seconds,
        sentences_per_s=seen / max(train_seconds, 1e-9),
        state_dict=selection.state,
    )
