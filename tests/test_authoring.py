"""docs/authoring.md, walked end to end in a temporary folder with the installed `gdkit` command:
init, new, edit the question (its points) and add one, release, validate, grade, check.

The edits below are the guide's, made the way an instructor makes them in a text editor (the
master's plain-text twin, assignment.toml, the suite, the zoo, the styles)."""
import csv
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import nbformat
import pytest

from gdkit import scaffold, twin
from gdkit.release import IGNORED
from gdkit.submissions import fill_solutions

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "authoring.md"

# Step 3 of the guide: a second question, as its five edits.
Q2_MASTER = '''
# %% [markdown]
# ## 2. The worst miss — `q2_max_abs_error` (10 points)
#
# **Contract.** `max_abs_error(layer_2, y)`: `layer_2` and `y` are arrays of one shape; return
# the largest `|layer_2 - y|` over all entries, as a number.

# %% nbgrader={"grade": false, "grade_id": "max_abs_error", "locked": false, "schema_version": 3, "solution": true, "task": false}
def max_abs_error(layer_2, y):
    """Largest |layer_2 - y| over all entries. Two arrays of one shape -> float."""
    ### BEGIN SOLUTION
    return float(np.max(np.abs(layer_2 - y)))
    ### END SOLUTION


# %% deletable=false editable=false nbgrader={"grade": true, "grade_id": "q2_max_abs_error", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
# nbgrader: the visible checks are quoted, not run; the hidden suite alone decides the points.
r\'\'\'
### END HIDDEN TESTS
worst = max_abs_error(np.array([[0.1], [0.7]]), np.array([[0], [1]]))
assert np.isclose(worst, 0.3), f"expected 0.3 (the second guess is 0.3 too low), got {worst}"
### BEGIN HIDDEN TESTS
\'\'\'
from gdkit.grading.inkernel import grade_question
grade_question('week_1', 'q2_max_abs_error', globals())
### END HIDDEN TESTS
'''
Q2_TOML = '''
[[questions]]
id = "q2_max_abs_error"
points = 10
functions = ["max_abs_error"]
'''
Q2_SUITE = '''

EX_WORST = (np.array([[0.1], [0.7]]), np.array([[0], [1]]))  # the notebook's example for q2
PUBLIC_INPUTS.append(("max_abs_error", EX_WORST, False))  # asked before any hidden input


def max_abs_error(layer_2, y):
    return float(np.max(np.abs(layer_2 - y)))


@pytest.mark.question("q2_max_abs_error", weight=1)
def test_max_abs_error_matches_the_reference(student):
    """matches the largest |layer_2 - y| on outputs and targets of random shapes"""
    n, k = (int(size) for size in rng.integers(2, 9, size=2))
    layer_2, y = rng.random((n, k)), rng.integers(0, 2, size=(n, k)).astype(float)
    layer_2[0, 0], y[0, 0] = 0.0, 1.0  # the worst miss below its target: misses count by size
    example = example_of(student, "max_abs_error", EX_WORST, max_abs_error(*EX_WORST), names=("layer_2", "y"))
    got = ZOO.call(student, "max_abs_error", layer_2, y, example=example)
    expect_close(got, max_abs_error(layer_2, y), what="max_abs_error(layer_2, y)", example=example,
                 diagnose=ZOO.for_call("max_abs_error", layer_2, y, example=example))
'''
Q2_BUG = '''    Bug("largest signed miss", "q2_max_abs_error", "max_abs_error", """
def max_abs_error(layer_2, y):
    return float(np.max(layer_2 - y))
""", "a miss below the target is negative: take np.abs(layer_2 - y) before the maximum"),
]
'''
Q2_STYLE = '''    Style("max of the misses and of their negatives", {
        "max_abs_error": """
def max_abs_error(layer_2, y):
    d = layer_2 - y
    return max(d.max(), (-d).max())
""",
    }),
]
'''


def gdkit_command() -> str:
    command = shutil.which("gdkit")
    assert command, "the gdkit command is not installed: pip install -e . (or the wheel) first"
    return command


def run(*args, cwd, env=None, ok=(0,)):
    done = subprocess.run([gdkit_command(), *args], cwd=cwd, capture_output=True, text=True, timeout=600,
                          env=env or clean_env())
    assert done.returncode in ok, f"gdkit {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


def clean_env():
    return {k: v for k, v in os.environ.items() if k not in ("GDKIT_COURSE", "GDKIT_ROOT", "GDKIT_SEED")}


def append_before(path: Path, marker: str, text: str) -> None:
    content = path.read_text()
    assert marker in content, f"{marker!r} not in {path}"
    path.write_text(content.replace(marker, text + marker, 1))


