"""Stage ``graph``: the pattern→relation bipartite graph from the training split."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kdre.config import load_params
from kdre.data.datasets import dataset_spec
from kdre.data.schema import read_split
from kdre.errors import InputError
from kdre.knowledge.graph import PatternTable, build_graph, plot_heatmap
from stages.common import PARAMS, TYPED, ParamsOption, TypedOption, outputs_together, write_metrics


def graph(
    params: ParamsOption = PARAMS,
    parsed: TypedOption = TYPED,
    out: Annotated[Path, typer.Option(help="Graph parquet to write.")] = Path(
        "data/graph/graph.parquet"
    ),
    metrics: Annotated[Path, typer.Option(help="Summary JSON.")] = Path("metrics/graph.json"),
    plot: Annotated[Path, typer.Option(help="Heatmap PNG.")] = Path("plots/graph_heatmap.png"),
) -> None:
    """Count pattern→relation co-occurrences on the training split and normalise per pattern.

    A pattern is (subject type, object type). Writes OUT in long format (pattern, subj_type,
    obj_type, relation, count, prob = P(relation | pattern)), with NA examples ("Other" on
    SemEval, "no_relation" on TACRED) left out of the counts; METRICS with the number of patterns
    and the share of dev/test examples whose pattern was seen, and per split the mean G(p)[gold]
    over non-NA examples (on train also with each example's own count left out, as
    `teacher.leave_one_out` does); PLOT, a heatmap of P(r|p).

    Reads params: `dataset.name`, `graph.na_prob` (the constant C put at G(p)[NA] when the graph
    is used; reported here, applied by the teacher).
    """
    cfg = load_params(params)
    spec = dataset_spec(cfg.dataset.name, parsed)
    frames = {split: read_split(parsed / f"{split}.parquet") for split in ("train", "dev", "test")}
    for split, df in frames.items():
        unknown = sorted(set(df["relation"]) - set(spec.labels))
        if unknown:
            raise InputError(
                f"relation {unknown[0]!r} is not a {spec.name} label: the parsed data is not "
                f"dataset.name={spec.name!r} (rerun the parse stage, or set dataset.name)",
                parsed / f"{split}.parquet",
            )
    train = frames["train"]
    table = build_graph(train, spec.na_label)
    lookup = PatternTable(table, spec.labels, spec.na_label, cfg.graph.na_prob)
    summary = {
        "patterns": int(table["pattern"].nunique()),
        "edges": len(table),
        "train_non_na": int(table["count"].sum()),
        "relations_covered": int(table["relation"].nunique()),
        "na_prob": cfg.graph.na_prob,
    }
    for split, df in frames.items():
        summary[f"coverage_{split}"] = round(
            lookup.coverage(list(df["subj_type"]), list(df["obj_type"])), 4
        )
        columns = (list(df["subj_type"]), list(df["obj_type"]), list(df["relation"]))
        summary[f"gold_mass_{split}"] = round(lookup.gold_mass(*columns), 4)
        if split == "train":  # what teacher.leave_one_out gives train
            summary["gold_mass_train_leave_one_out"] = round(lookup.gold_mass(*columns, True), 4)
    with outputs_together() as stage:
        table.to_parquet(stage(out), index=False)
        write_metrics(stage(metrics), summary, cfg)
        plot_heatmap(table, spec.labels, spec.na_label, stage(plot))
    typer.echo(
        f"{summary['patterns']} patterns, {summary['edges']} edges -> {out}; "
        f"test coverage {summary['coverage_test']:.1%}",
        err=True,
    )
