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
from kdre.data import Encoded, iterate
from kdre.errors import InputError
from kdre.scoring import Score


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


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError("train.device is 'cuda' but torch sees no CUDA device; use auto or cpu")
    return torch.device(name)


@torch.no_grad()
def predict_logits(
    model: torch.nn.Module, data: Encoded, batch_size: int, device: torch.device
) -> dict[str, np.ndarray]:
    """Final logits and their named parts (local/global...) for every example, in data order."""
    model.eval()
    out: dict[str, np.ndarray] = {}
    for batch in iterate(data, batch_size):
        result = model(batch.to(device))
        named = {"final": result.logits, **result.parts}
        for key, value in named.items():
            if key not in out:
                out[key] = np.zeros((len(data), value.size(-1)), dtype=np.float32)
            out[key][batch.index.numpy()] = value.float().cpu().numpy()
    return out


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
) -> TrainResult:
    """Train ``model`` (which provides ``loss(out, batch)``) and return its best-on-dev state.

    ``cfg`` gives the epochs, batch size and early stopping; ``optimization`` how the
    parameters move (default: :func:`reference_sgd` of ``cfg``)."""
    opt = optimization or reference_sgd(cfg)
    rng = np.random.default_rng(seed)
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        # Nothing trains (a frozen teacher without a trained type term, e.g. the
        # self-distillation control): the model as it is, scored on dev, no epochs.
        score = evaluate(predict_logits(model, dev, cfg.batch_size * 2, device)["final"])
        state = copy.deepcopy(model.state_dict())
        return TrainResult(0, score, [], 0.0, 0.0, state)
    optimizer = opt.make_optimizer(params)
    autocast = opt.amp and device.type == "cuda"
    history: list[dict] = []
    best: Score | None = None
    best_epoch, best_state = 0, copy.deepcopy(model.state_dict())
    train_seconds = 0.0
    since_best = 0
    steps = 0
    # A bar on a terminal; one line per epoch in logs (DVC output redirected to a file, CI).
    interactive = progress and sys.stderr.isatty()
    bar = tqdm(range(1, cfg.epochs + 1), desc=name, unit="epoch", disable=not interactive)
    start_epoch = getattr(model, "start_epoch", None)  # e.g. the student's teacher annealing
    for epoch in bar:
        schedule = start_epoch(epoch, cfg.epochs) if start_epoch is not None else {}
        model.train()
        start = time.perf_counter()
        total_loss, n_seen = 0.0, 0
        optimizer.zero_grad(set_to_none=True)
        batches = iterate(train, cfg.batch_size, rng, word_dropout)
        for i, batch in enumerate(batches, start=1):
            batch = batch.to(device)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
                out = model(batch)
                loss, _ = model.loss(out, batch)
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
            if i % opt.accumulate == 0 or i * cfg.batch_size >= len(train):
                clip_grad_norm(params, opt.max_grad_norm)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                steps += 1
                if opt.after_step is not None:
                    opt.after_step(optimizer, steps)
        seconds = time.perf_counter() - start
        train_seconds += seconds
        dev_score = evaluate(predict_logits(model, dev, cfg.batch_size * 2, device)["final"])
        lr = optimizer.param_groups[0]["lr"]
        improved = best is None or dev_score.f1 > best.f1
        if improved:
            best, best_epoch, since_best = dev_score, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            since_best += 1
        history.append(
            {
                "epoch": epoch,
                "train_loss": total_loss / max(n_seen, 1),
                "dev_f1": dev_score.f1,
                "dev_precision": dev_score.precision,
                "dev_recall": dev_score.recall,
                "lr": lr,
                "seconds": seconds,
                **schedule,
            }
        )
        bar.set_postfix(
            loss=f"{total_loss / max(n_seen, 1):.3f}",
            dev_f1=f"{dev_score.f1:.2f}",
            best=f"{best.f1:.2f}@{best_epoch}",
        )
        if progress and not interactive:
            print(
                f"{name} epoch {epoch}/{cfg.epochs}: loss {total_loss / max(n_seen, 1):.4f} "
                f"dev F1 {dev_score.f1:.2f} (best {best.f1:.2f} @ {best_epoch}) lr {lr:.4g} "
                f"{seconds:.1f}s",
                file=sys.stderr,
                flush=True,
            )
        if opt.after_epoch is not None:
            opt.after_epoch(optimizer, history)
        if cfg.early_stop and since_best >= cfg.early_stop:
            break
    model.load_state_dict(best_state)
    assert best is not None
    return TrainResult(
        best_epoch=best_epoch,
        best_dev=best,
        history=history,
        train_seconds=train_seconds,
        sentences_per_s=len(train) * len(history) / max(train_seconds, 1e-9),
        state_dict=best_state,
    )
