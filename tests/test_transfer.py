"""The transfer set: augmentations that keep both nominals and their markers, transfer examples
that carry soft labels and no gold label, and the student's loss over them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import tiny_params

from kdre.data.augment import (
    MASK,
    Rates,
    Sentence,
    Vocabulary,
    augment,
    copies,
    replace_nominal,
    source_of,
    swap,
    window,
)
from kdre.data.datasets.semeval import SPEC

WORDS = "the burst has been caused by water hammer pressure in the old pipe".split()
POS = ["DT", "NN", "VBZ", "VBN", "VBN", "IN", "NN", "NN", "NN", "IN", "DT", "JJ", "NN"]


def sentence(**changes) -> Sentence:
    base = Sentence(
        WORDS,
        [True] * (len(WORDS) - 1) + [False],
        POS,
        (1, 1),  # burst
        (6, 8),  # water hammer pressure
        "Cause-Effect(e2,e1)",
        "noun.event",
        "noun.phenomenon",
    )
    return dataclasses.replace(base, **changes)


VOCAB = Vocabulary(
    {"NN": ["pipe", "valve", "tank"], "DT": ["a", "the"], "IN": ["in", "of"], "JJ": ["new"]},
    {"noun.event": ["burst", "crash", "flood"], "noun.phenomenon": ["heat", "pressure"]},
)


def nominals(s: Sentence) -> tuple[list[str], list[str]]:
    return s.words[s.subj[0] : s.subj[1] + 1], s.words[s.obj[0] : s.obj[1] + 1]


def check_spans(s: Sentence) -> None:
    n = len(s.words)
    assert len(s.spaces) == n == len(s.pos) and not s.spaces[-1]
    for start, end in (s.subj, s.obj):
        assert 0 <= start <= end < n
    assert s.subj[1] < s.obj[0] or s.obj[1] < s.subj[0]  # the nominals never overlap


def test_windows_keep_both_nominals_whole():
    rng = np.random.default_rng(0)
    s = sentence()
    cuts = [window(s, rng) for _ in range(50)]
    for cut in cuts:
        check_spans(cut)
        assert nominals(cut) == nominals(s)
    assert min(len(c.words) for c in cuts) < len(s.words)


def test_a_nominal_is_replaced_by_one_of_its_type_and_the_other_moves():
    rng = np.random.default_rng(1)
    seen = set()
    for _ in range(40):
        new = replace_nominal(sentence(), rng, VOCAB)
        assert new is not None
        check_spans(new)
        subj, obj = nominals(new)
        if subj != ["burst"]:
            assert subj[0] in {"crash", "flood"} and obj == ["water", "hammer", "pressure"]
            seen.add("subj")
        else:
            assert obj[0] in {"heat", "pressure"} and len(obj) == 1  # one token now
            assert new.words[new.obj[0] + 1 :] == WORDS[9:]  # the rest shifted left
            seen.add("obj")
    assert seen == {"subj", "obj"}


def test_a_swap_flips_the_direction_and_the_roles():
    s = swap(sentence(), SPEC.swapped)
    assert s is not None
    assert s.relation == "Cause-Effect(e1,e2)" and (s.subj, s.obj) == ((6, 8), (1, 1))
    assert (s.subj_type, s.obj_type) == ("noun.phenomenon", "noun.event")
    assert swap(sentence(relation="Other"), SPEC.swapped).relation == "Other"
    assert swap(sentence(relation="per:employee_of"), lambda r: None) is None


def test_token_noise_never_touches_a_nominal():
    rng = np.random.default_rng(2)
    s = sentence()
    rates = Rates(mask=0.5, replace=0.5, window=0.0, nominal=0.0, swap=0.0)
    for _ in range(30):
        copy, ops = augment(s, rng, rates, VOCAB, SPEC.swapped)
        assert nominals(copy) == nominals(s) and ops == ["words"]
        for i, word in enumerate(copy.words):
            if not s.inside(i) and word != s.words[i]:
                assert word == MASK or word in VOCAB.by_pos[s.pos[i]]


def test_copies_are_distinct_seeded_and_keep_their_nominals_marked():
    s = sentence()
    made = copies(s, 6, np.random.default_rng(3), Rates(), VOCAB, SPEC.swapped)
    again = copies(s, 6, np.random.default_rng(3), Rates(), VOCAB, SPEC.swapped)
    assert [c.words for c, _ in made] == [c.words for c, _ in again]
    assert len(made) == 6
    keys = {(tuple(c.words), c.subj, c.obj) for c, _ in made}
    assert len(keys) == 6 and (tuple(s.words), s.subj, s.obj) not in keys
    for copy, ops in made:
        check_spans(copy)
        assert ops
        assert copy.relation == (s.relation if "swap" not in ops else "Cause-Effect(e1,e2)")
    assert source_of("123~t4") == "123" and source_of("a~tb~t0") == "a~tb"


@pytest.fixture(scope="module")
def transfer_parsed(tiny_parsed, tmp_path_factory, nlp):
    """The augment stage's library work on the tiny split, parsed with the real pipeline."""
    from kdre.data.schema import read_split
    from kdre.data.transfer import build_transfer_set

    train = read_split(tiny_parsed / "train.parquet")
    made = build_transfer_set(train, train, SPEC, 2, Rates(), seed=1, nlp=nlp)
    return train, made


