"""Naming a student's mistake: compare their wrong answer with the bug zoo's answers.

The bug zoo (``autograder/<assignment>/bugzoo.py``) is *our* code: realistic wrong
implementations, each with a hint. When a check fails, the suite runs every zoo entry for the
same function on the same inputs, here in the grader (trusted code, so that is safe), and on
the public example; when exactly one entry behaves like the student's code on both, the
feedback names that mistake and its hint.
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
from gdkit.grading.checks import Outcome, is_close, raised_on_hidden

MESSAGE_KEPT = 2000  # characters of an exception's message a worker sends back (sandbox/calls.py)


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
    if spec is None or spec.loader is None:  # not a file Python can import (a .py always is)
        raise ImportError(f"cannot import {path}")
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
        return len(a) == len(b) and all(same_answer(x, y) for x, y in zip(a, b, strict=True))
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
    kind = {"b": "b", "i": "i", "u": "i", "f": "f", "c": "c"}
    if kind.get(a_array.dtype.kind) != kind.get(b_array.dtype.kind):
        return False
    if a_array.dtype.kind == "c":
        return bool(np.array_equal(a_array, b_array, equal_nan=True))
    if is_close(a_array, b_array, rtol=1e-7, atol=1e-10):
        return True
    # Two answers that are NaN in the same places (a diverging bug) are the same answer too.
    try:
        return bool(np.array_equal(a_array.astype(float), b_array.astype(float), equal_nan=True))
    except (TypeError, ValueError):
        return False


def _outcome_of(function, args, project=None) -> Outcome:
    """What a trusted zoo entry does on ``args``: its (projected) answer or the type it raises."""
    try:
        answer = function(*copy.deepcopy(args))
        return Outcome(value=project(answer) if project is not None else answer)
    except Exception as exc:  # the zoo entry crashed: that is what we compare
        return Outcome(exc_type=type(exc).__name__, message=str(exc))


def same_outcome(a: Outcome, b: Outcome, *, exact: bool = False) -> bool:
    """Two outcomes are the same behaviour: the same answer, or the same exception type (with
    ``exact``, the same message too, as far as a worker's reply keeps it)."""
    if a.raised or b.raised:
        return (a.raised and b.raised and a.exc_type == b.exc_type
                and (not exact or a.message.strip()[:MESSAGE_KEPT] == b.message.strip()[:MESSAGE_KEPT]))
    return same_answer(a.value, b.value)


def _uniform(outcome: Outcome) -> bool:
    """An answer whose entries are all one value (all zeros, a pair of such arrays): many
    mistakes give it, so it names none of them."""
    if outcome.raised:
        return False
    value = outcome.value
    parts = value if isinstance(value, (tuple, list)) and value else (value,)
    for part in parts:
        if not isinstance(part, np.ndarray) or part.size < 2 or part.dtype.kind not in "biuf":
            return False
        flat = part.ravel()
        if not np.all(flat == flat[0]):
            return False
    return True


def _projected(outcome: Outcome | None, project) -> Outcome | None:
    """``outcome`` with its answer projected (None when there is none, or it does not project)."""
    if outcome is None or project is None or outcome.raised:
        return outcome
    try:
        return Outcome(value=project(outcome.value))
    except Exception:
        return None


class Diagnoser:
    """Matches a student's behaviour against the zoo entries of one assignment.

    A mistake is named only when exactly one zoo entry behaves like the student's code on the
    failing (hidden) input *and* on the public example: one input can be matched by chance or
    by several entries at once, and naming a mistake the student did not make misleads.
    """

    def __init__(self, bugs: list[Bug]):
        self.bugs = bugs
        self._compiled: dict[tuple[str, str], object] = {}

    @classmethod
    def from_file(cls, path: Path) -> Diagnoser:
        """A Diagnoser for the zoo in ``path`` (an assignment's ``bugzoo.py``)."""
        return cls(load_zoo(path))

    def _function(self, bug: Bug):
        key = (bug.question, bug.name)
        if key not in self._compiled:
            self._compiled[key] = compile_source(bug.source, bug.function)
        return self._compiled[key]

    def identify(self, function: str, args: tuple, seen: Outcome, *, example=None, project=None):
        """(mistake, hint) of the one zoo entry behaving like the student on ``args``, on the
        public ``example`` (a checks.PublicExample of the same function) and on each of the
        example's public ``probes``; None otherwise.

        Behaving alike is giving the same answer, or raising the same exception type on the
        hidden input; on a public input a raise must match in type and text too (that text
        holds nothing hidden, and a type alone says little: a loop over rows and a misused
        ``out=`` both raise TypeError on a single number). When several entries raise alike
        on the hidden input, the one whose message is the student's too.
        """
        if example is None or getattr(example, "function", None) != function or _uniform(seen):
            return None
        public = _projected(example.outcome(), project)
        if public is None:
            return None
        alike, exact = [], []
        for bug in self.bugs:
            if bug.function != function:
                continue
            entry = self._function(bug)
            hidden = _outcome_of(entry, args, project)
            if not same_outcome(hidden, seen):
                continue
            if not same_outcome(_outcome_of(entry, example.args, project), public, exact=True):
                continue
            if not self._agrees_on_probes(entry, example, project):
                continue
            if not self._shown(entry, example, project):
                continue
            alike.append(bug)
            if same_outcome(hidden, seen, exact=True):
                exact.append(bug)
        for found in (alike, exact):
            if len(found) == 1:
                return found[0].name, found[0].hint
        return None

    @staticmethod
    def _agrees_on_probes(entry, example, project) -> bool:
        """Whether a zoo entry behaves like the student on every public probe of ``example``
        (a probe the student's code could not be run on confirms nothing)."""
        for probe in getattr(example, "probes", ()):
            student = _projected(example.probe_outcome(probe), project)
            if student is None or not same_outcome(_outcome_of(entry, probe, project), student, exact=True):
                return False
        return True

    @staticmethod
    def _shown(entry, example, project) -> bool:
        """With the example's ``reference`` (the contract's answers on public inputs): whether
        some public input shows the entry wrong. An entry right on the example and on every
        probe would be named from one hidden input alone, and code that only happens to agree
        with it there (an answer drawn from a few values: a key, a bool) be told a mistake it
        did not make. Without a reference, as before: the example and probes confirm."""
        reference = getattr(example, "reference", None)
        if reference is None:
            return True
        for args, expected in [(example.args, Outcome(value=example.expected))] + [
                (probe, _outcome_of(reference, probe)) for probe in getattr(example, "probes", ())]:
            mine, contract = _outcome_of(entry, args, project), _projected(expected, project)
            if contract is None or not same_outcome(mine, contract):
                return True
        return False

    def match(self, function: str, args: tuple, got, *, example=None, project=None):
        """(mistake, hint) for an answer ``got`` on ``args``: see :meth:`identify`."""
        return self.identify(function, args, Outcome(value=got), example=example, project=project)

    def for_call(self, function: str, *args, example=None, project=None):
        """A ``diagnose`` callable for the checks: got -> (mistake, hint) or None."""
        frozen = copy.deepcopy(args)
        return lambda got: self.match(function, frozen, got, example=example, project=project)

    def match_raised(self, function: str, args: tuple, exc_type: str, message: str = "", *, example=None):
        """(mistake, hint) of the one zoo entry that crashes like the student's code on ``args``
        (the same exception type) and behaves like it on the public example; else None."""
        return self.identify(function, args, Outcome(exc_type=exc_type, message=message), example=example)

    def call(self, student, function: str, *args, example=None, substitute=None, watch_inputs: bool = False):
        """``student.call`` where the student's exception becomes a Fail that names the function
        (and a known mistake when one fits): on hidden inputs only *that* it raised; the public
        ``example`` names the exception's type and text when the Fail is settled (see
        :func:`gdkit.grading.checks.raised_on_hidden`).

        NotImplementedError (an unwritten stub), a missing function and a dead worker propagate
        unchanged: the plugin has its own words for them. ``watch_inputs``: returns ``(value,
        changed)`` (see ``student.call``).
        """
        try:
            if watch_inputs:
                return student.call(function, *args, watch_inputs=True)
            return student.call(function, *args, substitute=substitute)
        except Exception as exc:
            exc_type = getattr(exc, "exc_type", None)
            if not exc_type or exc_type in ("NotImplementedError", "UngradableResult"):
                raise
            message, frozen = getattr(exc, "message", ""), copy.deepcopy(args)
            raise raised_on_hidden(function, example=example, diagnose=lambda: self.match_raised(
                function, frozen, exc_type, message, example=example)) from None