def walk(base: Path, gdkit=run) -> dict:
    """The guide's walk-through in ``base``; returns the seconds each step took."""
    seconds = {}

    def step(label, *args, cwd, ok=(0,)):
        started = time.monotonic()
        done = gdkit(*args, cwd=cwd, ok=ok)
        seconds[label] = seconds.get(label, 0.0) + time.monotonic() - started
        return done

    step("init", "init", "course", cwd=base)
    course = base / "course"
    assert (course / "gdkit.toml").is_file() and (course / "autograder").is_dir()
    step("new", "new", "week_1", cwd=course)
    suite = course / "autograder" / "week_1"
    master_twin = course / "solutions" / "week_1" / "week_1.master.py"
    assert sorted(p.name for p in suite.iterdir()) == ["assignment.toml", "bugzoo.py", "styles.py", "test_week_1.py"]

    # 1. The scaffold works as it is.
    step("release", "release", "week_1", cwd=course)
    validated = step("validate", "validate", "week_1", "--jobs", "2", cwd=course)
    assert "catch rate: 1/1 bugs = 100.0%; false failures: 0" in validated.stdout

    # 2. Edit the question: 10 -> 20 points. Only in the master first: both checks refuse, in one line.
    twin_text = master_twin.read_text()
    master_twin.write_text(twin_text.replace('"points": 10,', '"points": 20,').replace("| 10 |", "| 20 |")
                           .replace("(10 points)", "(20 points)"))
    problem = step("release", "release", "week_1", cwd=course, ok=(2,))
    assert problem.stderr.strip().count("\n") == 0
    assert "q1_mean_abs_error has 20 points in solutions/week_1/week_1.ipynb but 10 in " \
           "autograder/week_1/assignment.toml; make them equal" in problem.stderr
    checked = step("release --check", "release", "--check", cwd=course, ok=(1,))
    assert "problem: q1_mean_abs_error has 20 points" in checked.stderr
    toml = suite / "assignment.toml"
    toml.write_text(toml.read_text().replace("points = 10", "points = 20"))

    # 3. Add a question: master, assignment.toml, suite, zoo, styles.
    append_before(master_twin, "# %% [markdown]\n# ## Experiment", Q2_MASTER.lstrip("\n") + "\n")
    toml.write_text(toml.read_text() + Q2_TOML)
    (suite / "test_week_1.py").write_text((suite / "test_week_1.py").read_text() + Q2_SUITE)
    zoo = suite / "bugzoo.py"
    zoo.write_text(zoo.read_text().rstrip("\n").removesuffix("]") + Q2_BUG)
    styles = suite / "styles.py"
    styles.write_text(styles.read_text().rstrip("\n").removesuffix("]") + Q2_STYLE)

    step("release", "release", "week_1", cwd=course)
    step("release --check", "release", "--check", cwd=course)
    validated = step("validate", "validate", "week_1", "--jobs", "2", cwd=course)
    assert "catch rate: 2/2 bugs = 100.0%; false failures: 0" in validated.stdout, validated.stdout

    # 4. Grade: the master scores full marks, a student with a zoo bug loses that question only.
    release = nbformat.read(course / "assignments" / "week_1" / "week_1.ipynb", as_version=4)
    submitted = base / "submitted"
    submitted.mkdir()
    nbformat.write(fill_solutions(release, {"mean_abs_error": "def mean_abs_error(layer_2, y):\n"
                                            "    return float(np.mean(np.abs(layer_2 - y)))",
                                            "max_abs_error": "def max_abs_error(layer_2, y):\n"
                                            "    return float(np.max(layer_2 - y))"}), submitted / "ann.ipynb")
    shutil.copy(course / "solutions" / "week_1" / "week_1.ipynb", submitted / "master.ipynb")
    step("grade", "grade", str(submitted), "--out", str(base / "grades"), "--quiet", cwd=course)
    record = json.loads((base / "grades" / "ann" / "record.json").read_text())
    scores = {q["id"]: q["score"] for q in record["questions"]}
    assert scores == {"q1_mean_abs_error": 20, "q2_max_abs_error": 0}
    assert "largest signed miss" in (base / "grades" / "ann" / "feedback.md").read_text()
    master = json.loads((base / "grades" / "master" / "record.json").read_text())
    assert master["total"] == master["max_total"] == 30
    # 5. What a student runs: the visible tests.
    checked = step("check", "check", str(submitted / "ann.ipynb"), cwd=course, ok=(1,))
    assert "q1_mean_abs_error  pass" in checked.stdout and "q2_max_abs_error   FAIL" in checked.stdout
    return seconds


@pytest.mark.slow
def test_the_authoring_guide_end_to_end(tmp_path):
    started = time.monotonic()
    seconds = walk(tmp_path)
    print(f"\nauthoring walk-through: {time.monotonic() - started:.1f} s wall; "
          + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))


def test_the_guide_shows_the_edits_this_test_makes():
    text = DOC.read_text()
    for snippet in (Q2_MASTER, Q2_TOML, Q2_SUITE):
        for line in snippet.strip().splitlines():
            if line.strip() and not line.startswith("r'''") and "'''" not in line:
                assert line in text, f"docs/authoring.md lacks the line {line!r}"
    for topic in ("call_many", "student.train", "student.has", "student.artifacts", "expect_close",
                  "example_of", "rng", "keyed", "bugzoo.py", "styles.py", "also_loses",
                  "never appear in feedback", "gdkit validate", "default_assignment", "[limits]"):
        assert topic in text, f"docs/authoring.md does not cover {topic}"


