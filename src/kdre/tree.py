"""Path-centric pruning of the dependency tree (C-GCN, Zhang, Qi & Manning 2018).

Keeps the tokens within distance K of the shortest dependency path between subject and
object; the GCN then runs over the tree edges among the kept tokens. Pruning depends only on the
parse, so kdre computes it once per example when data is encoded, not in every forward pass.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np


def ancestors(parent: Sequence[int], i: int) -> list[int]:
    """``i`` and its ancestors up to the root (parent -1); stops on a cycle in bad input."""
    chain = [i]
    seen = {i}
    while parent[chain[-1]] >= 0 and parent[chain[-1]] not in seen:
        chain.append(parent[chain[-1]])
        seen.add(chain[-1])
    return chain


def dependency_path(head: Sequence[int], subj: tuple[int, int], obj: tuple[int, int]) -> set[int]:
    """Tokens on the path between the two spans: both sides' ancestors minus the shared ones,
    plus their lowest common ancestor. Every token of a multi-token span is on the path."""
    parent = [h - 1 for h in head]
    subj_anc: set[int] = set()
    for i in range(subj[0], subj[1] + 1):
        subj_anc.update(ancestors(parent, i))
    obj_anc: set[int] = set()
    for i in range(obj[0], obj[1] + 1):
        obj_anc.update(ancestors(parent, i))
    common = subj_anc & obj_anc
    path = (subj_anc | obj_anc) - common
    if common:
        # The lowest common ancestor is the shared node with no shared child below it.
        parents_of_common = {parent[c] for c in common}
        lca = [c for c in common if c not in parents_of_common]
        path.update(lca)
    return path


def prune(head: Sequence[int], subj: tuple[int, int], obj: tuple[int, int], k: int) -> np.ndarray:
    """Undirected edges ``(child, parent)`` of the tree pruned to distance ``k`` of the path.

    ``k < 0`` keeps the full tree. Returns an int array of shape (n_edges, 2), 0-based.
    """
    n = len(head)
    parent = [h - 1 for h in head]
    if k < 0:
        keep = set(range(n))
    else:
        neighbours: list[list[int]] = [[] for _ in range(n)]
        for child, par in enumerate(parent):
            if par >= 0:
                neighbours[child].append(par)
                neighbours[par].append(child)
        dist = dict.fromkeys(dependency_path(head, subj, obj), 0)
        queue = deque(dist)
        while queue:
            node = queue.popleft()
            if dist[node] == k:
                continue
            for nxt in neighbours[node]:
                if nxt not in dist:
                    dist[nxt] = dist[node] + 1
                    queue.append(nxt)
        keep = set(dist)
    edges = [(c, p) for c, p in enumerate(parent) if p >= 0 and c in keep and p in keep]
    return np.array(edges, dtype=np.int64).reshape(-1, 2)
