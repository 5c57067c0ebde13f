"""What the type term changes in the soft labels (kdre.experiments.soft_label_shift), on tiny
hand-made soft-label files, and where an archived run's soft labels lie in DVC's cache."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from kdre.errors import InputError
from kdre.experiments.dvc_queue import cached_output
from kdre.experiments.soft_label_shift import between, read, shift
from kdre.training.soft_labels import write_soft_label_rows

LABELS = ["Other", "a(e1,e2)", "b(e1,e2)", "c(e1,e2)"]
BASE = np.array(
    [[0.5, 2.0, 0.3, -0.2], [1.0, 0.1, 1.5, 0.4], [0.2, 0.0, 0.6, 1.1]], dtype=np.float32
)
GOLD = ["a(e1,e2)", "b(e1,e2)", "Other"]


def write(path, final, local=BASE, labels=LABELS, gold=GOLD):
    ids = [f"s{i}" for i in range(len(gold))]
    write_soft_label_rows(path, ids, gold, labels, {"final": final, "local": local})
    return path


def test_a_type_term_that_only_lifts_the_gold_logit_moves_all_its_mass_onto_gold(tmp_path):
    lift = np.zeros_like(BASE)
    lift[[0, 1, 2], [1, 2, 0]] = 2.0  # + 2 on each example's gold logit, as Γ[gold] can do
    s = shift(read(write(tmp_path / "soft.parquet", BASE + lift)))
    assert s.examples == 3
    assert s.onto_gold == pytest.approx(1.0)
    assert s.wrong_reshaped == pytest.approx(0.0, abs=1e-6)  # wrong labels keep their shape
    assert s.teacher_gold_p > s.base_gold_p and s.moved > 0.1
    assert s.base_right == pytest.approx(2 / 3) and s.teacher_right == pytest.approx(1.0)


def test_a_type_term_that_reshapes_the_wrong_labels_moves_nothing_onto_gold(tmp_path):
    favour = np.zeros_like(BASE)
    favour[[0, 1, 2], [3, 1, 3]] = 3.0  # one wrong label per example lifted
    s = shift(read(write(tmp_path / "soft.parquet", BASE + favour)))
    assert s.onto_gold == pytest.approx(0.0)
    assert s.wrong_reshaped > 0.3
    assert s.argmax_changed == pytest.approx(2 / 3)  # examples 0 and 1 now pick c and a


def test_the_distance_between_two_teachers_is_zero_only_for_the_same_outputs(tmp_path):
    a = read(write(tmp_path / "a.parquet", BASE + 1.0))  # a constant shift: same softmax
    b = read(write(tmp_path / "b.parquet", BASE))
    c = read(write(tmp_path / "c.parquet", BASE * 3))
    assert between(a, b) == pytest.approx(0.0, abs=1e-6)
    assert between(b, c) > 0.1
    other = read(
        write(tmp_path / "d.parquet", BASE, labels=["Other", "x", "y", "z"], gold=["x"] * 3)
    )
    with pytest.raises(InputError, match="different label sets"):
        between(b, other)


def test_a_gold_relation_outside_the_files_labels_is_refused_in_one_line(tmp_path):
    path = write(tmp_path / "soft.parquet", BASE, gold=["a(e1,e2)", "zzz", "Other"])
    with pytest.raises(InputError, match="'zzz' is not in the file's label set"):
        read(path)


def test_an_archived_runs_soft_labels_are_found_in_the_cache_by_their_md5(tmp_path):
    md5 = "0123456789abcdef0123456789abcdef"
    lock = tmp_path / "dvc.lock"
    out = {"path": "data/soft_labels/train.parquet", "md5": md5}
    lock.write_text(yaml.safe_dump({"stages": {"teacher": {"outs": [out]}}}))
    cache = tmp_path / "cache"
    with pytest.raises(InputError, match=f"md5 {md5}\\) is not in"):
        cached_output(lock, "teacher", out["path"], cache)
    stored = cache / "files" / "md5" / "01" / md5[2:]
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"x")
    assert cached_output(lock, "teacher", out["path"], cache) == stored
    with pytest.raises(InputError, match="records no output 'data/other'"):
        cached_output(lock, "teacher", "data/other", cache)
    with pytest.raises(InputError, match="not a dvc.lock with a 'student' stage"):
        cached_output(lock, "student", out["path"], cache)


def test_entropy_says_how_soft_a_teacher_teaches(tmp_path):
    """A sharper teacher over the same base has lower entropy; a one-hot row has none."""
    from kdre.experiments.soft_label_shift import entropy

    assert entropy(np.array([[1.0, 0.0, 0.0, 0.0]]))[0] == 0.0
    assert entropy(np.full((1, 4), 0.25))[0] == pytest.approx(np.log(4))
    s = shift(read(write(tmp_path / "soft.parquet", 3.0 * BASE)))  # logits ×3: sharper
    assert s.teacher_entropy < s.base_entropy
