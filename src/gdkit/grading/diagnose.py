"""Naming a student's mistake: compare their wrong answer with the bug zoo's answers.

The bug zoo (``autograder/<assignment>/bugzoo.py``) is *our* code: realistic wrong
implementations, each with a hint. When a check fails, the suite runs every zoo entry for the
same function on the same inputs, here in the grader (trusted code, so that is safe), and if
the student's output equals one of them, the feedback names that mistake and its hint.
The same zoo, with ``styles.py`` (other correct ways to write the answers), drives
``gdkit validate``.
"""
from __future__ import annotations

import copy
import importlib.util
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gdkit import network
from gdkit.grading.checks import fail, is_close, safe_exception_name


@dataclass(frozen=True)
class Bug:
    """A realistic wrong answer: ``source`` is a complete ``def function(...)`` for ``question``.

    ``also_loses`` lists the other questions this bug may legitimately cost (only
    ``q5_convergence``-like questions that use the student's functions together, or a question
    whose given code calls this function in a way the bug breaks).
    """

    name: str
    question: str
    function: str
    source: str
    hint: str
    also_loses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Style:
    """Another correct way to write some answers: {function name: complete def source}."""

    name: str
    answers: dict = field(default_factory=dict)


def load_module(path: Path, prefix: str):
    """Import a file from an assignment's autograder folder under a unique module name
    (both assignments have a ``bugzoo.py``, so the plain name would collide)."""
    path = Path(path).resolve()
    name = f"_gdkit_{prefix}_{path.parent.name}"
    if name in sys.modules and getattr(sys.modules[name], "__file__", None) == str(path):
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_zoo(path: Path) -> list[Bug]:
    """The ``BUGS`` list of a ``bugzoo.py`` file."""
    return list(load_module(path, "bugzoo").BUGS)


def load_styles(path: Path) -> list[Style]:
    """The ``STYLES`` list of a ``styles.py`` file."""
    return list(load_module(path, "styles").STYLES)


def _namespace() -> dict:
    # What a notebook's given cells provide (numpy, math, sigmoid); the other graded functions
    # are the reference's, so a zoo entry differs from the reference in its own function only.
    names = {name: getattr(network, name) for name in dir(network) if not name.startswith("_")}
    names.update(np=np, math=math)
    return names


def compile_source(source: str, function: str):
    """Execute a trusted ``def`` (a zoo entry or a style) and return the function it defines."""
    namespace = _namespace()
    exec(compile(source, f"<zoo:{function}>", "exec"), namespace)  # our own code, never a student's
    return namespace[function]


def same_answer(a, b) -> bool:
    """Whether two return values are the same answer (arrays to a tight tolerance)."""
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(same_answer(x, y) for x, y in zip(a, b))
    if isinstance(a, (tuple, list)) != isinstance(b, (tuple, list)):
        return False
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if isinstance(a, (bool, np.bool_)) or isinstance(b, (bool, np.bool_)):
        return isinstance(a, (bool, np.bool_)) and isinstance(b, (bool, np.bool_)) and bool(a) == bool(b)
    try:
        a_array, b_array = np.asarray(a), np.asarray(b)
    except Exception:
        return False
    if a_array.shape != b_array.shape or a_array.dtype == object or b_array.dtype == object:
        return False
    # Booleans, integers and floats with equal values are still different answers when the
    # contract names the type (e.g. "an integer array").
    kind = {"b": "b", "i": "i", "u": "i", "f": "f", "c": "f"}
    if kind.get(a_array.dtype.kind) != kind.get(b_array.dtype.kind):
        return False
    if is_close(a_array, b_array, rtol=1e-7, atol=1e-10):
        return True
    # Two answers that are NaN in the same places (a diverging bug) are the same answer too.
    try:
        return bool(np.array_equal(a_array.astype(float), b_array.astype(float), equal_nan=True))
    except (TypeError, ValueError):
        return False


class Diagnoser:
    """Matches a student's output against the zoo entries of one assignment."""

    def __init__(self, bugs: list[Bug]):
        self.bugs = bugs
        self._compiled: dict[str, object] = {}

    @classmethod
    def from_file(cls, path: Path) -> "Diagnoser":
        """A Diagnoser for the zoo in ``path`` (an assignment's ``bugzoo.py``)."""
        return cls(load_zoo(path))

    def _function(self, bug: Bug):
        key = (bug.question, bug.name)
        if key not in self._compiled:
            self._compiled[key] = compile_source(bug.source, bug.function)
        return self._compiled[key]

    def match(self, function: str, args: tuple, got, *, project=None):
        """(mistake, hint) of the first zoo entry for ``function`` whose answer on ``args``
        equals ``got``, or None. ``project`` maps a return value to the part being judged
        (e.g. one element of a returned pair)."""
        for bug in self.bugs:
            if bug.function != function:
                continue
            try:
                answer = self._function(bug)(*copy.deepcopy(args))
                if project is not None:
                    answer = project(answer)
            except Exception:
                continue
            if same_answer(answer, got):
                return bug.name, bug.hint
        return None

    def for_call(self, function: str, *args, project=None):
        """A ``diagnose`` callable for the checks: got -> (mistake, hint) or None."""
        frozen = copy.deepcopy(args)
        return lambda got: self.match(function, frozen, got, project=project)

    def match_raised(self, function: str, args: tuple, exc_type: str, message: str = ""):
        """(mistake, hint) of the zoo entry for ``function`` that crashes like the student's code
        on ``args``: the same exception type and message, else the only entry with that type.
        None when nothing or several entries fit (a guess between mistakes would mislead)."""
        same_type, same_message = [], []
        for bug in self.bugs:
            if bug.function != function:
                continue
            try:
                self._function(bug)(*copy.deepcopy(args))
            except Exception as exc:  # the zoo entry crashed: that is what we compare
                if type(exc).__name__ == exc_type:
                    same_type.append((bug.name, bug.hint))
                    if str(exc).strip() == message.strip():
                        same_message.append((bug.name, bug.hint))
        for found in (same_message, same_type):
            if len(found) == 1:
                return found[0]
        return None

    def call(self, student, function: str, *args, example=None, return_args: bool = False, substitute=None):
        """``student.call`` that turns a crash matching a known mistake into a Fail naming it.

        Other crashes propagate unchanged, so the plugin reports them as the student's exception.
        """
        try:
            return student.call(function, *args, return_args=return_args, substitute=substitute)
        except Exception as exc:
            exc_type = getattr(exc, "exc_type", None)
            found = (self.match_raised(function, args, exc_type, getattr(exc, "message", ""))
                     if exc_type else None)
            if found is None:
                raise
            # The type only: the message may quote the hidden inputs (the example shows a public one).
            problem = fail(f"Your function raised {safe_exception_name(exc_type)}.", example=example)
            problem.mistake, problem.hint = found
            raise problem from None
