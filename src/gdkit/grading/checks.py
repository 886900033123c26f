"""Trusted assertion helpers for the hidden suites, producing feedback a student may read.

A failed check raises :class:`Fail`. Everything in it is safe to show a student: ``message``
states what the contract expected, ``example`` shows the student's answer on a small *public*
example (never the hidden random inputs), ``mistake``/``hint`` name a known mistake when the
answer matches one from the bug zoo. The grading plugin records these fields; any other
exception escaping a test is reported as a generic grader error, so hidden code never leaks.

Values come back from the student's worker, so they may be anything: None, strings, ragged
lists, NaN. Every helper turns those into a clear ``Fail`` instead of crashing.
"""
from __future__ import annotations

from numbers import Integral, Real

import numpy as np


class Fail(AssertionError):
    """A check the student's answer did not pass; every field is student-safe text."""

    def __init__(self, message: str, *, example: str | None = None,
                 mistake: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.example = example
        self.mistake = mistake
        self.hint = hint

    def __str__(self) -> str:
        parts = [self.message]
        if self.mistake:
            parts.append(f"Likely mistake: {self.mistake}.")
        if self.hint:
            parts.append(f"Hint: {self.hint}")
        if self.example:
            parts.append(self.example)
        return "\n".join(parts)


def _resolve(thing):
    """``example``/``diagnose`` may be given lazily (a callable) so the work happens on failure only."""
    if callable(thing):
        try:
            return thing()
        except Exception:  # a broken example must not hide the real failure
            return None
    return thing


def fail(message: str, *, example=None, diagnose=None, got=None) -> Fail:
    """Build a Fail, resolving the lazy example and asking ``diagnose(got)`` for a known mistake."""
    mistake = hint = None
    if diagnose is not None:
        try:
            found = diagnose(got)
        except Exception:
            found = None
        if found is not None:
            mistake, hint = found
    return Fail(message, example=_resolve(example), mistake=mistake, hint=hint)


def fmt(value, precision: int = 4) -> str:
    """A short, readable rendering of a value for feedback (arrays rounded, long ones cut)."""
    if isinstance(value, np.ndarray):
        # One line, so a feedback line never breaks in the middle of a matrix.
        text = np.array2string(value, precision=precision, suppress_small=True, threshold=40,
                               max_line_width=10_000, separator=", ")
        return " ".join(text.split())
    if isinstance(value, float):
        return f"{value:.{precision + 2}g}"
    if isinstance(value, dict):
        text = "{" + ", ".join(f"{fmt(k)}: {fmt(v)}" for k, v in list(value.items())[:12]) + "}"
        return text if len(text) <= 200 and len(value) <= 12 else text[:196] + "...}"
    if isinstance(value, (list, tuple)) and len(value) <= 12:
        inner = ", ".join(fmt(v) for v in value)
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def safe_exception_name(name: str) -> str:
    """A builtin exception's name as is; anything else (the student can name a class with
    hidden values) as a plain phrase."""
    import builtins

    known = getattr(builtins, str(name), None)
    if isinstance(known, type) and issubclass(known, BaseException):
        return str(name)
    return "an exception of a class of its own"


def describe(value) -> str:
    """What kind of value this is, for 'expected X, got Y' messages on hidden inputs.

    Only the kind and shape, never the contents: a value computed from hidden inputs could
    carry them (a student could even return ``str(layer_2)``) into the feedback.
    """
    if value is None:
        return "None (did you forget `return`?)"
    if isinstance(value, (bool, np.bool_)):
        return f"a bool ({bool(value)})"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (list, tuple, str, dict)):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"a {type(value).__name__}"


