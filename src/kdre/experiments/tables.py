"""Many runs (seeds × models × ablations) → one table of means and spreads beside the paper's.

Each run is one pipeline execution: its params and the metrics files it wrote. A run holds up to
three models (baseline, teacher, student); the row a model lands in is named from the params
that make it what it is (gamma, the ablation switches). The paper reports single runs on
SemEval; we report mean ± std over seeds so a reader can see whether a gap is larger than the
noise between seeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from kdre import SETUP_VERSION
from kdre.config import Params
from kdre.data.corpus import test_gold_labels
from kdre.data.datasets import dataset_spec
from kdre.data.datasets.base import DatasetSpec
from kdre.data.schema import read_split
from kdre.errors import InputError
from kdre.experiments import claim, mechanisms
from kdre.experiments.claim import (
    Corpus,
    all_runs_by_role,
    control_pairs,
    corpus_of,
    knowledge_controls,
    labels_for,
    read_predictions,
    role_of,
    same_base,
    setup_defaults,
)
from kdre.experiments.published import SEMEVAL, Published, published_for
from kdre.experiments.runs import (
    SWEPT,
    VECTORS,
    Run,
    ablations,
    comparable_version,
    flatten,
    same_setup,
    vectors_label,
)

# Table 4 (TACRED only): F1 change of Student-R when one part is removed.
PAPER_ABLATION_DELTA = {"TSD": -0.8, "HT": -1.2, "TC": -1.6, "MAA": -1.3, "KD": -2.1}
GAMMA_LETTER = {"scalar": "S", "vector": "V", "relation": "R"}
# The models the word-vector table compares for each source: the baseline and the best student.
VECTOR_MODELS = ("C-GCN", "Student-R")


def model_rows(run: Run, defaults: dict | None = None) -> list[dict]:
    """Rows (model, word vectors, seed, dev/test F1, wall time, p-value) for the models a run
    trained."""
    flat = run.resolved()
    vectors = vectors_label(flat)
    seed = flat.get("seed")
    # as the run's params name it, a label: "–" must not turn ints to floats
    threads = str(flatten(run.params).get("train.threads", "–"))
    letter = GAMMA_LETTER.get(str(flat.get("gamma")), "?")
    off = ablations(flat)
    teacher_off = [t for t in off if t in ("TSD", "TC")]
    # A teacher over other entity types than the default's (e.g. the no-knowledge control's
    # NER types) is named by them: "Teacher-R [ner types]", and its student likewise.
    own_types = flatten(defaults or asdict(Params())).get("types.source")
    run_types = flat.get("types.source", own_types)
    tagged = f" [{run_types} types]" if run_types != own_types and "TC" not in off else ""
    if flat.get("teacher.base", "auto") in ("finetune", "scratch"):
        # a teacher whose C-GCN trains: its −TSD is the paper's mechanism, not the frozen one's
        tagged += f" [{flat['teacher.base']} base]"
    if flat.get("teacher.encoder", "cgcn") == "transformer":
        # the plain fine-tuned transformer sees no types in its input either
        untyped = flat.get("teacher.transformer.typed_markers") is False
        tagged += " [transformer teacher, untyped markers]" if untyped else " [transformer teacher]"
    # the C-GCN this run trained (or restored): each model's Δ is against it, the base it was
    # distilled beside, not against another run's C-GCN of the seed
    base_dev, base_test = run.baseline_f1()
    rows = []

    def add(
        model: str, kind: str, metrics: dict | None, ablated: list[str], full: str = ""
    ) -> None:
        if not metrics or "test" not in metrics:  # missing, or leaky (Teacher-R)
            return
        if kind != "baseline":
            model, full = model + tagged, (full or model) + tagged
        rows.append(
            {
                "model": model + "".join(f" −{t}" for t in ablated),
                "full_model": full or model,  # what the ablation is measured against
                "kind": kind,
                "ablation": "+".join(ablated),
                "vectors": vectors,
                "seed": seed,
                "threads": threads,
                "run": run.name,
                "dev_f1": metrics.get("dev", {}).get("f1"),
                "test_f1": metrics["test"]["f1"],
                "wall_seconds": metrics.get("wall_seconds"),
                "cpu": metrics.get("cpu_model") or "–",  # recorded since setup v3
                "base_dev_f1": base_dev,
                "base_test_f1": base_test,
            }
        )

    add("C-GCN", "baseline", run.metrics.get("baseline"), [])
    add(f"Teacher-{letter}", "teacher", run.metrics.get("teacher"), teacher_off)
    if "KD" in off:  # a student from hard labels: no teacher, so no γ in its name
        kept = [t for t in off if t != "TSD"]
        add("Student", "student", run.metrics.get("student"), kept, f"Student-{letter}")
    else:
        add(f"Student-{letter}", "student", run.metrics.get("student"), off)
    evaluation = run.metrics.get("evaluate", {})
    if rows and rows[-1]["kind"] == "student":
        rows[-1]["p_value"] = evaluation.get("student_vs_baseline.p_value")
        rows[-1]["p_samples"] = evaluation.get("student_vs_baseline.samples")
    return rows


def every_row(
    runs: list[Run], reference: dict, defaults: dict | None = None, any_version: bool = False
) -> tuple[pd.DataFrame, list[str]]:
    """Every model row of the runs of the reference setup (a model and seed once per run that
    holds it, in the order of ``runs``); the names of the runs of other setups."""
    kept, skipped = [], []
    for run in runs:
        if same_setup(run, reference, defaults, free=VECTORS, any_version=any_version):
            kept.extend(
                {**row, "setup_version": comparable_version(run)}
                for row in model_rows(run, defaults)
            )
        else:
            skipped.append(run.name)
    return pd.DataFrame(kept), skipped


def collect(
    runs: list[Run], reference: dict, defaults: dict | None = None, any_version: bool = False
) -> tuple[pd.DataFrame, list[str]]:
    """One row per (model, word vectors, seed) among the runs of the reference setup, whose
    word vectors may differ (see VECTORS); the names skipped.

    The same model and seed from two runs (e.g. the baseline, retrained or restored from the
    run cache in every experiment) is kept once, from the first run in ``runs``: counting it
    twice would shrink the spread. Same params, seed and thread count give the same numbers;
    another thread count may reorder float sums and drift like a reseed (setup v2, seed 1: the
    C-GCN gave test 79.93 at 1 and at 2 threads, Student-R 81.81 at 1 and 81.64 at 2), so the
    caller puts the runs it prefers first.
    """
    frame, skipped = every_row(runs, reference, defaults, any_version)
    if frame.empty:
        return frame, skipped
    frame = frame.drop_duplicates(
        subset=["setup_version", "model", "vectors", "seed"], keep="first"
    )
    order = ["kind", "model", "vectors", "seed"]
    return frame.sort_values(order).reset_index(drop=True), skipped


def rerun_results(
    runs: list[Run], reference: dict, defaults: dict | None = None, shown: int = 3
) -> pd.DataFrame:
    """The (model, seed)s of the reference setup whose runs disagree: one row per distinct
    (dev, test) result, the runs that gave it (``shown`` named, then a count).

    :func:`collect` counts a model and seed once, from the first run; the others normally
    repeat it (the C-GCN restored from the run cache or retrained), so a disagreement says the
    same params and seed gave another model: another thread count or host
    (docs/reproducibility.md). Shown rather than dropped, so a reader sees both results."""
    columns = ["model", "seed", "threads", "cpu", "dev_f1", "test_f1", "runs"]
    frame, _ = every_row(runs, reference, defaults)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame = frame[frame["vectors"] == vectors_label(reference, defaults or asdict(Params()))]
    out = []
    for (_, model, seed), group in frame.groupby(
        ["setup_version", "model", "seed"], sort=True, dropna=False
    ):
        results = group.assign(
            dev=group["dev_f1"].round(6), test=group["test_f1"].round(6)
        ).groupby(["dev", "test"], sort=False, dropna=False)
        if results.ngroups < 2:
            continue
        for _, same in results:
            names = list(same["run"])
            more = f" and {len(names) - shown} more" if len(names) > shown else ""
            out.append(
                {
                    "model": model,
                    "seed": seed,
                    "threads": ", ".join(sorted(set(same["threads"]))),
                    "cpu": ", ".join(sorted(set(same["cpu"]))),
                    "dev_f1": same["dev_f1"].iloc[0],
                    "test_f1": same["test_f1"].iloc[0],
                    "runs": ", ".join(names[:shown]) + more,
                }
            )
    return pd.DataFrame(out, columns=columns)


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
            f"| {r.model} | {r.seed} | {r.threads} | {r.cpu} | {_fmt(r.dev_f1)} | "
            f"{_fmt(r.test_f1)} | {r.runs} |"
        )
    return lines


def control_comparisons(
    runs: list[Run],
    reference: dict,
    defaults: dict,
    gold: dict[str, str] | None,
    spec,
    samples: int = 1000,
) -> pd.DataFrame:
    """Per control and seed: Student-R's test F1 minus the control student's, and the paired
    bootstrap p-value of "Student-R is better" on their archived test predictions (None where
    a run kept none or no gold is at hand). Runs of another setup are ignored; of a seed's
    runs, the pair that shares its C-GCN counts (:func:`kdre.experiments.claim.control_pairs`),
    else the first run of each, as in :func:`collect`."""
    from kdre.evaluation.significance import paired_bootstrap

    controls = knowledge_controls(published_for(reference).no_knowledge_types)
    every = all_runs_by_role(runs, reference, defaults, controls)
    pairs = [
        (role, seed, student, control)
        for role in sorted(controls)
        for seed, (student, control) in control_pairs(every, role).items()
    ]
    rows = []
    for role, seed, student, control in sorted(pairs, key=lambda p: (p[0], str(p[1]))):
        delta = student.metrics["student"]["test"]["f1"] - control.metrics["student"]["test"]["f1"]
        row = {
            "control": role,
            "seed": seed,
            "delta_f1": delta,
            "p_value": None,
            "same_base": same_base(student, control),
        }
        if gold:
            ids = sorted(gold)
            pa = labels_for(student.predictions.get("student"), ids)
            pb = labels_for(control.predictions.get("student"), ids)
            if pa is not None and pb is not None:
                test = paired_bootstrap(
                    spec,
                    [gold[i] for i in ids],
                    pa,
                    pb,
                    samples,
                    seed=int(seed),
                )
                row["p_value"] = test["p_value"]
        rows.append(row)
    return pd.DataFrame(rows, columns=["control", "seed", "delta_f1", "p_value", "same_base"])


def collapsed_rows(
    runs: list[Run],
    reference: dict,
    defaults: dict,
    vectors: str,
    gold: dict[str, str] | None,
) -> pd.DataFrame:
    """The official-protocol C-GCN and Student-R (trained on 19 directed labels) of
    ``vectors``, rescored by the lineage figure with directions merged after prediction:
    KD4NRE's Table 1 lists 19 labels, so this is the other reading of its protocol. The figure
    comes from a run's evaluate metrics, or from its archived test predictions and ``gold``
    (runs older than the lineage metric). A (model, seed) counts once, from the first run in
    ``runs`` that has the figure (a C-GCN-only run keeps no predictions; another run of the
    same seed retrained or restored the same C-GCN). Test only: dev predictions are not
    archived."""
    from kdre.evaluation.scoring import lineage_score

    found = []
    for run in runs:
        if not same_setup(run, reference, defaults, free=VECTORS):
            continue
        for row in model_rows(run, defaults):
            if row["model"] not in VECTOR_MODELS or row["vectors"] != vectors:
                continue
            stem = row["kind"]  # baseline / student: the metrics' and predictions' name
            f1 = run.metrics.get("evaluate", {}).get(f"{stem}.test.lineage.f1")
            if f1 is None and gold and stem in run.predictions:
                pred = read_predictions(run.predictions[stem])
                if set(pred) == set(gold):
                    f1 = lineage_score(pred, gold).f1
            if f1 is not None:
                # the row's base is its seed's C-GCN under this figure, not the official one
                nan = float("nan")
                found.append(
                    {
                        **row,
                        "test_f1": f1,
                        "dev_f1": nan,
                        "p_value": None,
                        "base_dev_f1": nan,
                        "base_test_f1": nan,
                    }
                )
    frame = pd.DataFrame(found)
    if frame.empty:
        return frame
    return frame.drop_duplicates(subset=["model", "seed"], keep="first").reset_index(drop=True)


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
            f"s{r.seed}: {r.delta_f1:+.2f} ({_fmt_p(r.p_value, samples)}"
            f"{'; other C-GCN' if _other_base(getattr(r, 'same_base', None)) else ''})"
            for r in group.itertuples()
        )
        lines.append(f"| {name} | {len(group)} | {group['delta_f1'].mean():+.2f} | {per_seed} |")
    return lines


def _other_base(same) -> bool:
    """True only where the two runs' C-GCNs are known to differ (not where unknown)."""
    return same is not None and not pd.isna(same) and not bool(same)


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


