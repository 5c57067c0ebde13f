"""The paper's losses, each named as the paper names it."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def tsd_loss(logits: torch.Tensor, k: int = 3) -> torch.Tensor:
    """Top score difference, paper Eq. (14): L_TSD = ρ1 − 1/(K−1) Σ_{k=2..K} ρk.

    ρ are the K largest softmax probabilities of the teacher; minimising the gap between the
    first and the next K−1 makes the teacher's distribution softer. (The reference code divides
    by K instead of K−1; kdre follows the paper.) Batch mean.
    """
    k = min(k, logits.size(-1))
    top = torch.softmax(logits, dim=-1).topk(k, dim=-1).values
    return (top[:, 0] - top[:, 1:].sum(dim=-1) / (k - 1)).mean()


def pooling_l2(h_sent: torch.Tensor, weight: float) -> torch.Tensor:
    """C-GCN's L2 penalty on the pooled sentence vector: weight · mean ||h_sent||²."""
    return weight * h_sent.pow(2).sum(dim=-1).mean()


def ground_truth_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """L_GT: cross-entropy with the gold (hard) labels."""
    return F.cross_entropy(logits, labels)


def kd_loss(
    student: torch.Tensor, teacher: torch.Tensor, temperature: float = 1.0, kind: str = "kl"
) -> torch.Tensor:
    """L_KD = τ² · KL(softmax(T/τ) ‖ softmax(S/τ)), batch mean (paper Eq. 16, where τ = 1);
    with ``kind`` "mse", :func:`logit_mse_loss` instead (τ does not apply).

    The τ² factor (Hinton et al. 2015) keeps the gradient of the soft targets at the scale of
    the gold-label term when τ ≠ 1; without it a τ of 2 would quietly divide the teacher's
    weight by about four. At τ = 1 it is the paper's loss exactly."""
    if kind == "mse":
        return logit_mse_loss(student, teacher)
    if kind != "kl":
        raise ValueError(f"unknown distillation loss {kind!r} (kl or mse)")
    return temperature**2 * F.kl_div(
        F.log_softmax(student / temperature, dim=-1),
        F.softmax(teacher / temperature, dim=-1),
        reduction="batchmean",
    )


def logit_mse_loss(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """Logit matching (Tang et al. 2019, BiLSTM students of BERT): the squared difference of
    the student's and the teacher's logits, each row centred first (softmax ignores a constant
    shift, so neither side is asked to match one).

    Why: KL at τ = 1 sees only the softmax, where a teacher's gaps among the classes it deems
    unlikely shrink to nothing; matching logits keeps them. Mean over classes and batch (Tang
    et al. sum over classes), so that at initialisation it is of the gold term's scale (about 5
    against the MiniLM teacher's logits, whose centred rows have a squared norm near 100 over
    19 classes) rather than 19 times it."""
    centred_s = student - student.mean(dim=-1, keepdim=True)
    centred_t = teacher - teacher.mean(dim=-1, keepdim=True)
    return F.mse_loss(centred_s, centred_t)


def hint_loss(
    student_local: torch.Tensor,
    teacher_local: torch.Tensor,
    student_aux: torch.Tensor | None,
    teacher_global: torch.Tensor | None,
    temperature: float = 1.0,
    kind: str = "kl",
) -> torch.Tensor:
    """L_HT = KL(T_local ‖ S_local) + KL(T_global ‖ S_aux): each student branch imitates the
    matching teacher branch (softmax of each branch's logits), with the same distance (``kind``)
    and temperature τ (and τ² factor) as L_KD. Without an auxiliary branch (−MAA) or without the
    teacher's global branch (−TC: no type term, so no target) only the local term remains."""
    loss = kd_loss(student_local, teacher_local, temperature, kind)
    if student_aux is not None and teacher_global is not None:
        loss = loss + kd_loss(student_aux, teacher_global, temperature, kind)
    return loss
