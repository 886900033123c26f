"""Grading one question inside the student's own kernel: the path of ``nbgrader autograde``.

The masters' test cells end (in a hidden region nbgrader restores when autograding) with
``grade_question(assignment, question, globals())`` as the cell's last expression. It runs the
hidden suite with ``pytest.main`` in this process, exactly as ``gdkit grade`` does (the same
arguments and the same :class:`gdkit.grading.plugin.SuitePlugin`: markers, ``parametrize``,
fixtures, seeding, results, scoring), keeping only that question's tests, with the ``student``
fixture calling the notebook's functions through :class:`KernelStudent`; it returns the points
earned, so nbgrader records the same partial credit ``gdkit grade`` gives. The grade cell runs
when the notebook reaches it: the namespace holds what is defined up to that cell.

Nothing here is isolated: the tests run in the student's process (see README, "nbgrader").
The stand-in mirrors the sandbox client's contract so the suites behave the same: arguments
and answers pass through the sandbox's wire format (copies, the same types, the same refusal
of values that are not plain data), and the training loop is the one the worker runs
(:mod:`gdkit.grading.training`).
"""
from __future__ import annotations

import atexit
import contextlib
import io
import os
import shutil
import sys
import tempfile
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gdkit import assignments
from gdkit.grading import training, untouched
from gdkit.grading.plugin import SuitePlugin, pytest_args
from gdkit.grading.student import _SUBSTITUTE_PREAMBLE, MissingFunction, StudentRaised, training_start
from gdkit.record import TestResult
from gdkit.sandbox import protocol
from gdkit.sandbox.calls import builtin_bases, lookup, substituted


def _raised(exc: BaseException) -> StudentRaised:
    # The same fields as the worker's error reply (sandbox/worker.py, _error_reply).
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("<ipython-input")
              or f.filename.startswith("/tmp/ipykernel_")]
    text = "".join(traceback.format_list(frames[-5:]) + traceback.format_exception_only(type(exc), exc))
    return StudentRaised(type(exc).__name__[:100], _safe_str(exc)[:2000], text[-4000:], builtin_bases(exc))


def _safe_str(obj) -> str:
    try:
        return str(obj)
    except BaseException:
        return f"<unprintable {type(obj).__name__}>"


def _through_the_wire(value):
    """What the grader would receive from the worker: a decoded copy, or StudentRaised."""
    try:
        return protocol.decode(protocol.encode(value))
    except TypeError as exc:
        raise StudentRaised("UngradableResult",
                            f"the function returned something that is not numbers or arrays ({exc})") from None


def _copy_in(values):
    """What the worker would receive: arguments arrive as fresh copies, never the grader's objects."""
    return protocol.decode(protocol.encode(values))


