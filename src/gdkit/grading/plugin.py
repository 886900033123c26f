"""The pytest plugin every grading path shares: how a hidden suite is run and scored.

Two paths run an assignment's hidden suite (``autograder/<name>/test_*.py``), each with a real
``pytest.main`` over the suite folder and a subclass of :class:`SuitePlugin`; they differ only
in what the ``student`` fixture is:

- ``gdkit grade`` (:mod:`gdkit.grading.sandboxed`): a sandbox worker per submission, the
  fixture parametrized over a chunk of submissions at session scope;
- ``nbgrader autograde`` (:mod:`gdkit.grading.inkernel`): the student's live kernel namespace,
  one question's tests per grade cell.

Everything else is here, so a suite written once (markers, weights, ``parametrize``, fixtures)
scores the same on both: the ``question`` marker and its check, the seeding of each test's
random inputs, one :class:`gdkit.record.TestResult` per test case with student-safe text, and
the score through :meth:`gdkit.record.QuestionResult.scored`.

What a student may read about a test comes only from trusted sources: a checks ``Fail``'s
fields, or a fixed sentence for sandbox outcomes. Test code, hidden inputs (parameter values
included) and pytest's tracebacks are never copied into a result; an unexpected grader
exception is kept for the instructor (``grader_errors``) and reported to the student as a
grader error.
"""
from __future__ import annotations

import traceback
from pathlib import Path

import pytest

from gdkit.assignments import Assignment
from gdkit.grading import randomness, sanitize
from gdkit.grading.checks import PublicTooEarly
from gdkit.grading.student import MissingFunction, SandboxFailed, StudentRaised, WorkerDied
from gdkit.record import GRADER_ERROR, QuestionResult, TestResult

MARKER = "question"
# The order of each student's tests, which decides how many workers their submission needs
# (gdkit.grading.student: never two at a time, a fresh one after the loop and after grader code):
# tests that run the training loop (``student.train``) first, so the submission's first worker,
# which has seen no hidden input, runs it; tests that swap grader code in (``substitute=``)
# last, so no worker that holds it answers anything else; the rest in between, in file order.
TRAINING = "training"
SUBSTITUTES = "substitutes"
STUDENT = "student"  # the fixture every hidden test asks for
# What a student reads when a worker hung or died: what happened, never the worker's details.
# An exit status, a signal or a byte count may have been chosen by the student's code from a
# hidden input; the details go to the instructor's worker-failures.log.
# One entry per WorkerDied reason (gdkit.sandbox.client); a worker over its memory limit does
# not die: the code gets a MemoryError, which is reported as what it raised.
DIED = {"timeout": "did not finish in time", "cpu-time": "used up its CPU time",
        "crashed": "crashed or ended the process that ran it",
        "gave-up": "was not run again after repeated failures",
        "budget": "used up the time allowed for all its checks"}


class SubmissionUnusable(Exception):
    """The submission could not be run at all; every test of it fails with this reason."""

    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def student_message(exc: BaseException | None, *, settle: bool = True) -> dict:
    """The student-safe description of why a test failed (kind, message, extra fields).

    A checks ``Fail`` is settled first (its public example rendered, its diagnosis made: the
    student's code asked on public inputs) unless ``settle`` is False; then only what it holds
    already is described, and the caller settles it later (see :meth:`SuitePlugin.settle_later`).
    """
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
        if getattr(exc, "in_skipped_cell", False):  # defined, but its cell did not run
            return {"kind": "missing",
                    "message": f"{names} is defined in a cell that ran past the time limit while your "
                               "notebook was loading, so that cell was skipped: move long runs into a cell "
                               "of their own."}
        return {"kind": "missing",
                "message": f"{names} is not defined: keep the function's name and its cell as given."}
    if isinstance(exc, StudentRaised):
        if exc.exc_type == "NotImplementedError":
            return {"kind": "raised", "message": "Not written yet: the function still raises NotImplementedError."}
        if exc.exc_type == "UngradableResult":  # set by the worker, but only ever this sentence
            return {"kind": "raised", "message": "Your function returned something other than numbers or "
                                                 "arrays of numbers (e.g. text), which cannot be graded."}
        # On hidden inputs the exception's text may quote them (`raise ValueError(repr(x))`) and
        # its type's name is the student's choice too (one of 64 builtin names is 6 bits): say
        # only that it raised. Checks that know the function show its public example, where the
        # type and text are named (checks.raised_on_hidden).
        return {"kind": "raised", "message": "Your function raised an exception on the hidden inputs."}
    if isinstance(exc, AssertionError) and hasattr(exc, "message"):
        settle_fail = getattr(exc, "settle", None)
        if settle and callable(settle_fail):
            settle_fail()
        kind = getattr(exc, "kind", "fail")
        out = {"kind": kind if kind in ("fail", "raised") else "fail", "message": str(exc.message)}
        for key in ("example", "mistake", "hint", "detail"):
            value = getattr(exc, key, None)
            if value:
                out[key] = str(value)
        return out
    if isinstance(exc, AssertionError):
        return {"kind": "fail", "message": "A hidden check failed."}
    return {"kind": "grader-error", "message": "The grader hit an internal error on this check; "
                                               "your instructor has the details."}


