"""The kit as a real nbgrader course in a scratch folder: generate, submit, autograde, read grades.

Used by the parity test (nbgrader's per-question points equal ``gdkit grade``'s) and by the
grading benchmark. Everything goes through nbgrader itself: its command line for
``generate_assignment`` and ``autograde`` (so the course layout, the gradebook database and
the kernel are nbgrader's own), and its ``Gradebook`` API to read the scores back.

    course = make_course(tmp, "gradient_descent", {"alice": Path("alice.ipynb"), ...})
    result = course.autograde(timeout=60)
    result.scores["alice"]["q1_sigmoid_derivative"]  # points nbgrader recorded
    result.seconds                                   # wall time of `nbgrader autograde`
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from gdkit import assignments
from gdkit.course import MARKER
from gdkit.errors import GdkitError
from gdkit.release import IGNORED, SOURCE_DIR, find_root

_CONFIG = """\
# Written by gdkit.nbgrader_course: a scratch nbgrader course made from the gdkit kit.
c = get_config()  # noqa: F821 - provided by nbgrader
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "gdkit-scratch"
c.CourseDirectory.db_url = {db_url!r}
"""


@dataclass
class Autograded:
    """What one ``nbgrader autograde`` run gave."""

    scores: dict[str, dict[str, float]]   # student -> {question id (grade cell id): points}
    seconds: float                        # wall time of the autograde command
    ungraded: dict[str, str] = field(default_factory=dict)  # student -> why nbgrader recorded nothing
    returncode: int = 0
    log: str = ""                         # nbgrader's own output (it logs to stderr)


@dataclass
class Course:
    """A scratch nbgrader course holding one assignment and its submissions."""

    root: Path
    assignment: str
    notebook: str                  # the notebook's file name, e.g. gradient_descent.ipynb
    students: list[str]
    kit_root: Path

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'gradebook.db'}"

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """Run ``nbgrader ARGS...`` in the course; the kernels it starts can import the kit."""
        env = {k: v for k, v in os.environ.items() if k not in ("GDKIT_COURSE", "GDKIT_ROOT")}
        # The kernels find the hidden suites through the course (a bare folder of suites: the old name).
        env["GDKIT_COURSE" if (self.kit_root / MARKER).is_file() else "GDKIT_ROOT"] = str(self.kit_root)
        return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=self.root, env=env,
                              capture_output=True, text=True, timeout=timeout)

    def autograde(self, timeout: float = 60) -> Autograded:
        """``nbgrader autograde`` every submission; ``timeout`` is nbgrader's per-cell limit."""
        started = time.monotonic()
        done = self.run("autograde", self.assignment, "--force", f"--Execute.timeout={int(timeout)}",
                        timeout=max(600, 60 * timeout))
        seconds = time.monotonic() - started
        scores = self.scores()
        log = done.stdout + done.stderr
        ungraded = {s: _reason(log, s) for s in self.students if s not in scores}
        return Autograded(scores, seconds, ungraded, done.returncode, log)

    def scores(self) -> dict[str, dict[str, float]]:
        """Per-question points of every autograded submission, from nbgrader's gradebook."""
        from nbgrader.api import Gradebook, MissingEntry

        notebook_id = Path(self.notebook).stem
        out = {}
        with Gradebook(self.db_url) as gradebook:
            for student in self.students:
                try:
                    submitted = gradebook.find_submission_notebook(notebook_id, self.assignment, student)
                except MissingEntry:
                    continue
                # A notebook nbgrader could not run still gets grade rows, with no auto score:
                # that is "not graded", not zero points.
                if any(grade.auto_score is not None for grade in submitted.grades):
                    out[student] = {grade.name: float(grade.score) for grade in submitted.grades}
        return out


def _reason(log: str, student: str) -> str:
    """nbgrader's error lines about one student (it names them in its log), or a fallback."""
    lines = [line.strip() for line in log.splitlines() if student in line and "ERROR" in line]
    return lines[0] if lines else "nbgrader recorded no grades for this submission"


def make_course(tmpdir, assignment: str, submissions: dict[str, Path], *, kit_root: Path | None = None) -> Course:
    """Build ``tmpdir`` into an nbgrader course for ``assignment`` and hand in ``submissions``.

    Lays out ``source/<assignment>/`` (the kit's master), runs ``nbgrader generate_assignment``
    (which also fills the gradebook with the master's cells, hidden tests included, for
    autograde to restore), and copies each submission to
    ``submitted/<student>/<assignment>/<notebook>`` as nbgrader's collect step would.
    """
    kit_root = find_root(kit_root)
    definition = assignments.load(assignment, kit_root)
    root = Path(tmpdir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(kit_root / SOURCE_DIR / assignment, root / "source" / assignment,
                    ignore=shutil.ignore_patterns(*IGNORED))  # never the master's text twin
    course = Course(root, assignment, definition.notebook, sorted(submissions), kit_root)
    (root / "nbgrader_config.py").write_text(_CONFIG.format(root=str(root), db_url=course.db_url))
    done = course.run("generate_assignment", assignment, "--force")
    if done.returncode != 0 or not (root / "release" / assignment / definition.notebook).is_file():
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        raise GdkitError(f"nbgrader generate_assignment failed for {assignment}: " + " | ".join(tail))
    for student, path in submissions.items():
        target = root / "submitted" / student / assignment / definition.notebook
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return course
