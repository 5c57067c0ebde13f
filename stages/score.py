"""``kdre score``: official scores of a prediction file against a key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kdre import scoring

app = typer.Typer(
    help="Score `<id><TAB><label>` predictions with the dataset's official metric.",
    no_args_is_help=True,
)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print all figures as JSON.")]


def _report(score: scoring.Score, as_json: bool, last_line: str) -> None:
    if as_json:
        typer.echo(json.dumps(score.to_dict(), indent=2))
        return
    for rel, s in score.per_relation.items():
        typer.echo(f"{rel:>25} : P = {s.precision:6.2f}%  R = {s.recall:6.2f}%  F1 = {s.f1:6.2f}%")
    typer.echo(f"coverage: {score.coverage}/{score.total}")
    typer.echo(f"P = {score.precision:6.2f}%  R = {score.recall:6.2f}%  F1 = {score.f1:6.2f}%")
    typer.echo(last_line)


@app.command("semeval")
def semeval_cmd(
    pred: Annotated[Path, typer.Argument(help="Predictions: `<id><TAB><label>` lines.")],
    key: Annotated[Path, typer.Argument(help="Key: same format, or TEST_FILE_FULL.TXT itself.")],
    as_json: JsonFlag = False,
) -> None:
    """SemEval-2010 Task 8: macro-F1 over the 9 relations, direction counted, Other excluded.

    Equals the last line of semeval2010_task8_scorer-v1.2.pl. Ids missing from PRED count as
    unanswered; an id not in KEY, a repeated id or an unknown label is an error.
    """
    answers = scoring.read_answer_file(pred, scoring.semeval.LABELS)
    score = scoring.semeval_score(answers, scoring.read_semeval_key(key), str(pred))
    _report(score, as_json, scoring.official_line(score))


@app.command("tacred")
def tacred_cmd(
    pred: Annotated[Path, typer.Argument(help="Predictions: `<id><TAB><label>` lines or JSON.")],
    key: Annotated[Path, typer.Argument(help="Key: `<id><TAB><label>` lines or TACRED JSON.")],
    as_json: JsonFlag = False,
    custom: Annotated[
        bool,
        typer.Option(
            help="A custom TACRED-format corpus (Re-TACRED, your own): any label is accepted "
            "instead of TACRED's 42."
        ),
    ] = False,
    na_label: Annotated[
        str, typer.Option(help="The label meaning no relation (a custom corpus may name its own).")
    ] = "no_relation",
) -> None:
    """TACRED and TACRED-format corpora: micro P/R/F1 over all relations except the NA label
    (missing ids = NA); a label outside TACRED's is an error unless --custom."""
    labels = None if custom else scoring.tacred.LABELS
    score = scoring.tacred_score(
        scoring.read_tacred_answers(pred, labels),
        scoring.read_tacred_answers(key, labels),
        str(pred),
        na_label,
    )
    _report(score, as_json, f"micro-averaged F1 ({na_label} excluded) = {score.f1:0.2f}%")
