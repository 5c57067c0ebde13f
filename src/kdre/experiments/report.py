"""Many runs (seeds × models × ablations) → the report `kdre report` writes: the runs of one
setup collected into rows (kdre.experiments.rows), summarised (kdre.experiments.summary) and
rendered (kdre.experiments.render), with the controls, the Transfer issue's mechanisms and the
claim table beside other corpora's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kdre.config import Params
from kdre.data.corpus import test_gold_labels
from kdre.data.datasets import dataset_spec
from kdre.data.datasets.base import DatasetSpec
from kdre.data.schema import read_split
from kdre.errors import InputError
from kdre.experiments import claim, fidelity, mechanisms
from kdre.experiments.claim import (
    Corpus,
    corpus_of,
    knowledge_controls,
    role_of,
    setup_defaults,
)
from kdre.experiments.published import SEMEVAL, Published, published_for
from kdre.experiments.render import markdown
from kdre.experiments.rows import (
    collapsed_rows,
    collect,
    control_comparisons,
    every_row,
    rerun_results,
)
from kdre.experiments.runs import Run, flatten, vectors_label
from kdre.experiments.summary import by_vectors, by_version, summarise

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
    teachers = mechanisms.teachers_markdown(mechanisms.teacher_runs(runs, reference, defaults))
    tests = mechanisms.tests_markdown(mechanisms.seed_tests(frame, spec, gold))
    follows = fidelity.cells_markdown(fidelity.by_cell(frame, gold), mechanisms.WHAT)
    return [*table, *tests, *follows, *teachers]


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
