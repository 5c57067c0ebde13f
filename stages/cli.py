"""The ``kdre`` console script: one subcommand per pipeline stage, plus tools."""

from __future__ import annotations

import sys

import typer

from kdre.errors import InputError
from stages import (
    baseline,
    embed,
    entity_types,
    evaluate,
    graph,
    matrix,
    parse,
    predict,
    report,
    score,
    student,
    teacher,
    wordnet_table,
)

app = typer.Typer(
    name="kdre",
    help=(
        "kdre — relation extraction with knowledge distilled from well-informed soft labels "
        "(KD4NRE, AAAI 2020). Each subcommand is one DVC stage; run them with `dvc repro`."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
app.command("parse")(parse.parse)
app.command("types")(entity_types.types)
app.command("graph")(graph.graph)
app.command("embed")(embed.embed)
app.command("baseline")(baseline.baseline)
app.command("teacher")(teacher.teacher)
app.command("student")(student.student)
app.command("evaluate")(evaluate.evaluate)
app.command("predict")(predict.predict)
app.command("report")(report.report)
app.command("matrix")(matrix.matrix)
app.command("wordnet-table")(wordnet_table.wordnet_table)
app.add_typer(score.app, name="score")


def main() -> None:
    """Entry point: bad input is one line on stderr and exit status 1, never a traceback."""
    try:
        app()
    except InputError as err:
        print(f"kdre: error: {err}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
