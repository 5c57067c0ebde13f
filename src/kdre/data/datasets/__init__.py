"""Dataset readers and their label inventories.

SemEval and TACRED have fixed label sets; a custom TACRED-format corpus (``dataset.name:
custom``) and a corpus in SemEval's record format (``semeval-format``, e.g. KBP37) take their
label set from their training split. The parse stage records the label set
in the parsed splits' metadata, and every later stage reads it from there
(:func:`dataset_spec`), so the labels always come from the data a stage was given.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from kdre.data.datasets import semeval, tacred
from kdre.data.datasets.base import DatasetSpec, spec_from_metadata
from kdre.errors import InputError

SPECS: dict[str, DatasetSpec] = {"semeval": semeval.SPEC, "tacred": tacred.SPEC}
NAMES = ("semeval", "tacred", "custom", "semeval-format")


def get_spec(name: str) -> DatasetSpec:
    """The fixed spec of SemEval or TACRED; a custom corpus's comes from its data."""
    try:
        return SPECS[name]
    except KeyError:
        if name in ("custom", "semeval-format"):
            raise InputError(
                f"a {name} dataset's label set comes from its parsed data; pass the parsed folder"
            ) from None
        raise InputError(f"unknown dataset {name!r} (known: {list(NAMES)})") from None


def dataset_spec(name: str, parsed_dir: Path | str) -> DatasetSpec:
    """The spec recorded in ``parsed_dir/train.parquet``, checked against ``dataset.name``
    (splits parsed before kdre recorded one: the fixed spec of ``name``)."""
    path = Path(parsed_dir) / "train.parquet"
    try:
        spec = spec_from_metadata(pq.read_schema(path).metadata)
    except FileNotFoundError:
        raise InputError(
            "parsed split not found (run `kdre parse` / `dvc repro parse`)", path
        ) from None
    except OSError as err:
        raise InputError(f"not a readable parquet file ({err})", path) from None
    if spec is None:
        return get_spec(name)
    if spec.name != name:
        raise InputError(
            f"the parsed data is {spec.name!r}, but dataset.name is {name!r}: rerun the parse "
            "stage, or set dataset.name",
            path,
        )
    return spec