def test_init_writes_the_course_files_and_refuses_to_overwrite(tmp_path):
    course = tmp_path / "c"
    written = scaffold.init(course)
    assert sorted(p.relative_to(course).as_posix() for p in written) == [
        ".gitignore", "README.md", "gdkit.toml", "nbgrader_config.py", "solutions/jupytext.toml"]
    assert (course / "assignments").is_dir() and (course / "autograder").is_dir()
    assert 'name = "c"' in (course / "gdkit.toml").read_text()
    with pytest.raises(Exception, match="is a course already"):
        scaffold.init(course)
    other = tmp_path / "d"
    other.mkdir()
    (other / "README.md").write_text("mine")
    with pytest.raises(Exception, match="README.md exists already.*nothing was written"):
        scaffold.init(other)
    assert sorted(p.name for p in other.iterdir()) == ["README.md"] and (other / "README.md").read_text() == "mine"


def test_the_repository_is_what_init_makes_of_the_bundled_course():
    # One template for every course: this repository's gdkit.toml and nbgrader_config.py are its own.
    assert (REPO / "gdkit.toml").read_text() == scaffold._render(
        "course/gdkit.toml.j2", name="gradient-descent", default_assignment="gradient_descent")
    assert (REPO / "nbgrader_config.py").read_text() == scaffold._render(
        "course/nbgrader_config.py.j2", course_id="gdkit", ignore=IGNORED)
    assert (REPO / "solutions" / "jupytext.toml").read_text() == twin.JUPYTEXT_TOML


@pytest.mark.slow
def test_init_example_copies_the_bundled_assignments_and_grades_them(tmp_path):
    run("init", "course", "--example", cwd=tmp_path)
    course = tmp_path / "course"
    copied = sorted(p.relative_to(course).as_posix() for p in course.rglob("*")
                    if p.is_file() and p.parts[len(course.parts)] in ("solutions", "assignments", "autograder", "examples"))
    assert "solutions/gradient_descent/gradient_descent.master.py" in copied and "examples/make_examples.py" in copied
    assert "autograder/tuning/bugzoo.py" in copied and "examples/submissions/gina.ipynb" in copied
    for rel in copied:
        assert (course / rel).read_bytes() == (REPO / rel).read_bytes(), rel
    assert not any("__pycache__" in rel for rel in copied)
    assert run("release", "--check", cwd=course).stdout.strip() == "assignments/ is up to date"
    run("grade", "--out", "grades", "--quiet", cwd=course)  # default_assignment: gradient_descent
    with open(course / "grades" / "grades.csv", newline="") as f:
        status = {row["student"]: (row["total"], row["status"]) for row in csv.DictReader(f)}
    assert status["alice"] == ("100", "ok") and status["frank"] == ("0", "ok") and status["gina"][1] == "invalid-json"


@pytest.mark.parametrize("name, words", [
    ("Week1", "must start with a lower-case letter"),
    ("1st", "must start with a lower-case letter"),
    ("a-b", "must start with a lower-case letter"),
    ("", "must start with a lower-case letter"),
])
def test_new_refuses_bad_names(tmp_path, name, words):
    scaffold.init(tmp_path / "c")
    with pytest.raises(Exception, match=words):
        scaffold.new(name, tmp_path / "c")


@pytest.mark.slow  # several gdkit commands in subprocesses
def test_new_refuses_an_existing_assignment_and_commands_say_so_in_one_line(tmp_path):
    scaffold.init(tmp_path / "c")
    scaffold.new("week_1", tmp_path / "c")
    done = run("new", "week_1", cwd=tmp_path / "c", ok=(2,))
    assert done.stderr.count("\n") == 1 and "exists already" in done.stderr
    done = run("new", "week_2", cwd=tmp_path, ok=(2,))
    assert "no course here" in done.stderr and "gdkit init" in done.stderr
    # A course with one assignment grades it without --assignment; two need it (or a default).
    scaffold.new("week_2", tmp_path / "c")
    done = run("grade", "--out", "g", cwd=tmp_path / "c", ok=(2,))
    assert "several assignments (week_1, week_2): pass --assignment" in done.stderr


def test_a_new_master_round_trips_through_its_twin(tmp_path):
    scaffold.init(tmp_path / "c")
    scaffold.new("week_1", tmp_path / "c", title="Errors")
    master = tmp_path / "c" / "solutions" / "week_1" / "week_1.ipynb"
    nb = nbformat.read(master, as_version=4)
    assert nb.cells[0].source.startswith("# Errors") and twin.in_sync(master)
    graded = [c.metadata["nbgrader"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert graded == [{"grade": True, "grade_id": "q1_mean_abs_error", "locked": True, "points": 10,
                       "schema_version": 3, "solution": False, "task": False}]
    assert any(c.metadata.get("tags") == ["experiment"] for c in nb.cells)
