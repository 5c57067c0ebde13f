"""What a dataset is to the rest of kdre: a label set, its NA label and a scorer.

Everything after the parse stage reads this description instead of hard-coding label maps, so
SemEval and TACRED run through the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

from kdre.errors import InputError


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset's label inventory and evaluation convention."""

    name: str
    labels: tuple[str, ...]
    na_label: str
    scorer: str  # "semeval" (official macro-F1) or "tacred" (micro-F1 without NA)

    def label_index(self) -> dict[str, int]:
        return {label: i for i, label in enumerate(self.labels)}

    def swapped(self, label: str) -> str | None:
        """The label of the same sentence with subject and object exchanged: NA stays NA, a
        SemEval direction flips (``(e1,e2)`` ↔ ``(e2,e1)``; undirected SemEval labels stay);
        None where the label set cannot say (a TACRED relation is not symmetric)."""
        if label == self.na_label:
            return label
        for a, b in (("(e1,e2)", "(e2,e1)"), ("(e2,e1)", "(e1,e2)")):
            if label.endswith(a):
                flipped = label[: -len(a)] + b
                return flipped if flipped in self.labels else None
        return label if self.name == "semeval" else None


# Parquet metadata keys under which the parse stage records the corpus's label set, so every
# later stage reads the labels of the data it was given (a custom corpus brings its own).
_META = {
    "name": "kdre.dataset",
    "labels": "kdre.labels",
    "na_label": "kdre.na_label",
    "scorer": "kdre.scorer",
}


def spec_metadata(spec: DatasetSpec) -> dict[str, str]:
    return {
        _META["name"]: spec.name,
        _META["labels"]: "\t".join(spec.labels),
        _META["na_label"]: spec.na_label,
        _META["scorer"]: spec.scorer,
    }


def spec_from_metadata(meta: dict[bytes, bytes] | None) -> DatasetSpec | None:
    """The spec a parsed split records; None for splits parsed before labels were recorded."""
    meta = meta or {}
    if _META["labels"].encode() not in meta:
        return None
    get = {k: meta[v.encode()].decode() for k, v in _META.items()}
    return DatasetSpec(
        get["name"], tuple(get["labels"].split("\t")), get["na_label"], get["scorer"]
    )


def labels_from_data(
    relations: set[str], na_label: str, source: str = "the training split"
) -> tuple[str, ...]:
    """A custom corpus's label set: its NA label first, then every other relation, sorted.

    The NA label must occur in the data: one that matches nothing would silently become a class
    of no example while the corpus's real NA label was trained and scored as a relation."""
    if na_label not in relations:
        shown = ", ".join(repr(r) for r in sorted(relations)[:12])
        more = f" and {len(relations) - 12} more" if len(relations) > 12 else ""
        raise InputError(
            f"dataset.na_label is {na_label!r}, but no example of {source} has that relation; "
            f"its relations: {shown}{more}"
        )
    return (na_label, *sorted(relations - {na_label}))
