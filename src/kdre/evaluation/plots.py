"""PNG figures of the evaluate stage (DVC's HTML plots need a CDN; PNGs work offline)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd


def _figure(**kwargs):
    """A figure of its own, not pyplot's: a library must not switch a notebook user's backend
    (``savefig`` renders PNG with Agg whatever the backend)."""
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def confusion_png(matrix: np.ndarray, labels: Sequence[str], title: str, path: Path) -> None:
    fig = _figure(figsize=(0.42 * len(labels) + 3, 0.42 * len(labels) + 2))
    ax = fig.subplots()
    shown = np.log1p(matrix)
    ax.imshow(shown, cmap="Blues")
    for (i, j), v in np.ndenumerate(matrix):
        if v:
            color = "white" if shown[i, j] > shown.max() * 0.6 else "black"
            ax.text(j, i, str(v), ha="center", va="center", fontsize=6, color=color)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def per_relation_png(table: pd.DataFrame, path: Path) -> None:
    """Grouped bars: F1 per relation (rows) for each model (columns of ``table``)."""
    relations = list(table.index)
    models = list(table.columns)
    fig = _figure(figsize=(max(6, 0.9 * len(relations)), 4.5))
    ax = fig.subplots()
    width = 0.8 / max(len(models), 1)
    for k, model in enumerate(models):
        ax.bar(np.arange(len(relations)) + k * width, table[model], width, label=model)
    ax.set_xticks(np.arange(len(relations)) + 0.4 - width / 2, relations, rotation=45, ha="right")
    ax.set_ylabel("test F1 (%)")
    ax.set_ylim(0, 100)
    ax.legend()
    ax.set_title("Per-relation F1 on test (official scorer)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def curves_png(histories: Mapping[str, pd.DataFrame], path: Path) -> None:
    """Dev F1 and training loss per epoch for every trained model; a model that trained no
    epoch (a frozen teacher with nothing to train: its history is a bare header) has no curve."""
    fig = _figure(figsize=(11, 4))
    left, right = fig.subplots(1, 2)
    for name, frame in histories.items():
        if frame.empty or "dev_f1" not in frame:
            continue
        left.plot(frame["epoch"], frame["dev_f1"], label=name)
        right.plot(frame["epoch"], frame["train_loss"], label=name)
    left.set_xlabel("epoch")
    left.set_ylabel("dev F1 (%)")
    right.set_xlabel("epoch")
    right.set_ylabel("training loss")
    left.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
