"""`gdkit check`: the visible tests only, run in the sandbox (or, off Linux, a plain child Python)
against the pristine release tests; nbgrader's checksums without nbgrader."""
import copy
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from gdkit import check, submissions
from gdkit.sandbox.limits import Limits

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


@pytest.mark.slow  # a real check of a notebook (subprocesses, workers): seconds
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


@pytest.mark.slow  # a real check of a notebook (subprocesses, workers): seconds
def test_editing_the_test_cells_does_not_help(tmp_path, release):
    nb = copy.deepcopy(release)  # the fixture is shared by the module's tests
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade") and not cell.metadata.nbgrader.get("solution"):
            cell.source = "pass"
    results = check.check_notebook(write(tmp_path, nb))
    assert not any(r.passed for r in results)


@pytest.mark.slow  # a real check of a notebook (subprocesses, workers): seconds
def test_output_never_shows_hidden_tests(tmp_path, release):
    done = run_cli(write(tmp_path, release))
    hidden = Path(submissions.release_path(ASSIGNMENT)).parents[2] / "autograder" / ASSIGNMENT
    for suite in hidden.glob("test_*.py"):
        for line in suite.read_text().splitlines():
            line = line.strip()
            if len(line) > 30 and not line.startswith(("#", '"""', "import", "from")):
                assert line not in done.stdout


@pytest.mark.slow  # a real check of a notebook (subprocesses, workers): seconds
def test_bad_input_is_one_line(tmp_path):
    (tmp_path / "junk.ipynb").write_bytes(b"\x00\xff\x00 not a notebook")
    for path in (tmp_path / "missing.ipynb", tmp_path / "junk.ipynb"):
        done = run_cli(path)
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


@pytest.mark.slow  # a real check of a notebook (subprocesses, workers): seconds
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


# ---- nbgrader's checksum without nbgrader ----

def _all_nbgrader_cells():
    from gdkit.course import Course

    course = Course.at(Path(__file__).resolve().parents[1])
    for name in course.masters():
        for path in (course.master_path(name), course.release_path(name)):
            for cell in nbformat.read(path, as_version=4).cells:
                if "nbgrader" in cell.metadata:
                    yield cell


@pytest.mark.slow  # a real check of a notebook (subprocesses, workers): seconds
def test_own_checksum_equals_nbgraders_on_every_cell_and_on_odd_metadata():
    from nbgrader.utils import compute_checksum

    from gdkit.checksum import cell_checksum

    cells = list(_all_nbgrader_cells())
    assert len(cells) > 40
    for cell in cells:
        assert cell_checksum(cell) == compute_checksum(cell)
    released = [c for c in cells if c.metadata.nbgrader.get("checksum")]
    assert released and all(cell_checksum(c) == c.metadata.nbgrader["checksum"] for c in released)
    # Metadata as people write it by hand: flags that are not bools, int points, missing flags,
    # unicode, markdown grade cells, an empty source.
    odd = [
        {"grade": 1, "solution": 0, "grade_id": "a", "points": 3},
        {"grade": False, "solution": False, "locked": "yes", "grade_id": "b"},
        {"grade": True, "solution": True, "grade_id": "c", "points": 2.5},
        {"grade_id": "d"},
        {"grade": True, "grade_id": "é-ü", "points": "4"},
    ]
    for index, meta in enumerate(odd):
        for cell_type, source in (("code", "x = 'αβγ'\nassert x"), ("markdown", ""), ("code", "  \n")):
            cell = nbformat.v4.new_code_cell(source) if cell_type == "code" else nbformat.v4.new_markdown_cell(source)
            cell.metadata["nbgrader"] = dict(meta)
            assert cell_checksum(cell) == compute_checksum(cell), (index, cell_type)
    changed = copy.deepcopy(released[0])
    changed.source += " "
    assert cell_checksum(changed) != released[0].metadata.nbgrader["checksum"]


@pytest.mark.slow  # a real check of a notebook (subprocesses, workers): seconds
def test_checking_a_handed_out_notebook_imports_no_nbgrader(tmp_path, release, answers):
    """A student's lean install (no nbgrader, Jupyter, matplotlib, jupytext): blocked here by
    stand-in packages that refuse to import."""
    import os

    blocked = tmp_path / "blocked"
    for name in ("nbgrader", "matplotlib", "jupytext", "nbclient", "yaml", "notebook", "jupyterlab"):
        (blocked / name).mkdir(parents=True)
        (blocked / name / "__init__.py").write_text(f"raise ImportError('{name} is not in the lean install')\n")
    env = {k: v for k, v in os.environ.items() if k not in ("GDKIT_COURSE", "GDKIT_ROOT")}
    env["PYTHONPATH"] = os.pathsep.join([str(blocked), env.get("PYTHONPATH", "")])
    path = write(tmp_path, submissions.fill_solutions(release, answers))
    for extra in ([], ["--no-sandbox"]):
        done = subprocess.run([sys.executable, "-m", "gdkit.cli", "check", str(path), *extra], capture_output=True,
                              text=True, env=env, cwd=tmp_path, timeout=120)
        assert done.returncode == 0 and "6 of 6 questions pass" in done.stdout, done.stdout + done.stderr


# ---- without the sandbox (macOS, Windows, or --no-sandbox) ----

