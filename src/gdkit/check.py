"""`gdkit check`: what a student runs before handing in — the visible tests, nothing hidden.

On Linux the student's code runs in a sandbox worker exactly as it will when graded (same
cells, same limits); then each visible test cell of the *release* (the pristine copy, so an
edited test cell in the student's notebook cannot make a check pass) runs in that namespace.
Elsewhere (macOS, Windows), or with ``sandbox=False``, the same cells run in a plain child
Python with a time limit per cell (:mod:`gdkit.check_child`): the cage protects graders, not a
student checking their own code. The hidden suite is never loaded here, so nothing of it can leak.
"""
from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from gdkit import hints, startup
from gdkit.checksum import cell_checksum
from gdkit.course import Course, locate, resolve
from gdkit.errors import GdkitError
from gdkit.sandbox.limits import DEFAULT, Limits

# Notebook reading (nbformat) is imported only once the sandbox has started, so that the two
# overlap: `gdkit check` is a command a student waits for.
startup.skip_unused_imports()

EDITED = "this test cell was edited: restore it from the release (the grader uses the original)"
NOT_WRITTEN = "not written yet (the stub still raises NotImplementedError)"


@dataclass
class CheckResult:
    question: str
    points: float
    passed: bool
    message: str = ""
    findings: list[str] = field(default_factory=list)  # what else was found (gdkit.hints), one line each


def _visible_tests(release: Path) -> dict[str, str]:
    """grade_id -> source of each visible test cell in the release (the course's own file, written
    by ``gdkit release``: read as plain JSON, without a schema check)."""
    from gdkit.notebook import is_test_cell, to_plain_python

    try:
        cells = json.loads(release.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GdkitError(f"the release {release} cannot be read ({exc}); run 'gdkit release' again") from None
    tests = {}
    for cell in cells:
        if cell.get("cell_type") == "code" and is_test_cell(cell):
            source = cell.get("source", "")
            tests[cell["metadata"]["nbgrader"]["grade_id"]] = to_plain_python(
                "".join(source) if isinstance(source, list) else source)
    return tests


def guess_assignment(path: Path, nb, course: Course) -> str:
    """The assignment a notebook belongs to: by file name, else by its test cells' ids."""
    names = course.available()
    for name in names:
        if course.assignment(name).notebook == path.name:
            return name
    ids = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.cells}
    for name in names:
        if ids & {q.id for q in course.assignment(name).questions}:
            return name
    raise GdkitError(f"cannot tell which assignment {path.name} is for; pass --assignment "
                     f"({', '.join(names) or 'none known'})")


def _course_tests(path: Path, nb, assignment_name: str | None, course: Course | None):
    """The release's visible tests and points, or None when no course is at hand."""
    if course is None or not course.available():
        return None
    assignment = course.assignment(assignment_name or guess_assignment(path, nb, course))
    release = course.release_path(assignment.name)
    if not release.is_file():
        raise GdkitError(f"the release {release} is missing; run 'gdkit release {assignment.name}'")
    points = {q.id: q.points for q in assignment.questions}
    return {qid: (source, points.get(qid, 0.0), None) for qid, source in _visible_tests(release).items()}


def _own_tests(nb) -> dict:
    from gdkit.notebook import is_test_cell, to_plain_python

    """A student without the course (only the release was handed out): the notebook's own test
    cells, each checked against the checksum nbgrader locked it with, so an edited test cell is
    reported instead of trusted."""
    tests = {}
    for cell in nb.cells:
        if cell.get("cell_type") != "code" or not is_test_cell(cell):
            continue
        meta = cell.metadata["nbgrader"]
        edited = None
        if meta.get("checksum"):
            try:
                intact = cell_checksum(cell) == meta["checksum"]
            except (KeyError, TypeError, ValueError, AttributeError):  # metadata nbgrader could not read either
                intact = False
            edited = None if intact else EDITED
        try:
            points = float(meta.get("points") or 0)
        except (TypeError, ValueError):
            points, edited = 0.0, EDITED
        tests[str(meta.get("grade_id"))] = (to_plain_python(cell.source), points, edited)
    if not tests:
        raise GdkitError("this notebook has no visible test cells and no course is at hand; "
                         "open the notebook handed out by your course (its test cells are needed), "
                         "or run gdkit check inside the course folder")
    return tests


def sandboxed_by_default() -> bool:
    """The sandbox (Landlock, seccomp, a fork server) is Linux's; elsewhere checks run unsandboxed."""
    return sys.platform.startswith("linux")


