"""``gdkit grade``'s pytest plugin: the ``student`` fixture is a sandbox worker per submission.

The fixture is parametrized with the session's submissions at session scope, so pytest runs
every test for one student, then the next, and a student's workers are torn down (and their
record handed to ``on_done``) before the next one's start. Every public input the suite
declares (``PUBLIC_INPUTS`` of its public.py and test modules) is answered first, by a public
twin that is closed before any worker of the submission sees a hidden input; a failed check's
public parts (its example, a diagnosis) are settled from those answers after the student's
workers are closed (:class:`gdkit.grading.student.Student`). Markers, seeding, per-test results
and scoring are the shared :class:`gdkit.grading.plugin.SuitePlugin`'s.
"""
from __future__ import annotations

import resource
import time
import traceback
from dataclasses import dataclass, field

import pytest

from gdkit.assignments import Assignment
from gdkit.errors import GdkitError
from gdkit.grading import outputs, sanitize
from gdkit.grading.diagnose import load_module
from gdkit.grading.plugin import DIED, STUDENT, SubmissionUnusable, SuitePlugin, student_message
from gdkit.notebook import defines_any, graded_code_cells, read_submission
from gdkit.grading.student import SandboxFailed, Student, WorkerDied, Zygote, start_zygote
from gdkit.record import GRADER_ERROR, Record, TestResult
from gdkit.sandbox.limits import Limits


@dataclass
class Submission:
    student: str
    path: str
    notebook: dict = field(default_factory=dict)  # which file was graded, what was ignored (gdkit.intake)
    extra: dict = field(default_factory=dict)     # e.g. the LMS's name for the student
    problem: list | None = None                   # [status, reason]: nothing to grade (gdkit.intake)
    shown: str = ""                               # how the record names the file


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
    finished: float | None = None  # when the student's fixture was torn down (time.monotonic)
    grader_max_rss_kb: int = 0
    # Failed checks whose public parts (example, diagnosis) are settled, from the twin's answers,
    # once the student's workers are closed: (the recorded result, the checks Fail).
    pending: list = field(default_factory=list)


