"""Stage ``types``: the entity types of the teacher's patterns (``types.source``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pyarrow.parquet as pq
import typer

from kdre.config import load_params
from kdre.data.datasets import dataset_spec
from kdre.knowledge.types import TYPER_FILE, type_splits
from stages.common import (
    PARAMS,
    PARSED,
    ParamsOption,
    ParsedOption,
    outputs_together,
    write_metrics,
    write_text,
)


def types(
    params: ParamsOption = PARAMS,
    parsed: ParsedOption = PARSED,
    out: Annotated[Path, typer.Option(help="Folder of the typed splits to write.")] = Path(
        "data/types"
    ),
    metrics: Annotated[Path, typer.Option(help="Summary JSON.")] = Path("metrics/types.json"),
) -> None:
    """Type every subject and object from `types.source`; write the splits with those types.

    OUT holds train/dev/test.parquet (the parsed splits, `subj_type`/`obj_type` replaced) and
    typer.json (what `kdre predict` needs to type new text the same way; the k-means centroids
    for clusters). The graph, teacher and evaluate stages read OUT; the C-GCN and the student
    read the parsed splits, so they do not depend on the types.

    Sources: `ner` keeps the parse stage's types (spaCy NER on SemEval, the given ones on
    TACRED); `wordnet` the WordNet 3.0 noun supersense of the nominal (table shipped with kdre);
    `clusters` k-means over the GloVe 6B 50-d vectors of the nominals' heads, fitted on train
    (K = `types.clusters`, seeded by `seed`). Never reads the gold label.

    METRICS: per split, H(R) and H(R | pattern) in bits over non-NA examples (how much the
    patterns tell about the relation), the number of patterns and the share of nominals left
    untyped (O).
    """
    cfg = load_params(params)
    spec = dataset_spec(cfg.dataset.name, parsed)
    typed = type_splits(parsed, cfg.types.source, cfg.types.clusters, cfg.seed, spec.na_label)
    summary, typist = typed.summary, typed.typer
    with outputs_together() as stage:
        for split, table in typed.tables.items():
            pq.write_table(table, stage(out / f"{split}.parquet"))
        write_text(stage(out / TYPER_FILE), json.dumps(typist.to_dict()) + "\n")
        write_metrics(stage(metrics), summary, cfg)
    train = summary["train"]
    typer.echo(
        f"types {cfg.types.source}: {train['patterns']} train patterns, H(R|p) "
        f"{train['h_relation_given_pattern_bits']:.2f} of {train['h_relation_bits']:.2f} bits "
        f"-> {out}",
        err=True,
    )