def test_key(path, name: str) -> str:
    """A test case's key for seeding (``file stem::case name``): the same on every path."""
    return f"{Path(path).stem}::{name}"


test_key.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test of the kit's own


def pytest_args(suite_dir: Path, ini: Path) -> list[str]:
    """``pytest.main`` arguments that run a hidden suite, the same on every path.

    ``ini`` is an empty ``pytest.ini``: no configuration of the course or the machine applies,
    conftest files count only inside the suite folder, and the pytest plugins installed on the
    machine are not loaded (one of them runs ``git`` at every start). Trimmed to what grading
    needs: no terminal (results go to records), no assertion rewriting (checks raise Fail with
    their own messages), no cache, and no end-of-session garbage-collection sweep for
    unraisable exceptions (~0.3 s per session).
    """
    return [str(suite_dir), "-c", str(ini), "--rootdir", str(suite_dir), "--confcutdir", str(suite_dir),
            "--disable-plugin-autoload", "-p", "no:cacheprovider", "-p", "no:terminal",
            "-p", "no:unraisableexception", "-p", "no:threadexception", "--assert=plain", "--capture=no",
            "--import-mode=importlib", "-W", "ignore::pytest.PytestAssertRewriteWarning"]


class SuitePlugin:
    """What every path does with a hidden suite; a subclass provides the ``student`` fixture.

    A subclass says where a test's result goes (:meth:`results_for`), whose test it is
    (:meth:`label`) and may act after each test's teardown (:meth:`after_teardown`).
    ``question`` keeps only that question's tests; ``per_student`` draws hidden inputs per
    (seed, student) (see :mod:`gdkit.grading.randomness`).
    """

    def __init__(self, assignment: Assignment, *, seed: int | None = None, question: str | None = None,
                 per_student: bool = False):
        self.assignment = assignment
        self.seed = randomness.run_seed(assignment.name, seed)
        self.question = question
        self.per_student = per_student
        self.grader_errors: list[str] = []   # tracebacks of the grader's own failures, for the instructor
        self.broken: list[str] = []          # the same, one short line each: what failed and its exception type
        self.interrupted = False             # a KeyboardInterrupt stopped the session
        self._failed: dict[str, BaseException | None] = {}  # nodeid -> its first failure's exception
        self._cases: dict[str, str] = {}              # nodeid -> case name, for parametrized tests
        self._counted: dict[tuple, int] = {}          # (student, test) -> cases collected so far

    # -- what a subclass provides
    def results_for(self, item) -> list[TestResult] | None:
        """The list this test case's result is appended to; None: not recorded."""
        raise NotImplementedError

    def after_teardown(self, item) -> None:
        """Called once a test case is torn down and its result recorded."""

    def settles_later(self, item) -> bool:
        """Whether this test's unsettled checks ``Fail`` is settled later (:meth:`settle_later`);
        by default it is settled at once, when its result is recorded."""
        return False

    def settle_later(self, item, result: TestResult, exc: BaseException) -> None:
        """Keep ``exc`` to settle it later and then fill ``result``'s text in."""
        raise NotImplementedError

    def questions(self, tests: list[TestResult]) -> list[QuestionResult]:
        """Every question of the assignment (or the one kept), scored from ``tests``."""
        kept = [q for q in self.assignment.questions if self.question in (None, q.id)]
        return [QuestionResult.scored(q.id, q.points, [t for t in tests if t.question == q.id]) for q in kept]

    # -- configuration and collection
    def pytest_configure(self, config):
        config.addinivalue_line("markers", f"{MARKER}(id, weight=1): the question a hidden test grades")
        config.addinivalue_line("markers", f"{TRAINING}: the test runs the training loop; it runs first")
        config.addinivalue_line("markers", f"{SUBSTITUTES}: the test sends grader code (substitute=); it runs last")
        randomness.start_run(self.seed, self.per_student)  # before the suites are imported: they draw at import

    @pytest.hookimpl(trylast=True)  # after pytest has grouped the items by student
    def pytest_collection_modifyitems(self, session, config, items) -> None:
        for item in items:
            # pytest renders a failure's traceback with source excerpts (~50 ms each); no
            # student ever sees it and grader errors are kept from the exception itself.
            item.repr_failure = _no_traceback
            item._repr_failure_py = _no_traceback
            marker = item.get_closest_marker(MARKER)
            if marker is None or not marker.args or self.assignment.question(marker.args[0]) is None:
                problem = f"hidden test {item.nodeid} must be marked with a question id of {self.assignment.name}"
                self._grader_error(problem, problem, "UsageError")
                raise pytest.UsageError(problem)
        if self.question is not None:
            kept = [i for i in items if i.get_closest_marker(MARKER).args[0] == self.question]
            dropped = [i for i in items if i.get_closest_marker(MARKER).args[0] != self.question]
            if dropped:
                config.hook.pytest_deselected(items=dropped)
            items[:] = kept
        # Each student's tests stay together, in file order, but those that train come first and
        # those that send grader code last (see SUBSTITUTES).
        first: dict[str, int] = {}
        for index, item in enumerate(items):
            first.setdefault(self.label(item), index)
        ranked = sorted(enumerate(items), key=lambda pair: (first[self.label(pair[1])], _rank(pair[1]), pair[0]))
        items[:] = [item for _, item in ranked]

    def pytest_collectreport(self, report):
        if report.failed:  # a suite file that does not import: nothing of it can grade
            self._grader_error(f"collecting {report.nodeid}", f"collecting {report.nodeid}:\n{report.longreprtext}",
                               "CollectError")

    def pytest_itemcollected(self, item):
        # Items come in the order of their parameter sets, whatever the student's place in them.
        callspec = getattr(item, "callspec", None)
        if callspec is None or not any(name != STUDENT for name in callspec.params):
            return
        base = getattr(item, "originalname", None) or item.name
        key = (self.label(item), item.parent.nodeid if item.parent is not None else "", base)
        position = self._counted.get(key, 0)
        self._counted[key] = position + 1
        self._cases[item.nodeid] = f"{base}[{position}]"

    def case_name(self, item) -> str:
        """A test case's name in records and seeds: the function's name, and for a parametrized
        test its case's position (``test_x[2]``), never its parameters' values (they may be
        hidden inputs) nor the student: every path and every student name it alike."""
        return self._cases.get(item.nodeid) or getattr(item, "originalname", None) or item.name

    def pytest_keyboard_interrupt(self, excinfo):
        self.interrupted = True

    def _grader_error(self, what: str, details: str, exc_type: str) -> None:
        self.grader_errors.append(details)
        self.broken.append(f"{what} ({exc_type})")

    # -- per-test seeding and results
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        # Before the fixtures are set up, so a test's fixtures draw its inputs too.
        randomness.start_test(test_key(item.path, self.case_name(item)), self.label(item) or None)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.failed or report.skipped:
            self._failed.setdefault(item.nodeid, call.excinfo.value if call.excinfo is not None else None)
        if report.when != "teardown":
            return
        # One result per test case, when all of it (setup, call, teardown) has run.
        passed = item.nodeid not in self._failed
        exc = self._failed.pop(item.nodeid, None)
        results = self.results_for(item) if STUDENT in getattr(item, "fixturenames", ()) else None
        if results is not None:
            marker = item.get_closest_marker(MARKER)
            if not passed and exc is None:  # failed without an exception: pytest's own doing
                exc = RuntimeError(f"{item.nodeid} did not pass ({report.outcome} at {report.when})")
            pending = exc is not None and not getattr(exc, "settled", True) and self.settles_later(item)
            try:
                info = student_message(exc, settle=not pending)
            except PublicTooEarly as early:  # the suite asked about a public input too soon
                exc, pending = early, False
                info = student_message(early)
            if info["kind"] == GRADER_ERROR:
                self._grader_error(item.nodeid, f"{self.label(item)} {item.nodeid}:\n"
                                   + "".join(traceback.format_exception(exc)), type(exc).__name__)
            result = TestResult(
                name=self.case_name(item),
                question=marker.args[0],
                weight=float(marker.kwargs.get("weight", 1)),
                passed=passed,
                description=_first_doc_line(item),
                **sanitize.result_fields(info),
            )
            results.append(result)
            if pending:
                self.settle_later(item, result, exc)
        self.after_teardown(item)

    def label(self, item) -> str:
        """Whose test this is (the student id; "" when unknown)."""
        return ""


def _rank(item) -> int:
    """0 for a test that trains, 2 for one that sends grader code, 1 for the rest."""
    if item.get_closest_marker(TRAINING) is not None:
        return 0
    return 2 if item.get_closest_marker(SUBSTITUTES) is not None else 1


def _no_traceback(excinfo, style=None) -> str:
    return f"{excinfo.typename}"


def _first_doc_line(item) -> str:
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""
