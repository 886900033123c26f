"""nbgrader parity: `nbgrader autograde` on the kit's course gives the points `gdkit grade` gives.

One scratch nbgrader course (real generate_assignment, real autograde with its gradebook and
a real kernel) grades the bundled examples once; `gdkit grade` grades the same files.
"""
from __future__ import annotations

import io
import sys
import warnings

import nbformat
import numpy as np
import pytest

from gdkit import assignments, network
from gdkit.grading.inkernel import KernelStudent, grade_question
from gdkit.grading.runner import grade_submissions
from gdkit.nbgrader_course import make_course
from gdkit.notebook import graded_code_cells, is_test_cell, read_submission
from gdkit.release import find_root
from gdkit.grading.student import Student, start_zygote
from gdkit.submissions import master_path

ROOT = find_root()
ASSIGNMENT = "gradient_descent"
EXAMPLES = ROOT / "examples" / "submissions"
HONEST = ["alice", "bob", "carol", "dave", "erin", "frank"]
BROKEN = "gina"  # the notebook JSON cut short


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    submissions = {p.stem: p for p in sorted(EXAMPLES.glob("*.ipynb"))}
    assert sorted(submissions) == sorted(HONEST + [BROKEN])
    course = make_course(tmp_path_factory.mktemp("course"), ASSIGNMENT, submissions)
    autograded = course.autograde(timeout=120)
    records = grade_submissions(ASSIGNMENT, list(submissions.values()), outdir=tmp_path_factory.mktemp("gdkit"),
                                jobs=2, quiet=True)
    gdkit = {r.student: r for r in records}
    return course, autograded, gdkit


def _gdkit_points(record):
    assert record.status == "ok"
    return record.scores()


@pytest.mark.slow
@pytest.mark.parametrize("student", HONEST)
def test_same_points_per_question(both, student):
    # Both paths draw the hidden inputs from the same seed, student id and test name, so even
    # a mistake that turns on the inputs (erin's divergence rule) scores the same.
    _, autograded, gdkit = both
    assert autograded.scores[student] == pytest.approx(_gdkit_points(gdkit[student]), abs=1e-6)


@pytest.mark.slow
def test_partial_credit_flows_through_nbgrader(both):
    # Points strictly between 0 and the maximum can only come from the grade cell's numeric
    # result (nbgrader gives all or nothing otherwise), and every honest grade cell shows it.
    course, autograded, _ = both
    points = {q.id: q.points for q in assignments.load(ASSIGNMENT).questions}
    partial = [(s, q) for s in HONEST for q, p in autograded.scores[s].items() if 0 < p < points[q]]
    assert partial, "the examples include partial credit (a mistake failing some tests of a question)"
    for student in HONEST:
        path = course.root / "autograded" / student / ASSIGNMENT / course.notebook
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code" or not is_test_cell(cell):
                continue
            qid = cell.metadata.nbgrader.grade_id
            kinds = [o.output_type for o in cell.outputs]
            assert kinds == ["execute_result"], f"{student} {qid}: {kinds}"
            value = float(cell.outputs[0].data["text/plain"])
            assert value == pytest.approx(autograded.scores[student][qid])


@pytest.mark.slow
def test_broken_file_is_ungraded_by_nbgrader_and_invalid_for_gdkit(both):
    _, autograded, gdkit = both
    assert BROKEN not in autograded.scores
    assert BROKEN in autograded.ungraded and BROKEN in autograded.ungraded[BROKEN]
    assert autograded.returncode != 0  # nbgrader reports the failure with its exit status
    assert gdkit[BROKEN].status == "invalid-json" and gdkit[BROKEN].total == 0


@pytest.mark.slow
def test_autograde_wall_time_is_measured(both):
    _, autograded, _ = both
    assert 0 < autograded.seconds < 600


# ---- the in-kernel stand-in, without nbgrader ----

def _master_namespace():
    namespace = {}
    for _, source in graded_code_cells(read_submission(master_path(ASSIGNMENT))):
        exec(compile(source, "<master>", "exec"), namespace)
    return namespace


def test_training_in_the_kernel_is_the_workers_loop():
    namespace = _master_namespace()
    cells = graded_code_cells(read_submission(master_path(ASSIGNMENT)))
    zygote = start_zygote()
    worker = Student(zygote, cells)
    try:
        worker.start()
        for stop in (False, True):
            args = (network.X, network.y, 1000, 4, 40, 2)
            here, there = KernelStudent(namespace).train(*args, stop_on_divergence=stop), \
                worker.train(*args, stop_on_divergence=stop)
            assert here["errors"] == there["errors"] and here["stopped_at"] == there["stopped_at"]
            assert np.array_equal(here["synapse_0"], there["synapse_0"])
    finally:
        worker.close()
        zygote.close()


def test_grade_cell_output_has_no_stderr_even_when_the_student_writes_there(capsys):
    # nbgrader zeroes a grade cell with any stderr output; the sandbox never shows it either.
    namespace = _master_namespace()
    honest = namespace["sigmoid_output_to_derivative"]

    def noisy(output):
        warnings.warn("a student's warning")
        print("debug", file=sys.stderr)
        return honest(output)

    namespace["sigmoid_output_to_derivative"] = noisy
    assert grade_question(ASSIGNMENT, "q1_sigmoid_derivative", namespace) == 10
    assert capsys.readouterr().err == ""


def test_arguments_are_copies_and_answers_plain_data():
    namespace = {"mutate": lambda a: a.fill(0) or "done", "odd": lambda: io.StringIO()}
    student = KernelStudent(namespace)
    original = np.ones(3)
    value, (after,) = student.call("mutate", original, return_args=True)
    assert value == "done" and np.array_equal(original, np.ones(3)) and not after.any()
    with pytest.raises(Exception) as raised:
        student.call("odd")
    assert raised.value.exc_type == "UngradableResult"


def test_the_master_scores_full_marks_in_its_own_kernel_namespace():
    namespace = _master_namespace()
    for question in assignments.load(ASSIGNMENT).questions:
        assert grade_question(ASSIGNMENT, question.id, namespace) == question.points