def _fmt(value, spec: str = ".2f") -> str:
    return "–" if value is None or pd.isna(value) else format(value, spec)


def _fmt_p(p, samples, spec: str = ".3f") -> str:
    """A bootstrap p of 0 means no resample favoured the baseline: the p-value is below
    1/samples, not zero, so it is printed as a bound."""
    if p == 0 and samples and not pd.isna(samples):
        return f"< {format(1 / samples, '.3g')}"
    return _fmt(p, spec)


def _cell(row: pd.Series, column: str) -> str:
    value = row[column]
    if column == "p_value":
        return _fmt_p(value, row.get("p_samples"), ".4f")
    return _fmt(value) if isinstance(value, float) else str(value)


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
                _fmt(r.dev_f1_mean),
                f"{_fmt(r.test_f1_mean)} ± {_fmt(r.test_f1_std)}",
            ]
        delta = means[VECTOR_MODELS[1]] - means[VECTOR_MODELS[0]] if len(means) == 2 else None
        student = vectors.loc[(label, VECTOR_MODELS[1])] if len(means) == 2 else {}
        p = _fmt_p(student.get("p_value_max"), student.get("p_samples_min"))
        cells += [_fmt(delta, "+.2f"), p]
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
                _fmt(r.dev_f1_mean),
                f"{_fmt(r.test_f1_mean)} ± {_fmt(r.test_f1_std)}",
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
            f"{_fmt(r.test_f1_mean)} ± {_fmt(r.test_f1_std)}",
            _fmt(r.dev_f1_mean),
            _fmt(r.delta_vs_cgcn, "+.2f"),
        ]
        if paper:
            cells += [_fmt(r.paper_f1, ".1f"), _fmt(r.paper_delta_vs_cgcn, "+.1f")]
        cells += [_fmt_p(r.get("p_value_max"), r.get("p_samples_min")), _fmt(r.wall_minutes, ".1f")]
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
                f"| {model} | {r.n} | {_fmt(r.test_f1_mean)} ± {_fmt(r.test_f1_std)} | "
                f"{_fmt(r.get('delta_vs_full'), '+.2f')} | {_fmt(paper, '+.1f')} |"
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


