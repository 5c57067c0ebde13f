"""``kdre report``: every finished experiment of this repository → reports/results.md, CSV, plot.

Runs are read from three places: the workspace; each experiment ref (refs/exps/…, written by
`dvc exp run`, queued or not), with its dvc.lock, params.yaml and the metrics JSON the pipeline
committed (`cache: false`); and the run archive, reports/runs/<name>/, where every report first
copies those files of each experiment ref. Experiment refs and DVC's cache live in one clone
only; the archive is committed, so a matrix split across machines or sessions adds up. Not a
DVC stage on purpose: a stage sees only its own workspace, never its sibling experiments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml

from kdre.config import load_params
from kdre.experiments.archive import ARCHIVE, find_runs
from kdre.experiments.claim import Corpus
from kdre.experiments.figure import plot
from kdre.experiments.report import build_report, test_gold
from stages.common import outputs_together, write_text

ArchiveOption = Annotated[
    Path, typer.Option(help="Run archive: one folder per experiment, committed to git.")
]


def committed_setups() -> list[Path]:
    """params.yaml and every reports/<setup>/params.yaml (e.g. KBP37's): the setups this
    repository commits reports of."""
    return [
        p
        for p in (Path("params.yaml"), *sorted(Path("reports").glob("*/params.yaml")))
        if p.exists()
    ]


def report(
    params: Annotated[Path, typer.Option(help="The setup to report: runs must match it.")] = Path(
        "params.yaml"
    ),
    out: Annotated[Path, typer.Option(help="Markdown report.")] = Path("reports/results.md"),
    csv: Annotated[Path, typer.Option(help="One row per model and seed.")] = Path(
        "reports/results.csv"
    ),
    figure: Annotated[Path, typer.Option(help="F1 per model with error bars.")] = Path(
        "reports/f1_by_model.png"
    ),
    workspace: Annotated[bool, typer.Option(help="Count the workspace's own run too.")] = True,
    archive: ArchiveOption = ARCHIVE,
    parsed: Annotated[
        Path,
        typer.Option(
            help="Parsed splits whose test gold labels the bootstraps read where this clone "
            "lacks the raw corpus PARAMS name (without either, the Δ are shown without p)."
        ),
    ] = Path("data/parsed"),
    beside: Annotated[
        list[Path] | None,
        typer.Option(
            help="Another setup's params (repeatable) whose Student-R and knowledge controls "
            "stand beside PARAMS' in the table of where the paper's claim holds. Default: "
            "params.yaml and every reports/*/params.yaml but PARAMS (the setups this repository "
            "commits reports of); give PARAMS itself for none."
        ),
    ] = None,
    save: Annotated[
        bool, typer.Option(help="Copy each experiment ref's run files into ARCHIVE first.")
    ] = True,
) -> None:
    """Collect every finished run (workspace, `dvc exp` refs, ARCHIVE) into mean ± std per model.

    A run counts when its params equal PARAMS except for the swept keys (seed, gamma and the
    ablation switches teacher.tsd / type_constraints / base, student.hint / maa / kd) and the
    word vectors (embeddings.source / path / contextual, model.emb_dim); others (older setups,
    other epochs) are listed as left out. Writes OUT (main table of PARAMS' word vectors with
    the paper's figure on PARAMS' corpus and deltas beside ours where it reports one (SemEval:
    Table 3; KBP37: none, but other published figures), ablation table, C-GCN and Student-R per
    word-vector source, the table of where the paper's claim holds (Student-R against the C-GCN
    and its knowledge controls, for PARAMS' corpus and each BESIDE setup's), every run), CSV
    and FIGURE. Each experiment ref is first copied into
    ARCHIVE (commit it: refs and DVC's cache stay in this clone). Run the matrix first:
    `kdre matrix`, or see docs/experiments.md.
    """
    reference = yaml.safe_load(params.read_text(encoding="utf-8"))
    found = find_runs(archive, workspace, save)
    spec, gold = test_gold(load_params(params), parsed)
    others = []
    for path in committed_setups() if beside is None else beside:
        if path.resolve() == params.resolve():
            continue
        other_spec, other_gold = test_gold(load_params(path), parsed)
        other = yaml.safe_load(path.read_text(encoding="utf-8"))
        others.append(Corpus(other, other_spec, other_gold))
    result = build_report(reference, found, spec, gold, others)
    with outputs_together() as stage:
        write_text(stage(out), result.text)
        write_text(stage(csv), result.rows.to_csv(index=False))
        if not result.summary.empty:
            plot(result.summary, stage(figure), result.published)
    typer.echo(
        f"{result.runs} runs read, {len(result.skipped)} of another setup; "
        f"{len(result.summary)} models -> {out}",
        err=True,
    )
