"""The pytest plugin that runs a hidden suite against many submissions in one session.

Each test asks for the ``student`` fixture; the plugin parametrizes it with the session's
submissions at session scope, so pytest runs every test for one student, then the next, and
the worker of a student is torn down (and their result written) before the next one starts.

What a student may read about a test comes only from trusted sources: a checks ``Fail``'s
fields, or a fixed sentence for sandbox outcomes. Test code, hidden inputs and pytest's
tracebacks are never copied into a result; an unexpected grader exception is logged for the
instructor and reported to the student as a grader error.
"""
from __future__ import annotations

import resource
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gdkit.assignments import Assignment
from gdkit.notebook import read_submission, graded_code_cells
from gdkit.errors import GdkitError
from gdkit.grading import outputs, randomness, sanitize
from gdkit.grading.student import (MissingFunction, SandboxFailed, Student, StudentRaised, WorkerDied, Zygote,
                                   start_zygote)
from gdkit.record import GRADER_ERROR, QuestionResult, Record, TestResult
from gdkit.sandbox.limits import Limits

MARKER = "question"
# What a student reads when a worker hung or died: what happened, never the worker's details.
# An exit status, a signal or a byte count may have been chosen by the student's code from a
# hidden input; the details go to the instructor's worker-failures.log.
DIED = {"timeout": "did not finish in time", "cpu-time": "used up its CPU time",
        "memory": "ran out of memory", "output": "printed more than the output limit",
        "gave-up": "was not run again after repeated failures"}


class SubmissionUnusable(Exception):
    """The submission could not be run at all; every test of it fails with this reason."""

    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class Submission:
    student: str
    path: str


@dataclass
class _Progress:
    """What the session learns about one student while their tests run."""

    submission: Submission
    started: float = field(default_factory=time.monotonic)
    status: str = "ok"
    reason: str = ""
    tests: list[TestResult] = field(default_factory=list)
    handle: Student | None = None
    digest: str | None = None  # sha256 of the file as it was read for grading


def student_message(exc: BaseException | None) -> dict:
    """The student-safe description of why a test failed (kind, message, extra fields)."""
    if exc is None:
        return {"kind": "pass", "message": ""}
    if isinstance(exc, SubmissionUnusable):
        return {"kind": "unusable", "message": sanitize.line(exc.reason)}
    if isinstance(exc, SandboxFailed):  # the sandbox's failure, not the student's: regraded
        return {"kind": "grader-error", "message": "The grader could not run your code on this check; "
                                                   "it will be graded again."}
    if isinstance(exc, WorkerDied):
        return {"kind": "died", "message": f"Your code {DIED.get(exc.reason, 'crashed')}."}
    if isinstance(exc, MissingFunction):
        names = ", ".join(f"`{sanitize.name(n)}`" for n in str(exc.name).split(", "))
        return {"kind": "missing",
                "message": f"{names} is not defined: keep the function's name and its cell as given."}
    if isinstance(exc, StudentRaised):
        if exc.exc_type == "NotImplementedError":
            return {"kind": "raised", "message": "Not written yet: the function still raises NotImplementedError."}
        # On hidden inputs the exception's text may quote them (`raise ValueError(repr(x))`) and
        # the worker wrote the traceback and even the type's name: name builtin types only. The
        # example under each failed check shows what the code does on a public input.
        if exc.exc_type == "UngradableResult":  # set by the worker, but only ever this sentence
            return {"kind": "raised", "message": "Your function returned something other than numbers or "
                                                 "arrays of numbers (e.g. text), which cannot be graded."}
        return {"kind": "raised", "message": f"Your function raised {sanitize.exception_name(exc.exc_type)}."}
    if isinstance(exc, AssertionError) and hasattr(exc, "message"):
        kind = getattr(exc, "kind", "fail")
        out = {"kind": kind if kind in ("fail", "raised") else "fail", "message": str(getattr(exc, "message"))}
        for key in ("example", "mistake", "hint", "detail"):
            value = getattr(exc, key, None)
            if value:
                out[key] = str(value)
        return out
    if isinstance(exc, AssertionError):
        return {"kind": "fail", "message": "A hidden check failed."}
    return {"kind": "grader-error", "message": "The grader hit an internal error on this check; "
                                               "your instructor has the details."}


