"""The wheel students get (`gdkit export student-kit`): the kit without any course's answers,
and `gdkit check` working from it alone."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from gdkit.course import Course
from gdkit.export import student_kit
from gdkit.submissions import fill_solutions, master_answers

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # builds a wheel with pip
def test_student_wheel_holds_no_course_and_checks_a_notebook(tmp_path):
    wheel = student_kit.build(tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    assert "gdkit/cli.py" in names and "gdkit/check.py" in names
    assert not [n for n in names if n.startswith(student_kit.FORBIDDEN) or n.endswith(".ipynb")]
    assert not [n for n in names if "test_gd_" in n or "bugzoo" in n]  # no hidden suite by any path
    # nor the reference answers, nor the hidden suites' helpers (with the seeding scheme and a
    # default seed, hidden inputs could be redrawn offline), nor the grading machinery
    for left_out in ("gdkit/network.py", "gdkit/experiments.py", "gdkit/grading/randomness.py",
                     "gdkit/grading/diagnose.py", "gdkit/grading/runner.py", "gdkit/export/gradescope.py"):
        assert left_out not in names, left_out
    assert "gdkit/STUDENT_KIT" in names
    # Install it on its own (the environment's numpy etc. serve its dependencies) and check a
    # filled release in a folder that is no course: the notebook's own visible tests run.
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True)
    course = Course.at(REPO)
    release = nbformat.read(course.release_path("gradient_descent"), as_version=4)
    work = tmp_path / "student"
    work.mkdir()
    nbformat.write(fill_solutions(release, master_answers("gradient_descent", REPO)), work / "mine.ipynb")
    env = {k: v for k, v in os.environ.items() if k not in ("GDKIT_COURSE", "GDKIT_ROOT")}
    env["PYTHONPATH"] = str(target)
    done = subprocess.run([sys.executable, "-c", "import gdkit.cli, sys; print(gdkit.__file__, file=sys.stderr); "
                           "sys.exit(gdkit.cli.main(['check', 'mine.ipynb']))"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert str(target) in done.stderr, done.stderr  # the wheel's kit ran, not the checkout's
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 of 6 questions pass their visible tests" in done.stdout
    # a notebook that fails (the release as handed out): the findings need nothing left out
    nbformat.write(release, work / "blank.ipynb")
    done = subprocess.run([sys.executable, "-m", "gdkit.cli", "check", "blank.ipynb"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stdout + done.stderr
    assert "0 of 6 questions pass" in done.stdout, done.stdout
    # an instructor's command says in one line what the student kit is
    done = subprocess.run([sys.executable, "-m", "gdkit.cli", "experiment", "alpha-sweep"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "student kit" in done.stderr, done.stderr


def test_a_wheel_with_course_content_is_refused(tmp_path):
    bad = tmp_path / "gdkit-0-py3-none-any.whl"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("gdkit/cli.py", "")
        zf.writestr("gdkit/bundled_course/solutions/x.ipynb", "{}")
    from gdkit.errors import GdkitError

    with pytest.raises(GdkitError, match="course content"):
        student_kit.check(bad)
