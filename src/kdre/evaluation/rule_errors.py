"""Which of a model's test errors could the soft type rules G(p) correct?

The paper's knowledge is G(p), the relation distribution of an example's type pattern on train.
It can only help a model where the model errs *and* G(p) prefers the gold label to the model's
answer; where G(p) prefers the wrong answer, the rules reinforce the error (a scalar γ adds
γ·G(p) to every label alike, so it can only move a decision towards the label G(p) prefers).
Counting both over a model's test errors shows how much the types' knowledge has to offer that
model: if the C-GCN's errors are mostly ones the rules agree with, a teacher built on the rules
has little to teach a student of the C-GCN's kind, however the soft labels are distilled. The
same G(p) as the teacher's (:class:`kdre.knowledge.graph.PatternTable`: counts of train, NA =
``graph.na_prob``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kdre.knowledge.graph import PatternTable, build_graph


@dataclass(frozen=True)
class RuleVerdicts:
    """Counts over one prediction file's test examples."""

    examples: int  # test examples with a prediction
    errors: int  # predictions ≠ gold
    rules_prefer_gold: int  # errors where G(p)[gold] > G(p)[prediction]
    rules_prefer_prediction: int  # errors where G(p)[prediction] > G(p)[gold]
    rules_tie: int  # errors where the two are equal (e.g. an unseen pattern, both zero)
    relation_predictions: int  # predictions of a relation (not NA)
    ruled_out: int  # of those, ones whose pattern never had that relation on train: G(p) = 0
    ruled_out_right: int  # of those, right ones: a hard type filter would have lost them


def rule_table(
    train: pd.DataFrame, labels: list[str], na_label: str, na_prob: float
) -> PatternTable:
    """G(p) as the teacher computes it from a typed training split."""
    return PatternTable(build_graph(train, na_label), labels, na_label, na_prob)


def rule_verdicts(
    table: PatternTable, test: pd.DataFrame, predictions: Mapping[str, str]
) -> RuleVerdicts:
    """Compare G(p)[gold] with G(p)[prediction] on every test example ``predictions`` answers.

    ``test``: the typed test split (``id``, ``subj_type``, ``obj_type``, ``relation``);
    ``predictions``: id → label. Ids the test split lacks raise ``KeyError`` naming one;
    test examples without a prediction are not counted (``examples`` says how many were)."""
    by_id = test.set_index("id")
    unknown = [i for i in predictions if i not in by_id.index]
    if unknown:
        raise KeyError(f"{len(unknown)} predicted ids are not in the test split, e.g. {unknown[0]}")
    index = {label: i for i, label in enumerate(table.labels)}
    bad = sorted({label for label in predictions.values() if label not in index})
    if bad:
        raise KeyError(f"labels outside the model's label set, e.g. {bad[0]!r}")
    ids = [i for i in by_id.index if i in predictions]
    rows = by_id.loc[ids]
    g = table.lookup(rows["subj_type"].astype(str).tolist(), rows["obj_type"].astype(str).tolist())
    gold = np.array([index[r] for r in rows["relation"]])
    pred = np.array([index[predictions[i]] for i in ids])
    at = np.arange(len(ids))
    g_gold, g_pred = g[at, gold], g[at, pred]
    wrong = pred != gold
    na = index[table.na_label]
    relation = pred != na
    return RuleVerdicts(
        examples=len(ids),
        errors=int(wrong.sum()),
        rules_prefer_gold=int((wrong & (g_gold > g_pred)).sum()),
        rules_prefer_prediction=int((wrong & (g_pred > g_gold)).sum()),
        rules_tie=int((wrong & (g_pred == g_gold)).sum()),
        relation_predictions=int(relation.sum()),
        ruled_out=int((relation & (g_pred == 0)).sum()),
        ruled_out_right=int((relation & (g_pred == 0) & ~wrong).sum()),
    )


def caption(table: PatternTable, source: str) -> str:
    """What the table's G(p) is: where it was counted, how many patterns, its NA value."""
    return (
        f"Test errors judged by the soft type rules G(p) (`kdre rule-errors`): G(p) counted on "
        f"{source} ({len(table.patterns)} patterns with a relation), G(p)[NA] = "
        f"graph.na_prob = {table.na_prob:g}. *Prefers gold*: G(p)[gold] > G(p)[prediction], "
        "the types' knowledge could correct the error; *prefers the error*: the rules reinforce "
        "it. *Rules out*: a relation predicted for a pattern that never had it on train.\n\n"
    )


def markdown(verdicts: Mapping[str, RuleVerdicts]) -> str:
    """One row per prediction file: its errors and how G(p) judges them."""

    def share(part: int, whole: int) -> str:
        return f"{part} ({100 * part / whole:.1f} %)" if whole else str(part)

    lines = [
        "| predictions | examples | errors | G(p) prefers gold | G(p) prefers the error | "
        "tie | relation predictions | of those G(p) rules out | of those right |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, v in verdicts.items():
        lines.append(
            f"| {name} | {v.examples} | {v.errors} | {share(v.rules_prefer_gold, v.errors)} | "
            f"{share(v.rules_prefer_prediction, v.errors)} | {share(v.rules_tie, v.errors)} | "
            f"{v.relation_predictions} | {share(v.ruled_out, v.relation_predictions)} | "
            f"{share(v.ruled_out_right, v.ruled_out)} |"
        )
    return "\n".join(lines) + "\n"