class KernelStudent:
    """The ``student`` fixture's API (gdkit.grading.student.Student) over a live namespace."""

    def __init__(self, namespace: dict, errstate: dict | None = None):
        self.namespace = namespace
        # numpy's floating-point settings as the notebook left them: its functions run with
        # them, as in the worker, while the grader's own code runs with numpy's defaults.
        self.errstate = dict(errstate) if errstate is not None else np.geterr()
        self.artifacts: dict = {}

    def public(self) -> KernelStudent:
        """Public examples run here too: in a kernel nothing is isolated (and nbgrader shows none)."""
        return self

    def _function(self, name: str):
        function = lookup(self.namespace, name)
        if function is None:
            raise MissingFunction(name)
        return function

    def call(self, name: str, *args, return_args: bool = False, substitute: dict | None = None,
             watch_inputs: bool = False, **kwargs):
        """Call the student's ``name`` on copies of the arguments; see Student.call."""
        function = self._function(name)
        if watch_inputs:  # the same trusted watcher the worker runs
            try:
                with np.errstate(**self.errstate):
                    result = untouched.call(self.namespace, name, _copy_in(list(args)))
            except (Exception, SystemExit) as exc:
                raise _raised(exc) from None
            return _through_the_wire(result["value"]), list(result["changed"])
        args, kwargs = _copy_in(list(args)), _copy_in(kwargs)
        sources = {k: _SUBSTITUTE_PREAMBLE + v for k, v in (substitute or {}).items()}
        try:
            with substituted(self.namespace, sources), np.errstate(**self.errstate):
                value = function(*args, **kwargs)
        except (Exception, SystemExit) as exc:  # the student's exception, whatever it is
            raise _raised(exc) from None
        value = _through_the_wire(value)
        return (value, _through_the_wire(list(args))) if return_args else value

    def call_many(self, name: str, calls: list) -> list:
        """One entry per call: the value, or the StudentRaised instance (not raised)."""
        function = self._function(name)
        out = []
        for args in _copy_in([list(c) for c in calls]):
            try:
                try:
                    with np.errstate(**self.errstate):
                        value = function(*args)
                except (Exception, SystemExit) as exc:
                    raise _raised(exc) from None
                out.append(_through_the_wire(value))
            except StudentRaised as exc:
                out.append(exc)
        return out

    def train(self, X, y, alpha, hidden=4, iterations=1000, seed=1, *, stop_on_divergence=False,
              synapse_0=None, synapse_1=None, public: bool = False) -> dict:
        """The kit's training loop with the student's functions; see Student.train (``public``
        changes nothing here: in a kernel nothing is isolated)."""
        X, y, synapse_0, synapse_1 = training_start(X, y, hidden, seed, synapse_0, synapse_1)
        missing = training.missing_functions(self.namespace, bool(stop_on_divergence))
        if missing:
            raise MissingFunction(", ".join(missing))
        args = _copy_in({"X": X, "y": y, "synapse_0": synapse_0, "synapse_1": synapse_1})
        try:
            with np.errstate(**self.errstate):
                result = training.train(self.namespace, args["X"], args["y"], float(alpha), args["synapse_0"],
                                        args["synapse_1"], int(iterations), bool(stop_on_divergence))
        except (Exception, SystemExit) as exc:
            raise _raised(exc) from None
        return _through_the_wire(result)

    def has(self, name: str) -> bool:
        """Whether the namespace defines a callable ``name``."""
        return lookup(self.namespace, name) is not None


class GraderError(RuntimeError):
    """The hidden suite could not grade this question: a failure of the grader, not a score.

    Raised in the grade cell, so nbgrader shows it (with no points) in the autograded notebook
    where the instructor looks; ``gdkit grade`` on the same notebook logs the details.
    """


class KernelPlugin(SuitePlugin):
    """The shared suite plugin with the ``student`` fixture over the kernel's namespace."""

    def __init__(self, assignment: assignments.Assignment, namespace: dict, question: str, *,
                 seed: int | None = None, student: str | None = None, per_student: bool = False):
        super().__init__(assignment, seed=seed, question=question, per_student=per_student)
        self.kernel_student = KernelStudent(namespace)
        self.student_id = student or ""
        self.tests: list[TestResult] = []

    @pytest.fixture(scope="session")
    def student(self):
        return self.kernel_student

    def results_for(self, item) -> list[TestResult]:
        return self.tests

    def label(self, item) -> str:
        return self.student_id


@dataclass
class _Reuse:
    """What one kernel keeps between its grade cells, so only the first pays for importing the
    suite: pytest's empty ini file and which suite (folder, seed, file versions) is imported.

    The suite's modules stay in ``sys.modules`` (pytest's importlib mode takes them from there);
    they are dropped and imported afresh when the folder, the seed or a file changes, since a
    suite draws some inputs when imported.
    """

    ini: Path | None = None
    loaded: tuple | None = None   # (suite folder, seed, its files' versions)

    def ini_file(self) -> Path:
        if self.ini is None or not self.ini.is_file():
            folder = tempfile.mkdtemp(prefix="gdkit-kernel-")
            atexit.register(shutil.rmtree, folder, True)
            self.ini = Path(folder) / "pytest.ini"
            self.ini.write_text("[pytest]\n")
        return self.ini

    def prepare(self, suite_dir: Path, seed: int) -> None:
        """Keep the imported suite if it is this one, else forget every suite imported before."""
        suite_dir = suite_dir.resolve()
        key = (str(suite_dir), seed, _versions(suite_dir))
        if key == self.loaded:
            return
        folders = {str(suite_dir)} | ({self.loaded[0]} if self.loaded else set())
        for name, module in list(sys.modules.items()):
            file = getattr(module, "__file__", None)
            if isinstance(file, str) and any(_inside(os.path.realpath(file), f) for f in folders):
                del sys.modules[name]
        self.loaded = key


