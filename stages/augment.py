"""Stage ``augment``: the transfer set, augmented copies of the training sentences."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import pyarrow.parquet as pq
import typer

from kdre.config import load_params
from kdre.data.augment import Rates
from kdre.data.datasets import dataset_spec
from kdre.data.schema import ARROW_SCHEMA, read_split, to_table
from kdre.data.transfer import TRANSFER_FILE, TYPED_FILE, build_transfer_set
from kdre.knowledge.types import TYPER_FILE, EntityTyper, retype
from stages.common import (
    PARAMS,
    PARSED,
    TYPED,
    ParamsOption,
    ParsedOption,
    TypedOption,
    outputs_together,
    write_metrics,
)


def augment(
    params: ParamsOption = PARAMS,
    parsed: ParsedOption = PARSED,
    typed: TypedOption = TYPED,
    out: Annotated[Path, typer.Option(help="Folder of the transfer set to write.")] = Path(
        "data/transfer"
    ),
    metrics: Annotated[Path, typer.Option(help="Summary JSON.")] = Path("metrics/augment.json"),
) -> None:
    """Make the transfer set: `transfer.copies` augmented copies of every training sentence,
    both nominals kept whole and marked, parsed exactly as the parse stage parses.

    Each copy draws, with the probabilities of `transfer.*`: one nominal replaced by another
    training nominal of the same entity type (the types stage's), subject and object swapped
    (the direction flips), a window around both nominals, and per word outside the nominals a
    mask or another training word of the same POS tag. Copies that equal their source or each
    other are drawn again (a few tries). Seeded by `seed`.

    Writes OUT/transfer.parquet (the parsed schema, the parser's entity types: what the student
    reads), OUT/typed.parquet (the same rows typed as the types stage types: what the teacher
    reads) and METRICS (size, operation counts, time, a sample). A copy's `relation` is the
    label the augmentation assumes (its source's, direction flipped on a swap): only a teacher
    that reads the gold label (gamma relation) uses it; the student never trains on it. With
    `transfer.copies: 0` both files are empty and nothing is parsed.
    """
    cfg = load_params(params)
    spec = dataset_spec(cfg.dataset.name, parsed)
    train = read_split(parsed / "train.parquet")
    typed_train = read_split(typed / "train.parquet")
    typist = EntityTyper.from_dict(json.loads((typed / TYPER_FILE).read_text(encoding="utf-8")))
    t = cfg.transfer
    rates = Rates(t.mask, t.replace, t.window, t.nominal, t.swap)
    if t.copies:
        from kdre.data.parsing import load_pipeline

        nlp = load_pipeline(cfg.parse.spacy_model)
        made = build_transfer_set(
            train,
            typed_train,
            spec,
            t.copies,
            rates,
            cfg.seed,
            nlp,
            cfg.parse.batch_size,
            cfg.parse.n_process,
        )
        table, summary = made.table, made.summary
    else:
        table, summary = to_table([]), {"copies_per_sentence": 0, "examples": 0}
    frame = table.to_pandas()
    typed_table = (
        pa.Table.from_pandas(retype(frame, typist), schema=ARROW_SCHEMA, preserve_index=False)
        if len(frame)
        else table
    )
    with outputs_together() as stage:
        pq.write_table(table, stage(out / TRANSFER_FILE))
        pq.write_table(typed_table, stage(out / TYPED_FILE))
        write_metrics(stage(metrics), summary, cfg)
    typer.echo(f"transfer set: {table.num_rows} examples -> {out}", err=True)
