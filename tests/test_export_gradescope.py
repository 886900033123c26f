"""The Gradescope bundle, end to end: build the zip, unpack it into a stand-in for /autograder,
run its own run_autograder with the kit it carries, and hold results.json to Gradescope's spec
and to `gdkit grade`'s scores on the same notebooks."""
import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from gdkit import submissions

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "gradient_descent"
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def gdkit(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "gdkit.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    result = gdkit("export", "gradescope", "--assignment", ASSIGNMENT, "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def unpack(bundle: Path, root: Path) -> Path:
    """The /autograder layout Gradescope builds: source/ = the zip, run_autograder copied up."""
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
        for info in zf.infolist():  # zipfile drops the mode bits; Gradescope keeps them
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777 or 0o644)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    return root


def run_autograder(root: Path, python=sys.executable) -> dict:
    # The bundle's own copy of the kit runs, not the checkout's: it must be complete.
    env = {**os.environ, "GDKIT_AUTOGRADER_ROOT": str(root), "GDKIT_AUTOGRADER_PYTHON": python,
           "PYTHONPATH": str(root / "source" / "kit" / "src")}
    env.pop("GDKIT_ROOT", None)
    proc = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads((root / "results" / "results.json").read_text())


FORMATS = {"text", "html", "simple_format", "md", "ansi"}


def assert_spec(results: dict) -> None:
    """Gradescope's results.json format (its autograder specification): a numeric top-level
    score; per test an optional score/max_score (an unscored test is an informational check
    with a status), name, output, visibility; every format one of Gradescope's."""
    assert isinstance(results["score"], (int, float)) and not isinstance(results["score"], bool)
    assert results.get("visibility", "visible") in VISIBILITY
    assert results.get("stdout_visibility", "hidden") in VISIBILITY
    for key in ("output_format", "test_output_format", "test_name_format"):
        assert results.get(key, "text") in FORMATS
    assert isinstance(results.get("output", ""), str)
    assert isinstance(results["tests"], list)
    scored = [t for t in results["tests"] if "score" in t]
    for test in results["tests"]:
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test.get("output", ""), str)
        assert test.get("visibility", results.get("visibility", "visible")) in VISIBILITY
        assert test.get("status", "passed") in ("passed", "failed")
        if "score" in test:
            assert isinstance(test["score"], (int, float)) and isinstance(test["max_score"], (int, float))
            assert 0 <= test["score"] <= test["max_score"]
        else:
            assert "status" in test  # an unscored entry must say whether it passed
    if scored:
        assert results["score"] == pytest.approx(sum(t["score"] for t in scored))


def visible_text(results: dict) -> str:
    """Everything a student sees before grades are published: the top-level output and every
    test shown at once (its own visibility, else the top level's)."""
    shown = [results.get("output", "")]
    for test in results["tests"]:
        if test.get("visibility", results.get("visibility", "visible")) == "visible":
            shown += [test["name"], test.get("output", "")]
    return "\n".join(shown)


def test_bundle_holds_the_kit_and_this_suite_but_no_solutions(bundle):
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
        notebooks = b"".join(zf.read(n) for n in names if n.endswith(".ipynb"))
    assert {"setup.sh", "run_autograder"} <= set(names)  # at the zip's root, as the spec requires
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert "kit/pyproject.toml" in names and "kit/src/gdkit/grading/runner.py" in names
    assert f"course/autograder/{ASSIGNMENT}/assignment.toml" in names
    assert f"course/assignments/{ASSIGNMENT}/{ASSIGNMENT}.ipynb" in names
    assert not [n for n in names if n.startswith("solutions/") or "/solutions/" in n]
    assert not [n for n in names if n.startswith("course/") and "/tuning/" in n]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    # no master notebook slipped in (the kit's scaffold templates for `gdkit new` may quote the markers)
    assert notebooks and b"### BEGIN SOLUTION" not in notebooks


