"""``kdre score``: official scores of a prediction file against a key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kdre.errors import InputError
from kdre.evaluation import scoring

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
    pred: Annotated[
        Path,
        typer.Argument(
            help="Predictions: `<id><TAB><label>` lines; directed labels (19-way), or undirected "
            "ones (`Cause-Effect`, a 10-way classifier) for the figures that need no direction."
        ),
    ],
    key: Annotated[Path, typer.Argument(help="Key: same format, or TEST_FILE_FULL.TXT itself.")],
    as_json: JsonFlag = False,
) -> None:
    """SemEval-2010 Task 8: every figure of semeval2010_task8_scorer-v1.2.pl, and the lineage's.

    Printed, each under its name: the Perl scorer's three evaluations — (2*9+1)-way with
    direction, (9+1)-way ignoring direction, (9+1)-way with direction (the OFFICIAL one) — each
    with P/R/F1 per relation, micro and macro P/R/F1 (Other excluded), coverage and accuracies;
    then the LINEAGE figure of the C-GCN/AGGCN papers (directions merged, P averaged over the
    relations predicted, R over those in the key, F1 = 2PR/(P+R)). The last line is the official
    macro-F1, as the Perl scorer's. Ids missing from PRED count as unanswered; an id not in
    KEY, a repeated id or an unknown label is an error. `--json`: the official figure's keys
    (precision, recall, f1, per_relation, coverage, total) plus `official`, `directed_19way`,
    `undirected` and `lineage`. A 10-way (undirected) PRED has only `undirected` and `lineage`.
    """
    answers = scoring.read_answer_file(pred, (*scoring.semeval.LABELS, *scoring.UNDIRECTED))
    scoring.check_one_protocol(answers, pred)
    gold = scoring.read_semeval_key(key)
    if not gold:
        raise InputError("the key holds no answers", key)
    _warn_if_empty(answers, pred)
    figures = scoring.semeval_figures(answers, gold)
    directed = "unavailable" not in figures["official"]
    if as_json:
        data = scoring.semeval_score(answers, gold, str(pred)).to_dict() if directed else {}
        typer.echo(json.dumps({**data, **figures}, indent=2))
        return
    for name, title in scoring.EVALUATIONS.items():
        typer.echo(f"== {title} ==")
        figure = figures[name]
        if "unavailable" in figure:
            typer.echo(f"   not computed: {figure['unavailable']}\n")
            continue
        for rel, s in figure["per_relation"].items():
            typer.echo(
                f"{rel:>25} : P = {s['precision']:6.2f}%  R = {s['recall']:6.2f}%  "
                f"F1 = {s['f1']:6.2f}%"
            )
        typer.echo(
            f"coverage {figure['coverage']:.2f}%, accuracy {figure['accuracy']:.2f}% "
            f"(skipped as wrong {figure['accuracy_skipped_wrong']:.2f}%, as Other "
            f"{figure['accuracy_skipped_other']:.2f}%)"
        )
        for avg in ("micro", "macro"):
            a = figure[avg]
            typer.echo(
                f"{avg}-averaged (Other excluded): P = {a['precision']:6.2f}%  "
                f"R = {a['recall']:6.2f}%  F1 = {a['f1']:6.2f}%"
            )
        typer.echo("")
    lin = figures["lineage"]
    typer.echo(
        "== lineage (C-GCN/AGGCN: directions merged, P over predicted relations, R over key "
        "relations, F1 = 2PR/(P+R); not the official metric) =="
    )
    typer.echo(f"P = {lin['precision']:6.2f}%  R = {lin['recall']:6.2f}%  F1 = {lin['f1']:6.2f}%")
    if directed:
        typer.echo(scoring.official_line(scoring.semeval_score(answers, gold, str(pred))))
    else:
        typer.echo(
            "<<< no official score: the predictions or the key carry no direction (10-way) >>>"
        )


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
    answers = scoring.read_tacred_answers(pred, labels)
    gold = scoring.read_tacred_answers(key, labels)
    if not gold:
        raise InputError("the key holds no answers", key)
    _warn_if_empty(answers, pred)
    score = scoring.tacred_score(answers, gold, str(pred), na_label)
    _report(score, as_json, f"micro-averaged F1 ({na_label} excluded) = {score.f1:0.2f}%")


@app.command("semeval-format")
def semeval_format_cmd(
    pred: Annotated[Path, typer.Argument(help="Predictions: `<id><TAB><label>` lines.")],
    key: Annotated[
        Path,
        typer.Argument(
            help="Key: `<id><TAB><label>` lines, or the corpus's split file in SemEval's record "
            "format (test.txt: its ids become `test-<id>`, as the parse stage names them)."
        ),
    ],
    na_label: Annotated[
        str, typer.Option(help="The label meaning no relation (KBP37: no_relation).")
    ] = "no_relation",
    as_json: JsonFlag = False,
) -> None:
    """A corpus in SemEval's record format with directed labels (`rel(e1,e2)`, e.g. KBP37):
    the SemEval official definition applied to its labels — per relation of the key P/R/F1
    with the direction required (a right relation in the wrong direction counts against
    precision), NA excluded, macro-averaged (the usual KBP37 figure) — and beside it the
    TACRED-style micro-F1 over all labels but NA. Missing ids = NA."""
    answers = scoring.read_answer_file(pred, None, numeric_ids=False)
    gold = scoring.read_format_key(key)
    if not gold:
        raise InputError("the key holds no answers", key)
    if na_label not in set(gold.values()) | set(answers.values()):
        raise InputError(f"--na-label {na_label!r} occurs in neither file", key)
    _warn_if_empty(answers, pred)
    macro = scoring.semeval_score(answers, gold, str(pred), na_label)
    micro = scoring.tacred_score(answers, gold, str(pred), na_label)
    if as_json:
        typer.echo(json.dumps({**macro.to_dict(), "micro": micro.to_dict()}, indent=2))
        return
    _report(
        macro,
        False,
        f"macro-averaged F1 (SemEval official definition, directions required, {na_label} "
        f"excluded) = {macro.f1:0.2f}%",
    )
    typer.echo(f"micro-averaged F1 (TACRED-style, {na_label} excluded) = {micro.f1:0.2f}%")


def _warn_if_empty(answers: dict, path: Path) -> None:
    """An empty prediction file is valid (every id unanswered) but rarely meant: say so."""
    if not answers:
        typer.echo(
            f"kdre: warning: {path} holds no prediction; every id counts as unanswered", err=True
        )
