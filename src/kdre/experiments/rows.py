"""Runs → the report's rows: one per model a run trained (named from the params that make it
what it is: gamma, the ablation switches, a non-default type source or teacher), deduplicated per
(model, word vectors, seed); the reruns that disagree; the official runs rescored by the lineage
figure; Student-R against its knowledge controls, seed by seed.

Each run is one pipeline execution: its params and the metrics files it wrote. A run holds up to
three models (baseline, teacher, student).
"""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from kdre.config import Params
from kdre.experiments.claim import (
    all_runs_by_role,
    control_pairs,
    knowledge_controls,
    labels_for,
    read_predictions,
    same_base,
)
from kdre.experiments.published import published_for
from kdre.experiments.runs import (
    VECTORS,
    Run,
    ablations,
    comparable_version,
    flatten,
    same_setup,
    vectors_label,
)

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
