from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from kdre.data.tree import dependency_path, prune
from kdre.knowledge.graph import PatternTable, build_graph

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


def test_leave_one_out_removes_the_examples_own_count(train):
    """(w_ij − [j = gold]) / (Σ_j w_ij − 1) on train; NA examples and full lookups unchanged."""
    table = PatternTable(build_graph(train, "Other"), LABELS, "Other", na_prob=0.2)
    a, b, c, other = 1, 2, 3, 0
    g = table.lookup(
        ["PER", "PER", "O", "O", "GPE"], ["ORG"] * 2 + ["O"] * 3, [a, b, c, other, other]
    )
    assert np.allclose(g[0], [0.2, 5 / 7, 2 / 7, 0.0])  # 6 A, 2 B without one A
    assert np.allclose(g[1], [0.2, 6 / 7, 1 / 7, 0.0])  # without one B
    assert np.allclose(g[2], [0.2, 0.0, 0.0, 1.0])  # two other C examples remain
    assert np.allclose(g[3], [0.2, 0.0, 0.0, 1.0])  # a gold NA example is not in the counts
    assert np.allclose(g[4], [0.2, 0.0, 0.0, 0.0])  # unseen pattern: zeros
    full = table.lookup(["PER"], ["ORG"])
    assert np.allclose(full[0], [0.2, 0.75, 0.25, 0.0])


def test_gold_mass_is_higher_on_train_than_with_each_own_count_left_out(train):
    table = PatternTable(build_graph(train, "Other"), LABELS, "Other", na_prob=0.2)
    columns = (list(train.subj_type), list(train.obj_type), list(train.relation))
    # PER|ORG: 6 A at 0.75 and 2 B at 0.25; O|O: 3 C at 1.0 (NA rows left out)
    assert table.gold_mass(*columns) == pytest.approx((6 * 0.75 + 2 * 0.25 + 3 * 1.0) / 11)
    loo = (6 * 5 / 7 + 2 * 1 / 7 + 3 * 1.0) / 11
    assert table.gold_mass(*columns, leave_one_out=True) == pytest.approx(loo)


def test_leave_one_out_on_a_singleton_pattern_is_an_unseen_pattern():
    """A pattern seen once: its G(p) on train would be the gold label one-hot; left out, none."""
    train = frame([("X", "Y", "A(e1,e2)"), ("PER", "ORG", "B(e1,e2)")])
    table = PatternTable(build_graph(train, "Other"), LABELS, "Other", na_prob=0.2)
    assert np.allclose(table.lookup(["X"], ["Y"])[0], [0.2, 1.0, 0.0, 0.0])
    assert np.allclose(table.lookup(["X"], ["Y"], [1])[0], [0.2, 0.0, 0.0, 0.0])


def test_leave_one_out_refuses_counts_the_example_is_not_in(train):
    table = PatternTable(build_graph(train, "Other"), LABELS, "Other", na_prob=0.2)
    with pytest.raises(ValueError, match="no count of 'C\\(e1,e2\\)' to leave out"):
        table.lookup(["PER"], ["ORG"], [3])
    restored = PatternTable.from_dict(table.to_dict())
    with pytest.raises(ValueError, match="needs the graph's counts"):
        restored.lookup(["PER"], ["ORG"], [1])


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


# A tree whose LCA is not the root:
#   0 Bob <- 1 said (root) ; 2 that <- 4 ; 3 smoke (subj) <- 4 causes ; 4 causes <- 1 ;
#   5 cancer (obj) <- 4 ; 6 quickly <- 4 ; 7 . <- 1
DEEP = [2, 0, 5, 5, 2, 5, 5, 2]


def test_the_lcas_head_is_pruned_at_any_distance():
    # BFS distance in the undirected tree would keep "said" (1) at K = 1; the reference walks
    # up from each token, so the LCA "causes" (4) is the pruned tree's root.
    kept = {n for e in prune(DEEP, (3, 3), (5, 5), k=1) for n in e}
    assert kept == {2, 3, 4, 5, 6}
    assert {tuple(e) for e in prune(DEEP, (3, 3), (5, 5), k=0)} == {(3, 4), (5, 4)}
    assert {n for e in prune(DEEP, (3, 3), (5, 5), k=5) for n in e} == {2, 3, 4, 5, 6}


