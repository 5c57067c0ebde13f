"""Typed configuration built from params.yaml sections.

Configuration flows one way: params.yaml → stage command → these dataclasses → library code.
Each section is checked early (unknown keys, wrong types, disallowed values) so that a typo in
``dvc exp run -S`` fails before any work starts, with the key and the allowed values named.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from kdre.errors import InputError
from kdre.parsing import DEFAULT_MODEL

T = TypeVar("T")

DATASETS = ("semeval", "tacred")


@dataclass(frozen=True)
class DatasetConfig:
    """Which corpus to read and how to split it."""

    name: str = "semeval"
    semeval_dir: str = "data/raw/semeval2010_task8/SemEval2010_task8_all_data"
    tacred_dir: str = "data/raw/tacred"
    dev_size: int = 500  # SemEval only: examples held out of TRAIN_FILE, stratified by label

    def check(self, source: str) -> None:
        if self.name not in DATASETS:
            raise InputError(
                f"dataset.name must be one of {list(DATASETS)}, got {self.name!r}", source
            )
        if self.dev_size <= 0:
            raise InputError(f"dataset.dev_size must be positive, got {self.dev_size}", source)


@dataclass(frozen=True)
class ParseConfig:
    """spaCy settings of the parse stage."""

    spacy_model: str = DEFAULT_MODEL
    batch_size: int = 256
    n_process: int = 1
    reparse: bool = False  # TACRED: replace the Stanford annotations with spaCy's
    limit: int = 0  # keep only the first N examples of each split (0 = all); for smoke runs

    def check(self, source: str) -> None:
        for key in ("batch_size", "n_process"):
            if getattr(self, key) < 1:
                raise InputError(f"parse.{key} must be >= 1, got {getattr(self, key)}", source)
        if self.limit < 0:
            raise InputError(f"parse.limit must be >= 0, got {self.limit}", source)


@dataclass(frozen=True)
class Params:
    seed: int = 1
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    parse: ParseConfig = field(default_factory=ParseConfig)


def _accepts(tp: Any, value: Any) -> bool:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return any(_accepts(arg, value) for arg in typing.get_args(tp))
    if tp is type(None):
        return value is None
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(tp, type):
        return isinstance(value, tp)
    return True


def build(cls: type[T], values: Any, section: str, source: str) -> T:
    """Build a config dataclass from a mapping, rejecting unknown keys and wrong types."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise InputError(f"section {section!r} must be a mapping", source)
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InputError(
            f"unknown key {section + '.' if section else ''}{unknown[0]} (known: {sorted(known)})",
            source,
        )
    kwargs = {}
    for name, value in values.items():
        tp = hints[name]
        key = f"{section}.{name}" if section else name
        if dataclasses.is_dataclass(tp):
            kwargs[name] = build(tp, value, key, source)
        elif not _accepts(tp, value):
            raise InputError(f"{key} must be {getattr(tp, '__name__', tp)}, got {value!r}", source)
        else:
            kwargs[name] = value
    obj = cls(**kwargs)
    check = getattr(obj, "check", None)
    if check is not None:
        check(source)
    return obj


def load_params(path: Path | str = "params.yaml") -> Params:
    """Read params.yaml into typed, validated configs."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("params file not found", path) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise InputError(
            f"invalid YAML: {err}", path, None if mark is None else mark.line + 1
        ) from None
    return build(Params, raw or {}, "", str(path))