CONTROL_SAMPLES = 1000


def test_gold(params: Params, parsed: Path) -> tuple[DatasetSpec | None, dict[str, str] | None]:
    """The gold test labels of the corpus ``params`` name, for the bootstraps: read from the raw
    corpus (no parsing); where this clone lacks it, from the parsed test split under ``parsed``
    if that is SemEval or TACRED as named (a corpus whose labels come from its data could be
    another folder's); else (None, None), and the Δ are shown without p."""
    try:
        return test_gold_labels(params.dataset)
    except InputError:
        pass
    path = parsed / "test.parquet"
    if params.dataset.name not in ("semeval", "tacred") or not path.exists():
        return None, None
    try:
        spec = dataset_spec(params.dataset.name, parsed)
    except InputError:  # the workspace parsed another dataset
        return None, None
    frame = read_split(path, validate=False)
    return spec, dict(zip(frame["id"].astype(str), frame["relation"].astype(str), strict=True))


@dataclass
class Report:
    """What `kdre report` writes: the markdown, one row per model and seed, the summary the
    figure shows, how many runs were read and which were left out (with why)."""

    text: str
    rows: pd.DataFrame
    summary: pd.DataFrame
    runs: int
    skipped: list[str]
    published: Published = SEMEVAL


def _mechanisms(
    runs: list[Run], reference: dict, defaults: dict, spec: DatasetSpec | None, gold
) -> list[str]:
    frame = mechanisms.cell_runs(runs, reference, defaults)
    table = mechanisms.markdown(frame)
    if not table:
        return []
    return [*table, *mechanisms.tests_markdown(mechanisms.seed_tests(frame, spec, gold))]


