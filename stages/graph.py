"""Stage ``graph``: the pattern→relation bipartite graph from the training split."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from kdre.config import load_params
from kdre.datasets import get_spec
from kdre.graph import PatternTable, build_graph, plot_heatmap
from kdre.schema import read_split
from stages.common import write_json


def graph(
    params: Annotated[Path, typer.Option(help="Parameters file.")] = Path("params.yaml"),
    parsed: Annotated[Path, typer.Option(help="Folder of the parsed splits.")] = Path(
        "data/parsed"
    ),
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
    and the share of dev/test examples whose pattern was seen; PLOT, a heatmap of P(r|p).

    Reads params: `dataset.name`, `graph.na_prob` (the constant C put at G(p)[NA] when the graph
    is used; reported here, applied by the teacher).
    """
    cfg = load_params(params)
    spec = get_spec(cfg.dataset.name)
    train = read_split(parsed / "train.parquet")
    table = build_graph(train, spec.na_label)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    table.to_parquet(tmp, index=False)
    os.replace(tmp, out)
    lookup = PatternTable(table, spec.labels, spec.na_label, cfg.graph.na_prob)
    summary = {
        "patterns": int(table["pattern"].nunique()),
        "edges": len(table),
        "train_non_na": int(table["count"].sum()),
        "relations_covered": int(table["relation"].nunique()),
        "na_prob": cfg.graph.na_prob,
    }
    for split in ("train", "dev", "test"):
        df = train if split == "train" else read_split(parsed / f"{split}.parquet")
        summary[f"coverage_{split}"] = round(
            lookup.coverage(list(df["subj_type"]), list(df["obj_type"])), 4
        )
    write_json(metrics, summary)
    plot.parent.mkdir(parents=True, exist_ok=True)
    plot_heatmap(table, spec.labels, spec.na_label, plot)
    typer.echo(
        f"{summary['patterns']} patterns, {summary['edges']} edges -> {out}; "
        f"test coverage {summary['coverage_test']:.1%}",
        err=True,
    )
