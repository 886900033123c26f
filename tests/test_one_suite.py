"""One hidden suite, the same scores on every path: ``gdkit grade`` (sandbox workers), the
kernel path in-process (``grade_question``), and real ``nbgrader autograde``.

A scratch course (an nbgrader master with hidden grade regions, a hidden suite that uses
``pytest.mark.parametrize`` and fixtures, four students) is built here, so the bundled
assignments' weights stay as they are.
"""
from __future__ import annotations

import contextlib
import sys

import nbformat
import numpy as np
import pytest
from minicourse import notebook, write_course

from gdkit.grading import randomness
from gdkit.grading.inkernel import GraderError, grade_question
from gdkit.grading.runner import grade_submissions
from gdkit.nbgrader_course import make_course
from gdkit.notebook import graded_code_cells, read_submission

NAME = "pmini"
POINTS = {"q1_double": 10.0, "q2_scale": 12.0}
DOUBLE_CASES = [-1.5, 0.0, 2.0, 7.0]
FACTORS = [0.5, -2.0, 3.0, -1.5, 4.0, 0.25]

TOML = f'''name = "{NAME}"
notebook = "{NAME}.ipynb"
[[questions]]
id = "q1_double"
points = {POINTS["q1_double"]}
functions = ["double"]
[[questions]]
id = "q2_scale"
points = {POINTS["q2_scale"]}
functions = ["scale"]
'''

# The hidden suite: parametrized cases, a fixture drawing random inputs, a fixture calling the
# student, and a module-scoped fixture.
SUITE = f'''
import numpy as np
import pytest
from gdkit.grading.checks import Fail
from gdkit.grading.randomness import rng


@pytest.fixture
def values():
    """Random values of a random length, drawn for each test case."""
    return rng.normal(0, 3, size=int(rng.integers(2, 12)))


@pytest.fixture(scope="module")
def tolerance():
    return 1e-9


@pytest.fixture
def scaled(student, values):
    """The student's scale() on this case's values."""
    return lambda factor: student.call("scale", values, factor)


@pytest.mark.question("q1_double")
@pytest.mark.parametrize("x", {DOUBLE_CASES!r})
def test_double(student, x):
    """doubles a number"""
    if student.call("double", x) != 2 * x:
        raise Fail("double(x) must return 2 * x")


@pytest.mark.question("q2_scale", weight=2)
@pytest.mark.parametrize("factor", {FACTORS!r})
def test_scale(values, scaled, tolerance, factor):
    """scales every value by the factor"""
    got = np.asarray(scaled(factor), dtype=float)
    if got.shape != values.shape or not np.allclose(got, values * factor, atol=tolerance):
        raise Fail("scale(values, factor) must multiply every value by factor")
'''

RIGHT = '''import numpy as np

def double(x):
    return 2 * x

def scale(values, factor):
    return np.asarray(values) * factor
'''
# Wrong for negative numbers; leaves the last value unscaled when there are an odd number of
# them, so which cases fail depends on the lengths drawn for them.
PARTIAL = '''import numpy as np

def double(x):
    return abs(2 * x)

def scale(values, factor):
    v = np.array(values, dtype=float)
    v[: len(v) - len(v) % 2] *= factor
    return v
'''
NOISY = '''import sys, warnings
import numpy as np
np.seterr(all="raise")

def double(x):
    print("doubling", x, file=sys.stderr)
    warnings.warn("a student's warning")
    return 2 * x

def scale(values, factor):
    print("scaling")
    return np.asarray(values) * factor
'''
BLANK = '''import numpy as np

def double(x):
    raise NotImplementedError()

def scale(values, factor):
    raise NotImplementedError()
'''
STUDENTS = {"right": RIGHT, "partial": PARTIAL, "noisy": NOISY, "blank": BLANK}


def _nbgrader(cell, grade_id: str, *, solution: bool, points: float | None = None):
    cell.metadata["nbgrader"] = {"grade": points is not None, "solution": solution, "locked": not solution,
                                 "grade_id": grade_id, "schema_version": 3,
                                 **({"points": points} if points is not None else {})}
    return cell


def master(answers: str) -> nbformat.NotebookNode:
    """An nbgrader master: one answer cell, one test cell per question that ends (in a hidden
    region) in the grade_question call, as the kit's masters do."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# pmini"),
                _nbgrader(nbformat.v4.new_code_cell(answers), "answers", solution=True)]
    for qid, points in POINTS.items():
        source = "\n".join([f"# {qid}: graded by the hidden suite", "### BEGIN HIDDEN TESTS",
                            "from gdkit.grading.inkernel import grade_question",
                            f"grade_question({NAME!r}, {qid!r}, globals())", "### END HIDDEN TESTS"])
        nb.cells.append(_nbgrader(nbformat.v4.new_code_cell(source), qid, solution=False, points=points))
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The scratch course (gdkit.toml, suite, master) and each student's notebook."""
    root = write_course(tmp_path_factory.mktemp("pcourse"), TOML, SUITE, name=NAME)
    (root / "gdkit.toml").write_text('[course]\nname = "pmini"\n')
    (root / "solutions" / NAME).mkdir(parents=True)
    solution = RIGHT.replace("return 2 * x", "### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION")
    nbformat.write(master(solution), root / "solutions" / NAME / f"{NAME}.ipynb")
    folder = root / "submitted"
    folder.mkdir()
    paths = {}
    for student, answers in STUDENTS.items():
        paths[student] = folder / f"{student}.ipynb"
        nbformat.write(master(answers), paths[student])
    return root, paths


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    """``gdkit grade``'s records of the four students: {student: Record}."""
    root, paths = course
    records = grade_submissions(NAME, list(paths.values()), outdir=tmp_path_factory.mktemp("out"), root=root,
                                quiet=True)
    return {r.student: r for r in records}


