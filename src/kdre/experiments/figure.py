"""The report's figure: mean test F1 per model beside the paper's and other published figures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kdre.experiments.published import SEMEVAL, Published


def plot(summary: pd.DataFrame, path: Path | str, published: Published = SEMEVAL) -> None:
    """Mean test F1 per model with ±1 std error bars, the paper's figure (where it reports one
    on this corpus) as a marker, other published systems' figures as horizontal lines."""
    from matplotlib.figure import Figure  # not pyplot: a library keeps the user's backend

    fig = Figure(figsize=(max(6, 0.7 * len(summary)), 4))
    ax = fig.subplots()
    x = range(len(summary))
    ax.bar(
        x,
        summary["test_f1_mean"],
        yerr=summary["test_f1_std"].fillna(0),
        capsize=4,
        color="#4c72b0",
        label="ours (mean ± std over seeds)",
    )
    paper = summary["paper_f1"]
    if paper.notna().any():
        ax.scatter(
            [i for i, v in zip(x, paper, strict=True) if pd.notna(v)],
            [v for v in paper if pd.notna(v)],
            color="#dd8452",
            marker="D",
            zorder=3,
            label="paper (single run, GloVe 840B)",
        )
    for (name, f1, source), style in zip(published.others, ("--", ":", "-."), strict=False):
        ax.axhline(f1, color="#55a868", linestyle=style, label=f"{name} ({source}): {f1:.1f}")
    ax.set_xticks(list(x), list(summary.index), rotation=35, ha="right")
    ax.set_ylabel("test macro-F1" if published.scorer == "semeval" else "test micro-F1")
    ax.set_title(published.title, fontsize=9)
    shown = [
        *(summary["test_f1_mean"] + summary["test_f1_std"].fillna(0)),
        *paper.dropna(),
        *(f1 for _, f1, _ in published.others),
    ]
    bottom = max(0, min(summary["test_f1_mean"].min(), *shown) - 5)
    # room above the highest bar for the legend, which sits there: a share per legend row
    columns = 1 if published.others else 2
    rows = -(-len(ax.get_legend_handles_labels()[1]) // columns)
    top = max(shown) + 1 + 0.12 * rows * (max(shown) - bottom) / (1 - 0.12 * rows)
    ax.set_ylim(bottom, min(100, top))
    ax.legend(loc="upper left", fontsize=8, ncols=columns)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
