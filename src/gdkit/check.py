"""`gdkit check`: what a student runs before handing in — the visible tests, nothing hidden.

The student's code runs in a sandbox worker exactly as it will when graded (same cells, same
limits); then each visible test cell of the *release* (the pristine copy, so an edited test
cell in the student's notebook cannot make a check pass) runs in that namespace. The hidden
suite is never loaded here, so nothing of it can leak.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat

from gdkit import assignments
from gdkit.errors import GdkitError
from gdkit.notebook import graded_code_cells, is_test_cell, read_submission, to_plain_python
from gdkit.sandbox.client import MissingFunction, Student, StudentRaised, WorkerDied, Zygote


@dataclass
class CheckResult:
    question: str
    points: float
    passed: bool
    message: str = ""


def _visible_tests(release: Path) -> dict[str, str]:
    """grade_id -> source of each visible test cell in the release."""
    nb = nbformat.read(release, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: to_plain_python(c.source)
            for c in nb.cells if c.cell_type == "code" and is_test_cell(c)}


def _release_path(assignment: assignments.Assignment) -> Path:
    return assignment.root / "assignments" / assignment.name / assignment.notebook


def guess_assignment(path: Path, nb) -> str:
    """The assignment a notebook belongs to: by file name, else by its test cells' ids."""
    names = assignments.available()
    for name in names:
        if assignments.load(name).notebook == path.name:
            return name
    ids = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.cells}
    for name in names:
        if ids & {q.id for q in assignments.load(name).questions}:
            return name
    raise GdkitError(f"cannot tell which assignment {path.name} is for; pass --assignment "
                     f"({', '.join(names) or 'none known'})")


def check_notebook(path, assignment_name: str | None = None, timeout: float = 10.0) -> list[CheckResult]:
    """Run the visible tests of the release against a student's notebook, in the sandbox."""
    path = Path(path)
    nb = read_submission(path)
    assignment = assignments.load(assignment_name or guess_assignment(path, nb))
    release = _release_path(assignment)
    if not release.is_file():
        raise GdkitError(f"the release {release} is missing; run 'gdkit release {assignment.name}'")
    tests = _visible_tests(release)
    zygote = Zygote()
    student = Student(zygote, graded_code_cells(nb), timeout=timeout)
    results = []
    try:
        try:
            student.start()
        except WorkerDied as exc:
            return [CheckResult(q.id, q.points, False, f"your notebook could not be loaded: {exc}")
                    for q in assignment.questions]
        points = {q.id: q.points for q in assignment.questions}
        for qid, source in tests.items():  # in the release's order: later checks may use earlier ones
            q = assignments.Question(qid, points.get(qid, 0.0), ())
            try:
                student.run_cell(source, label=f"<cell: visible test {q.id}>")
                results.append(CheckResult(q.id, q.points, True))
            except StudentRaised as exc:
                message = exc.message or "an assertion failed"
                if exc.exc_type == "NotImplementedError":
                    message = "not written yet (the stub still raises NotImplementedError)"
                elif exc.exc_type != "AssertionError":
                    message = f"{exc.exc_type}: {message}"
                results.append(CheckResult(q.id, q.points, False, message))
            except (WorkerDied, MissingFunction) as exc:
                results.append(CheckResult(q.id, q.points, False, str(exc)))
    finally:
        student.close()
        zygote.close()
    return results


def report(results: list[CheckResult]) -> str:
    """The table a student reads."""
    width = max(len(r.question) for r in results) if results else 10
    lines = []
    for r in results:
        mark = "pass" if r.passed else "FAIL"
        first = r.message.strip().splitlines()[0] if r.message.strip() else ""
        lines.append(f"{r.question:<{width}}  {mark}  {first}".rstrip())
    passed = sum(r.passed for r in results)
    lines.append(f"{passed} of {len(results)} questions pass their visible tests. "
                 "The grader runs more (hidden) tests on each question.")
    return "\n".join(lines)