def test_setup_sh_is_valid_bash(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as zf:
        zf.extract("setup.sh", tmp_path)
        zf.extract("run_autograder", tmp_path)
    for script in ("setup.sh", "run_autograder"):
        check = subprocess.run(["bash", "-n", str(tmp_path / script)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
    setup = (tmp_path / "setup.sh").read_text()
    assert 'pip install "$HERE/kit"' in setup


def write_notebook(path: Path, answers: dict) -> None:
    release = nbformat.read(submissions.release_path(ASSIGNMENT, REPO), as_version=4)
    nbformat.write(submissions.fill_solutions(release, answers), path)


def grade_csv_row(notebook: Path, out: Path) -> dict:
    result = gdkit("grade", str(notebook), "--assignment", ASSIGNMENT, "--out", str(out), "--quiet", "--jobs", "1")
    assert result.returncode == 0, result.stderr
    with open(out / "grades.csv") as f:
        return next(csv.DictReader(f))


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["master", "buggy"])
def test_scores_equal_gdkit_grade(bundle, tmp_path, kind):
    answers = submissions.master_answers(ASSIGNMENT, REPO)
    if kind == "buggy":  # the update climbs the slope: loses q4 and the convergence of q5
        answers["update_synapses"] = answers["update_synapses"].replace("-=", "+=").replace(" - ", " + ")
    notebook = tmp_path / "upload" / "My Notebook (2).ipynb"  # any upload name works
    notebook.parent.mkdir()
    write_notebook(notebook, answers)
    row = grade_csv_row(notebook, tmp_path / "grade-out")

    root = unpack(bundle, tmp_path / "autograder")
    shutil.copy(notebook, root / "submission" / notebook.name)
    results = run_autograder(root)
    assert_spec(results)
    assert {t["name"]: t["score"] for t in results["tests"] if "score" in t} == {
        q: float(row[q]) for q in row if q.startswith("q")}
    assert results["score"] == float(row["total"])
    assert "output" not in results    # one notebook handed in: no choice to name
    if kind == "master":
        assert results["score"] == 100
        return
    # By default a student sees each question's score and the public example at once; each
    # hidden check's name and outcome only once grades are published; never a hidden check's
    # message (hidden sizes, alphas, thresholds) before that.
    assert results["score"] < 100
    q4 = next(t for t in results["tests"] if t["name"] == "q4_update_synapses")
    assert q4["score"] < q4["max_score"] and q4["visibility"] == "visible"
    assert "checks passed" in q4["output"] and "On a small example" in q4["output"]
    checks = [t for t in results["tests"] if "score" not in t]
    assert checks and {t["visibility"] for t in checks} == {"after_published"}
    assert any(t["status"] == "failed" and t["name"].startswith("q4_update_synapses: ") for t in checks)
    record = json.loads((tmp_path / "grade-out" / notebook.stem / "record.json").read_text())
    messages = [t["message"] for q in record["questions"] for t in q["tests"] if not t["passed"]]
    assert messages
    shown = visible_text(results)
    for message in messages:
        assert message not in shown
    for words in ("hidden units", "is accepted"):  # q5's hidden runs: their sizes and thresholds
        assert words not in shown
    # and the specifics of hidden inputs (each check's detail) appear nowhere, published or not
    details = [t["detail"] for q in record["questions"] for t in q["tests"] if t.get("detail")]
    assert details
    for detail in details:
        assert detail not in json.dumps(results)


@pytest.mark.slow
def test_ungradable_submissions_still_get_results(bundle, tmp_path):
    root = unpack(bundle, tmp_path / "autograder")
    # no notebook at all
    (root / "submission" / "notes.txt").write_text("forgot the notebook")
    results = run_autograder(root)
    assert_spec(results)
    assert results["score"] == 0 and "no notebook" in results["output"]
    # a notebook cut short: said once, not once per question or check
    (root / "submission" / "gradient_descent.ipynb").write_text('{"cells": [')
    results = run_autograder(root)
    assert_spec(results)
    assert results["score"] == 0 and "not valid JSON" in results["output"]
    assert json.dumps(results).count("not valid JSON") == 1
    assert all("score" in t and t["output"] == "" for t in results["tests"])
    # the grader itself cannot start (a broken bundle): the shell's fallback still answers
    results = run_autograder(root, python=str(tmp_path / "no-such-python"))
    assert_spec(results)
    assert results["score"] == 0 and "could not start" in results["output"]
    # the suite's definition is broken: a crash inside the grader, reported, score 0
    (root / "source" / "course" / "autograder" / ASSIGNMENT / "assignment.toml").write_text("questions = [")
    results = run_autograder(root)
    assert_spec(results)
    assert results["score"] == 0 and "not graded" in results["output"]


@pytest.mark.slow
def test_bad_arguments_are_one_line_errors(tmp_path):
    for args, words in [(["--assignment", "nope", "--out", str(tmp_path / "a.zip")], "no assignment named"),
                        (["--assignment", ASSIGNMENT, "--out", str(tmp_path / "a.txt")], ".zip"),
                        (["--assignment", ASSIGNMENT, "--out", str(tmp_path)], "is a folder")]:
        result = gdkit("export", "gradescope", *args)
        assert result.returncode == 2 and words in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_the_seed_travels_in_the_bundle(tmp_path):
    """`--seed` reaches Gradescope: the bundle's grader draws the hidden inputs `gdkit grade --seed` draws."""
    from gdkit.export.gradescope_run import bundle_seed

    out = tmp_path / "seeded.zip"
    assert gdkit("export", "gradescope", "--assignment", ASSIGNMENT, "--out", str(out), "--seed", "77").returncode == 0
    root = unpack(out, tmp_path / "autograder")
    assert json.loads((root / "source" / "bundle.json").read_text())["seed"] == 77
    assert bundle_seed(root) == 77
    assert gdkit("export", "gradescope", "--assignment", ASSIGNMENT, "--out", str(out), "--seed", "-1").returncode == 2


def test_the_newest_notebook_of_the_right_name_is_graded(tmp_path):
    """The bundle chooses as `gdkit grade` does (gdkit.intake.choose): the notebook named like the
    assignment's in any case, the newest of those; checkpoints never; links not followed."""
    from gdkit import assignments, intake
    from gdkit.export.gradescope_results import notebook_note
    from gdkit.record import Record

    assignment = assignments.load(ASSIGNMENT, REPO)
    sub = tmp_path / "submission"
    files = {"old/gradient_descent.ipynb": 100, "GRADIENT_DESCENT.ipynb": 300, "scratch.ipynb": 400,
             "__MACOSX/gradient_descent.ipynb": 500, ".ipynb_checkpoints/gradient_descent-checkpoint.ipynb": 600,
             "._gradient_descent.ipynb": 700, ".git/gradient_descent.ipynb": 800}
    for name, when in files.items():
        (sub / name).parent.mkdir(parents=True, exist_ok=True)
        (sub / name).write_text("{}")
        os.utime(sub / name, (when, when))
    (tmp_path / "elsewhere.ipynb").write_text("{}")
    (sub / "gradient_descent.ipynb").symlink_to(tmp_path / "elsewhere.ipynb")  # never read
    chosen = intake.choose_in_folder(sub, assignment)
    assert chosen.path == sub / "GRADIENT_DESCENT.ipynb"  # newer than old/, and scratch is not named so
    assert sorted(chosen.notebook["ignored"]) == [".ipynb_checkpoints/gradient_descent-checkpoint.ipynb",
                                                  "old/gradient_descent.ipynb", "scratch.ipynb"]
    record = Record("x", ASSIGNMENT, notebook=chosen.notebook)
    assert notebook_note(record) == (
        "Graded GRADIENT_DESCENT.ipynb (the notebook named gradient_descent.ipynb, the newest of those); ignored: "
        + ", ".join(chosen.notebook["ignored"]) + ".")
    (sub / "GRADIENT_DESCENT.ipynb").unlink()
    (sub / "old" / "gradient_descent.ipynb").unlink()
    (sub / ".ipynb_checkpoints" / "gradient_descent-checkpoint.ipynb").unlink()
    chosen = intake.choose_in_folder(sub, assignment)
    assert chosen.path == sub / "scratch.ipynb" and chosen.notebook["rule"] == "the only notebook handed in"
    assert notebook_note(Record("x", ASSIGNMENT, notebook=chosen.notebook)) == ""   # no choice: nothing to say
    (sub / "scratch.ipynb").unlink()
    (sub / "notes.txt").write_text("forgot it")
    empty = intake.choose_in_folder(sub, assignment)
    why = "no notebook (.ipynb) among the files handed in (notes.txt): submit gradient_descent.ipynb"
    assert empty.problem == ("missing-file", why)
    # a name a student chose is one line of plain text in the output
    evil = Record("x", ASSIGNMENT, notebook={"graded": "a\nb<script>.ipynb", "ignored": ["c\rd.ipynb"]})
    assert notebook_note(evil) == "Graded a b<script>.ipynb; ignored: c d.ipynb."


@pytest.mark.slow
def test_visibility_detail_and_time_limit_travel_in_the_bundle(tmp_path):
    out = tmp_path / "strict.zip"
    result = gdkit("export", "gradescope", "--assignment", ASSIGNMENT, "--out", str(out), "--visibility", "hidden",
                   "--feedback", "full", "--timeout", "1")
    assert result.returncode == 0, result.stderr
    root = unpack(out, tmp_path / "autograder")
    meta = json.loads((root / "source" / "bundle.json").read_text())
    assert meta["visibility"]["checks"] == "hidden" and meta["feedback"] == "full"
    assert meta["limits"]["timeout"] == 1.0 and meta["per_student"] is False
    # a function that never returns: cut at the bundle's 1 s, reported on its checks only
    answers = submissions.master_answers(ASSIGNMENT, REPO)
    answers["sigmoid_output_to_derivative"] = "def sigmoid_output_to_derivative(output):\n    while True:\n        pass\n"
    write_notebook(root / "submission" / f"{ASSIGNMENT}.ipynb", answers)
    results = run_autograder(root)
    assert_spec(results)
    scores = {t["name"]: t["score"] for t in results["tests"] if "score" in t}
    assert scores["q1_sigmoid_derivative"] == 0 and scores["q6_detect_divergence"] == 20
    checks = [t for t in results["tests"] if "score" not in t]
    assert {t["visibility"] for t in checks} == {"hidden"}
    assert any("1 s" in t["output"] or "time" in t["output"] for t in checks if t["name"].startswith("q1_"))
    for args, words in [(["--visibility", "soon"], "is not one of"), (["--timeout", "0"], "0")]:
        bad = gdkit("export", "gradescope", "--assignment", ASSIGNMENT, "--out", str(out), *args)
        assert bad.returncode == 2 and words in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
