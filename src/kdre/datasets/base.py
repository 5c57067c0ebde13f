"""What a dataset is to the rest of kdre: a label set, its NA label and a scorer.

Everything after the parse stage reads this description instead of hard-coding label maps, so
SemEval and TACRED run through the same code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset's label inventory and evaluation convention."""

    name: str
    labels: tuple[str, ...]
    na_label: str
    scorer: str  # "semeval" (official macro-F1) or "tacred" (micro-F1 without NA)

    def label_index(self) -> dict[str, int]:
        return {label: i for i, label in enumerate(self.labels)}