def _failure_message(exc_type: str, message: str) -> str:
    if exc_type == "NotImplementedError":
        return NOT_WRITTEN
    if exc_type == "AssertionError":
        return message or "an assertion failed"
    return f"{exc_type}: {message}"


def check_notebook(path, assignment_name: str | None = None, limits: Limits = DEFAULT,
                   course=None, sandbox: bool | None = None) -> list[CheckResult]:
    """Run the visible tests against a student's notebook.

    Inside a course (``course``: a Course or its folder; default: found from the current folder)
    the release's pristine test cells are used; with only the notebook at hand, its own test
    cells, provided nbgrader's checksum shows they were not edited. ``sandbox``: run in the
    sandbox worker (default on Linux) or in a plain child Python with a time limit.
    """
    path = Path(path)
    if path.is_dir():
        raise GdkitError(f"{path} is a folder; give the notebook file (e.g. {path / 'gradient_descent.ipynb'})")
    if sandbox is None:
        sandbox = sandboxed_by_default()
    zygote = None
    if sandbox and path.is_file():
        from gdkit.grading.student import start_zygote

        zygote = start_zygote()  # starts now (its own Python, numpy, the kernel probes) while we read
    try:
        return _check(path, assignment_name, limits, course, zygote)
    finally:
        if zygote is not None:
            zygote.close()


def _check(path: Path, assignment_name, limits: Limits, course, zygote) -> list[CheckResult]:
    from gdkit.notebook import graded_code_cells, read_submission

    nb = read_submission(path)
    if course is None:
        found = locate()
        course = Course.at(found, marker=False) if found else None
    else:
        course = resolve(course)
    tests = _course_tests(path, nb, assignment_name, course) or _own_tests(nb)
    cells = graded_code_cells(nb)
    if zygote is None:
        return _with_findings(_check_unsandboxed(path, cells, tests, limits), nb, cells, tests)
    from gdkit.grading.student import MissingFunction, SandboxFailed, Student, StudentRaised, WorkerDied

    student = Student(zygote, cells, limits=limits)
    results = []
    try:
        try:
            student.start()
        except SandboxFailed as exc:
            raise GdkitError(f"the sandbox could not run your notebook ({exc.detail}); "
                             "try again, or report this to your instructor") from None
        except WorkerDied as exc:
            return [CheckResult(qid, points, False, f"your notebook could not be loaded: {exc}")
                    for qid, (_, points, _) in tests.items()]
        for qid, (source, points, edited) in tests.items():  # in order: later checks may use earlier ones
            if edited:
                results.append(CheckResult(qid, points, False, edited))
                continue
            try:
                student.run_cell(source, label=f"<cell: visible test {qid}>")
                results.append(CheckResult(qid, points, True))
            except StudentRaised as exc:
                results.append(CheckResult(qid, points, False, _failure_message(exc.exc_type, exc.message)))
            except (WorkerDied, MissingFunction) as exc:
                results.append(CheckResult(qid, points, False, str(exc)))
        _known_mistakes(student, results, _suite_dir(path, nb, assignment_name, course), nb, cells, tests)
    finally:
        student.close()
    return _with_findings(results, nb, cells, tests)


def _suite_dir(path: Path, nb, assignment_name: str | None, course: Course | None) -> Path | None:
    """The course's autograder folder of this assignment (a course checkout), else None."""
    if course is None or not course.available():
        return None
    try:
        return course.assignment(assignment_name or guess_assignment(path, nb, course)).suite_dir
    except GdkitError:
        return None


def _elsewhere(results: list[CheckResult], nb, cells, tests: dict) -> dict[str, str]:
    failed = {r.question for r in results if not r.passed}
    return hints.failing_elsewhere(cells, {qid: source for qid, (source, _, _) in tests.items()}, failed,
                                   hints.solution_functions(nb))


def _known_mistakes(student, results: list[CheckResult], suite: Path | None, nb, cells, tests: dict) -> None:
    """Name a bug-zoo mistake under a failed question (a course checkout only: see gdkit.hints),
    unless the question uses another question's failing function: then the mistake may be there."""
    if suite is None:
        return
    elsewhere = _elsewhere(results, nb, cells, tests)
    failed = [r.question for r in results
              if not r.passed and r.message not in (EDITED, NOT_WRITTEN) and r.question not in elsewhere]
    found = hints.known_mistakes(student, suite, failed)
    for r in results:
        if r.question in found:
            r.findings.append(found[r.question])


def _with_findings(results: list[CheckResult], nb, cells, tests: dict) -> list[CheckResult]:
    """Under each failed question, the functions it uses that fail their own question's test."""
    found = _elsewhere(results, nb, cells, tests)
    for r in results:
        if r.question in found:
            r.findings.insert(0, found[r.question])
    return results