class GradingPlugin(SuitePlugin):
    """Registered with ``pytest.main(plugins=[...])`` by :mod:`gdkit.grading.session`."""

    def __init__(self, assignment: Assignment, submissions: list[Submission], *, limits: Limits,
                 on_done, zygote: Zygote | None = None, seed: int | None = None, per_student: bool = False):
        super().__init__(assignment, seed=seed, per_student=per_student)
        self.submissions = {s.student: s for s in submissions}
        self.limits = limits
        self.on_done = on_done
        self.zygote = zygote
        self.progress: dict[str, _Progress] = {}
        self.worker_failures: list[str] = []  # for the instructor only (worker-failures.log)
        self.public_inputs: list[tuple] = []  # the suite's PUBLIC_INPUTS, read at collection

    def pytest_collection_finish(self, session):
        """The public inputs the suite declares (``PUBLIC_INPUTS`` of public.py and of its test
        modules): the twin answers them before anything else of each submission."""
        modules = [getattr(item, "module", None) for item in session.items]
        public = self.assignment.suite_dir / "public.py"
        try:
            if public.is_file():
                modules.insert(0, load_module(public, "public"))
            for module in {id(m): m for m in modules if m is not None}.values():
                self.public_inputs += [(str(f), tuple(args), bool(back))
                                       for f, args, back in getattr(module, "PUBLIC_INPUTS", ())]
        except Exception:  # the suite's bug: its feedback loses the public examples, grades stand
            self.grader_errors.append(f"PUBLIC_INPUTS could not be read:\n{traceback.format_exc()}")

    # -- configuration
    def pytest_configure(self, config):
        super().pytest_configure(config)
        if self.zygote is None:
            self.zygote = start_zygote()

    def pytest_unconfigure(self, config):
        if self.zygote is not None:
            self.zygote.close()

    def pytest_generate_tests(self, metafunc):
        if STUDENT in metafunc.fixturenames:
            ids = list(self.submissions)
            metafunc.parametrize(STUDENT, ids, indirect=True, scope="session", ids=ids)

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
        if submission.problem:
            progress.status, progress.reason = submission.problem
            return _Unusable(progress.status, progress.reason)
        try:
            notebook = read_submission(submission.path)
            cells = graded_code_cells(notebook)
        except GdkitError as exc:
            progress.status = getattr(exc, "status", "invalid-notebook")
            progress.reason = sanitize.line(str(exc))
            return _Unusable(progress.status, progress.reason)
        assert self.zygote is not None  # started in pytest_configure
        handle = Student(self.zygote, cells, limits=self.limits)
        progress.handle = handle
        # First, before any worker of the submission sees a hidden input: nothing hidden exists
        # yet anywhere the twin could learn it from (page cache, any other shared state).
        handle.prefetch(self.public_inputs)
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
        expected = list(dict.fromkeys(f for q in self.assignment.questions for f in q.functions))
        if expected and not set(expected) & set(handle.defined) and not defines_any(notebook, expected):
            progress.status = "wrong-assignment"
            progress.reason = (f"the notebook defines none of {self.assignment.name}'s functions "
                               f"({', '.join(expected)}): submit {self.assignment.notebook}")
            handle.close()
            return _Unusable(progress.status, progress.reason)
        return handle

    def _finish(self, progress: _Progress) -> None:
        handle = progress.handle
        if handle is not None:
            handle.close()
            failures = handle.all_failures
            if progress.status == "ok" and failures:
                first = failures[0]
                progress.status = _status(first.reason)
                progress.reason = (f"{len(failures)} worker failure(s); first: "
                                   f"{DIED.get(first.reason, 'crashed')} (see worker-failures.log)")
            self.worker_failures += [sanitize.line(f"{progress.submission.student}: {f.reason}: {f.detail}", 500)
                                     for f in failures]
            # Before the next student's worker starts (the last test of a session's last student
            # is recorded after this: its public parts are settled with the record).
            if progress.pending:
                self._settle(progress)
        # The record is made once the last test's result is in (see after_teardown).
        progress.finished = time.monotonic()
        progress.grader_max_rss_kb = _peak_rss_kb()

    # -- results
    def results_for(self, item) -> list[TestResult] | None:
        progress = self.progress.get(self.label(item))
        return progress.tests if progress is not None else None

    def label(self, item) -> str:
        callspec = getattr(item, "callspec", None)
        return str(callspec.params.get(STUDENT, "")) if callspec is not None else ""

    def settles_later(self, item) -> bool:
        return self.progress.get(self.label(item)) is not None

    def settle_later(self, item, result: TestResult, exc: BaseException) -> None:
        self.progress[self.label(item)].pending.append((result, exc))

    def _settle(self, progress: _Progress) -> None:
        """The student's failed checks' public parts, from what the twin answered before any
        hidden input (nothing is asked now), written into their results."""
        handle = progress.handle
        try:
            for result, exc in progress.pending:
                try:
                    exc.settle()
                except Exception:  # the twin cannot change a verdict; its text stays as it was
                    continue
                fields = sanitize.result_fields(student_message(exc, settle=False))
                for key in ("message", "example", "mistake", "hint"):
                    setattr(result, key, fields.get(key) or (None if key != "message" else result.message))
        finally:
            progress.pending = []
            if handle is not None:
                handle.close()

    def after_teardown(self, item) -> None:
        # pytest tears a student's fixture down at the next student's first setup, or at the
        # end of the session: after that student's last result is in.
        self._emit_finished()

    @pytest.hookimpl(trylast=True)  # after pytest's own teardown of what is left
    def pytest_sessionfinish(self, session):
        self._emit_finished()

    def _emit_finished(self) -> None:
        for student in [s for s, p in self.progress.items() if p.finished is not None]:
            self.on_done(self._record(self.progress.pop(student)))

    def _record(self, progress: _Progress) -> Record:
        broken = sum(t.kind == GRADER_ERROR for t in progress.tests)
        if broken:  # the suite, not the student: never a final grade, regraded on the next run
            progress.status = GRADER_ERROR
            progress.reason = f"the grader failed on {broken} check(s); see grader-errors.log"
        handle = progress.handle
        ended = progress.finished if progress.finished is not None else time.monotonic()
        if progress.pending:
            self._settle(progress)
            ended = time.monotonic()
        if handle is not None and handle.public_missed:  # the suite's bug: public.py lacks them
            self.grader_errors.append(undeclared_line(progress.submission.student, handle.public_missed))
        record = Record(
            student=progress.submission.student,
            assignment=self.assignment.name,
            path=progress.submission.shown or progress.submission.path,
            notebook=progress.submission.notebook,
            seed=self.seed,
            sha256=progress.digest,
            limits=self.limits.to_json(),
            status=progress.status,
            reason=progress.reason,
            questions=self.questions(progress.tests),
            max_total=self.assignment.max_total,
            cells=sanitize.load_errors(handle.load_report if handle else []),
            output=sanitize.text(handle.output, sanitize.OUTPUT_LIMIT) if handle else "",
            artifacts=handle.artifacts if handle else {},
            seconds=round(ended - progress.started, 4),
            worker_max_rss_kb=handle.worker_max_rss_kb if handle else 0,
            worker_cpu_seconds=round(handle.worker_cpu_seconds, 4) if handle else 0.0,
            grader_max_rss_kb=progress.grader_max_rss_kb,
            extra={**progress.submission.extra, **({"inputs": "per-student"} if self.per_student else {})},
        )
        return sanitize.within(record.rescore(), sanitize.RECORD_LIMIT)


_UNDECLARED = (": public input(s) of ", " asked but not declared in PUBLIC_INPUTS (not prefetched): "
               "left out of the feedback")


def undeclared_line(student: str, functions) -> str:
    """grader-errors.log's line for public inputs a suite asked but its public.py does not declare."""
    return f"{student}{_UNDECLARED[0]}{', '.join(sorted(set(functions)))}{_UNDECLARED[1]}"


def undeclared_functions(line: str) -> list[str]:
    """The functions an :func:`undeclared_line` names ([] for any other line)."""
    if _UNDECLARED[0] not in line or not line.endswith(_UNDECLARED[1]):
        return []
    return line.split(_UNDECLARED[0], 1)[1][: -len(_UNDECLARED[1])].split(", ")


def _peak_rss_kb() -> int:
    """This process's peak resident memory since it started (VmHWM: unlike ru_maxrss, it does
    not carry over the peak of the process that forked and exec'd it)."""
    try:
        with open("/proc/self/status") as status:
            return int(next(line for line in status if line.startswith("VmHWM:")).split()[1])
    except (OSError, StopIteration, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _status(reason: str) -> str:
    """A record's status for a WorkerDied reason."""
    return {"gave-up": "crashed", "budget": "timeout"}.get(reason, reason)


class _Unusable:
    """Stands in for a Student whose submission cannot run: every use fails with the reason."""

    def __init__(self, status: str, reason: str):
        self.status, self.reason = status, reason
        self.artifacts: dict = {}

    def __getattr__(self, name):
        raise SubmissionUnusable(self.status, self.reason)
