"""Stage ``types``: the entity types of the teacher's patterns (``types.source``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import pyarrow.parquet as pq
import typer

from kdre.config import load_params
from kdre.datasets import dataset_spec
from kdre.entity_types import TYPER_FILE, EntityTyper, type_entropy
from kdre.schema import SPLITS, read_split
from stages.common import (
    PARAMS,
    PARSED,
    ParamsOption,
    ParsedOption,
    outputs_together,
    write_json,
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
    frames = {s: read_split(parsed / f"{s}.parquet") for s in SPLITS}
    typist = EntityTyper(cfg.types.source).fit(frames["train"], cfg.types.clusters, cfg.seed)
    summary: dict = {"source": cfg.types.source}
    tables: dict[str, pa.Table] = {}
    for split, frame in frames.items():
        subj, obj = typist.frame_types(frame)
        table = pq.read_table(parsed / f"{split}.parquet")
        for column, values in (("subj_type", subj), ("obj_type", obj)):
            index = table.schema.get_field_index(column)
            table = table.set_column(index, column, pa.array(values, pa.string()))
        tables[split] = table
        typed = frame.assign(subj_type=subj, obj_type=obj)
        summary[split] = type_entropy(typed, spec.na_label)
    with outputs_together() as stage:
        for split, table in tables.items():
            path = stage(out / f"{split}.parquet")
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, path)
        write_text(stage(out / TYPER_FILE), json.dumps(typist.to_dict()) + "\n")
        write_json(stage(metrics), summary)
    train = summary["train"]
    typer.echo(
        f"types {cfg.types.source}: {train['patterns']} train patterns, H(R|p) "
        f"{train['h_relation_given_pattern_bits']:.2f} of {train['h_relation_bits']:.2f} bits "
        f"-> {out}",
        err=True,
    )
