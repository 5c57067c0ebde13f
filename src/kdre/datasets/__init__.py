"""Dataset readers and their label inventories."""

from __future__ import annotations

from kdre.datasets import semeval, tacred
from kdre.datasets.base import DatasetSpec
from kdre.errors import InputError

SPECS: dict[str, DatasetSpec] = {"semeval": semeval.SPEC, "tacred": tacred.SPEC}


def get_spec(name: str) -> DatasetSpec:
    try:
        return SPECS[name]
    except KeyError:
        raise InputError(f"unknown dataset {name!r} (known: {sorted(SPECS)})") from None
