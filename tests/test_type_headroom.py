"""The types' headroom over a teacher's base (kdre.experiments.type_headroom): β and ε are chosen
on dev only, β = 0 (the base alone) wins ties, and a rule that helps on dev but misleads on test
shows as a loss on test; and a run's folder output is restored from DVC's cache."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from kdre.data.datasets import get_spec
from kdre.errors import InputError
from kdre.experiments.dvc_queue import cached_folder
from kdre.experiments.type_headroom import Split, fused_f1, headroom

SPEC = get_spec("semeval")
LABELS = list(SPEC.labels)
N = 60


def split(seed: int, rules: str) -> Split:
    """A base right on about half the examples; G(p) uniform, one-hot on the gold label, or
    one-hot on a wrong label."""
    rng = np.random.default_rng(seed)
    gold = rng.integers(1, len(LABELS), N)
    local = rng.normal(0.0, 1.0, (N, len(LABELS)))
    local[np.arange(N // 2), gold[: N // 2]] += 5.0  # the first half right and sure
    g = np.full((N, len(LABELS)), 1.0 / len(LABELS))
    if rules != "uniform":
        g[:] = 0.0
        target = gold if rules == "gold" else (gold % (len(LABELS) - 1)) + 1
        g[np.arange(N), target] = 1.0
    return Split(local, g, [str(i) for i in range(N)], [LABELS[i] for i in gold])


def test_uniform_rules_leave_the_base_alone():
    h = headroom({"dev": split(1, "uniform"), "test": split(2, "uniform")}, SPEC)
    assert h.beta == 0.0  # a uniform G(p) changes no argmax: the tie goes to the base alone
    assert h.fused_test == pytest.approx(h.base_test)
    assert h.grid == 1 + 8 * 4


def test_rules_that_know_the_answer_are_taken_and_raise_test():
    h = headroom({"dev": split(1, "gold"), "test": split(2, "gold")}, SPEC)
    assert h.beta > 0.0 and h.fused_dev > h.base_dev
    assert h.fused_test > h.base_test + 20.0


def test_the_choice_is_made_on_dev_so_rules_that_mislead_test_lower_it():
    h = headroom({"dev": split(1, "gold"), "test": split(2, "wrong")}, SPEC)
    assert h.beta > 0.0  # chosen where they helped
    assert h.fused_test < h.base_test  # and test pays for it: nothing was tuned there
    base = split(2, "wrong")
    assert fused_f1(base, LABELS, SPEC, 0.0, 1.0) == pytest.approx(h.base_test)


def test_a_folder_output_is_copied_from_the_cache_file_by_file(tmp_path):
    cache = tmp_path / "cache"

    def store(md5: str, data: bytes) -> None:
        path = cache / "files" / "md5" / md5[:2] / md5[2:]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    store("aa" + "1" * 30, b"train bytes")
    manifest = [{"relpath": "train.parquet", "md5": "aa" + "1" * 30}]
    store("bb" + "2" * 26 + ".dir", json.dumps(manifest).encode())
    lock = tmp_path / "dvc.lock"
    out = {"path": "data/types", "md5": "bb" + "2" * 26 + ".dir"}
    lock.write_text(yaml.safe_dump({"stages": {"types": {"outs": [out]}}}))
    dest = cached_folder(lock, "types", "data/types", tmp_path / "typed", cache)
    assert (dest / "train.parquet").read_bytes() == b"train bytes"
    escaping = [{"relpath": "../evil", "md5": "aa" + "1" * 30}]
    store("bb" + "2" * 26 + ".dir", json.dumps(escaping).encode())
    with pytest.raises(InputError, match="names a path outside it"):
        cached_folder(lock, "types", "data/types", tmp_path / "typed2", cache)
    assert not (tmp_path / "evil").exists()