class GradingPlugin:
    """Registered with ``pytest.main(plugins=[...])`` by :mod:`gdkit.grading.session`."""

    def __init__(self, assignment: Assignment, submissions: list[Submission], *, limits: Limits,
                 on_done, zygote: Zygote | None = None, seed: int | None = None, per_student: bool = False):
        self.assignment = assignment
        self.submissions = {s.student: s for s in submissions}
        self.limits = limits
        self.on_done = on_done
        self.zygote = zygote
        self.seed = randomness.run_seed(assignment.name, seed)
        self.per_student = per_student  # hidden inputs drawn per (seed, student): see randomness
        self.progress: dict[str, _Progress] = {}
        self.grader_errors: list[str] = []
        self.worker_failures: list[str] = []  # for the instructor only (worker-failures.log)

    # -- configuration and collection
    def pytest_configure(self, config):
        config.addinivalue_line("markers", f"{MARKER}(id, weight=1): the question a hidden test grades")
        if self.zygote is None:
            self.zygote = start_zygote()
        randomness.start_run(self.seed, self.per_student)  # before the suites are imported: they draw at import

    def pytest_unconfigure(self, config):
        if self.zygote is not None:
            self.zygote.close()

    def pytest_generate_tests(self, metafunc):
        if "student" in metafunc.fixturenames:
            ids = list(self.submissions)
            metafunc.parametrize("student", ids, indirect=True, scope="session", ids=ids)

    def pytest_collection_modifyitems(self, session, config, items):
        for item in items:
            # pytest renders a failure's traceback with source excerpts (~50 ms each); no
            # student ever sees it and grader errors are logged from the exception itself.
            item.repr_failure = _no_traceback
            item._repr_failure_py = _no_traceback
            marker = item.get_closest_marker(MARKER)
            if marker is None or not marker.args or self.assignment.question(marker.args[0]) is None:
                raise pytest.UsageError(f"hidden test {item.nodeid} must be marked with a question id "
                                        f"of {self.assignment.name}")

    # -- the fixture
    @pytest.fixture(scope="session")
    def student(self, request):
        submission = self.submissions[request.param]
        progress = _Progress(submission)
        self.progress[submission.student] = progress
        try:
            handle = self._start(submission, progress)
            yield handle
        finally:
            self._finish(progress)

    def _start(self, submission: Submission, progress: _Progress):
        progress.digest = outputs.file_digest(submission.path)
        try:
            notebook = read_submission(submission.path)
            cells = graded_code_cells(notebook)
        except GdkitError as exc:
            progress.status = getattr(exc, "status", "invalid-notebook")
            progress.reason = sanitize.line(str(exc))
            return _Unusable(progress.status, progress.reason)
        handle = Student(self.zygote, cells, limits=self.limits)
        progress.handle = handle
        try:
            handle.start()
        except SandboxFailed as exc:  # not the student's doing: reported, regraded on the next run
            progress.status = GRADER_ERROR
            progress.reason = sanitize.line(f"the sandbox failed before the notebook ran ({exc.detail})")
            handle.close()
            return _Unusable(progress.status, progress.reason)
        except WorkerDied as exc:
            progress.status = _status(exc.reason)
            where = "while loading the notebook"
            # Before the first call: no hidden input yet, so the details are the student's own.
            progress.reason = sanitize.line(f"{exc.detail or exc.reason} {where}")
            handle.close()
            return _Unusable(progress.status, progress.reason)
        return handle

    def _finish(self, progress: _Progress) -> None:
        handle = progress.handle
        if handle is not None:
            handle.close()
            if progress.status == "ok" and handle.failures:
                first = handle.failures[0]
                progress.status = _status(first.reason)
                progress.reason = (f"{len(handle.failures)} worker failure(s); first: "
                                   f"{DIED.get(first.reason, 'crashed')} (see worker-failures.log)")
            self.worker_failures += [sanitize.line(f"{progress.submission.student}: {f.reason}: {f.detail}", 500)
                                     for f in handle.failures]
        self.on_done(self._record(progress))

    def _record(self, progress: _Progress) -> Record:
        broken = sum(t.kind == GRADER_ERROR for t in progress.tests)
        if broken:  # the suite, not the student: never a final grade, regraded on the next run
            progress.status = GRADER_ERROR
            progress.reason = f"the grader failed on {broken} check(s); see grader-errors.log"
        by_question: dict[str, list[TestResult]] = {q.id: [] for q in self.assignment.questions}
        for test in progress.tests:
            by_question[test.question].append(test)
        handle = progress.handle
        record = Record(
            student=progress.submission.student,
            assignment=self.assignment.name,
            path=progress.submission.path,
            seed=self.seed,
            sha256=progress.digest,
            limits=self.limits.to_json(),
            status=progress.status,
            reason=progress.reason,
            questions=[QuestionResult.scored(q.id, q.points, by_question[q.id]) for q in self.assignment.questions],
            max_total=self.assignment.max_total,
            cells=sanitize.load_errors(handle.load_report if handle else []),
            output=sanitize.text(handle.output, sanitize.OUTPUT_LIMIT) if handle else "",
            artifacts=handle.artifacts if handle else {},
            seconds=round(time.monotonic() - progress.started, 4),
            worker_max_rss_kb=handle.max_rss_kb if handle else 0,
            worker_cpu_seconds=round(handle.cpu_seconds, 4) if handle else 0.0,
            grader_max_rss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            extra={"inputs": "per-student"} if self.per_student else {},
        )
        return sanitize.within(record.rescore(), sanitize.RECORD_LIMIT)

    # -- per-test results
    def pytest_runtest_call(self, item):
        student = item.callspec.params.get("student") if hasattr(item, "callspec") else None
        randomness.start_test(test_key(item.path, item.originalname or item.name), student)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.when == "setup" and report.passed:
            return
        if report.when == "teardown" and report.passed:
            return
        student_id = item.callspec.params.get("student") if hasattr(item, "callspec") else None
        progress = self.progress.get(student_id)
        if progress is None:
            return
        exc = call.excinfo.value if call.excinfo is not None else None
        if report.when == "call" or not report.passed:
            marker = item.get_closest_marker(MARKER)
            info = student_message(exc if not report.passed else None)
            if info["kind"] == "grader-error":
                self.grader_errors.append(f"{student_id} {item.nodeid}:\n" +
                                          "".join(traceback.format_exception(exc)))
            progress.tests.append(TestResult(
                name=item.originalname or item.name,
                question=marker.args[0],
                weight=float(marker.kwargs.get("weight", 1)),
                passed=bool(report.passed),
                description=_first_doc_line(item),
                **sanitize.result_fields(info),
            ))


def _status(reason: str) -> str:
    """A record's status for a WorkerDied reason."""
    return {"gave-up": "crashed", "budget": "timeout"}.get(reason, reason)


def test_key(path, name: str) -> str:
    """A test's name for seeding: the same in the grader and in the kernel path."""
    return f"{Path(path).stem}::{name}"


def _no_traceback(excinfo, style=None) -> str:
    return f"{excinfo.typename}"


class _Unusable:
    """Stands in for a Student whose submission cannot run: every use fails with the reason."""

    def __init__(self, status: str, reason: str):
        self.status, self.reason = status, reason
        self.artifacts: dict = {}

    def __getattr__(self, name):
        raise SubmissionUnusable(self.status, self.reason)


def _first_doc_line(item) -> str:
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""
