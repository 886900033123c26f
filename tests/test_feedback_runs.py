"""Feedback written by real `gdkit grade` runs of a small course: a late penalty reaches
feedback.md, feedback.html and results.json (raw score, penalty, final score; the raw score
never as if final), and a cell that runs past the time limit while the notebook loads is
skipped and named in the feedback, with the rest of the notebook graded."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from minicourse import notebook, write_course

pytestmark = pytest.mark.slow  # each test runs gdkit grade (one or two grader processes)

SUITE = '''
import pytest
from gdkit.grading.checks import Fail


@pytest.mark.question("q1")
def test_double(student):
    """doubles a number"""
    if student.call("double", 3.0) != 6.0:
        raise Fail("double(x) must return 2 * x")
'''
TOML = 'name = "mini"\nnotebook = "mini.ipynb"\n[[questions]]\nid = "q1"\npoints = 50\nfunctions = ["double"]\n'
LATE = '''
[late]
due = 2025-03-01T23:59:00Z
penalty = 10
'''


def gdkit(*args: str, course: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("GDKIT_ROOT", "GDKIT_COURSE")}
    return subprocess.run([sys.executable, "-m", "gdkit.cli", *args, "--course", str(course)], capture_output=True,
                          text=True, timeout=300, env=env)


def read(folder: Path) -> tuple[str, str, dict]:
    return ((folder / "feedback.md").read_text(), (folder / "feedback.html").read_text(),
            json.loads((folder / "results.json").read_text()))


def test_a_late_penalty_reaches_what_the_student_reads(tmp_path):
    root = write_course(tmp_path / "course", TOML, SUITE)
    (root / "gdkit.toml").write_text('[course]\nname = "mini"\n' + LATE)
    folder = tmp_path / "submitted" / "cy" / "mini"
    folder.mkdir(parents=True)
    (folder / "mini.ipynb").write_text(notebook("def double(x):\n    return 2 * x\n"))
    (folder / "timestamp.txt").write_text("2025-03-04 00:30:00.000000 UTC")  # third day started: 30% of 50
    out = tmp_path / "out"
    done = gdkit("grade", str(tmp_path / "submitted"), "-a", "mini", "--out", str(out), "--quiet", course=root)
    assert done.returncode == 0, done.stderr
    md, page, results = read(out / "cy")
    line = ("Submitted 2025-03-04 00:30 UTC, 2 days 31 minutes after the due date (2025-03-01 23:59 UTC): "
            "late penalty 15 points (raw score 50 / 50, final score 35 / 50).")
    assert "**Score: 35 / 50** after a late penalty of 15 points (raw score 50 / 50)" in md and line in md
    assert "<b>Score: 35 / 50</b> after a late penalty of 15 points" in page and line in page
    assert results["score"] == 35 and line in results["output"]
    assert "Score: 50" not in md + page

    (root / "gdkit.toml").write_text('[course]\nname = "mini"\n')  # the policy removed: raw scores back
    done = gdkit("grade", str(tmp_path / "submitted"), "-a", "mini", "--out", str(out), "--quiet", course=root)
    assert done.returncode == 0, done.stderr
    md, page, results = read(out / "cy")
    assert "**Score: 50 / 50**\n" in md and "late" not in md.lower() and results["score"] == 50
    assert "late" not in results.get("output", "").lower()


def test_a_slow_cell_is_skipped_and_named(tmp_path):
    root = write_course(tmp_path / "course", TOML, SUITE)
    (root / "gdkit.toml").write_text('[course]\nname = "mini"\n')
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# mini"),
                nbformat.v4.new_code_cell("def double(x):\n    return 2 * x\n"),
                nbformat.v4.new_code_cell("# my own sweep\nimport time\nfor step in range(100):\n    time.sleep(1)\n"),
                nbformat.v4.new_code_cell("tripled = 3")]
    subs = tmp_path / "subs"
    subs.mkdir()
    nbformat.write(nb, subs / "dee.ipynb")
    out = tmp_path / "out"
    done = gdkit("grade", str(subs), "-a", "mini", "--out", str(out), "--quiet", "--timeout", "1", course=root)
    assert done.returncode == 0, done.stderr
    md, page, results = read(out / "dee")
    assert "**Score: 50 / 50**" in md  # the rest of the notebook was graded
    notice = "cell 3 (`import time`): this cell ran past the 1 s limit and was skipped"
    assert md.count(notice) == 1 and "Cells skipped while your notebook loaded" in md
    assert "cell 3 (<code>import time</code>): this cell ran past the 1 s limit" in page
    assert "Cells skipped while your notebook loaded: cell 3 (import time)" in results["output"]
    assert "raised an error" not in md  # a skip is a notice, not an error of the student's