def full_model_first(runs: list[Run], reference: dict, defaults: dict) -> list[Run]:
    """``runs`` with Student-R's own runs first, the order otherwise kept. A seed's C-GCN row
    comes from the first run that holds it; every run of a seed normally retrains or restores
    the same C-GCN, but a seed retrained on another CPU gives another one (KBP37 seed 1: test
    60.74 on AMD, 61.84 on Intel), and then the C-GCN shown must be the one Student-R was
    distilled beside, not whichever control's run sorts first by name."""
    controls = knowledge_controls(published_for(reference).no_knowledge_types)

    def full(run: Run) -> bool:
        return "student" in run.metrics and role_of(run, defaults, controls) == "student-r"

    return sorted(runs, key=lambda run: not full(run))


def build_report(
    reference: dict,
    found: list[Run | str],
    spec: DatasetSpec | None = None,
    gold: dict[str, str] | None = None,
    beside: Sequence[Corpus] = (),
) -> Report:
    """The report of the runs ``found`` (a string: a run that cannot be used, and why) that
    belong to the ``reference`` params' setup; ``beside``: other corpora's setups whose
    Student-R and controls stand in the claim table beside this one's (kdre.experiments.claim)."""
    # the typed config of the reference: its own types are the ones rows are not tagged with
    defaults = setup_defaults(reference)
    runs = full_model_first([r for r in found if isinstance(r, Run)], reference, defaults)
    published = published_for(reference)
    rows, skipped = collect(runs, reference, defaults)
    skipped += [r for r in found if isinstance(r, str)]
    elsewhere = {r.name for r in runs if corpus_of(r.resolved()) != corpus_of(flatten(defaults))}
    skipped = [s for s in skipped if s not in elsewhere]
    own_vectors = vectors_label(reference, defaults)
    pool, _ = every_row(runs, reference, defaults)
    summary = summarise(
        rows[rows["vectors"] == own_vectors] if not rows.empty else rows,
        published.paper,
        pool[pool["vectors"] == own_vectors] if not pool.empty else None,
    )
    every, _ = collect(runs, reference, defaults, any_version=True)
    own = every[every["vectors"] == own_vectors] if not every.empty else every
    versions = by_version(own) if not own.empty else None
    # the same setup under the lineage protocol (10 undirected labels), in a table of its own
    lineage_ref = {
        **reference,
        "dataset": {**(reference.get("dataset") or {}), "semeval_directions": False},
    }
    lineage_rows, _ = collect(runs, lineage_ref, defaults)
    if not lineage_rows.empty:
        lineage_rows = lineage_rows[lineage_rows["vectors"] == own_vectors]
        skipped = [s for s in skipped if s not in set(lineage_rows["run"])]
    lineage = summarise(lineage_rows, published.paper) if not lineage_rows.empty else None
    controls = control_comparisons(runs, reference, defaults, gold, spec, CONTROL_SAMPLES)
    collapsed = collapsed_rows(runs, reference, defaults, own_vectors, gold)
    text = markdown(
        summary,
        rows,
        skipped,
        published.notes,
        by_vectors(rows),
        own_vectors,
        versions,
        controls,
        CONTROL_SAMPLES,
        lineage,
        summarise(collapsed, published.paper),
        _mechanisms(runs, reference, defaults, spec, gold),
        published,
        len(elsewhere),
        claim.markdown(claim.claim_rows([Corpus(reference, spec, gold), *beside], runs)),
        rerun_results(runs, reference, defaults),
    )
    return Report(text, rows, summary, len(runs), skipped, published)