# How long a plain child Python may take to start before its first cell (a cold start on a
# loaded laptop, an antivirus scanning numpy's files): not the notebook's time.
STARTUP_SECONDS = 60.0


def _check_unsandboxed(path: Path, cells, tests: dict, limits: Limits) -> list[CheckResult]:
    """The same cells and visible tests in a plain child Python (:mod:`gdkit.check_child`):
    each step interrupted after ``limits.timeout`` s, the child killed if that does not stop it."""
    job = {"cells": [list(cell) for cell in cells], "timeout": limits.timeout,
           "tests": [[qid, source] for qid, (source, _, edited) in tests.items() if not edited]}
    child = subprocess.Popen([sys.executable, str(Path(__file__).with_name("check_child.py"))],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             cwd=path.resolve().parent, env={**os.environ, "MPLBACKEND": "Agg"})
    stdin, stdout = child.stdin, child.stdout
    assert stdin is not None and stdout is not None  # both PIPE above
    lines: queue.Queue = queue.Queue()

    def read() -> None:  # a thread, not select(): pipes cannot be polled on Windows
        for line in stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    outcome, stalled = {}, None
    try:
        stdin.write(json.dumps(job).encode("utf-8"))
        stdin.close()
        wait = STARTUP_SECONDS + limits.timeout  # the first line waits on Python's own start too
        while True:
            try:
                line = lines.get(timeout=wait)
                wait = limits.timeout + 5  # one step: the child's own watchdog fires first
            except queue.Empty:
                stalled = f"your notebook did not finish within {limits.timeout:g} s per cell, even when interrupted"
                break
            if line is None:
                stalled = "your notebook ended the check early (it exited or crashed)"
                break
            message = json.loads(line)
            if message.get("done"):
                break
            if "test" in message:
                outcome[message["test"]] = message
    except BrokenPipeError:
        stalled = "your notebook ended the check early (it exited or crashed)"
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
    results = []
    for qid, (_, points, edited) in tests.items():
        if edited:
            results.append(CheckResult(qid, points, False, edited))
        elif qid not in outcome:
            results.append(CheckResult(qid, points, False, stalled or "not run"))
        elif outcome[qid]["ok"]:
            results.append(CheckResult(qid, points, True))
        else:
            results.append(CheckResult(qid, points, False,
                                       _failure_message(outcome[qid]["exc_type"], outcome[qid]["message"])))
    return results


# What a message may print: its first lines whole (a 10 x 10 array fits), the rest counted.
MESSAGE_LINES = 40


def _array_lines(message: str) -> list[str]:
    """A failure message as lines, each continuation of an array printed over several lines
    (numpy's ``[[0.23 0.2 ]\n [0.24 0.25]]``) indented to the column where that array began, so
    its rows line up under the first one."""
    lines = message.split("\n")
    out = [lines[0]]
    depth, anchor = 0, 0

    def scan(text: str, offset: int) -> None:
        nonlocal depth, anchor
        for column, ch in enumerate(text):
            if ch == "[":
                if depth == 0:
                    anchor = offset + column
                depth += 1
            elif ch == "]" and depth:
                depth -= 1

    scan(lines[0], 0)
    for text in lines[1:]:
        if depth and text.strip():
            out.append(" " * anchor + text)
            scan(text, anchor)
        else:
            out.append(text)
            scan(text, 0)
    return out


def report(results: list[CheckResult]) -> str:
    """The table a student reads: per question pass or FAIL with the failing test's message in
    full (multi-line arrays aligned row under row) and what else was found (gdkit.hints)."""
    from gdkit.grading import sanitize

    width = max(len(r.question) for r in results) if results else 10
    indent = " " * (width + 8)
    lines = []
    for r in results:
        mark = "pass" if r.passed else "FAIL"
        # The notebook's own text, printed on the terminal: nothing that moves the cursor or hides.
        message = _array_lines(sanitize.text(r.message, 8000, keep_spaces=True)) if r.message.strip() else [""]
        if len(message) > MESSAGE_LINES:
            message = message[:MESSAGE_LINES] + [f"... ({len(message) - MESSAGE_LINES} more lines)"]
        lines.append(f"{r.question:<{width}}  {mark}  {message[0]}".rstrip())
        lines += [(indent + text).rstrip() for text in message[1:]]
        lines += [indent + sanitize.line(finding, 1000) for finding in r.findings]
    passed = sum(r.passed for r in results)
    lines.append(f"{passed} of {len(results)} questions pass their visible tests. "
                 "The grader runs more (hidden) tests on each question.")
    return "\n".join(lines)
