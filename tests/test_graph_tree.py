from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kdre.graph import PatternTable, build_graph
from kdre.tree import dependency_path, prune

LABELS = ["Other", "A(e1,e2)", "B(e1,e2)", "C(e1,e2)"]


def frame(rows):
    return pd.DataFrame(rows, columns=["subj_type", "obj_type", "relation"])


@pytest.fixture
def train():
    return frame(
        [("PER", "ORG", "A(e1,e2)")] * 6
        + [("PER", "ORG", "B(e1,e2)")] * 2
        + [("O", "O", "C(e1,e2)")] * 3
        + [("O", "O", "Other")] * 5
        + [("GPE", "O", "Other")] * 4
    )


def test_graph_invariants(train):
    g = build_graph(train, "Other")
    assert np.allclose(g.groupby("pattern")["prob"].sum(), 1.0)
    assert g["count"].sum() == (train.relation != "Other").sum()
    assert "Other" not in set(g.relation)
    assert "GPE|O" not in set(g.pattern)  # only NA examples: no soft rule
    row = g[(g.pattern == "PER|ORG") & (g.relation == "A(e1,e2)")].iloc[0]
    assert row["count"] == 6 and row["prob"] == pytest.approx(0.75)


def test_lookup_sets_na_to_c_and_unseen_to_zeros(train):
    table = PatternTable(build_graph(train, "Other"), LABELS, "Other", na_prob=0.2)
    g = table.lookup(["PER", "GPE", "X"], ["ORG", "O", "Y"])
    assert g.shape == (3, 4)
    assert np.allclose(g[:, 0], 0.2)
    assert np.allclose(g[0, 1:], [0.75, 0.25, 0.0])
    assert np.allclose(g[1, 1:], 0.0) and np.allclose(g[2, 1:], 0.0)
    assert table.coverage(["PER", "GPE"], ["ORG", "O"]) == 0.5
    again = PatternTable.from_dict(table.to_dict())
    assert np.array_equal(again.lookup(["PER"], ["ORG"]), g[:1])


# A hand-made tree (1-based heads):
#   0 The <- 1 cat (subj) <- 2 sat (root) -> 4 mat (obj) ; 3 on <- 4 ; 5 the <- 4 ; 6 . <- 2
#   7 quickly <- 2 ; 8 very <- 7
HEADS = [2, 3, 0, 5, 3, 5, 3, 3, 8]


def test_dependency_path_goes_through_the_lca():
    assert dependency_path(HEADS, (1, 1), (4, 4)) == {1, 2, 4}


def test_prune_distance_zero_keeps_only_the_path():
    edges = {tuple(e) for e in prune(HEADS, (1, 1), (4, 4), k=0)}
    assert edges == {(1, 2), (4, 2)}


def test_prune_distance_one_adds_neighbours():
    kept = {n for e in prune(HEADS, (1, 1), (4, 4), k=1) for n in e}
    assert kept == {0, 1, 2, 3, 4, 5, 6, 7}  # 8 ("very") is two steps from the path


def test_prune_negative_keeps_full_tree():
    assert len(prune(HEADS, (1, 1), (4, 4), k=-1)) == len(HEADS) - 1


def test_multi_token_span_is_all_on_the_path():
    # 0 New <- 1 York (subj 0..1) <- 2 is (root) ; 3 big <- 2
    assert dependency_path([2, 3, 0, 3], (0, 1), (3, 3)) == {0, 1, 2, 3}
