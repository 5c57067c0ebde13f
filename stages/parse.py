"""Stage ``parse``: raw corpus → data/parsed/{train,dev,test}.parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kdre.config import load_params
from kdre.data import corpus, schema
from stages.common import PARAMS, ParamsOption, ProgressOption, outputs_together, write_metrics


def parse(
    params: ParamsOption = PARAMS,
    out: Annotated[Path, typer.Option(help="Output folder for the parquet files.")] = Path(
        "data/parsed"
    ),
    metrics: Annotated[Path, typer.Option(help="Counts per split, JSON.")] = Path(
        "metrics/parse.json"
    ),
    progress: ProgressOption = True,
) -> None:
    """Parse the raw corpus into kdre's schema, one parquet per split.

    Reads params: `seed`, `dataset` (name: semeval | tacred; semeval_dir; tacred_dir; dev_size)
    and `parse` (spacy_model, batch_size, n_process, reparse, limit).

    SemEval-2010 Task 8 (default): TRAIN_FILE.TXT and TEST_FILE_FULL.TXT under
    dataset.semeval_dir. The `<e1>`/`<e2>` markers are stripped, the text is tokenised with spaCy so
    that entity boundaries are token boundaries, and tagger, parser and NER run on those tokens.
    dev = dataset.dev_size examples of TRAIN_FILE, stratified by label and seeded by `seed`.
    Entity types come from NER (the span's entity label, O when none).

    TACRED: train.json, dev.json, test.json under dataset.tacred_dir; the Stanford annotations
    are kept unless parse.reparse is true.

    semeval-format (KBP37): train.txt, test.txt and dev.txt (if there) under dataset.format_dir,
    ids prefixed by their split (`test-0`), the label set from train; a record with an empty
    entity is left out and counted in METRICS (`<split>_skipped_records`).

    Writes OUT/train.parquet, OUT/dev.parquet, OUT/test.parquet (columns: id, tokens,
    whitespace, pos, ner, head (1-based, 0 = root), deprel, subj_start, subj_end, obj_start,
    obj_end (inclusive), subj_type, obj_type, relation) and METRICS (examples per split, and
    the dependency roots beyond the first that a TACRED record had: they are hung under the
    first root, so pruning has one tree). Nothing is written on bad input.
    """
    cfg = load_params(params)
    tables = corpus.parse_dataset(cfg.dataset, cfg.parse, cfg.seed, progress=progress)
    summary = {}
    for split, table in tables.items():
        summary[f"{split}_examples"] = table.num_rows
        summary[f"{split}_extra_roots"] = schema.extra_roots(table)
        if skipped := schema.skipped_records(table):
            summary[f"{split}_skipped_records"] = skipped
    with outputs_together() as stage:
        write_metrics(stage(metrics), summary, cfg)
        paths = schema.write_splits(tables, out)  # last: it renames its own files into place
    for split, path in paths.items():
        roots = summary[f"{split}_extra_roots"]
        note = f" ({roots} extra dependency roots hung under the first)" if roots else ""
        if skipped := summary.get(f"{split}_skipped_records"):
            note += f" ({skipped} records with an empty entity left out)"
        typer.echo(f"{split}: {tables[split].num_rows} examples -> {path}{note}", err=True)
