"""The pattern→relation bipartite graph (paper §"Bipartite graph"): soft type rules.

pattern p_i = (subject type, object type); w_ij = number of training examples with pattern i
and relation j (NA excluded); P(r_j | p_i) = w_ij / Σ_j' w_ij'. At use time G(p)[NA] = C and an
unseen pattern gives zeros with NA = C.

Leave-one-out on train (``teacher.leave_one_out``): a training example is one of the counts
behind its own pattern's G(p), so on train G(p) leans towards the example's gold label (a
singleton pattern's G(p) *is* the gold label, one-hot) while dev, test and new text never get
that help. With ``leave_out`` each training example's G(p) is computed from the counts without
its own: (w_ij − [j = gold]) / (Σ_j' w_ij' − 1), zeros when nothing else has the pattern (as an
unseen pattern). Dev, test and new text keep the full counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

GRAPH_COLUMNS = ["pattern", "subj_type", "obj_type", "relation", "count", "prob"]


def pattern_of(subj_type: str, obj_type: str) -> str:
    return f"{subj_type}|{obj_type}"


def build_graph(train: pd.DataFrame, na_label: str) -> pd.DataFrame:
    """Counts w_ij and P(r_j|p_i) in long format, one row per (pattern, relation) with w_ij > 0."""
    positives = train.loc[train["relation"] != na_label, ["subj_type", "obj_type", "relation"]]
    positives = positives.astype(str)
    counts = (
        positives.groupby(["subj_type", "obj_type", "relation"])
        .size()
        .rename("count")
        .reset_index()
    )
    counts["pattern"] = [
        pattern_of(s, o) for s, o in zip(counts.subj_type, counts.obj_type, strict=True)
    ]
    counts["count"] = counts["count"].astype("int64")
    counts["prob"] = counts["count"] / counts.groupby("pattern")["count"].transform("sum")
    counts = counts.sort_values(["pattern", "count", "relation"], ascending=[True, False, True])
    return counts[GRAPH_COLUMNS].reset_index(drop=True)


class PatternTable:
    """G(p) lookups: a (patterns × relations) matrix in the model's label order."""

    def __init__(self, graph: pd.DataFrame, labels: Sequence[str], na_label: str, na_prob: float):
        self.labels = list(labels)
        self.na_label = na_label
        self.na_prob = float(na_prob)
        index = {label: i for i, label in enumerate(self.labels)}
        self.patterns: dict[str, np.ndarray] = {}
        self.counts: dict[str, np.ndarray] = {}  # w_ij, for leave-one-out (not in model files)
        for row in graph.itertuples(index=False):
            vec = self.patterns.setdefault(str(row.pattern), np.zeros(len(self.labels), np.float32))
            counts = self.counts.setdefault(str(row.pattern), np.zeros(len(self.labels)))
            if row.relation in index:
                vec[index[row.relation]] = row.prob
                counts[index[row.relation]] = row.count

    def lookup(
        self,
        subj_types: Sequence[str],
        obj_types: Sequence[str],
        leave_out: Sequence[int] | None = None,
    ) -> np.ndarray:
        """G(p) for each example, shape (N, relations), with G(p)[NA] = C.

        ``leave_out``: each example's gold label id, to be left out of its own pattern's counts
        (leave-one-out, for the training split only; see the module docstring). A gold NA
        example is not in the counts, so nothing is left out for it."""
        out = np.zeros((len(subj_types), len(self.labels)), dtype=np.float32)
        na = self.labels.index(self.na_label)
        for i, (s, o) in enumerate(zip(subj_types, obj_types, strict=True)):
            pattern = pattern_of(s, o)
            vec = self.patterns.get(pattern)
            if vec is None:
                continue
            if leave_out is not None and leave_out[i] != na:
                out[i] = self._without_one(pattern, int(leave_out[i]))
            else:
                out[i] = vec
        out[:, na] = self.na_prob
        return out

    def _without_one(self, pattern: str, label: int) -> np.ndarray:
        counts = self.counts.get(pattern)
        if counts is None:
            raise ValueError("leave-one-out needs the graph's counts (a model file has none)")
        if counts[label] < 1:
            raise ValueError(
                f"pattern {pattern!r} has no count of {self.labels[label]!r} to leave out: the "
                "graph was not counted on these training examples (rerun the graph stage)"
            )
        counts = counts.copy()
        counts[label] -= 1
        total = counts.sum()
        return (counts / total).astype(np.float32) if total > 0 else np.zeros_like(counts)

    def coverage(self, subj_types: Sequence[str], obj_types: Sequence[str]) -> float:
        """Share of examples whose pattern was seen in training (with a non-NA relation)."""
        if not subj_types:
            return 0.0
        seen = sum(
            pattern_of(s, o) in self.patterns for s, o in zip(subj_types, obj_types, strict=True)
        )
        return seen / len(subj_types)

    def gold_mass(
        self,
        subj_types: Sequence[str],
        obj_types: Sequence[str],
        relations: Sequence[str],
        leave_one_out: bool = False,
    ) -> float:
        """Mean G(p)[gold] over the non-NA examples: how much the soft rules point at the
        gold label. On train it is higher than on dev/test unless each example's own count is
        left out (``leave_one_out``): the gap the Transfer issue measured."""
        index = {label: i for i, label in enumerate(self.labels)}
        keep = [i for i, r in enumerate(relations) if r != self.na_label]
        if not keep:
            return 0.0
        gold = np.array([index[relations[i]] for i in keep])
        g = self.lookup(
            [subj_types[i] for i in keep],
            [obj_types[i] for i in keep],
            gold if leave_one_out else None,
        )
        return float(g[np.arange(len(keep)), gold].mean())

    def to_dict(self) -> dict:
        return {
            "labels": self.labels,
            "na_label": self.na_label,
            "na_prob": self.na_prob,
            "patterns": {p: v.tolist() for p, v in self.patterns.items()},
        }

    @classmethod
    def from_dict(cls, data: dict) -> PatternTable:
        table = cls(
            pd.DataFrame(columns=GRAPH_COLUMNS), data["labels"], data["na_label"], data["na_prob"]
        )
        table.patterns = {p: np.asarray(v, dtype=np.float32) for p, v in data["patterns"].items()}
        return table


def plot_heatmap(
    graph: pd.DataFrame, labels: Sequence[str], na_label: str, path, max_patterns: int = 30
):
    """P(r|p) as a heatmap, patterns by support (the paper's Figure 4)."""
    from matplotlib.figure import Figure  # not pyplot: a library keeps the user's backend

    relations = [r for r in labels if r != na_label]
    support = graph.groupby("pattern")["count"].sum().sort_values(ascending=False)
    patterns = list(support.index[:max_patterns])
    matrix = graph.pivot_table(
        index="pattern", columns="relation", values="prob", fill_value=0.0
    ).reindex(index=patterns, columns=relations, fill_value=0.0)
    fig = Figure(figsize=(0.45 * len(relations) + 3, 0.35 * len(patterns) + 2.5))
    ax = fig.subplots()
    im = ax.imshow(matrix.to_numpy(), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(relations)), relations, rotation=90, fontsize=7)
    ax.set_yticks(range(len(patterns)), [f"{p} (n={support[p]})" for p in patterns], fontsize=7)
    ax.set_xlabel("relation")
    ax.set_ylabel("pattern (subject type | object type)")
    ax.set_title("P(relation | pattern) from the training split")
    fig.colorbar(im, ax=ax, fraction=0.03)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
