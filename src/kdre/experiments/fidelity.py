"""Whom the student follows on test: its teacher, or the C-GCN it shares an architecture with.

Distillation passes on what the teacher knows only as far as the student imitates the teacher.
A run archives the test predictions of its C-GCN, its teacher and its student
(``reports/runs/NAME/predictions``), so fidelity is measured where it matters, on unseen text:
how often the student predicts what its teacher predicts, and on the examples where the
teacher and the C-GCN disagree, which of the two the student sides with. The examples the
teacher gets right and the C-GCN wrong are the teacher's knowledge that the C-GCN lacks: the
share of them the student gets right is how much of it reached the student.

Predictions are compared as labels (19 directed labels on SemEval): agreement is exact. A
teacher that reads the gold label (Teacher-R) predicted test with it: its run is marked, and the
columns that involve its teacher are no result.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from kdre.errors import InputError
from kdre.experiments.archive import run_at
from kdre.experiments.claim import labels_for, read_predictions
from kdre.experiments.formatting import fmt
from kdre.experiments.runs import Run

MODELS = ("baseline", "teacher", "student")  # the archive's test prediction files, by stem


@dataclass(frozen=True)
class Fidelity:
    """One run's test predictions compared (shares in [0, 1]; counts of examples)."""

    run: str
    examples: int
    student_teacher: float  # the student predicts what the teacher predicts
    student_cgcn: float  # the student predicts what the C-GCN predicts
    teacher_cgcn: float  # the teacher predicts what the C-GCN predicts
    split: int  # examples where the teacher and the C-GCN disagree
    sides_teacher: float  # of those, the student predicts the teacher's label
    sides_cgcn: float  # of those, the student predicts the C-GCN's label
    teacher_only: int  # examples the teacher gets right and the C-GCN wrong
    teacher_only_student: float  # of those, the student gets right
    cgcn_only: int  # examples the C-GCN gets right and the teacher wrong
    cgcn_only_student: float  # of those, the student gets right
    leaky: bool = False  # the teacher read the gold label (Teacher-R): its columns are no result


def _share(hits: int, total: int) -> float:
    return hits / total if total else float("nan")


def compare(
    run: str, gold: dict[str, str], predictions: dict[str, dict[str, str]], leaky: bool = False
) -> Fidelity:
    """Fidelity of one run from its three prediction maps (id → label) and the gold key; every
    map must hold exactly the key's ids."""
    for model in MODELS:
        ids = predictions[model].keys()
        if ids != gold.keys():
            missing = sorted(gold.keys() - ids)[:3]
            extra = sorted(ids - gold.keys())[:3]
            raise InputError(
                f"{model}'s test predictions do not cover the key's ids "
                f"(missing {missing}, not in the key {extra})",
                run,
            )
    base, teacher, student = (predictions[m] for m in MODELS)
    ids = list(gold)
    split = [i for i in ids if teacher[i] != base[i]]
    t_only = [i for i in ids if teacher[i] == gold[i] != base[i]]
    c_only = [i for i in ids if base[i] == gold[i] != teacher[i]]
    return Fidelity(
        run=run,
        examples=len(ids),
        student_teacher=_share(sum(student[i] == teacher[i] for i in ids), len(ids)),
        student_cgcn=_share(sum(student[i] == base[i] for i in ids), len(ids)),
        teacher_cgcn=_share(len(ids) - len(split), len(ids)),
        split=len(split),
        sides_teacher=_share(sum(student[i] == teacher[i] for i in split), len(split)),
        sides_cgcn=_share(sum(student[i] == base[i] for i in split), len(split)),
        teacher_only=len(t_only),
        teacher_only_student=_share(sum(student[i] == gold[i] for i in t_only), len(t_only)),
        cgcn_only=len(c_only),
        cgcn_only_student=_share(sum(student[i] == gold[i] for i in c_only), len(c_only)),
        leaky=leaky,
    )


def read_run(
    folder: Path | str, gold: dict[str, str], teacher_from: Path | str | None = None
) -> Fidelity:
    """An archived run's fidelity (``reports/runs/NAME``), read as the report reads the archive
    (kdre.experiments.archive.run_at): its predictions, and whether its teacher read the gold
    label from the params it ran (a key it lacks takes its value in the run's setup version).

    ``teacher_from``: another archived run whose teacher stands in for this run's, e.g. the
    MiniLM teacher of the same seed beside a student that never learnt from it (the −KD cell):
    how much a student follows a teacher by sharing its training data alone. The two runs must
    hold the same C-GCN (identical test predictions), else they are not the same seed's
    setting."""
    folder = Path(folder)
    predictions = _predictions(folder)
    source = folder if teacher_from is None else Path(teacher_from)
    name = folder.name
    if teacher_from is not None:
        other = _predictions(source)
        if other["baseline"] != predictions["baseline"]:
            raise InputError(f"its C-GCN is not {source.name}'s: another seed or setting", folder)
        predictions["teacher"] = other["teacher"]
        name = f"{folder.name} (teacher of {source.name})"
    return compare(name, gold, predictions, _run(source).teacher_reads_gold())