@contextlib.contextmanager
def kernel(path):
    """What a kernel holds at the grade cells: the notebook's code cells run in order (and
    numpy's settings as they leave them, undone afterwards)."""
    with np.errstate():
        namespace: dict = {}
        for _, source in graded_code_cells(read_submission(path)):
            exec(compile(source, str(path), "exec"), namespace)  # noqa: S102 - the test's own notebooks
        yield namespace


def expected_points() -> dict[str, dict[str, float]]:
    """Worked out from the suite's contract, not by running it: the partial student loses
    x = -1.5 and every scale case whose drawn length is odd (inputs seeded per run and case)."""
    randomness.start_run(randomness.run_seed(NAME))
    odd = 0
    for index in range(len(FACTORS)):
        randomness.start_test(f"test_{NAME}::test_scale[{index}]")
        odd += int(randomness.rng.integers(2, 12)) % 2
    full = dict(POINTS)
    partial = {"q1_double": POINTS["q1_double"] * 3 / 4,
               "q2_scale": round(POINTS["q2_scale"] * (len(FACTORS) - odd) / len(FACTORS), 4)}
    return {"right": full, "noisy": full, "partial": partial, "blank": {q: 0.0 for q in POINTS}}


@pytest.mark.slow
def test_gdkit_grade_scores_parametrized_cases_and_fixtures(graded):
    expected = expected_points()
    assert 0 < expected["partial"]["q2_scale"] < POINTS["q2_scale"], "the draws give partial credit"
    for student, record in graded.items():
        assert record.status == "ok", (student, record.reason)
        assert record.scores() == pytest.approx(expected[student]), student
    names = [t.name for t in graded["partial"].question("q2_scale").tests]
    # one result per case, named by the case's position: never its (possibly hidden) values
    assert names == [f"test_scale[{i}]" for i in range(len(FACTORS))]


@pytest.mark.slow
def test_the_kernel_path_gives_the_same_points(course, graded):
    root, paths = course
    for student, path in paths.items():
        with kernel(path) as namespace:
            here = {qid: grade_question(NAME, qid, namespace, course=root) for qid in POINTS}
        assert here == pytest.approx(graded[student].scores()), student


def test_a_grade_cell_prints_nothing(course, capfd):
    root, paths = course
    with kernel(paths["noisy"]) as namespace:
        capfd.readouterr()
        assert grade_question(NAME, "q1_double", namespace, course=root) == POINTS["q1_double"]
        out, err = capfd.readouterr()
        assert np.geterr()["divide"] == "raise"  # the notebook's own setting is left as it was
    assert (out, err) == ("", "")


def test_the_suite_is_imported_once_per_kernel_and_again_for_another_seed(course):
    root, paths = course
    with kernel(paths["right"]) as namespace:
        grade_question(NAME, "q1_double", namespace, course=root)
        module = sys.modules[f"test_{NAME}"]
        grade_question(NAME, "q2_scale", namespace, course=root)
        assert sys.modules[f"test_{NAME}"] is module
        grade_question(NAME, "q2_scale", namespace, course=root, seed=12345)
        assert sys.modules[f"test_{NAME}"] is not module


BROKEN_SUITE = '''
import pytest

@pytest.mark.question("q1_double")
def test_fine(student):
    assert student.call("double", 1) == 2

@pytest.mark.question("q1_double")
def test_broken(student):
    {}["hidden value 42"]
'''


@pytest.mark.slow
def test_a_broken_suite_is_a_grader_error_on_both_paths(tmp_path):
    root = write_course(tmp_path, TOML.replace(NAME, "broken"), BROKEN_SUITE, name="broken")
    submission = tmp_path / "s.ipynb"
    submission.write_text(notebook(RIGHT))
    (record,) = grade_submissions("broken", [submission], outdir=tmp_path / "out", root=root, quiet=True)
    assert record.status == "grader-error"
    with kernel(submission) as namespace:
        with pytest.raises(GraderError) as raised:
            grade_question("broken", "q1_double", namespace, course=root)
        message = str(raised.value)
        assert "test_broken" in message and "KeyError" in message and "42" not in message
        # only the graded question's tests run: q2 has none here, so 0 points, as gdkit grade says
        assert grade_question("broken", "q2_scale", namespace, course=root) == 0 == \
            record.question("q2_scale").score


def test_an_unmarked_hidden_test_stops_both_paths(tmp_path):
    root = write_course(tmp_path, TOML.replace(NAME, "unmarked"),
                        "def test_loose(student):\n    assert student.call('double', 1) == 2\n", name="unmarked")
    submission = tmp_path / "s.ipynb"
    submission.write_text(notebook(RIGHT))
    with kernel(submission) as namespace, pytest.raises(GraderError, match="must be marked"):
        grade_question("unmarked", "q1_double", namespace, course=root)


@pytest.mark.slow
def test_nbgrader_autograde_gives_the_same_points(course, graded, tmp_path_factory):
    root, paths = course
    scratch = make_course(tmp_path_factory.mktemp("nbcourse"), NAME, paths, kit_root=root)
    autograded = scratch.autograde(timeout=60)
    assert autograded.returncode == 0, autograded.log[-2000:]
    for student in STUDENTS:
        assert autograded.scores[student] == pytest.approx(graded[student].scores()), student
    assert autograded.scores["partial"] == pytest.approx(expected_points()["partial"])