def test_the_transfer_set_is_parsed_like_the_parse_stage(transfer_parsed):
    from kdre.data.schema import validate_table

    train, made = transfer_parsed
    validate_table(made.table, "transfer")
    frame = made.table.to_pandas()
    assert 0 < len(frame) <= 2 * len(train) and made.summary["examples"] == len(frame)
    sources = {str(r.id): r for r in train.itertuples(index=False)}
    for row in frame.itertuples(index=False):
        source = sources[source_of(row.id)]
        n = len(row.tokens)
        assert len(row.head) == len(row.pos) == len(row.deprel) == n
        assert sum(h == 0 for h in row.head) == 1  # one tree
        assert row.relation in (source.relation, SPEC.swapped(source.relation))
    assert len(made.summary["sample"]) == min(5, len(frame))
    assert all("<e1>" in s["copy"] and "</e2>" in s["copy"] for s in made.summary["sample"])


def test_a_transfer_example_has_soft_labels_and_no_gold_label(transfer_parsed, tmp_path):
    """The student's split: train (gold) then the transfer rows (no gold), each row with the
    teacher's logits read by id; each epoch draws ratio × |train| transfer rows afresh."""
    import pyarrow.parquet as pq

    from kdre.training.recipe import Prepared, prepare
    from kdre.training.soft_labels import write_soft_label_rows
    from kdre.training.student import StudentRecipe

    train, made = transfer_parsed
    transfer_dir = tmp_path / "transfer"
    transfer_dir.mkdir()
    pq.write_table(made.table, transfer_dir / "transfer.parquet")
    frame = made.table.to_pandas()
    params = tiny_params()
    params = dataclasses.replace(
        params, student=dataclasses.replace(params.student, transfer_ratio=0.5)
    )
    prep: Prepared = prepare(params, _parsed_dir(transfer_parsed, tmp_path))
    vocab = prep.vocab
    n_labels = len(vocab.labels)
    rng = np.random.default_rng(0)
    for name, ids, relations in (
        ("train", list(train["id"]), list(train["relation"])),
        ("transfer", list(frame["id"]), list(frame["relation"])),
    ):
        logits = {k: rng.normal(size=(len(ids), n_labels)) for k in ("final", "local", "global")}
        write_soft_label_rows(tmp_path / f"{name}.pq", ids, relations, vocab.labels, logits)
    recipe = StudentRecipe(
        tmp_path / "train.pq",
        _parsed_dir(transfer_parsed, tmp_path),
        transfer_dir,
        tmp_path / "transfer.pq",
    )
    recipe.attach(params, prep)
    data = prep.splits["train"]
    assert len(data) == len(train) + len(frame)
    assert data.gold[: len(train)].all() and not data.gold[len(train) :].any()
    expected = pd.read_parquet(tmp_path / "transfer.pq").set_index("id").loc[data.ids[len(train) :]]
    assert np.allclose(data.soft_labels.final[len(train) :], np.stack(expected["final"]))
    sample = recipe.sampler(params, prep)
    first, second = sample(np.random.default_rng(1)), sample(np.random.default_rng(2))
    for rows in (first, second):
        assert (rows[: len(train)] == np.arange(len(train))).all()
        assert len(rows) == len(train) + min(len(frame), round(0.5 * len(train)))
        assert (rows[len(train) :] >= len(train)).all()
    assert not np.array_equal(first, second)


