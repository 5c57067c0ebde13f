"""kdre.experiments.fidelity: whom the student follows on test, from archived predictions."""

from __future__ import annotations

import pytest

from kdre.errors import InputError
from kdre.experiments.fidelity import compare, markdown, read_run

GOLD = {"1": "A", "2": "B", "3": "C", "4": "A", "5": "B"}


def test_agreement_and_whom_the_student_sides_with():
    # C-GCN right on 1, 2; teacher right on 1, 3, 4; they disagree on 3, 4, 5
    base = {"1": "A", "2": "B", "3": "A", "4": "C", "5": "A"}
    teacher = {"1": "A", "2": "C", "3": "C", "4": "A", "5": "C"}
    student = {"1": "A", "2": "B", "3": "C", "4": "C", "5": "B"}
    f = compare("run", GOLD, {"baseline": base, "teacher": teacher, "student": student})
    assert f.examples == 5
    assert f.student_teacher == pytest.approx(2 / 5)  # 1, 3
    assert f.student_cgcn == pytest.approx(3 / 5)  # 1, 2, 4
    assert f.teacher_cgcn == pytest.approx(1 / 5)  # 1
    assert f.split == 4  # 2, 3, 4, 5
    assert f.sides_teacher == pytest.approx(1 / 4) and f.sides_cgcn == pytest.approx(2 / 4)
    # teacher right, C-GCN wrong: 3, 4 (the student gets 3); C-GCN right, teacher wrong: 2
    assert (f.teacher_only, f.teacher_only_student) == (2, pytest.approx(0.5))
    assert (f.cgcn_only, f.cgcn_only_student) == (1, pytest.approx(1.0))
    table = markdown([f])
    assert "| run | 40.0 | 60.0 | 20.0 | 25.0 / 50.0 (n 4) | 50.0 (n 2) | 100.0 (n 1) |" in table


def test_predictions_that_miss_an_id_are_refused():
    short = {k: v for k, v in GOLD.items() if k != "5"}
    with pytest.raises(InputError, match=r"student's test predictions .*missing \['5'\]"):
        compare("run", GOLD, {"baseline": GOLD, "teacher": GOLD, "student": short})


def test_an_archived_run_is_read_and_a_gold_reading_teacher_is_marked(tmp_path):
    run = tmp_path / "relation-s1"
    (run / "predictions").mkdir(parents=True)
    for model in ("baseline", "teacher", "student"):
        lines = "".join(f"{i}\t{label}\n" for i, label in GOLD.items())
        (run / "predictions" / f"{model}_test.txt").write_text(lines, encoding="utf-8")
    (run / "metrics").mkdir()  # what makes a folder a run for the archive's reader
    (run / "metrics" / "student.json").write_text("{}", encoding="utf-8")
    (run / "params.yaml").write_text("gamma: relation\n", encoding="utf-8")
    f = read_run(run, GOLD)
    assert f.leaky and f.student_teacher == 1.0 and f.split == 0
    assert "| relation-s1 † |" in markdown([f]) and "no result" in markdown([f])
    (run / "params.yaml").write_text("gamma: vector\n", encoding="utf-8")
    assert not read_run(run, GOLD).leaky
    (run / "predictions" / "teacher_test.txt").unlink()
    with pytest.raises(InputError, match="no teacher test predictions"):
        read_run(run, GOLD)


def _text(labels: dict[str, str]) -> str:
    return "".join(f"{i}\t{label}\n" for i, label in labels.items())


def test_the_reports_table_averages_each_cells_seeds_and_leaves_out_what_it_cannot_compare():
    """by_cell: per cell the mean over its seeds; a row whose teacher read the gold label, or
    that lacks one model's predictions of a key id, is left out rather than compared."""
    import pandas as pd

    from kdre.experiments.fidelity import by_cell, cells_markdown

    wrong = {k: "C" if v != "C" else "A" for k, v in GOLD.items()}  # wrong on every example
    half = {**GOLD, "1": "C", "2": "C"}  # right on 3, 4, 5

    def row(cell, seed, teacher, student, leaky=False, cgcn=wrong):
        return {
            "cell": cell,
            "seed": seed,
            "run": f"{cell}-s{seed}",
            "predictions": _text(student),
            "cgcn_predictions": _text(cgcn),
            "teacher_predictions": None if teacher is None else _text(teacher),
            "leaky": leaky,
        }

    frame = pd.DataFrame(
        [
            row("a", 1, GOLD, GOLD),  # the student is its (all-right) teacher
            row("a", 2, GOLD, half),  # 3 of 5 the teacher's
            row("a", 3, GOLD, wrong),  # no run of seed 3 counts: the teacher is missing below
            row("b", 1, GOLD, GOLD, leaky=True),
        ]
    )
    frame.loc[2, "teacher_predictions"] = _text({k: v for k, v in GOLD.items() if k != "5"})
    table = by_cell(frame, GOLD)
    assert list(table["cell"]) == ["a"] and table.loc[0, "seeds"] == "1,2"
    assert table.loc[0, "student_teacher"] == pytest.approx((1.0 + 3 / 5) / 2)
    assert table.loc[0, "student_cgcn"] == pytest.approx((0.0 + 2 / 5) / 2)  # half's 1, 2 are C
    assert table.loc[0, "teacher_only_student"] == pytest.approx((1.0 + 3 / 5) / 2)
    lines = cells_markdown(table, {"a": "cell A"})
    assert "| cell A | 1,2 | 80.0 | 20.0 | 80.0 / 20.0 | 80.0 (n ≈ 5) |" in lines
    assert by_cell(frame, None).empty and cells_markdown(by_cell(frame, None), {}) == []


def _archive(folder, params: str, **predictions: dict[str, str]):
    (folder / "predictions").mkdir(parents=True)
    for model, labels in predictions.items():
        (folder / "predictions" / f"{model}_test.txt").write_text(_text(labels), encoding="utf-8")
    (folder / "metrics").mkdir()
    (folder / "metrics" / "student.json").write_text("{}", encoding="utf-8")
    (folder / "params.yaml").write_text(params, encoding="utf-8")


def test_another_runs_teacher_stands_in_only_beside_the_same_c_gcn(tmp_path):
    """teacher_from: the −KD student against the MiniLM teacher of its seed's run; a run with
    another C-GCN (another seed) is refused, and leakiness is the stand-in teacher's."""
    cgcn = {**GOLD, "5": "A"}
    _archive(tmp_path / "no-kd-s1", "gamma: relation\n", baseline=cgcn, teacher=GOLD, student=GOLD)
    minilm = {**GOLD, "1": "C"}
    _archive(tmp_path / "minilm-s1", "gamma: vector\n", baseline=cgcn, teacher=minilm, student=GOLD)
    _archive(tmp_path / "minilm-s2", "gamma: vector\n", baseline=GOLD, teacher=GOLD, student=GOLD)
    own = read_run(tmp_path / "no-kd-s1", GOLD)
    assert own.leaky and own.student_teacher == 1.0
    f = read_run(tmp_path / "no-kd-s1", GOLD, tmp_path / "minilm-s1")
    assert not f.leaky and f.run == "no-kd-s1 (teacher of minilm-s1)"
    assert f.student_teacher == pytest.approx(4 / 5)  # all but example 1
    with pytest.raises(InputError, match="its C-GCN is not minilm-s2's"):
        read_run(tmp_path / "no-kd-s1", GOLD, tmp_path / "minilm-s2")
