"""Path-centric pruning of the dependency tree, as the C-GCN reference defines it
(Zhang, Qi & Manning 2018, ``model/tree.py: head_to_tree``).

Definitions (heads 1-based, 0 = root):

- each entity token's *chain* is the token and its ancestors up to the root;
- the *common ancestors* are the intersection of every subject and every object token's chain
  (one chain per token, so a multi-token span is intersected token by token);
- the *lowest common ancestor* (LCA) is the common ancestor with no child among them;
- the *path* is (union of all subject chains ∪ union of all object chains) − common ancestors,
  plus the LCA;
- a token's *distance* is the number of steps it walks **up** its chain before it meets a path
  token; a token whose walk reaches the root without meeting one is at infinity. So the LCA's
  own head and everything above it are pruned at any K, which is what distinguishes this
  definition from a breadth-first distance in the undirected tree.

Kept: tokens at distance ≤ K; the GCN runs over the tree edges among kept tokens (the LCA is the
pruned tree's root). Pruning depends only on the parse, so kdre computes it once per example
when data is encoded, not in every forward pass.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

INFINITY = np.iinfo(np.int64).max


def ancestors(parent: Sequence[int], i: int) -> list[int]:
    """``i`` and its ancestors up to the root (parent -1); stops on a cycle in bad input."""
    chain = [i]
    seen = {i}
    while parent[chain[-1]] >= 0 and parent[chain[-1]] not in seen:
        chain.append(parent[chain[-1]])
        seen.add(chain[-1])
    return chain


def dependency_path(head: Sequence[int], subj: tuple[int, int], obj: tuple[int, int]) -> set[int]:
    """Tokens on the path between the two spans (see the module docstring); every token of a
    multi-token span is on it. Without a common ancestor (a forest, from bad input) the path is
    the union of the chains."""
    parent = [h - 1 for h in head]
    chains = [ancestors(parent, i) for start, end in (subj, obj) for i in range(start, end + 1)]
    union: set[int] = set().union(*chains)
    common: set[int] = set(chains[0]).intersection(*chains[1:])
    path = union - common
    # The chains are nested along the way to the root, so the common ancestors form one chain
    # and exactly one of them has no child among them.
    path.update(c for c in common if not any(parent[d] == c for d in common))
    return path


def distances(head: Sequence[int], path: set[int]) -> list[int]:
    """Steps each token walks up its chain before it meets a path token (0 on the path,
    ``INFINITY`` when it never does)."""
    parent = [h - 1 for h in head]
    dist: list[int | None] = [0 if i in path else None for i in range(len(head))]

    def resolve(i: int) -> int:
        # Walk up until a token whose distance is known; then fill the walk in on the way back.
        walk: list[int] = []
        node = i
        seen: set[int] = set()
        while node >= 0 and dist[node] is None and node not in seen:
            seen.add(node)
            walk.append(node)
            node = parent[node]
        base = INFINITY if node < 0 or dist[node] is None else dist[node]
        for step, j in enumerate(reversed(walk), start=1):
            dist[j] = INFINITY if base == INFINITY else base + step
        return dist[i]  # type: ignore[return-value]

    return [d if d is not None else resolve(i) for i, d in enumerate(dist)]


def prune(head: Sequence[int], subj: tuple[int, int], obj: tuple[int, int], k: int) -> np.ndarray:
    """Undirected edges ``(child, parent)`` of the tree pruned to distance ``k`` of the path.

    ``k < 0`` keeps the full tree. Returns an int array of shape (n_edges, 2), 0-based.
    """
    parent = [h - 1 for h in head]
    if k < 0:
        keep = [True] * len(head)
    else:
        keep = [d <= k for d in distances(head, dependency_path(head, subj, obj))]
    edges = [(c, p) for c, p in enumerate(parent) if p >= 0 and keep[c] and keep[p]]
    return np.array(edges, dtype=np.int64).reshape(-1, 2)


def check_heads(head: Sequence[int]) -> None:
    """Raise ValueError unless ``head`` (1-based, 0 = root) is a forest: every index in 0..n,
    at least one root, and every token's chain ends at a root (no cycle)."""
    n = len(head)
    bad = next((h for h in head if not 0 <= h <= n), None)
    if bad is not None:
        raise ValueError(f"head index {bad} outside 0..{n}")
    if 0 not in head:
        raise ValueError("dependency heads have no root (0)")
    parent = [h - 1 for h in head]
    for i in range(n):
        if parent[ancestors(parent, i)[-1]] >= 0:
            raise ValueError(f"dependency heads form a cycle (through token {i})")


def adopt_extra_roots(head: Sequence[int]) -> tuple[list[int], int]:
    """One tree from a forest: every root after the first hangs under the first root.

    Parsers' output can hold several roots (a spaCy parse of two sentences; Stanford on run-on
    text); pruning needs one tree. Returns the new heads and how many roots were adopted."""
    roots = [i for i, h in enumerate(head) if h == 0]
    out = list(head)
    for i in roots[1:]:
        out[i] = roots[0] + 1
    return out, max(len(roots) - 1, 0)
