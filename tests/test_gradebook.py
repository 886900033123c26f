"""gdkit's grades in a real nbgrader course's gradebook.db, read back by nbgrader itself: its
Gradebook API (what formgrader shows) and `nbgrader export` (its grades.csv)."""
import csv
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from gdkit import late
from gdkit.grading import outputs
from gdkit.nbgrader_course import make_course
from gdkit.record import Record

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "submissions"
STUDENTS = ("alice", "carol", "dave", "gina")
ASSIGNMENT, NOTEBOOK = "gradient_descent", "gradient_descent"

pytestmark = pytest.mark.slow  # nbgrader generate_assignment and a grading run


def gdkit(*args):
    return subprocess.run([sys.executable, "-m", "gdkit.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nbgrader")
    return make_course(tmp / "course", ASSIGNMENT, {s: EXAMPLES / f"{s}.ipynb" for s in STUDENTS})


def gradebook_scores(course) -> dict:
    """{student: ({question: score}, total, late penalty, timestamp)} by nbgrader's API."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(course.db_url) as gb:
        for student in STUDENTS:
            nb = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student)
            sub = gb.find_submission(ASSIGNMENT, student)
            out[student] = ({g.name: g.score for g in nb.grades}, sub.score, nb.late_submission_penalty, sub.timestamp)
    return out


def nbgrader_export(course, tmp_path) -> dict:
    done = course.run("export", "--to", str(tmp_path / "nbgrader-grades.csv"))
    assert done.returncode == 0, done.stdout + done.stderr
    return {r["student_id"]: r for r in csv.DictReader((tmp_path / "nbgrader-grades.csv").open())}


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    """The course's submitted/ tree graded by gdkit, the scores written into its gradebook."""
    out = tmp_path_factory.mktemp("gdkit") / "grades"
    done = gdkit("grade", course.root / "submitted", "--assignment", ASSIGNMENT, "--out", out, "--jobs", "2",
                 "--course", REPO, "--nbgrader-gradebook", course.root)
    assert done.returncode == 0, done.stderr
    return out, done


def test_grade_writes_the_gradebook(course, graded, tmp_path):
    out, done = graded
    assert "wrote 4 student(s) of gradient_descent into the nbgrader gradebook" in done.stdout
    assert "flagged" in done.stdout                                # gina's invalid file
    records = {s: Record.from_json(json.loads((out / s / "record.json").read_text())) for s in STUDENTS}
    book = gradebook_scores(course)
    for student, record in records.items():
        scores, total, penalty, _ = book[student]
        assert scores == record.scores() and total == pytest.approx(record.total) and penalty == 0
    assert book["carol"][0]["q4_update_synapses"] == 0 and book["carol"][1] == 60
    exported = nbgrader_export(course, tmp_path)
    assert {s: float(r["score"]) for s, r in exported.items()} == {s: r.total for s, r in records.items()}
    assert {r["max_score"] for r in exported.values()} == {"100.0"}


def test_export_carries_late_penalty_and_keeps_manual_grades(course, graded, tmp_path):
    from nbgrader.api import Gradebook

    out = graded[0]
    # dave handed in two days late: the late module's fields, as gdkit grade leaves them with [late]
    policy = late.policy({"late": {"due": "2025-03-01T12:00:00Z", "penalty": 10}}, ASSIGNMENT)
    dave = Record.from_json(json.loads((out / "dave" / "record.json").read_text()))
    raw = dave.total
    (Path(dave.path).parent / "timestamp.txt").write_text("2025-03-03 11:00:00.000000 UTC")
    late.apply([dave], policy)
    outputs.write_record(out, dave)
    # a grader already gave alice's q1 a manual score in formgrader
    with Gradebook(course.db_url) as gb:
        grade = gb.find_grade("q1_sigmoid_derivative", NOTEBOOK, ASSIGNMENT, "alice")
        grade.manual_score = 7.0
        gb.db.commit()
    done = gdkit("export", "grades", out, "--format", "nbgrader", "--out", course.root / "gradebook.db")
    assert done.returncode == 0, done.stderr
    book = gradebook_scores(course)
    assert book["dave"][2] == 20 and book["dave"][3] == dt.datetime(2025, 3, 3, 11)   # penalty and time
    exported = nbgrader_export(course, tmp_path)
    row = exported["dave"]
    assert (float(row["raw_score"]), float(row["late_submission_penalty"]), float(row["score"])) == (raw, 20, raw - 20)
    with Gradebook(course.db_url) as gb:
        grade = gb.find_grade("q1_sigmoid_derivative", NOTEBOOK, ASSIGNMENT, "alice")
        assert (grade.manual_score, grade.auto_score, grade.score) == (7.0, 10.0, 7.0)   # formgrader's word stands


def test_gradebook_refusals(course, tmp_path):
    out = tmp_path / "grades"
    outputs.write_atomic(out / "zed" / "record.json",
                         json.dumps(Record("zed", "tuning", total=1, max_total=100).to_json()))
    for target, words in ((tmp_path / "none.db", "no nbgrader gradebook at"),
                          (course.root, "assignment 'tuning' is not in the gradebook")):
        done = gdkit("export", "grades", out, "--format", "nbgrader", "--out", target)
        assert done.returncode == 2 and done.stderr.startswith("gdkit: error: ") and words in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_gradebook_write_checks_and_notes(course, tmp_path):
    """What write() says before and after writing, on a copy of the course's gradebook: records of
    no or two assignments, a notebook the assignment lacks, questions no grade cell holds (refused
    when none is; a note when some are not), a grader failure and a flagged status."""
    import shutil

    from gdkit import gradebook
    from gdkit.errors import GdkitError
    from gdkit.record import QuestionResult

    db = tmp_path / "gradebook.db"
    shutil.copy(course.root / "gradebook.db", db)

    def rec(student, questions, status="ok", assignment=ASSIGNMENT):
        return Record(student, assignment, status=status, total=sum(questions.values()), max_total=100,
                      questions=[QuestionResult(q, 10, s, []) for q, s in questions.items()])

    for records, words in (([], "no grading records"),
                           ([rec("a", {}), rec("b", {}, assignment="tuning")], "the records are of 2 assignments"),
                           ([rec("a", {"q9_unknown": 1})], "none of the questions (q9_unknown) is a grade cell of "
                                                           "gradient_descent in the gradebook")):
        with pytest.raises(GdkitError, match=words.replace("(", r"\(").replace(")", r"\)")):
            gradebook.write(records, db)
    with pytest.raises(GdkitError, match="the gradebook's 'gradient_descent' has the notebooks gradient_descent; "
                                         "name the one gdkit grades"):
        gradebook.write([rec("a", {})], db, notebook="other")
    records = [rec("zed", {"q1_sigmoid_derivative": 10, "q9_unknown": 3}),
               rec("yan", {"q1_sigmoid_derivative": 4}, status="timeout"),
               rec("xia", {}, status="grader-error")]
    done = gradebook.write(records, db)
    assert (done.assignment, done.notebook, done.students) == (ASSIGNMENT, NOTEBOOK, ["yan", "zed"])
    assert done.problems == ["xia: not written (the grader failed on this submission); rerun gdkit grade"]
    assert done.notes == ["questions without a grade cell in the gradebook, not written: q9_unknown",
                          "1 submission(s) whose status is not ok are flagged in formgrader (yan)"]
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{db}") as gb:
        zed = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, "zed")
        yan = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, "yan")
        assert {g.name: g.auto_score for g in zed.grades}["q1_sigmoid_derivative"] == 10
        assert (zed.flagged, yan.flagged) == (False, True)
