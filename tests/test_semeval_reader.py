from __future__ import annotations

import pytest
from conftest import TEST, TRAIN, write_records

from kdre.data.datasets import semeval
from kdre.errors import InputError

GOOD = '1\t"The <e1>audits</e1> were about <e2>waste</e2> and recycling."'


@pytest.mark.semeval
def test_release_files_read_completely():
    train = semeval.read_semeval(TRAIN)
    test = semeval.read_semeval(TEST)
    assert len(train) == 8000 and len(test) == 2717
    assert {ex.relation for ex in train} == set(semeval.LABELS)
    assert train[0].id == "1" and test[-1].id == "10717"
    semeval.check_disjoint_ids((TRAIN, train), (TEST, test))


def test_markers_stripped_and_spans_point_at_entities(tmp_path):
    (ex,) = semeval.read_semeval(
        write_records(tmp_path / "f.txt", [(GOOD, "Message-Topic(e1,e2)")])
    )
    assert ex.text == "The audits were about waste and recycling."
    assert ex.text[slice(*ex.subj)] == "audits" and ex.text[slice(*ex.obj)] == "waste"


def test_glued_marker_and_inner_quotes(tmp_path):
    records = [
        ('213\t"The <e1>bird</e1> ate doves<e2>moles</e2>."', "Other"),
        ('20\t""Any time," he told <e1>her</e1> at the <e2>door</e2>."', "Other"),
    ]
    glued, quoted = semeval.read_semeval(write_records(tmp_path / "f.txt", records, crlf=False))
    assert glued.text[slice(*glued.obj)] == "moles" and glued.text.endswith("dovesmoles.")
    assert quoted.text.startswith('"Any time," he told her')


@pytest.mark.parametrize(
    ("line", "label", "message", "lineno"),
    [
        ('2\t"No markers here."', "Other", "missing <e1>", 1),
        ('2\t"<e1>a</e1> <e1>b</e1> <e2>c</e2>"', "Other", "duplicated <e1>", 1),
        ('2\t"<e1>a <e2>b</e1> c</e2>"', "Other", "nested or overlapping", 1),
        ('2\t"<e1>a <e2>b</e2> c</e1>"', "Other", "nested or overlapping", 1),
        ('2\t"<e1>a and <e2>b</e2>"', "Other", "unclosed <e1>", 1),
        ('2\t"a</e1> and <e2>b</e2>"', "Other", "</e1> without", 1),
        ('2\t"<e1> </e1> and <e2>b</e2>"', "Other", "empty entity e1", 1),
        ('2\t"<e1>a</e1> and <e3>b</e3>"', "Other", "unknown entity marker", 1),
        ('2\t"<e1>a</e1> and <e2>b</e2>"', "Cause-Effect", "unknown relation label", 2),
        ('2\t"<e1>a</e1> and <e2>b</e2>"', "Other ", "unknown relation label", 2),
        ('x1\t"<e1>a</e1> and <e2>b</e2>"', "Other", "non-numeric id", 1),
        ('1\t<e1>a</e1> and <e2>b</e2>"', "Other", "double quotes", 1),
        ('2 "<e1>a</e1> and <e2>b</e2>"', "Other", "<id><TAB>", 1),
    ],
)
def test_bad_records_name_file_line_and_problem(tmp_path, line, label, message, lineno):
    path = write_records(tmp_path / "bad.txt", [(GOOD, "Other"), (line, label)])
    with pytest.raises(InputError) as err:
        semeval.read_semeval(path)
    text = str(err.value)
    assert message in text
    assert text.startswith(f"{path}:{4 + lineno}:")
    assert "\n" not in text


def test_duplicate_id(tmp_path):
    path = write_records(tmp_path / "dup.txt", [(GOOD, "Other"), (GOOD, "Other")])
    with pytest.raises(InputError, match=r"dup.txt:5: duplicate id 1 \(first seen on line 1\)"):
        semeval.read_semeval(path)


def test_duplicate_id_across_files(tmp_path):
    a = write_records(tmp_path / "a.txt", [(GOOD, "Other")])
    b = write_records(tmp_path / "b.txt", [(GOOD, "Other")])
    with pytest.raises(InputError, match="also used in"):
        semeval.check_disjoint_ids((a, semeval.read_semeval(a)), (b, semeval.read_semeval(b)))


@pytest.mark.parametrize(
    ("tail", "message"),
    [(f"{GOOD}\r\n", "no relation label"), (f"{GOOD}\r\nOther\r\n", "expected a 'Comment:' line")],
)
def test_truncated_record(tmp_path, tail, message):
    path = write_records(tmp_path / "t.txt", [(GOOD.replace("1\t", "7\t"), "Other")])
    path.write_bytes(path.read_bytes() + tail.encode())
    with pytest.raises(InputError, match=message):
        semeval.read_semeval(path)


def test_undecodable_bytes(tmp_path):
    path = write_records(tmp_path / "u.txt", [(GOOD, "Other")])
    path.write_bytes(
        path.read_bytes() + b'2\t"<e1>caf\xe9</e1> <e2>x</e2>"\r\nOther\r\nComment:\r\n'
    )
    with pytest.raises(InputError, match=r"u.txt:5: undecodable byte 0xe9"):
        semeval.read_semeval(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        semeval.read_semeval(tmp_path / "nope.txt")