@pytest.mark.slow  # a real check of a notebook (subprocesses, workers): seconds
def test_no_sandbox_runs_the_same_checks_and_says_so_in_one_line(tmp_path, release, answers):
    wrong = dict(answers)
    wrong["update_synapses"] = answers["update_synapses"].replace("-", "+")
    filled = write(tmp_path, submissions.fill_solutions(release, wrong))
    sandboxed = {r.question: (r.passed, r.message) for r in check.check_notebook(filled, sandbox=True)}
    plain = {r.question: (r.passed, r.message) for r in check.check_notebook(filled, sandbox=False)}
    assert plain == sandboxed and not plain["q4_update_synapses"][0] and plain["q1_sigmoid_derivative"][0]
    done = subprocess.run([sys.executable, "-m", "gdkit.cli", "check", str(filled), "--no-sandbox"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "q4_update_synapses     FAIL" in done.stdout
    assert done.stderr.strip().splitlines() == [
        "gdkit check: no sandbox (asked for): your notebook runs in a plain child Python, 10 s per cell; "
        "the grader runs it in its sandbox"]
    blank = {r.question: r for r in check.check_notebook(write(tmp_path, release, "blank.ipynb"), sandbox=False)}
    assert all(not r.passed and "NotImplementedError" in r.message for r in blank.values())


def test_off_linux_the_check_is_unsandboxed_by_default(tmp_path, release, answers, monkeypatch, capsys):
    from gdkit.cli import main

    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr("platform.system", lambda: "Darwin")
    monkeypatch.setattr("gdkit.grading.student.start_zygote", None)  # the sandbox must not even be started
    assert main(["check", str(write(tmp_path, submissions.fill_solutions(release, answers)))]) == 0
    out, err = capsys.readouterr()
    assert "6 of 6 questions pass" in out
    assert err.strip() == ("gdkit check: no sandbox (Darwin has none): your notebook runs in a plain child "
                           "Python, 10 s per cell; the grader runs it in its sandbox")


@pytest.mark.slow  # a real check of a notebook (subprocesses, workers): seconds
def test_no_sandbox_interrupts_a_slow_cell_and_survives_printing_and_exit(tmp_path, release, answers):
    nb = submissions.fill_solutions(release, answers)
    slow = nbformat.v4.new_code_cell("import time\nprint('{\"test\": \"q1_sigmoid_derivative\", \"ok\": true}')\n"
                                     "while True:\n    time.sleep(0.01)")
    nb.cells.insert(3, slow)
    path = write(tmp_path, nb)
    results = {r.question: r for r in check.check_notebook(path, limits=Limits(timeout=1.0), sandbox=False)}
    assert all(r.passed for r in results.values()), [r.message for r in results.values()]
    # A notebook that exits the interpreter: every check says so, none passes.
    nb.cells[3] = nbformat.v4.new_code_cell("import os\nos._exit(3)")
    results = check.check_notebook(write(tmp_path, nb), sandbox=False)
    assert results and all(not r.passed and "ended the check early" in r.message for r in results)
    # A function that hangs fails the visible tests that call it, and only those.
    hanging = dict(answers, sigmoid_output_to_derivative="def sigmoid_output_to_derivative(output):\n"
                                                         "    while True:\n        pass")
    results = {r.question: r for r in check.check_notebook(
        write(tmp_path, submissions.fill_solutions(release, hanging)), limits=Limits(timeout=1.0), sandbox=False)}
    assert results["q1_sigmoid_derivative"].message == "Timeout: took longer than 1 s"
    assert results["q4_update_synapses"].passed and results["q6_detect_divergence"].passed


@pytest.mark.slow
def test_the_startup_economy_leaves_alone_what_others_import():
    """gdkit.startup marks only libraries that jsonschema alone imports (checked against what is
    installed here): anything else could break an instructor command that needs it."""
    import importlib.util
    import re
    import sysconfig

    from gdkit.startup import UNUSED_BY_NBFORMAT

    site = Path(sysconfig.get_paths()["purelib"])
    for name in UNUSED_BY_NBFORMAT:
        if importlib.util.find_spec(name) is None:
            continue
        importer = re.compile(rf"^\s*(import|from) {name}\b", re.M)
        users = {p.relative_to(site).parts[0] for p in site.rglob("*.py")
                 if p.relative_to(site).parts[0] not in (name, "jsonschema")
                 and importer.search(p.read_text(errors="replace"))}
        assert not users, f"{name} is imported by {sorted(users)} too"


@pytest.mark.slow  # a real check of a notebook with a cell that runs past 1 s
def test_no_sandbox_interrupts_a_slow_cell_when_the_parent_ignores_sigint(tmp_path, release, answers):
    """A background job of a script (or nohup, or a CI runner) starts with SIGINT ignored, and a
    child Python inherits that: the check's watchdog must still interrupt a slow cell."""
    import signal

    nb = submissions.fill_solutions(release, answers)
    nb.cells.insert(3, nbformat.v4.new_code_cell("import time\nwhile True:\n    time.sleep(0.01)"))
    path = write(tmp_path, nb)
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        results = check.check_notebook(path, limits=Limits(timeout=1.0), sandbox=False)
    finally:
        signal.signal(signal.SIGINT, before)
    assert results and all(r.passed for r in results), [r.message for r in results]
