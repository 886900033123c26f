"""grades.csv never holds a cell a spreadsheet would run as a formula, and reads back exactly.

A student id is a file name the student chose; a reason may quote what their notebook did.
Either could start like a formula (``=HYPERLINK(...)``, ``+cmd``, ``@SUM``): the cell is
neutralised with a leading apostrophe, the student is graded as anyone else, and every reader
of grades.csv (``--student``, ``gdkit merge``, ``gdkit report``) gets the id back as it was.
"""
import csv
import io

import pytest

from gdkit import lms, merge, report
from gdkit.grading import outputs, runner
from gdkit.record import QuestionResult, Record
from minicourse import notebook, write_course

FORMULA_IDS = ['=HYPERLINK("https://x.example","click")', "+cmd", "-2+3", "@SUM(A1)", "\tx", "'quoted"]

TOML = '''name = "mini"
notebook = "mini.ipynb"
[[questions]]
id = "q1_double"
points = 10
functions = ["double"]
'''
SUITE = '''
import pytest

@pytest.mark.question("q1_double")
def test_double(student):
    """doubles a number"""
    assert student.call("double", 2.0) == 4.0
'''


def _record(student, reason="", status="ok"):
    return Record(student=student, assignment="mini", path=f"{student}.ipynb", status=status, reason=reason,
                  questions=[QuestionResult("q1_double", 10, 10.0)], total=10.0, max_total=10.0)


def _cells(text):
    return [row for row in csv.reader(io.StringIO(text))]


@pytest.mark.parametrize("value", FORMULA_IDS + ["alice", "", "a=b", "2024-01-01"])
def test_a_text_cell_reads_back_exactly_and_never_starts_like_a_formula(value):
    cell = outputs.csv_text(value)
    assert not cell.startswith(outputs.FORMULA_START)
    assert outputs.csv_value(cell) == value
    if value[:1] not in outputs.FORMULA_START + ("'",):
        assert cell == value  # ordinary text is left alone


def test_grades_csv_neutralises_every_text_cell_but_keeps_numbers():
    records = [_record(s) for s in FORMULA_IDS] + [_record("bob", reason="=1+1 printed by the notebook",
                                                           status="crashed")]
    rows = _cells(outputs.grades_csv(records, ["q1_double"]))
    header, body = rows[0], rows[1:]
    assert header[0] == "student"
    for row in body:
        for cell in (row[0], row[4], row[5]):  # student, status, reason
            assert not cell.startswith(outputs.FORMULA_START), row
        assert row[1:4] == ["10", "10", "10"]  # numbers as numbers
    assert [outputs.csv_value(r[0]) for r in body] == sorted(s for s in FORMULA_IDS + ["bob"])


def test_lms_export_refuses_the_same_ids_grades_csv_neutralises():
    # An LMS matches ids exactly, so it gets no neutralised id: the same characters are refused there.
    assert lms._FORMULA == outputs.FORMULA_START


@pytest.mark.slow  # a real grading run
def test_a_student_named_like_a_formula_is_graded_and_every_reader_gets_the_id_back(tmp_path):
    root = write_course(tmp_path / "course", TOML, SUITE)
    subs = tmp_path / "subs"
    subs.mkdir()
    evil = '=HYPERLINK("x","click")'
    for student in (evil, "+cmd", "ann"):
        (subs / f"{student}.ipynb").write_text(notebook("def double(x):\n    return 2 * x\n"))
    out = tmp_path / "out"
    records = runner.grade_submissions("mini", [subs], outdir=out, root=root, quiet=True)
    assert {r.student: (r.status, r.total) for r in records} == {evil: ("ok", 10), "+cmd": ("ok", 10),
                                                                 "ann": ("ok", 10)}
    text = (out / "grades.csv").read_text()
    assert all(not row[0].startswith(outputs.FORMULA_START) for row in _cells(text))
    assert sorted(outputs.grades_students(out / "grades.csv")) == sorted([evil, "+cmd", "ann"])
    # --student regrades one and keeps the others' rows (read back from grades.csv)
    again = runner.grade_submissions("mini", [subs], outdir=out, root=root, quiet=True, students=["ann"])
    assert sorted(r.student for r in again) == sorted([evil, "+cmd", "ann"])
    assert all(r.status == "ok" for r in again)
    # gdkit report sees every listed student's record (none "listed without a record")
    assert report.load(out, progress=False).unreadable == {}
    # gdkit merge of the run as one shard keeps the ids
    merged = tmp_path / "merged"
    merge.merge([out], merged, root=root)
    assert sorted(outputs.grades_students(merged / "grades.csv")) == sorted([evil, "+cmd", "ann"])
