"""Grading one question inside the student's own kernel: the path of ``nbgrader autograde``.

The masters' test cells end (in a hidden region nbgrader restores when autograding) with
``grade_question(assignment, question, globals())`` as the cell's last expression. It runs the
hidden suite's tests of that question against the notebook's namespace, with :class:`KernelStudent`
standing in for the ``student`` fixture, and returns the points earned with the plugin's formula,
so nbgrader records the same partial credit ``gdkit grade`` gives.

Nothing here is isolated: the tests run in the student's process (see README, "nbgrader").
The stand-in mirrors the sandbox client's contract so the suites behave the same: arguments
and answers pass through the sandbox's wire format (copies, the same types, the same refusal
of values that are not plain data), and the training loop is the one the worker runs
(:mod:`gdkit.grading.training`).
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import sys
import traceback
import warnings
from pathlib import Path

import numpy as np

from gdkit import assignments
from gdkit.grading import randomness, training
from gdkit.grading.plugin import MARKER, test_key
from gdkit.record import TestResult, question_score
from gdkit.grading.student import _SUBSTITUTE_PREAMBLE, MissingFunction, StudentRaised, WorkerDied, training_start
from gdkit.sandbox import protocol
from gdkit.sandbox.calls import lookup, substituted


def _raised(exc: BaseException) -> StudentRaised:
    # The same fields as the worker's error reply (sandbox/worker.py, _error_reply).
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("<ipython-input")
              or f.filename.startswith("/tmp/ipykernel_")]
    text = "".join(traceback.format_list(frames[-5:]) + traceback.format_exception_only(type(exc), exc))
    return StudentRaised(type(exc).__name__[:100], _safe_str(exc)[:2000], text[-4000:])


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

    def __init__(self, namespace: dict):
        self.namespace = namespace
        self.artifacts: dict = {}

    def public(self) -> "KernelStudent":
        """Public examples run here too: in a kernel nothing is isolated (and nbgrader shows none)."""
        return self

    def _function(self, name: str):
        function = lookup(self.namespace, name)
        if function is None:
            raise MissingFunction(name)
        return function

    def call(self, name: str, *args, return_args: bool = False, substitute: dict | None = None, **kwargs):
        """Call the student's ``name`` on copies of the arguments; see Student.call."""
        function = self._function(name)
        args, kwargs = _copy_in(list(args)), _copy_in(kwargs)
        sources = {k: _SUBSTITUTE_PREAMBLE + v for k, v in (substitute or {}).items()}
        try:
            with substituted(self.namespace, sources):
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
                    value = function(*args)
                except (Exception, SystemExit) as exc:
                    raise _raised(exc) from None
                out.append(_through_the_wire(value))
            except StudentRaised as exc:
                out.append(exc)
        return out

    def train(self, X, y, alpha, hidden=4, iterations=1000, seed=1, *, stop_on_divergence=False,
              synapse_0=None, synapse_1=None) -> dict:
        """The kit's training loop with the student's functions; see Student.train."""
        X, y, synapse_0, synapse_1 = training_start(X, y, hidden, seed, synapse_0, synapse_1)
        missing = training.missing_functions(self.namespace, bool(stop_on_divergence))
        if missing:
            raise MissingFunction(", ".join(missing))
        args = _copy_in({"X": X, "y": y, "synapse_0": synapse_0, "synapse_1": synapse_1})
        try:
            result = training.train(self.namespace, args["X"], args["y"], float(alpha), args["synapse_0"],
                                args["synapse_1"], int(iterations), bool(stop_on_divergence))
        except (Exception, SystemExit) as exc:
            raise _raised(exc) from None
        return _through_the_wire(result)

    def has(self, name: str) -> bool:
        """Whether the namespace defines a callable ``name``."""
        return lookup(self.namespace, name) is not None


def _suite_module(path: Path):
    # One import per kernel: a suite's module-level setup (bug zoo, rng) is shared by its tests.
    name = f"_gdkit_inkernel_{path.parent.name}_{path.stem}"
    module = sys.modules.get(name)
    if module is None or getattr(module, "__file__", None) != str(path):
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module


def question_tests(assignment: assignments.Assignment, qid: str) -> list[tuple[object, float]]:
    """The hidden suite's tests of one question, in file order: [(test function, weight)]."""
    found = []
    for path in sorted(assignment.suite_dir.glob("test_*.py")):
        module = _suite_module(path.resolve())
        for name, function in vars(module).items():
            if not (name.startswith("test") and callable(function)):
                continue
            for mark in getattr(function, "pytestmark", []):
                if mark.name == MARKER and mark.args and mark.args[0] == qid:
                    found.append((function, float(mark.kwargs.get("weight", 1))))
    return found


def kernel_student_id(assignment: str, cwd: Path | None = None) -> str | None:
    """The student whose notebook this kernel runs: nbgrader's autograde runs it in
    ``autograded/<student>/<assignment>/``, so the folder above the assignment's (None elsewhere)."""
    cwd = Path(cwd or os.getcwd())
    return cwd.parent.name if cwd.name == assignment and cwd.parent.name else None


def _passes(test, student: KernelStudent, student_id: str | None = None) -> bool:
    # The same inputs as `gdkit grade` draws for this student and test (see randomness).
    randomness.start_test(test_key(sys.modules[test.__module__].__file__, test.__name__), student_id)
    try:
        test(student)
    except WorkerDied:  # cannot happen in a kernel; listed so the intent is plain
        return False
    except Exception:  # a Fail, the student's exception, a missing function: the test failed
        return False
    return True


def grade_question(assignment: str, qid: str, namespace: dict, *, seed: int | None = None,
                   student: str | None = None) -> float:
    """Points earned on question ``qid``: points x passed weight / total weight, as the plugin.

    ``seed`` chooses the hidden inputs exactly as ``gdkit grade`` does (default ``$GDKIT_SEED``,
    else the assignment's fixed seed). With the course's ``[seed] per_student``, ``student``
    (default: nbgrader's student folder, see kernel_student_id) joins the seed.
    Whatever the tests or the student's code print, and every warning, is kept off the cell's
    output: nbgrader gives 0 to a grade cell that wrote anything to stderr.
    """
    from gdkit.export import settings

    per_student = settings.for_assignment(assignment).per_student
    student = student or (kernel_student_id(assignment) if per_student else None)
    if per_student and not student:
        raise ValueError("the course draws hidden inputs per student, but this kernel cannot tell "
                         f"whose notebook it runs (nbgrader autograde runs in autograded/<student>/{assignment}/)")
    randomness.start_run(randomness.run_seed(assignment, seed), per_student)
    definition = assignments.load(assignment)
    question = definition.question(qid)
    if question is None:
        raise ValueError(f"{assignment} has no question {qid!r}")
    tests = question_tests(definition, qid)
    kernel = KernelStudent(namespace)
    results = []
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), \
            warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for test, weight in tests:
            results.append(TestResult(test.__name__, qid, weight, _passes(test, kernel, student)))
    return question_score(question.points, results)
