"""`gdkit check`: the visible tests only, run in the sandbox against the pristine release tests."""
import copy
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from gdkit import check, submissions

ASSIGNMENT = "gradient_descent"


@pytest.fixture(scope="module")
def release():
    return nbformat.read(submissions.release_path(ASSIGNMENT), as_version=4)


@pytest.fixture(scope="module")
def answers():
    return submissions.master_answers(ASSIGNMENT)


def write(tmp_path, nb, name="gradient_descent.ipynb"):
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def run_cli(path):
    return subprocess.run([sys.executable, "-m", "gdkit.cli", "check", str(path)], capture_output=True, text=True)


def test_master_answers_pass_every_visible_test(tmp_path, release, answers):
    done = run_cli(write(tmp_path, submissions.fill_solutions(release, answers)))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 of 6 questions pass" in done.stdout


def test_blank_release_fails_with_a_plain_reason(tmp_path, release):
    results = check.check_notebook(write(tmp_path, release))
    assert results and not any(r.passed for r in results)
    assert all("NotImplementedError" in r.message for r in results)


def test_a_wrong_sign_fails_its_own_question_only(tmp_path, release, answers):
    wrong = dict(answers)
    wrong["update_synapses"] = answers["update_synapses"].replace("-", "+")
    results = {r.question: r for r in check.check_notebook(write(tmp_path, submissions.fill_solutions(release, wrong)))}
    assert not results["q4_update_synapses"].passed
    assert results["q1_sigmoid_derivative"].passed and results["q6_detect_divergence"].passed


def test_editing_the_test_cells_does_not_help(tmp_path, release):
    nb = copy.deepcopy(release)  # the fixture is shared by the module's tests
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade") and not cell.metadata.nbgrader.get("solution"):
            cell.source = "pass"
    results = check.check_notebook(write(tmp_path, nb))
    assert not any(r.passed for r in results)


def test_output_never_shows_hidden_tests(tmp_path, release):
    done = run_cli(write(tmp_path, release))
    hidden = Path(submissions.release_path(ASSIGNMENT)).parents[2] / "autograder" / ASSIGNMENT
    for suite in hidden.glob("test_*.py"):
        for line in suite.read_text().splitlines():
            line = line.strip()
            if len(line) > 30 and not line.startswith(("#", '"""', "import", "from")):
                assert line not in done.stdout


def test_bad_input_is_one_line(tmp_path):
    (tmp_path / "junk.ipynb").write_bytes(b"\x00\xff\x00 not a notebook")
    for path in (tmp_path / "missing.ipynb", tmp_path / "junk.ipynb"):
        done = run_cli(path)
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_without_the_course_the_notebooks_own_tests_run_unless_edited(tmp_path, release, answers):
    """A student handed only the release: no autograder/ anywhere, the notebook's own test cells
    are used, and nbgrader's checksums expose an edited one."""
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("GDKIT_COURSE", "GDKIT_ROOT")}
    nb = copy.deepcopy(submissions.fill_solutions(release, answers))
    path = write(tmp_path, nb)
    done = subprocess.run([sys.executable, "-m", "gdkit.cli", "check", str(path)], capture_output=True,
                          text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0 and "6 of 6 questions pass" in done.stdout, done.stdout + done.stderr
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id") == "q4_update_synapses":
            cell.source = "pass"  # a student "fixing" the test instead of the code
    done = subprocess.run([sys.executable, "-m", "gdkit.cli", "check", str(write(tmp_path, nb))],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 1
    line = next(l for l in done.stdout.splitlines() if l.startswith("q4_update_synapses"))
    assert "FAIL" in line and "edited" in line
