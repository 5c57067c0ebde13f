"""The report's markdown: the main table beside the paper's or the published figures, the
ablations, the knowledge controls, word vectors, setup versions, reruns and every run."""

from __future__ import annotations

import pandas as pd

from kdre import SETUP_VERSION
from kdre.experiments.formatting import fmt, fmt_p
from kdre.experiments.published import SEMEVAL, Published
from kdre.experiments.rows import VECTOR_MODELS
from kdre.experiments.runs import SWEPT, VECTORS

# Table 4 (TACRED only): F1 change of Student-R when one part is removed.
PAPER_ABLATION_DELTA = {"TSD": -0.8, "HT": -1.2, "TC": -1.6, "MAA": -1.3, "KD": -2.1}


def _cell(row: pd.Series, column: str) -> str:
    value = row[column]
    if column == "p_value":
        return fmt_p(value, row.get("p_samples"), ".4f")
    return fmt(value) if isinstance(value, float) else str(value)


def _table(rows: pd.DataFrame) -> list[str]:
    names = ("model", "vectors", "seed", "threads", "dev_f1", "test_f1", "p_value")
    cols = [
        c
        for c in (*names, "wall_seconds", "run")
        if c in rows and (c != "vectors" or rows[c].nunique() > 1)
    ]
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in rows.iterrows():
        out.append("| " + " | ".join(_cell(r, c) for c in cols) + " |")
    return out