def _run(folder: Path) -> Run:
    run = run_at(folder.name, None, folder)
    if not isinstance(run, Run):
        raise InputError(run or "not an archived run (no metrics)", folder)
    return run


def _predictions(folder: Path) -> dict[str, dict[str, str]]:
    run = _run(folder)
    predictions = {}
    for model in MODELS:
        if model not in run.predictions:
            raise InputError(f"no {model} test predictions of this run", folder)
        predictions[model] = read_predictions(run.predictions[model])
    return predictions


def _pct(share: float) -> str:
    """A share as a percentage with one decimal; a share of nothing (NaN) as a dash."""
    return fmt(100 * share, ".1f")


def markdown(rows: list[Fidelity]) -> str:
    """One table row per run, percentages with one decimal."""

    lines = [
        "| run | student = teacher | student = C-GCN | teacher = C-GCN | teacher ≠ C-GCN: "
        "student sides with teacher / C-GCN | teacher right, C-GCN wrong: student right | "
        "C-GCN right, teacher wrong: student right |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        mark = " †" if r.leaky else ""
        lines.append(
            f"| {r.run}{mark} | {_pct(r.student_teacher)} | {_pct(r.student_cgcn)} | "
            f"{_pct(r.teacher_cgcn)} | {_pct(r.sides_teacher)} / {_pct(r.sides_cgcn)} "
            f"(n {r.split}) | {_pct(r.teacher_only_student)} (n {r.teacher_only}) | "
            f"{_pct(r.cgcn_only_student)} (n {r.cgcn_only}) |"
        )
    if any(r.leaky for r in rows):
        lines += ["", "† Teacher-R read the gold label to predict test: no result."]
    return "\n".join(lines) + "\n"


# the columns of a cell's row (means over its seeds), in the table's order
CELL_COLUMNS = (
    "student_teacher",
    "student_cgcn",
    "sides_teacher",
    "sides_cgcn",
    "teacher_only_student",
)


def by_cell(frame: pd.DataFrame, gold: dict[str, str] | None) -> pd.DataFrame:
    """Fidelity per cell, the mean over its seeds, from the report's rows of (cell, seed) with
    the archived test predictions of the student, the C-GCN and the teacher (columns
    ``predictions``, ``cgcn_predictions``, ``teacher_predictions``) and whether the teacher read
    the gold label (``leaky``). A row without all three predictions of the key's ids, or whose
    teacher read the gold label (Teacher-R predicted test with it: no result), is left out."""
    if frame.empty or gold is None:
        return pd.DataFrame()
    ids = sorted(gold)
    rows = []
    for row in frame.itertuples():
        if getattr(row, "leaky", False):
            continue
        maps = {}
        for model, column in zip(
            MODELS, ("cgcn_predictions", "teacher_predictions", "predictions"), strict=True
        ):
            text = getattr(row, column, None)
            labels = labels_for(text if isinstance(text, str) else None, ids)
            if labels is None:
                break
            maps[model] = dict(zip(ids, labels, strict=True))
        if len(maps) < len(MODELS):
            continue
        rows.append({"cell": row.cell, "seed": row.seed, **asdict(compare(row.run, gold, maps))})
    if not rows:
        return pd.DataFrame()
    by = pd.DataFrame(rows).groupby("cell", sort=False)
    means = by[[*CELL_COLUMNS, "teacher_only"]].mean()
    means["seeds"] = by["seed"].apply(lambda s: ",".join(str(x) for x in sorted(s)))
    return means.reset_index()


def cells_markdown(table: pd.DataFrame, what: dict[str, str]) -> list[str]:
    """The report's section: one row per cell (``what``: its label), percentages."""
    if table.empty:
        return []

    lines = [
        "",
        "Whom the student follows on test (kdre.experiments.fidelity; means over the seeds "
        "with archived test predictions of the student, its C-GCN and its teacher; labels "
        "compared exactly; cells whose teacher reads the gold label left out). Where the teacher "
        "and the C-GCN disagree, which one the student sides with; of the examples the teacher "
        "gets right and the C-GCN wrong (the teacher's knowledge the C-GCN lacks), how many "
        "the student gets right:",
        "",
        "| cell | seeds | student = teacher | student = its C-GCN | teacher ≠ C-GCN: student "
        "sides with teacher / C-GCN | teacher right, C-GCN wrong: student right |",
        "|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        lines.append(
            f"| {what.get(row.cell, row.cell)} | {row.seeds} | {_pct(row.student_teacher)} | "
            f"{_pct(row.student_cgcn)} | {_pct(row.sides_teacher)} / {_pct(row.sides_cgcn)} | "
            f"{_pct(row.teacher_only_student)} (n ≈ {row.teacher_only:.0f}) |"
        )
    return lines