def _inside(path: str, folder: str) -> bool:
    return path.startswith(folder + os.sep)


def _versions(folder: Path) -> tuple:
    out = []
    for path in sorted(folder.rglob("*.py")):
        stat = path.stat()
        out.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(out)


_REUSE = _Reuse()


def kernel_student_id(assignment: str, cwd: Path | None = None) -> str | None:
    """The student whose notebook this kernel runs: nbgrader's autograde runs it in
    ``autograded/<student>/<assignment>/``, so the folder above the assignment's (None elsewhere)."""
    cwd = Path(cwd or os.getcwd())
    return cwd.parent.name if cwd.name == assignment and cwd.parent.name else None


def grade_question(assignment: str, qid: str, namespace: dict, *, seed: int | None = None,
                   student: str | None = None, course=None) -> float:
    """Points earned on question ``qid``: the hidden suite's tests of it run on ``namespace``,
    scored as ``gdkit grade`` scores them (points x passed weight / total weight).

    ``seed`` chooses the hidden inputs exactly as ``gdkit grade`` does (default ``$GDKIT_SEED``,
    else the course's ``[seed] secret`` with the assignment's name, else the assignment's fixed
    seed). With the course's ``[seed] per_student``, ``student`` (default: nbgrader's student
    folder, see kernel_student_id) joins the seed. ``course`` is
    the course folder (default: found as every command finds it, e.g. ``$GDKIT_COURSE``).
    Whatever the tests, pytest or the student's code print, and every warning, is kept off the
    cell's output: nbgrader gives 0 to a grade cell that wrote anything to stderr.
    :class:`GraderError` when the suite cannot grade (an error in the suite, not the student's);
    KeyboardInterrupt passes through.
    """
    from gdkit.export import settings
    from gdkit.grading import randomness

    root = Path(course) if course is not None else None
    chosen = settings.for_assignment(assignment, root=root)
    per_student = chosen.per_student
    seed = randomness.run_seed(assignment, seed, chosen.secret)  # as gdkit grade draws it
    student = student or (kernel_student_id(assignment) if per_student else None)
    if per_student and not student:
        raise ValueError("the course draws hidden inputs per student, but this kernel cannot tell whose "
                         f"notebook it runs (nbgrader autograde runs in autograded/<student>/{assignment}/)")
    definition = assignments.load(assignment, root)
    if definition.question(qid) is None:
        raise ValueError(f"{assignment} has no question {qid!r}; check the grade cell's grade_question call")
    plugin = KernelPlugin(definition, namespace, qid, seed=seed, student=student, per_student=per_student)
    _REUSE.prepare(definition.suite_dir, plugin.seed)
    args = pytest_args(definition.suite_dir, _REUSE.ini_file())
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), warnings.catch_warnings(), \
            np.errstate(**_NUMPY_DEFAULTS):
        warnings.simplefilter("ignore")
        code = pytest.main(args, plugins=[plugin])
    if plugin.interrupted:
        raise KeyboardInterrupt
    if plugin.grader_errors or code not in _GRADED:
        _REUSE.loaded = None  # import the suite afresh next time
        raise GraderError(_grader_error_line(assignment, qid, plugin, int(code))) from None
    (question,) = plugin.questions(plugin.tests)
    return question.score


# pytest's exit codes after which the tests ran: all passed, some failed, none of this question.
_GRADED = (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED)
_NUMPY_DEFAULTS: dict[str, Any] = {"divide": "warn", "over": "warn", "under": "ignore", "invalid": "warn"}


def _grader_error_line(assignment: str, qid: str, plugin: KernelPlugin, code: int) -> str:
    """One line for the instructor: what failed and its exception type, never a traceback or an
    exception's text (the autograded notebook may become the student's feedback)."""
    what = "; ".join(plugin.broken[:3]) + (f"; and {len(plugin.broken) - 3} more" if len(plugin.broken) > 3 else "")
    return (f"the hidden suite of {assignment} could not grade {qid} (pytest exit {code}"
            f"{': ' + what if what else ''}); this is the grader's failure, not a score: run `gdkit grade` "
            "on this notebook for the details")