def _parsed_dir(transfer_parsed, tmp_path):
    """A parsed folder holding the tiny train split (dev and test: the same rows)."""
    train, _ = transfer_parsed
    folder = tmp_path / "tiny"
    if not folder.exists():
        folder.mkdir()
        for split in ("train", "dev", "test"):
            train.to_parquet(folder / f"{split}.parquet", index=False)
    return folder


def test_the_students_loss_has_no_gold_term_for_a_transfer_example():
    """A transfer row's gold label never reaches the loss; its teacher terms do, weighted μ."""
    from kdre.data.encode import Batch, SoftLabels
    from kdre.models.heads import ModelOutput
    from kdre.models.student import Student

    params = tiny_params()
    cfg = dataclasses.replace(params.student, transfer_weight=0.5, hint=False)
    student = Student(params.model, cfg, 10, 4, 4, 3, 0.0)
    student.lambda_kd = 0.6
    torch.manual_seed(0)
    logits = torch.randn(4, 3)
    teacher = SoftLabels(torch.randn(4, 3), torch.randn(4, 3), torch.randn(4, 3))
    out = ModelOutput(logits, torch.zeros(4, 5), {"local": logits})

    def batch(labels, gold):
        return Batch(
            index=torch.arange(4),
            words=torch.zeros(4, 2, dtype=torch.long),
            pos=torch.zeros(4, 2, dtype=torch.long),
            ner=torch.zeros(4, 2, dtype=torch.long),
            mask=torch.ones(4, 2, dtype=torch.bool),
            lengths=torch.full((4,), 2),
            subj_pos=torch.zeros(4, 2, dtype=torch.long),
            obj_pos=torch.zeros(4, 2, dtype=torch.long),
            adj=torch.zeros(4, 2, 2),
            labels=torch.tensor(labels),
            soft_labels=teacher,
            gold=None if gold is None else torch.tensor(gold),
        )

    gold = [True, True, False, False]
    a, _ = student.loss(out, batch([0, 1, 2, 0], gold))
    b, _ = student.loss(out, batch([0, 1, 0, 1], gold))  # other "labels" on transfer rows
    assert torch.isclose(a, b)
    import torch.nn.functional as F

    from kdre.models.losses import kd_loss

    g, t = torch.tensor(gold), ~torch.tensor(gold)
    expected = (
        0.4 * F.cross_entropy(logits[g], torch.tensor([0, 1]))
        + 0.6 * kd_loss(logits[g], teacher.final[g])
        + 0.6 * 0.5 * kd_loss(logits[t], teacher.final[t])
    )
    assert torch.isclose(a, expected)
    everyone, _ = student.loss(out, batch([0, 1, 2, 0], None))
    same, _ = student.loss(out, batch([0, 1, 2, 0], [True] * 4))
    assert torch.isclose(everyone, same) and not torch.isclose(everyone, a)

    # the last epoch of teacher_first annealing (λ_kd = 0): the transfer rows weigh nothing,
    # unless student.transfer_anneal is false, when they keep μ × the largest λ_kd (1.0)
    student.lambda_kd = 0.0
    last, _ = student.loss(out, batch([0, 1, 2, 0], gold))
    assert torch.isclose(last, F.cross_entropy(logits[g], torch.tensor([0, 1])))
    student.student_cfg = dataclasses.replace(cfg, transfer_anneal=False)
    steady, parts = student.loss(out, batch([0, 1, 2, 0], gold))
    assert torch.isclose(steady, last + 0.5 * kd_loss(logits[t], teacher.final[t]))
    assert parts["transfer"] > 0
