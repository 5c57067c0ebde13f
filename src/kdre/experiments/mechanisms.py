"""The report's table of the Transfer issue's mechanisms: Student-R with one mechanism on
(leave-one-out soft rules, cross-fitted teachers, a transfer set, and the transfer set's
self-distillation control), beside Student-R itself, and the MiniLM teacher's student with and
without the same transfer set or leave-one-out soft rules, each over the seeds it ran; and the
MiniLM teachers on dev (typed, typed over leave-one-out soft rules, plain), the issue's question
whether the typed teacher still loses to the plain one once G(p) leaves the example out.

Each cell is its own setup (its key is not swept), so its runs are left out of the main table;
here each row gathers the runs of one cell (kdre.experiments.cells), and the differences are
taken seed by seed against Student-R so that the seeds a cell lacks do not move its mean.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pandas as pd

from kdre import SETUP_VERSION
from kdre.data.datasets.base import DatasetSpec
from kdre.experiments.cells import (
    CELLS,
    TRANSFER_CELLS,
    TRANSFORMER_CELLS,
    cell_reference,
    covers,
)
from kdre.experiments.claim import labels_for
from kdre.experiments.formatting import fmt, fmt_p
from kdre.experiments.runs import VECTORS, Run, same_setup, teacher_version

_MINILM = (
    "transformer-transfer",
    "transformer-loo",
    "transformer-plain-transfer",
    "transformer-transfer-long",
    "transformer-transfer-steady",
    "transformer-transfer-8",
    "transformer-transfer-8-x2",
    "transformer-teacher-only",
    "transformer-mse",
    "transformer-transfer-mse",
)
ROWS: dict[str, dict[str, str]] = {
    "relation": CELLS["relation"],
    **{k: v for k, v in TRANSFER_CELLS.items() if k not in _MINILM},
    "transformer": TRANSFORMER_CELLS["transformer"],
    "transformer-plain": TRANSFORMER_CELLS["transformer-plain"],
    **{k: TRANSFER_CELLS[k] for k in _MINILM},
}
# the MiniLM teachers' cells, references first: the report's `--cells` line for them
_MINILM_CELLS = ("transformer", "transformer-plain", *_MINILM)
# the rows that change nothing of the Transfer issue's: shown only beside a mechanism's row
REFERENCES = ("relation", "transformer", "transformer-plain")
# the MiniLM teachers compared on dev: typed (the transformer cell), typed over leave-one-out
# soft rules, and the plain fine-tuned MiniLM, the one the typed teacher must beat
TEACHER_ROWS: dict[str, dict[str, str]] = {
    "transformer": TRANSFORMER_CELLS["transformer"],
    "transformer-loo": TRANSFER_CELLS["transformer-loo"],
    "transformer-plain": TRANSFORMER_CELLS["transformer-plain"],
}

# B = CGCN: A's own C-GCNs (the baseline of each of A's runs), so that the headline "the
# student beats its C-GCN" gets the same seed-aware test as the controls
CGCN = "cgcn"
# (A, B): "does A beat B?", each over the seeds both ran, by the seed-aware bootstrap
COMPARISONS: list[tuple[str, str]] = [
    ("loo", "relation"),
    ("folds", "relation"),
    ("transfer", "relation"),
    ("transfer-self", "relation"),
    ("transfer", "transfer-self"),  # the knowledge, on the same transfer set
    ("transformer-transfer", "transformer"),  # the transfer set, same MiniLM teacher
    ("transformer-transfer", "transfer-self"),  # MiniLM vs self-distillation, same transfer set
    ("transformer-loo", "transformer"),  # leave-one-out soft rules, same MiniLM teacher
    ("transfer-self-soft", "transfer-self"),  # softer self-distillation, same transfer set
    ("transformer-transfer", "transfer-self-soft"),  # MiniLM vs as soft a C-GCN teacher
    ("transformer-plain-transfer", "transformer-plain"),  # the transfer set, plain MiniLM
    ("transformer-plain-transfer", "transformer-transfer"),  # plain vs typed MiniLM teacher
    ("transformer-transfer-long", "transformer-transfer"),  # twice the student's epochs
    ("transformer-transfer-steady", "transformer-transfer"),  # transfer terms not annealed
    ("transformer-transfer-8", "transformer-transfer"),  # twice the transfer set
    ("transformer-transfer-8-x2", "transformer-transfer-8"),  # twice the copies per epoch
    ("transformer-teacher-only", "transformer"),  # no gold term: the teacher alone
    ("transformer-mse", "transformer"),  # logits matched instead of softmax
    ("transformer-transfer-mse", "transformer-transfer"),  # the same, on the transfer set
    ("transformer-transfer", "relation"),  # the best student against the default's
    ("transformer-transfer", CGCN),  # the best student against its own C-GCN
    # the plain MiniLM teacher's student, the other candidate for best student on dev: the
    # same three headline tests (self-distillation control, the default's student, its C-GCN)
    ("transformer-plain-transfer", "transfer-self"),
    ("transformer-plain-transfer", "relation"),
    ("transformer-plain-transfer", CGCN),
]
# a headline row needs this many seeds (the Transfer issue: 5-seed rows); the best student is
# chosen on dev among the cells that have them
HEADLINE_SEEDS = 5
SAMPLES = 1000

WHAT = {
    "relation": "Student-R (reference)",
    "loo": "+ leave-one-out soft rules",
    "folds": "+ 5 cross-fitted teachers",
    "transfer": "+ transfer set (4 copies)",
    "transfer-self": "+ transfer set, teacher = C-GCN (control)",
    "transfer-self-soft": "+ transfer set, teacher = C-GCN, KD temperature 2 (control)",
    "transformer": "Student-V from the MiniLM teacher (no transfer set)",
    "transformer-transfer": "Student-V from the MiniLM teacher + transfer set (4 copies)",
    "transformer-loo": "Student-V from the MiniLM teacher + leave-one-out soft rules",
    "transformer-plain": "Student from the plain MiniLM teacher (no transfer set)",
    "transformer-plain-transfer": "Student from the plain MiniLM teacher + transfer set (4 copies)",
    "transformer-transfer-long": (
        "Student-V from the MiniLM teacher + transfer set (4 copies), 100 student epochs"
    ),
    "transformer-transfer-steady": (
        "Student-V from the MiniLM teacher + transfer set (4 copies), its terms not annealed"
    ),
    "transformer-transfer-8": "Student-V from the MiniLM teacher + transfer set (8 copies)",
    "transformer-transfer-8-x2": (
        "Student-V from the MiniLM teacher + transfer set (8 copies), 2 drawn per example "
        "each epoch"
    ),
    "transformer-teacher-only": (
        "Student-V from the MiniLM teacher (no transfer set), teacher alone (λ_kd = 1, no gold "
        "term)"
    ),
    "transformer-mse": "Student-V from the MiniLM teacher (no transfer set), logits matched (MSE)",
    "transformer-transfer-mse": (
        "Student-V from the MiniLM teacher + transfer set (4 copies), logits matched (MSE)"
    ),
    CGCN: "its C-GCN (the baseline of the same runs)",
}
TEACHER_WHAT = {
    "transformer": "Teacher-V, MiniLM + type term (G(p) of all of train)",
    "transformer-loo": "Teacher-V, MiniLM + type term (leave-one-out G(p) on train)",
    "transformer-plain": "plain fine-tuned MiniLM (no types, no TSD)",
}


def cell_runs(runs: list[Run], reference: dict, defaults: dict) -> pd.DataFrame:
    """One row per (cell, seed): the student's dev/test F1 and training time, the C-GCN's test
    F1, how often the soft labels of train are right and sure."""
    rows = []
    for cell, overrides in ROWS.items():
        own = cell_reference(reference, overrides)
        seen: set[int] = set()
        for run in runs:
            if not same_setup(run, own, defaults, free=VECTORS):
                continue
            seed = run.resolved().get("seed")
            if seed in seen or not covers(run, overrides, seed, own):
                continue
            seen.add(seed)
            student = run.metrics.get("student", {})
            teacher = run.metrics.get("teacher", {})
            crossfit = teacher.get("crossfit", {})
            rows.append(
                {
                    "cell": cell,
                    "seed": seed,
                    "run": run.name,
                    "dev": student.get("dev", {}).get("f1"),
                    "test": student.get("test", {}).get("f1"),
                    "cgcn_test": run.baseline_f1()[1],
                    "student_seconds": student.get("train_seconds"),
                    "sure": crossfit.get(
                        "out_of_fold_right_and_sure", teacher.get("train_right_and_sure")
                    ),
                    "transfer": student.get("transfer_examples", 0),
                    "predictions": run.predictions.get("student"),
                    "cgcn_predictions": run.predictions.get("baseline"),
                    "teacher_predictions": run.predictions.get("teacher"),
                    "leaky": run.teacher_reads_gold(),
                }
            )
    return pd.DataFrame(rows)


def teacher_runs(runs: list[Run], reference: dict, defaults: dict) -> pd.DataFrame:
    """One row per (MiniLM teacher cell, seed): the teacher's dev and test F1. A run of an
    older setup version counts where only the student changed since (its teacher computes
    what today's computes: kdre.experiments.setups.STUDENT_ONLY)."""
    rows = []
    for cell, overrides in TEACHER_ROWS.items():
        own = cell_reference(reference, overrides)
        seen: set[int] = set()
        for run in runs:
            if teacher_version(run) != SETUP_VERSION:
                continue
            if not same_setup(run, own, defaults, free=VECTORS, any_version=True):
                continue
            seed = run.resolved().get("seed")
            if seed in seen or not covers(run, overrides, seed, own, stage="teacher"):
                continue
            seen.add(seed)
            teacher = run.metrics["teacher"]
            rows.append(
                {
                    "cell": cell,
                    "seed": seed,
                    "run": run.name,
                    "dev": teacher.get("dev", {}).get("f1"),
                    "test": teacher.get("test", {}).get("f1"),
                }
            )
    return pd.DataFrame(rows)


def teachers_markdown(frame: pd.DataFrame) -> list[str]:
    """The MiniLM teachers on dev, shown once the leave-one-out teacher ran: per cell, seeds,
    dev and test mean ± std, Δ dev against the plain MiniLM on the seeds both ran."""
    if frame.empty or "transformer-loo" not in set(frame["cell"]):
        return []
    lines = [
        "",
        "The MiniLM teachers on dev (the Transfer issue's question: does the typed teacher "
        "still lose to the plain one once G(p) on train leaves each example's own label out? "
        "`kdre matrix --cells transformer,transformer-loo,transformer-plain`). Δ dev: mean of "
        "the per-seed differences against the plain MiniLM on the seeds both ran; test is "
        "shown, not selected on.",
        "",
        "| teacher | seeds | dev | Δ dev vs plain | test |",
        "|---|---|---|---|---|",
    ]
    for cell, part, seeds, delta in _per_cell(frame, TEACHER_ROWS, "transformer-plain", "dev"):
        lines.append(
            f"| {TEACHER_WHAT[cell]} | {seeds} | {_spread(part['dev'])} | {delta} | "
            f"{_spread(part['test'])} |"
        )
    return lines


def markdown(frame: pd.DataFrame) -> list[str]:
    """The table: per cell, seeds, dev and test mean ± std, Δ test against Student-R on the
    seeds both ran, the share of soft labels right and sure, the student's training time."""
    if frame.empty or set(frame["cell"]) <= set(REFERENCES):
        return []
    lines = [
        "## The Transfer issue's mechanisms (Student-R with one change; official macro-F1)",
        "",
        "Each cell changes one thing against Student-R (`kdre matrix --cells "
        f"{','.join(c for c in ROWS if c not in _MINILM_CELLS)}`), or against the "
        f"MiniLM teacher's student (`--cells {','.join(_MINILM_CELLS)}`). Δ test: "
        "mean of the per-seed differences against Student-R on the seeds both ran. *sure*: "
        "share of the training examples whose soft label gives the gold label ≥ 0.9 "
        "(out-of-fold with folds; Teacher-R reads the gold label, so for its cells this says "
        "how one-hot the soft labels are, not how good the teacher is). Student time: "
        "seconds of training, same machine class.",
        "",
        "| cell | seeds | student dev | student test | Δ test vs Student-R | sure | student s |",
        "|---|---|---|---|---|---|---|",
    ]
    for cell, part, seeds, delta in _per_cell(frame, ROWS, "relation", "test"):
        lines.append(
            f"| {WHAT.get(cell, cell)} | {seeds} | {_spread(part['dev'])} | "
            f"{_spread(part['test'])} | {delta} | "
            f"{fmt(part['sure'].mean(), '.3f')} | {fmt(part['student_seconds'].mean(), '.0f')} |"
        )
    best = best_on_dev(frame)
    if best is not None:
        part = frame[frame["cell"] == best]
        lines += [
            "",
            f"Best student chosen on dev (the highest mean student dev of the cells with "
            f"≥ {HEADLINE_SEEDS} seeds; test is not looked at): {WHAT.get(best, best)}, dev "
            f"{_spread(part['dev'])}, test {_spread(part['test'])}.",
        ]
    return lines


def best_on_dev(frame: pd.DataFrame, min_seeds: int = HEADLINE_SEEDS) -> str | None:
    """The cell whose students have the highest mean dev F1 among the cells that ran at least
    ``min_seeds`` seeds (None when none did): the selection the Transfer issue asks for, made
    on dev alone so that the test figure it reports stays an unbiased estimate."""
    if frame.empty:
        return None
    dev = frame.dropna(subset=["dev"]).groupby("cell")["dev"]
    means = dev.mean()[dev.count() >= min_seeds]
    return None if means.empty else str(means.idxmax())


def _per_cell(
    frame: pd.DataFrame, cells: Iterable[str], reference: str, column: str
) -> Iterator[tuple[str, pd.DataFrame, str, str]]:
    """Per cell of ``cells`` that ran: its rows, its seeds ("1,2") and the mean of its per-seed
    differences in ``column`` against the ``reference`` cell over the seeds both ran ("+0.12";
    empty for the reference itself or without a shared seed), so that a seed one cell lacks
    does not move the difference."""
    ref = frame[frame["cell"] == reference].set_index("seed")[column]
    for cell in cells:
        part = frame[frame["cell"] == cell]
        if part.empty:
            continue
        seeds = ",".join(str(s) for s in sorted(part["seed"]))
        shared = part[part["seed"].isin(ref.index)]
        delta = ""
        if cell != reference and not shared.empty:
            delta = f"{(shared.set_index('seed')[column] - ref.loc[shared['seed']]).mean():+.2f}"
        yield cell, part, seeds, delta


def seed_tests(
    frame: pd.DataFrame,
    spec: DatasetSpec | None,
    gold: dict[str, str] | None,
    samples: int = SAMPLES,
) -> pd.DataFrame:
    """Per comparison of :data:`COMPARISONS` whose two cells share at least two seeds with
    archived test predictions: the seed-aware paired bootstrap (seeds and test examples
    resampled) of the official macro-F1. B = :data:`CGCN` pairs each of A's students with the
    C-GCN of its own run."""
    from kdre.evaluation.significance import seed_bootstrap

    rows = []
    if frame.empty or gold is None or spec is None:
        return pd.DataFrame(rows)
    ids = sorted(gold)

    def predictions(cell: str, column: str = "predictions") -> dict[int, list[str]]:
        out = {}
        for row in frame[frame["cell"] == cell].itertuples():
            text = getattr(row, column, None)  # the archived prediction file's text
            labels = labels_for(text if isinstance(text, str) else None, ids)
            if labels is not None:
                out[int(row.seed)] = labels
        return out

    for a, b in COMPARISONS:
        pa = predictions(a)
        pb = predictions(a, "cgcn_predictions") if b == CGCN else predictions(b)
        if len(set(pa) & set(pb)) < 2:
            continue
        test = seed_bootstrap(spec, [gold[i] for i in ids], pa, pb, samples)
        rows.append({"a": a, "b": b, **test})
    return pd.DataFrame(rows)


def tests_markdown(tests: pd.DataFrame) -> list[str]:
    if tests.empty:
        return []
    lines = [
        "",
        "Seed-aware paired bootstrap (seeds and test examples resampled together, "
        f'{SAMPLES} resamples; one-sided p of "A beats B"; official macro-F1, test):',
        "",
        "| A | B | seeds | Δ test (A − B) | 95% interval | p |",
        "|---|---|---|---|---|---|",
    ]
    for row in tests.itertuples():
        lines.append(
            f"| {WHAT.get(row.a, row.a)} | {WHAT.get(row.b, row.b)} | {row.seeds} | "
            f"{row.delta_f1:+.2f} | [{row.ci95_low:+.2f}, {row.ci95_high:+.2f}] | "
            f"{fmt_p(row.p_value, row.samples)} |"
        )
    return lines


def _spread(values: pd.Series) -> str:
    values = values.dropna()
    if values.empty:
        return "–"
    if len(values) == 1:
        return f"{values.iloc[0]:.2f}"
    return f"{values.mean():.2f} ± {values.std():.2f}"