def as_array(got, *, what: str, example=None, diagnose=None) -> np.ndarray:
    """The student's value as a numeric ndarray, or Fail saying why it cannot be one."""
    if got is None or isinstance(got, (str, bytes, dict)):
        raise fail(f"{what} should be a numpy array, but your function returned {describe(got)}.",
                   example=example)
    try:
        array = np.asarray(got)
    except Exception:
        array = None
    if array is None or array.dtype == object or not (
            np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise fail(f"{what} should be a numeric numpy array, but your function returned "
                   f"{describe(got)}.", example=example, diagnose=diagnose, got=got)
    return array


def expect_shape(got, shape, *, what: str, example=None, diagnose=None, hint: str | None = None):
    """Fail unless ``got`` is an array of exactly ``shape``; returns it as an ndarray."""
    array = as_array(got, what=what, example=example, diagnose=diagnose)
    if array.shape != tuple(shape):
        problem = fail(f"{what} should have shape {tuple(shape)}, but yours has shape {array.shape}.",
                       example=example, diagnose=diagnose, got=array)
        if problem.hint is None and hint:
            problem.hint = hint
        raise problem
    return array


def _close(array: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> bool:
    return array.shape == expected.shape and bool(
        np.allclose(array.astype(float), expected.astype(float), rtol=rtol, atol=atol, equal_nan=False))


def is_close(got, expected, *, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """True when ``got`` is a numeric array of ``expected``'s shape and values (no exceptions)."""
    try:
        array = np.asarray(got)
        if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            return False
        return _close(array, np.asarray(expected), rtol, atol)
    except Exception:
        return False


def expect_close(got, expected, *, what: str, example=None, diagnose=None, alternatives=(),
                 rtol: float = 1e-6, atol: float = 1e-9, context: str = ""):
    """Fail unless ``got`` has ``expected``'s shape and values (to rtol/atol); returns the array.

    ``alternatives`` (arrays, or a callable returning them) are also accepted (e.g. the contract evaluated with the
    student's own helper, so that one mistake is not charged twice). ``context`` says in which
    situation the check ran, e.g. "with 5 rows and 3 outputs" (never the hidden values).
    """
    expected = np.asarray(expected)
    array = as_array(got, what=what, example=example, diagnose=diagnose)
    if _close(array, expected, rtol, atol):
        return array
    # Alternatives may cost a student call, so they are computed only on a mismatch.
    for alt in (alternatives() if callable(alternatives) else alternatives):
        if alt is not None and is_close(array, alt, rtol=rtol, atol=atol):
            return array
    expect_shape(array, expected.shape, what=what, example=example, diagnose=diagnose)
    where = f" {context}" if context else ""
    if not np.all(np.isfinite(array.astype(float))):
        raise fail(f"{what} contains NaN or inf{where}; the expected values are all finite.",
                   example=example, diagnose=diagnose, got=array)
    wrong = int(np.sum(~np.isclose(array.astype(float), expected.astype(float), rtol=rtol, atol=atol)))
    raise fail(f"{what} has the right shape but wrong values{where}: {wrong} of {expected.size} "
               f"entries differ from the contract.", example=example, diagnose=diagnose, got=array)


def expect_equal(got, expected, *, what: str, example=None, diagnose=None, context: str = "",
                 integer: bool = False):
    """Fail unless ``got`` equals ``expected`` exactly (shape and values); ``integer`` also
    requires an integer dtype (not bool, not float)."""
    expected = np.asarray(expected)
    array = expect_shape(got, expected.shape, what=what, example=example, diagnose=diagnose)
    where = f" {context}" if context else ""
    if integer and not np.issubdtype(array.dtype, np.integer):
        raise fail(f"{what} should be an array of integers (0 or 1), but yours has dtype "
                   f"{array.dtype}; convert with .astype(int).", example=example,
                   diagnose=diagnose, got=array)
    if not np.array_equal(array, expected):
        wrong = int(np.sum(array != expected))
        raise fail(f"{what} has wrong values{where}: {wrong} of {expected.size} entries differ "
                   f"from the contract.", example=example, diagnose=diagnose, got=array)
    return array


def expect_unmodified(before, after, *, what: str, example=None,
                      hint: str = "work on a copy or build a new array (e.g. `a = a - b`, not `a -= b`)"):
    """Fail when the student's function changed an input it was not allowed to change."""
    before_array, after_array = np.asarray(before), np.asarray(after)
    same = (before_array.shape == after_array.shape
            and np.array_equal(before_array, after_array, equal_nan=True))
    if not same:
        raise Fail(f"Your function modified {what}, which the contract says must stay untouched.",
                   example=_resolve(example), mistake="modifies its input in place", hint=hint)


def as_bool(got, *, what: str, example=None, diagnose=None) -> bool:
    """The student's value as a Python bool: bools, numpy bools and 0-d boolean arrays only."""
    if isinstance(got, (bool, np.bool_)):
        return bool(got)
    if isinstance(got, np.ndarray) and got.shape == () and got.dtype == bool:
        return bool(got)
    raise fail(f"{what} should be True or False, but your function returned {describe(got)}.",
               example=example, diagnose=diagnose, got=got)


def expect_number(got, *, what: str, example=None) -> float:
    """The student's value as a float: ints/floats/0-d numeric arrays only."""
    if isinstance(got, (bool, np.bool_)):
        raise fail(f"{what} should be a number, but your function returned {describe(got)}.",
                   example=example)
    if isinstance(got, (Real, np.number)):
        return float(got)
    if isinstance(got, np.ndarray) and got.shape == () and np.issubdtype(got.dtype, np.number):
        return float(got)
    raise fail(f"{what} should be a number, but your function returned {describe(got)}.",
               example=example)


def expect_pair(got, *, what: str, example=None, diagnose=None) -> tuple:
    """Fail unless ``got`` is a pair (tuple or list of two); returns it as a tuple."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise fail(f"{what} should be a pair of two arrays, like `return a, b`, but your function "
                   f"returned {describe(got)}.", example=example, diagnose=diagnose, got=got)
    return tuple(got)


def example_of(student, function: str, args: tuple, expected, *, names: tuple[str, ...] = ()):
    """A lazy public example: on failure, runs the student's function on ``args`` (small, fixed,
    public values) and renders inputs, expected and what the student's code returned."""

    def render() -> str:
        labels = names or tuple(f"arg{i}" for i in range(len(args)))
        lines = [f"On a small example, {function}("
                 + ", ".join(labels) + ") with:"]
        lines += [f"  {label} = {fmt(value)}" for label, value in zip(labels, args)]
        lines.append(f"  expected: {fmt(expected)}")
        try:
            # A twin worker that never saw a hidden input: the answer cannot carry one.
            public = student.public() if hasattr(student, "public") else student
            got = public.call(function, *args)
            lines.append(f"  your code returned: {fmt(got)}")
        except Exception as exc:  # StudentRaised, MissingFunction, WorkerDied: say it safely
            kind = getattr(exc, "exc_type", None) or type(exc).__name__
            detail = getattr(exc, "message", "")  # on this public example the text is safe to show
            lines.append(f"  your code raised {kind}" + (f": {detail}" if detail else ""))
        return "\n".join(lines)

    return render


def expect_integral(got, *, what: str, example=None) -> int:
    """The student's value as an int (Python or numpy integer), else Fail."""
    if isinstance(got, (Integral, np.integer)) and not isinstance(got, (bool, np.bool_)):
        return int(got)
    raise fail(f"{what} should be a whole number, but your function returned {describe(got)}.",
               example=example)
