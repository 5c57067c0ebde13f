"""Pretrained word vectors from a GloVe / word2vec text file (optionally .gz)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import torch

from kdre.errors import InputError
from kdre.vocab import Vocab


def load_vectors(path: Path | str, vocab: Vocab, dim: int, seed: int) -> tuple[torch.Tensor, float]:
    """Rows of ``vocab.words`` from the file; words not found stay U(-1, 1). Returns coverage.

    Lookup is exact first, then lower-cased, so cased and uncased files both work.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("embeddings file not found (embeddings.path)", path)
    rng = np.random.default_rng(seed)
    table = rng.uniform(-1.0, 1.0, size=(len(vocab.words), dim)).astype(np.float32)
    table[0] = 0.0
    words = vocab.words[2:]
    wanted = set(words) | {w.lower() for w in words}
    vectors: dict[str, np.ndarray] = {}
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            parts = line.rstrip().split(" ")
            if number == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                continue  # word2vec header
            if len(parts) - 1 != dim:
                raise InputError(
                    f"vector of dimension {len(parts) - 1}, but model.emb_dim is {dim}",
                    path,
                    number,
                )
            if parts[0] in wanted and parts[0] not in vectors:
                vectors[parts[0]] = np.asarray(parts[1:], dtype=np.float32)
    found = 0
    for i, w in enumerate(words, start=2):
        vec = vectors.get(w)
        if vec is None:
            vec = vectors.get(w.lower())
        if vec is not None:
            table[i] = vec
            found += 1
    return torch.from_numpy(table), found / max(len(words), 1)