def test_multi_token_spans_intersect_each_tokens_chain():
    # 0 (subj) <- 2 ; 1 (subj) <- 3 (root) ; 2 <- 3 ; 4 (obj) <- 2 ; 5 <- 3.
    # Token 2 is on the chains of 0 and 4 but not of 1, so it is no common ancestor: the common
    # ancestors are {3}, the LCA is the root and both 2 and 3 are on the path (a union of the
    # subject chains would have made 2 the LCA and pruned 3 and 5).
    heads = [3, 4, 4, 0, 3, 4]
    assert dependency_path(heads, (0, 1), (4, 4)) == {0, 1, 2, 3, 4}
    kept = {n for e in prune(heads, (0, 1), (4, 4), k=1) for n in e}
    assert kept == {0, 1, 2, 3, 4, 5}
    # Subject above the object: the subject token itself is the LCA, its head is pruned.
    # 0 x <- 1 ; 1 y (subj) <- 2 ; 2 z (root) ; 3 w (obj) <- 0 ; 4 v <- 2
    assert {n for e in prune([2, 3, 0, 1, 3], (1, 1), (3, 3), k=1) for n in e} == {0, 1, 3}


def reference_prune(head: list[int], subj: tuple[int, int], obj: tuple[int, int], k: int):
    """The reference's head_to_tree + tree_to_adj, written from its description (a stack walk
    per token, as there), independently of kdre.data.tree: the kept (child, parent) edges."""
    n = len(head)
    subj_pos = list(range(subj[0], subj[1] + 1))
    obj_pos = list(range(obj[0], obj[1] + 1))
    cas = None
    anc = set(subj_pos) | set(obj_pos)
    for s in subj_pos + obj_pos:
        h, tmp = head[s], [s]
        while h > 0:
            tmp.append(h - 1)
            anc.add(h - 1)
            h = head[h - 1]
        cas = set(tmp) if cas is None else cas & set(tmp)
    if len(cas) == 1:
        lca = next(iter(cas))
    else:
        children = {c: 0 for c in cas}
        for c in cas:
            if head[c] > 0 and head[c] - 1 in cas:
                children[head[c] - 1] += 1
        lca = next(c for c in sorted(cas) if children[c] == 0)
    path = (anc - cas) | {lca}
    dist = [0 if i in path else -1 for i in range(n)]
    for i in range(n):
        if dist[i] < 0:
            stack = [i]
            while stack[-1] >= 0 and stack[-1] not in path:
                stack.append(head[stack[-1]] - 1)
            if stack[-1] in path:
                for d, j in enumerate(reversed(stack)):
                    dist[j] = d
            else:
                for j in stack:
                    if j >= 0 and dist[j] < 0:
                        dist[j] = 10**4
    kept = [d <= k for d in dist]
    return {
        (i, head[i] - 1)
        for i in range(n)
        if kept[i] and i != lca and head[i] > 0 and kept[head[i] - 1]
    }


def random_tree(rng: random.Random, n: int) -> list[int]:
    """Heads of a random tree over n tokens (each token after the root picks an earlier one)."""
    order = list(range(n))
    rng.shuffle(order)
    head = [0] * n
    for pos, node in enumerate(order[1:], start=1):
        head[node] = order[rng.randrange(pos)] + 1
    return head


def random_spans(rng: random.Random, n: int) -> tuple[tuple[int, int], tuple[int, int]]:
    a, b = sorted(rng.sample(range(n + 1), 2))
    cut = rng.randint(a + 1, b) if b - a > 1 else b
    first = (a, cut - 1) if cut > a else (a, a)
    second_start = max(cut, first[1] + 1)
    if second_start >= n:
        return (0, 0), (n - 1, n - 1)
    second = (second_start, rng.randint(second_start, min(n - 1, second_start + 2)))
    first = (first[0], min(first[1], first[0] + 2))
    return (first, second) if rng.random() < 0.5 else (second, first)


def test_prune_equals_the_reference_definition_on_random_trees():
    rng = random.Random(7)
    differs_from_bfs = 0
    for _ in range(3000):
        n = rng.randint(2, 25)
        head = random_tree(rng, n)
        subj, obj = random_spans(rng, n)
        for k in (0, 1, 2):
            ours = {tuple(e) for e in prune(head, subj, obj, k)}
            assert ours == reference_prune(head, subj, obj, k), (head, subj, obj, k)
        differs_from_bfs += _bfs_kept(head, subj, obj) != {n for e in ours for n in e}
    assert differs_from_bfs > 100  # the trees do exercise LCAs below the root


def _bfs_kept(head, subj, obj):
    """Tokens within undirected distance 1 of the path (the definition kdre used before)."""
    path = dependency_path(head, subj, obj)
    kept = set(path)
    for c, h in enumerate(head):
        if h > 0 and ((c in path) != (h - 1 in path)):
            kept |= {c, h - 1}
    return kept if len(kept) > 1 else set()