def _vectors_table(vectors: pd.DataFrame, reference: str) -> list[str]:
    head = "| word vectors |"
    rule = "|---|"
    for model in VECTOR_MODELS:
        head += f" {model} runs | {model} dev | {model} test |"
        rule += "---|---|---|"
    head += f" {VECTOR_MODELS[1]} − {VECTOR_MODELS[0]} | p (worst seed) |"
    rule += "---|---|"
    lines = [head, rule]
    labels = list(vectors.index.get_level_values("vectors").unique())
    for label in sorted(labels, key=lambda label: (label != reference, label)):
        cells = [f"**{label}** (default)" if label == reference else label]
        means = {}
        for model in VECTOR_MODELS:
            if (label, model) not in vectors.index:
                cells += ["0", "–", "–"]
                continue
            r = vectors.loc[(label, model)]
            means[model] = r.test_f1_mean
            cells += [
                str(int(r.n)),
                fmt(r.dev_f1_mean),
                f"{fmt(r.test_f1_mean)} ± {fmt(r.test_f1_std)}",
            ]
        delta = means[VECTOR_MODELS[1]] - means[VECTOR_MODELS[0]] if len(means) == 2 else None
        student = vectors.loc[(label, VECTOR_MODELS[1])] if len(means) == 2 else {}
        p = fmt_p(student.get("p_value_max"), student.get("p_samples_min"))
        cells += [fmt(delta, "+.2f"), p]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _versions_table(versions: pd.DataFrame) -> list[str]:
    numbers = sorted(versions.index.get_level_values("setup_version").unique())
    head = "| model |" + "".join(f" v{v} runs | v{v} dev | v{v} test |" for v in numbers)
    lines = [
        f"## The same params across setup versions (this code is v{SETUP_VERSION}; "
        "kdre/__init__.py says what each changed)",
        "",
        head,
        "|---|" + "---|---|---|" * len(numbers),
    ]
    for model in sorted(versions.index.get_level_values("model").unique()):
        cells = [model]
        for v in numbers:
            if (model, v) not in versions.index:
                cells += ["0", "–", "–"]
                continue
            r = versions.loc[(model, v)]
            cells += [
                str(int(r.n)),
                fmt(r.dev_f1_mean),
                f"{fmt(r.test_f1_mean)} ± {fmt(r.test_f1_std)}",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _main_table(summary: pd.DataFrame, paper: bool = True) -> list[str]:
    """The models' rows; ``paper``: with the paper's figure and Δ beside ours."""
    head = ["model", "runs", "test F1 mean ± std", "dev F1 mean", "Δ vs its C-GCN"]
    head += ["paper F1", "paper Δ"] if paper else []
    head += ["p (vs C-GCN, worst seed)", "train min"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for model, r in summary[summary["ablation"] == ""].iterrows():
        cells = [
            model,
            str(r.n),
            f"{fmt(r.test_f1_mean)} ± {fmt(r.test_f1_std)}",
            fmt(r.dev_f1_mean),
            fmt(r.delta_vs_cgcn, "+.2f"),
        ]
        if paper:
            cells += [fmt(r.paper_f1, ".1f"), fmt(r.paper_delta_vs_cgcn, "+.1f")]
        cells += [fmt_p(r.get("p_value_max"), r.get("p_samples_min")), fmt(r.wall_minutes, ".1f")]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _published_lines(published: Published) -> list[str]:
    """The paper's standing on this corpus and other systems' published figures."""
    if published.paper:
        lines = [
            "The paper's figures are beside ours for reference only: its SemEval protocol is most "
            "likely the lineage one (see the table under that protocol, where runs exist)."
            if published is SEMEVAL
            else "The paper's figures (one run each) are beside ours for reference only."
        ]
    else:
        lines = [f"The paper reports no figures on {published.title}."]
    if published.others:
        lines += [
            "",
            f"Published on {published.title}, same split and scoring definition "
            "(one figure each, as reported):",
            "",
            "| system | F1 | source |",
            "|---|---|---|",
            *(f"| {name} | {f1:.1f} | {source} |" for name, f1, source in published.others),
        ]
    return lines


def _controls_table(controls: pd.DataFrame, samples: int) -> list[str]:
    lines = [
        "## Knowledge: Student-R against its controls (same student recipe, same seeds)",
        "",
        "Δ = Student-R's test F1 minus the control student's; p = paired bootstrap "
        f'({samples} resamples) of "Student-R is better" on the two runs\' test predictions.',
    ]
    if "same_base" in controls and controls["same_base"].map(_other_base).any():
        lines.append(
            "*other C-GCN*: the two runs' C-GCNs differ (the seed retrained on another CPU or "
            "thread count), so that pair differs in its base as well as in the control's one "
            "change."
        )
    lines += ["", "| control | seeds | Δ test F1 mean | per seed: Δ (p) |", "|---|---|---|---|"]
    for name, group in controls.groupby("control", sort=False):
        per_seed = ", ".join(
            f"s{r.seed}: {r.delta_f1:+.2f} ({fmt_p(r.p_value, samples)}"
            f"{'; other C-GCN' if _other_base(getattr(r, 'same_base', None)) else ''})"
            for r in group.itertuples()
        )
        lines.append(f"| {name} | {len(group)} | {group['delta_f1'].mean():+.2f} | {per_seed} |")
    return lines


def _other_base(same) -> bool:
    """True only where the two runs' C-GCNs are known to differ (not where unknown)."""
    return same is not None and not pd.isna(same) and not bool(same)


def _reruns_table(reruns: pd.DataFrame) -> list[str]:
    lines = [
        "## Reruns that disagree: the same params and seed, another result",
        "",
        "The tables above count each model and seed once, from its first run (for a C-GCN, "
        "the run of Student-R it was distilled beside). These (model, seed)s were trained "
        "again with the same params and gave another model: another CPU or thread count "
        "(docs/reproducibility.md). The controls are compared with the Student-R run beside "
        "the same C-GCN where one exists.",
        "",
        "| model | seed | threads | CPU (recorded since setup v3) | dev_f1 | test_f1 | runs |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, r in reruns.iterrows():
        lines.append(
            f"| {r.model} | {r.seed} | {r.threads} | {r.cpu} | {fmt(r.dev_f1)} | "
            f"{fmt(r.test_f1)} | {r.runs} |"
        )
    return lines


def markdown(
    summary: pd.DataFrame,
    rows: pd.DataFrame,
    skipped: list[str],
    notes: str,
    vectors: pd.DataFrame | None = None,
    reference_vectors: str = "",
    versions: pd.DataFrame | None = None,
    controls: pd.DataFrame | None = None,
    control_samples: int = 1000,
    lineage: pd.DataFrame | None = None,
    collapsed: pd.DataFrame | None = None,
    mechanisms: list[str] | None = None,
    published: Published = SEMEVAL,
    other_corpora: int = 0,
    claims: list[str] | None = None,
    reruns: pd.DataFrame | None = None,
) -> str:
    """The report: main table (the reference word vectors), ablations (with the paper's TACRED
    deltas), the word-vector sources side by side when more than one ran, per-seed rows."""
    paper = bool(published.paper)
    lines = [
        f"# Results on {published.title} (test; models chosen on dev)",
        "",
        f"## {published.protocol}",
        "",
        *_published_lines(published),
        "",
    ]
    if summary.empty:
        lines.append("No finished runs of this setup yet.")
    else:
        lines += [
            "Δ vs its C-GCN: each run's test F1 minus that of the C-GCN the same run trained "
            "(the one it was distilled beside), averaged over the model's seeds.",
            "",
            *_main_table(summary, paper),
        ]
    if lineage is not None and not lineage.empty:
        lines += [
            "",
            "## Lineage protocol (C-GCN/AGGCN): 10 undirected labels, F1 = harmonic mean of "
            "macro-P (over predicted relations) and macro-R (over key relations)",
            "",
            "`dataset.semeval_directions: false`; the paper's figures on the same protocol, "
            "as far as its SemEval data (from the C-GCN author) can be read.",
            "",
            *_main_table(lineage, paper),
        ]
    if published is SEMEVAL and collapsed is not None and not collapsed.empty:
        lines += [
            "",
            "## The official runs (19 directed labels) scored by the lineage figure",
            "",
            "The models of the official table, their test predictions' directions merged "
            "before scoring: the other reading of the paper's protocol (its Table 1 lists 19 "
            "labels). Test only (dev predictions are not archived) and without p-values (see the "
            "official table).",
            "",
            *_main_table(collapsed, paper),
        ]
    if summary.empty:
        return "\n".join([*lines, ""])
    abl = summary[summary["ablation"] != ""]
    if not abl.empty:
        lines += [
            "",
            "## Ablations (paper's Table 4 is on TACRED; its Δ is shown for direction only)",
            "",
            "Δ vs full student: per seed, the ablated model's test F1 minus the full student's "
            "of the same seed, beside the same C-GCN where a run of it is archived; averaged "
            "over the ablation's seeds.",
            "",
            "| model | runs | test F1 mean ± std | Δ vs full student | paper Δ (TACRED) |",
            "|---|---|---|---|---|",
        ]
        for model, r in abl.iterrows():
            paper = PAPER_ABLATION_DELTA.get(r.ablation) if r.kind == "student" else None
            lines.append(
                f"| {model} | {r.n} | {fmt(r.test_f1_mean)} ± {fmt(r.test_f1_std)} | "
                f"{fmt(r.get('delta_vs_full'), '+.2f')} | {fmt(paper, '+.1f')} |"
            )
    if controls is not None and not controls.empty:
        lines += ["", *_controls_table(controls, control_samples)]
    if claims:
        lines += claims
    if vectors is not None and vectors.index.get_level_values("vectors").nunique() > 1:
        lines += [
            "",
            f"## Word vectors ({' and '.join(VECTOR_MODELS)} per source; choose on dev)",
            "",
            *_vectors_table(vectors, reference_vectors),
        ]
    if versions is not None and versions.index.get_level_values("setup_version").nunique() > 1:
        lines += ["", *_versions_table(versions)]
    if mechanisms:
        lines += ["", *mechanisms]
    if reruns is not None and not reruns.empty:
        lines += ["", *_reruns_table(reruns)]
    lines += ["", "## Every run", "", *_table(rows), ""]
    if skipped:
        lines += [
            f"Left out ({len(skipped)}), as they ran another setup version than v{SETUP_VERSION} "
            f"(older code) or their params differ from this setup's beyond "
            f"{', '.join(SWEPT + VECTORS)}: {', '.join(sorted(skipped))}.",
            "",
        ]
    if other_corpora:
        lines += [
            "1 run of another corpus is in its own report."
            if other_corpora == 1
            else f"{other_corpora} runs of other corpora are in their own reports.",
            "",
        ]
    if notes:
        lines += [notes.strip(), ""]
    return "\n".join(lines)
