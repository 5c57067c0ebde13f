"""``kdre rule-errors``: which of a model's test errors the soft type rules G(p) could correct."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pyarrow.parquet as pq
import typer

from kdre.config import load_params
from kdre.data.datasets import dataset_spec
from kdre.errors import InputError
from kdre.evaluation import rule_errors
from kdre.evaluation.scoring import read_answer_file
from stages.common import PARAMS, TYPED, ParamsOption, TypedOption, write_text


def rule_errors_cmd(
    predictions: Annotated[
        list[Path],
        typer.Argument(
            help="Test predictions, `<id><TAB><label>` lines (e.g. predictions/baseline_test.txt "
            "or an archived run's reports/runs/*/predictions/*_test.txt)."
        ),
    ],
    params: ParamsOption = PARAMS,
    typed: TypedOption = TYPED,
    out: Annotated[
        Path | None, typer.Option(help="Also write the table (markdown) to this file.")
    ] = None,
) -> None:
    """Count, per prediction file, the test errors where G(p) prefers the gold label (the types'
    knowledge could correct them) and those where it prefers the model's wrong answer (the rules
    reinforce the error), and the relation predictions whose pattern never had that relation
    on train.

    G(p) is the teacher's: counted on TYPED's train split (the types stage's output, so the
    type source of the run that made it: `types.source`), NA = `graph.na_prob` of PARAMS. The
    predictions must be of the corpus and label set TYPED was typed from (`dataset.name` of
    PARAMS); for a corpus whose dev split is held out of train (SemEval), a run of another seed
    counted its G(p) on a slightly different train. Prints a markdown table.
    """
    cfg = load_params(params)
    spec = dataset_spec(cfg.dataset.name, typed)
    columns = ["id", "subj_type", "obj_type", "relation"]
    train = pq.read_table(typed / "train.parquet", columns=columns).to_pandas()
    test = pq.read_table(typed / "test.parquet", columns=columns).to_pandas()
    table = rule_errors.rule_table(train, list(spec.labels), spec.na_label, cfg.graph.na_prob)
    verdicts = {}
    for path in predictions:
        answers = read_answer_file(path, spec.labels, numeric_ids=False)
        try:
            verdicts[str(path)] = rule_errors.rule_verdicts(table, test, answers)
        except KeyError as err:
            raise InputError(f"{err.args[0]} (of {typed / 'test.parquet'})", path) from None
    text = rule_errors.caption(table, str(typed / "train.parquet")) + rule_errors.markdown(verdicts)
    typer.echo(text, nl=False)
    if out is not None:
        write_text(out, text)
