"""The report's rows → mean ± spread per model, and each model's Δ against the C-GCN it was
trained beside and (ablations) against the full student of its seed. The paper reports single
runs; we report mean ± std over seeds so a reader can see whether a gap is larger than the noise
between seeds.
"""

from __future__ import annotations

import pandas as pd

from kdre.experiments.published import SEMEVAL
from kdre.experiments.rows import VECTOR_MODELS


def _stats(rows: pd.DataFrame, by: str | list[str]) -> pd.DataFrame:
    """Per group: seeds, mean dev and test F1, sample std (n − 1) of test F1, mean training
    minutes and, where there are p-values, the worst seed's."""
    agg = {
        "n": ("seed", "nunique"),
        "test_f1_mean": ("test_f1", "mean"),
        "test_f1_std": ("test_f1", "std"),
        "dev_f1_mean": ("dev_f1", "mean"),
        "wall_minutes": ("wall_seconds", lambda s: s.mean() / 60),
    }
    if "p_value" in rows:
        agg["p_value_max"] = ("p_value", "max")
    if "p_samples" in rows:
        agg["p_samples_min"] = ("p_samples", "min")
    return rows.groupby(by, sort=False).agg(**agg)


def by_version(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean ± std per (model, setup version): the same params before and after a change of
    code that changed results (e.g. the Core fixes of version 2)."""
    return _stats(rows, ["model", "setup_version"])


def by_vectors(rows: pd.DataFrame) -> pd.DataFrame:
    """The statistics of VECTOR_MODELS per (word vectors, model); the student's p-value is
    against the C-GCN of its own word vectors."""
    chosen = rows[rows["model"].isin(VECTOR_MODELS)] if not rows.empty else rows
    return pd.DataFrame() if chosen.empty else _stats(chosen, ["vectors", "model"])


def _gains(rows: pd.DataFrame) -> pd.Series:
    """Each row's test F1 minus its C-GCN's: the one its own run trained (``base_test_f1``),
    else the table's C-GCN row of its seed (a row without a recorded base), else NaN."""
    cgcn = rows[rows["model"] == "C-GCN"].set_index("seed")["test_f1"]
    cgcn = cgcn[~cgcn.index.duplicated()]
    base = pd.to_numeric(rows["base_test_f1"], errors="coerce").fillna(rows["seed"].map(cgcn))
    return rows["test_f1"] - base


def _ablation_deltas(rows: pd.DataFrame, pool: pd.DataFrame) -> pd.Series:
    """Per ablation model: the mean over its seeds of its test F1 minus the full student's of
    the same seed, taken from the run beside the same C-GCN where ``pool`` (every run, reruns
    included) holds one, else from the table's row of that seed; NaN without any."""
    out = {}
    for model, group in rows[rows["ablation"] != ""].groupby("model", sort=False):
        deltas = []
        for r in group.itertuples():
            full = pool[(pool["model"] == r.full_model) & (pool["seed"] == r.seed)]
            if full.empty:
                continue
            same = full[
                (full["base_dev_f1"] == r.base_dev_f1) & (full["base_test_f1"] == r.base_test_f1)
            ]
            first = rows[(rows["model"] == r.full_model) & (rows["seed"] == r.seed)]
            chosen = same if not same.empty else (first if not first.empty else full)
            deltas.append(r.test_f1 - chosen["test_f1"].iloc[0])
        out[model] = sum(deltas) / len(deltas) if deltas else float("nan")
    return pd.Series(out, dtype=float)


def summarise(
    rows: pd.DataFrame, paper: dict[str, float] | None = None, pool: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Mean ± std (sample std, n − 1) per model, its Δ to the C-GCN it was trained beside (per
    run, then averaged over the model's seeds: a model run on fewer seeds than the C-GCN is not
    compared with other seeds' C-GCNs), an ablation's Δ to the full student of its seeds
    (``pool``: every run of the setup, reruns included, to find the full student beside the
    same C-GCN; the deduplicated ``rows`` by default), the paper's figures on this corpus
    (``paper``, SemEval's Table 3 by default; none where it reports none)."""
    if rows.empty:
        return pd.DataFrame()
    names = rows.groupby("model", sort=False)[["kind", "full_model", "ablation"]].first()
    agg = names.join(_stats(rows, "model"))
    gains = rows.assign(gain=_gains(rows)).groupby("model", sort=False)["gain"].mean()
    agg["delta_vs_cgcn"] = gains.where(agg["kind"] != "baseline")
    agg["delta_vs_full"] = _ablation_deltas(rows, rows if pool is None or pool.empty else pool)
    paper = SEMEVAL.paper if paper is None else paper
    agg["paper_f1"] = pd.array([paper.get(m) for m in agg.index], dtype="Float64").astype(float)
    agg["paper_delta_vs_cgcn"] = agg["paper_f1"] - paper.get("C-GCN", float("nan"))
    order = {"baseline": 0, "teacher": 1, "student": 2}
    agg = agg.assign(_k=agg["kind"].map(order), _a=agg["ablation"] != "")
    return agg.sort_values(["_a", "_k"], kind="stable").drop(columns=["_k", "_a"])
