"""Trusted assertion helpers for the hidden suites, producing feedback a student may read.

A failed check raises :class:`Fail`. Its fields are of two kinds:

- student-safe in any case: ``message`` states what the contract expected and what was found,
  in a fixed vocabulary for answers to hidden inputs (wrong shape, wrong values, NaN, raised
  TypeError); ``example`` shows the student's answer on a small *public* example (never the
  hidden random inputs); ``mistake``/``hint`` name a known mistake when the answer matches one
  bug-zoo entry, and only that one, on the failing input and on the public example;
- ``detail``: the hidden specifics (input sizes, alpha values, thresholds, how many entries
  differ), for the instructor; shown to a student only when the course's feedback detail is
  ``"full"``.

The grading plugin records these fields; any other exception escaping a test is reported as a
generic grader error, so hidden code never leaks.

Values come back from the student's worker, so they may be anything: None, strings, ragged
lists, NaN, complex numbers. Every helper turns those into a clear ``Fail`` instead of crashing,
and none accepts a complex value for a real one (a right real part with an imaginary part
attached is a wrong answer).
"""
from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from gdkit.grading import sanitize

DETAIL_LIMIT = 600      # characters of hidden specifics kept per check
EXAMPLE_TEXT = 200      # characters of an exception message shown from the public example
# dtype kinds a real-valued answer may have: bool, signed and unsigned integers, floats.
REAL_KINDS = frozenset("biuf")


class Fail(AssertionError):
    """A check the student's answer did not pass.

    ``message``, ``example``, ``mistake`` and ``hint`` are student-safe text; ``detail`` holds
    the hidden specifics (sizes, alpha values, thresholds) shown only with full feedback;
    ``kind`` is ``fail`` or ``raised`` (the student's function raised on a hidden input).
    A lazy ``example`` (a callable) is rendered here, once, so a Fail never carries a function.
    """

    def __init__(self, message: str, *, example=None, mistake: str | None = None,
                 hint: str | None = None, detail: str | None = None, kind: str = "fail"):
        super().__init__(message)
        self.message = message
        self.example = _resolve(example)
        self.mistake = mistake
        self.hint = hint
        self.detail = _bounded(detail)
        self.kind = kind

    def __str__(self) -> str:
        parts = [self.message]
        if self.mistake:
            parts.append(f"Likely mistake: {self.mistake}.")
        if self.hint:
            parts.append(f"Hint: {self.hint}")
        if self.example:
            parts.append(self.example)
        return "\n".join(parts)


def _bounded(detail) -> str | None:
    if not detail:
        return None
    text = " ".join(str(detail).split())
    return text if len(text) <= DETAIL_LIMIT else text[: DETAIL_LIMIT - 3] + "..."


def join_detail(*parts) -> str:
    """Hidden specifics joined with '; ' (empty parts dropped)."""
    return "; ".join(str(p) for p in parts if p)


def _resolve(thing):
    """``example``/``diagnose`` may be given lazily (a callable) so the work happens on failure
    only. The result is text or None: never the callable itself, whose repr holds an address."""
    if callable(thing):
        try:
            thing = thing()
        except Exception:  # a broken example must not hide the real failure
            return None
    return thing if isinstance(thing, str) or thing is None else None


def fail(message: str, *, example=None, diagnose=None, got=None, detail=None, hint=None) -> Fail:
    """Build a Fail, asking ``diagnose(got)`` for a known mistake (a (name, hint) pair or None)."""
    mistake = None
    if diagnose is not None:
        try:
            found = diagnose(got)
        except Exception:
            found = None
        if found is not None:
            mistake, hint = found
    return Fail(message, example=example, mistake=mistake, hint=hint, detail=detail)


def fmt(value, precision: int = 4) -> str:
    """A short, readable rendering of a value for feedback (arrays rounded, long ones cut).

    Deterministic: objects whose repr would hold a memory address are named by type only.
    """
    if isinstance(value, np.generic) and not isinstance(value, np.ndarray):
        value = value.item()
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in REAL_KINDS:
            return f"<{kind_of(value)}>"
        # One line, so a feedback line never breaks in the middle of a matrix.
        text = np.array2string(value, precision=precision, suppress_small=True, threshold=40,
                               max_line_width=10_000, separator=", ")
        return " ".join(text.split())
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float):
        return f"{value:.{precision + 2}g}"
    if isinstance(value, int):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    if isinstance(value, dict):
        text = "{" + ", ".join(f"{fmt(k)}: {fmt(v)}" for k, v in list(value.items())[:12]) + "}"
        return text if len(text) <= 200 and len(value) <= 12 else text[:196] + "...}"
    if isinstance(value, (list, tuple)):
        if len(value) > 12:
            return f"<a {type(value).__name__} of {len(value)} values>"
        inner = ", ".join(fmt(v) for v in value)
        return f"({inner}{',' if len(value) == 1 else ''})" if isinstance(value, tuple) else f"[{inner}]"
    if isinstance(value, str):
        return repr(sanitize.line(value, 80))
    return f"<{kind_of(value)}>"


def kind_of(value) -> str:
    """What kind of value this is, in a fixed vocabulary ("an array of floats", "a float"):
    nothing of the value itself, not even its shape or its dtype's name (both are the
    student's to choose, on hidden inputs too)."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "c":
        return "an array of complex numbers"
    if isinstance(value, (complex, np.complexfloating)):
        return "a complex number"
    if callable(value) and not isinstance(value, (np.ndarray, np.generic)):
        return "a function"
    return sanitize.kind(value)


def safe_exception_name(name: str) -> str:
    """A builtin exception's name as is; anything else (the student can name a class with
    hidden values) as a plain phrase."""
    return sanitize.exception_name(name)


def _returned(value) -> str:
    """'your function returned ...' in the fixed vocabulary (safe on hidden inputs)."""
    return "None (did you forget `return`?)" if value is None else kind_of(value)


def _real_array(got):
    """``got`` as an ndarray of real numbers, or None (complex, object, ragged, text...)."""
    if got is None or isinstance(got, (str, bytes, dict, complex, np.complexfloating)):
        return None
    try:
        array = np.asarray(got)
    except Exception:
        return None
    return array if array.dtype.kind in REAL_KINDS else None


def as_array(got, *, what: str, example=None, diagnose=None) -> np.ndarray:
    """The student's value as a real numeric ndarray, or Fail saying why it cannot be one."""
    array = _real_array(got)
    if array is not None:
        return array
    if got is None or isinstance(got, (str, bytes, dict)):
        raise fail(f"{what} should be a numpy array, but your function returned {_returned(got)}.",
                   example=example)
    try:
        dtype_kind = np.asarray(got).dtype.kind
    except Exception:
        dtype_kind = "O"
    if dtype_kind == "c":
        raise fail(f"{what} should hold real numbers, but your function returned complex numbers "
                   "(an imaginary part is never part of the answer).", example=example,
                   diagnose=diagnose, got=got)
    raise fail(f"{what} should be a numeric numpy array, but your function returned {_returned(got)}.",
               example=example, diagnose=diagnose, got=got, detail=f"returned {_returned(got)}")


def _shape_relation(shape: tuple, expected: tuple) -> str:
    """How a wrong shape relates to the expected one, in a fixed vocabulary."""
    if len(shape) != len(expected):
        return "a different number of dimensions than expected"
    if len(shape) >= 2 and shape == tuple(reversed(expected)):
        return "the expected shape transposed"
    return "a different shape than expected"


def expect_shape(got, shape, *, what: str, example=None, diagnose=None, hint: str | None = None,
                 shape_name: str = "", detail: str = ""):
    """Fail unless ``got`` is an array of exactly ``shape``; returns it as an ndarray.

    ``shape_name`` says the expected shape in the contract's letters ("(n, k)"): the numbers
    are hidden sizes, so they go to ``detail`` only.
    """
    array = as_array(got, what=what, example=example, diagnose=diagnose)
    shape = tuple(int(n) for n in shape)
    if array.shape != shape:
        should = f" (it should be {shape_name})" if shape_name else ""
        problem = fail(f"{what} has the wrong shape{should}: yours has {_shape_relation(array.shape, shape)}.",
                       example=example, diagnose=diagnose, got=array, hint=hint,
                       detail=join_detail(detail, f"expected shape {shape}"))
        raise problem
    return array


def _close(array: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> bool:
    return array.shape == expected.shape and bool(
        np.allclose(array.astype(float), expected.astype(float), rtol=rtol, atol=atol, equal_nan=False))


def is_close(got, expected, *, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """True when ``got`` is a real numeric array of ``expected``'s shape and values (no exceptions)."""
    try:
        array = _real_array(got)
        return array is not None and _close(array, np.asarray(expected), rtol, atol)
    except Exception:
        return False


def _how_many(wrong: int, size: int) -> str:
    return "every entry differs" if wrong == size else "some entries differ"


def expect_close(got, expected, *, what: str, example=None, diagnose=None, rtol: float = 1e-6,
                 atol: float = 1e-9, context: str = "", detail: str = "", shape_name: str = ""):
    """Fail unless ``got`` has ``expected``'s shape and values (to rtol/atol); returns the array.

    ``context`` says in which situation the check ran in words a student may read ("compared
    with the measured gradient"); ``detail`` holds the hidden specifics ("with 5 rows and
    3 outputs"), kept out of the message.
    """
    expected = np.asarray(expected)
    array = as_array(got, what=what, example=example, diagnose=diagnose)
    if _close(array, expected, rtol, atol):
        return array
    expect_shape(array, expected.shape, what=what, example=example, diagnose=diagnose,
                 shape_name=shape_name, detail=detail)
    where = f" {context}" if context else ""
    values = array.astype(float)
    if not np.all(np.isfinite(values)) and np.all(np.isfinite(expected.astype(float))):
        raise fail(f"{what} contains NaN or inf{where}; the expected values are all finite.",
                   example=example, diagnose=diagnose, got=array, detail=detail)
    wrong = int(np.sum(~np.isclose(values, expected.astype(float), rtol=rtol, atol=atol)))
    raise fail(f"{what} has the right shape but wrong values{where}: {_how_many(wrong, expected.size)} "
               f"from the contract.", example=example, diagnose=diagnose, got=array,
               detail=join_detail(detail, f"{wrong} of {expected.size} entries differ"))


def expect_equal(got, expected, *, what: str, example=None, diagnose=None, context: str = "",
                 integer: bool = False, detail: str = "", shape_name: str = ""):
    """Fail unless ``got`` equals ``expected`` exactly (shape and values); ``integer`` also
    requires an integer dtype (not bool, not float)."""
    expected = np.asarray(expected)
    array = expect_shape(got, expected.shape, what=what, example=example, diagnose=diagnose,
                         shape_name=shape_name, detail=detail)
    where = f" {context}" if context else ""
    if integer and array.dtype.kind not in "iu":
        raise fail(f"{what} should be an array of integers (0 or 1), but yours is "
                   f"{kind_of(array)}; convert with .astype(int).", example=example,
                   diagnose=diagnose, got=array, detail=detail)
    if not np.array_equal(array, expected):
        wrong = int(np.sum(array != expected))
        raise fail(f"{what} has wrong values{where}: {_how_many(wrong, expected.size)} from the "
                   f"contract.", example=example, diagnose=diagnose, got=array,
                   detail=join_detail(detail, f"{wrong} of {expected.size} entries differ"))
    return array


def expect_unmodified(before, after, *, what: str, example=None,
                      hint: str = "work on a copy or build a new array (e.g. `a = a - b`, not `a -= b`)"):
    """Fail when the student's function changed an input it was not allowed to change."""
    before_array = np.asarray(before)
    after_array = _real_array(after)
    same = (after_array is not None and before_array.shape == after_array.shape
            and np.array_equal(before_array, after_array, equal_nan=True))
    if not same:
        raise Fail(f"Your function modified {what}, which the contract says must stay untouched.",
                   example=example, mistake="modifies its input in place", hint=hint)


def as_bool(got, *, what: str, example=None, diagnose=None) -> bool:
    """The student's value as a Python bool: bools, numpy bools and 0-d boolean arrays only."""
    if isinstance(got, (bool, np.bool_)):
        return bool(got)
    if isinstance(got, np.ndarray) and got.shape == () and got.dtype == bool:
        return bool(got)
    raise fail(f"{what} should be True or False, but your function returned {_returned(got)}.",
               example=example, diagnose=diagnose, got=got, detail=f"returned {_returned(got)}")


def expect_number(got, *, what: str, example=None) -> float:
    """The student's value as a float: real ints/floats and 0-d real numeric arrays only."""
    if isinstance(got, (bool, np.bool_, complex, np.complexfloating)):
        raise fail(f"{what} should be a real number, but your function returned {_returned(got)}.",
                   example=example)
    if isinstance(got, (Real, np.integer, np.floating)):
        return float(got)
    if isinstance(got, np.ndarray) and got.shape == () and got.dtype.kind in "iuf":
        return float(got)
    raise fail(f"{what} should be a number, but your function returned {_returned(got)}.",
               example=example, detail=f"returned {_returned(got)}")


def expect_pair(got, *, what: str, example=None, diagnose=None) -> tuple:
    """Fail unless ``got`` is a pair (tuple or list of two); returns it as a tuple."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise fail(f"{what} should be a pair of two arrays, like `return a, b`, but your function "
                   f"returned {_returned(got)}.", example=example, diagnose=diagnose, got=got,
                   detail=f"returned {_returned(got)}")
    return tuple(got)


def expect_integral(got, *, what: str, example=None) -> int:
    """The student's value as an int (Python or numpy integer), else Fail."""
    if isinstance(got, (Integral, np.integer)) and not isinstance(got, (bool, np.bool_)):
        return int(got)
    raise fail(f"{what} should be a whole number, but your function returned {_returned(got)}.",
               example=example)


# ---- the public example ---------------------------------------------------------------------

def _argument_kind(value) -> str:
    """What an argument of the public example is: 'an array (2, 3) of floats', 'a float'."""
    kind = kind_of(value)
    if isinstance(value, np.ndarray):
        return kind.replace("an array", f"an array {tuple(value.shape)}", 1)
    if isinstance(value, (list, tuple, dict)):
        return f"{kind} of {len(value)}"
    return kind


class Outcome:
    """What a function did on one input: returned ``value``, or raised ``exc_type`` (with its
    ``message``); ``available`` is False when it could not be run at all (missing, died)."""

    def __init__(self, value=None, exc_type: str | None = None, message: str = "", available: bool = True):
        self.value, self.exc_type, self.message, self.available = value, exc_type, message, available

    @property
    def raised(self) -> bool:
        return self.exc_type is not None


class PublicExample:
    """A small, fixed, public example of one graded function, shown under a failed check.

    Calling it renders the text (inputs with their kinds, the expected answer and what the
    student's code did); :meth:`outcome` is the student's answer there, asked once of a twin
    worker that never saw a hidden input, and also confirms a diagnosis on a second input.
    """

    def __init__(self, student, function: str, args: tuple, expected, *, names: tuple[str, ...] = ()):
        self.student, self.function, self.args, self.expected = student, function, tuple(args), expected
        self.names = tuple(names) or tuple(f"arg{i}" for i in range(len(self.args)))
        self._outcome: Outcome | None = None
        self._text: str | None = None

    def outcome(self) -> Outcome | None:
        """The student's outcome on the example; None when it could not be had (no function,
        the twin died)."""
        if self._outcome is None:
            try:
                public = self.student.public() if hasattr(self.student, "public") else self.student
                self._outcome = Outcome(value=public.call(self.function, *self.args))
            except Exception as exc:  # StudentRaised, MissingFunction, WorkerDied
                kind = getattr(exc, "exc_type", None)
                self._outcome = (Outcome(exc_type=str(kind), message=str(getattr(exc, "message", "")))
                                 if kind else Outcome(available=False))
        return self._outcome if self._outcome.available else None

    def render(self) -> str:
        if self._text is None:
            lines = [f"On a small example, {self.function}(" + ", ".join(self.names) + ") with:"]
            width = max(len(n) for n in self.names) if self.names else 0
            lines += [f"  {name.ljust(width)} = {fmt(value)}   ({_argument_kind(value)})"
                      for name, value in zip(self.names, self.args)]
            lines.append(f"  expected: {fmt(self.expected)}")
            outcome = self.outcome()
            if outcome is None:
                lines.append("  your code could not be run on it (see the message above)")
            elif outcome.raised:
                # On this public example the exception's text holds no hidden value.
                text = sanitize.line(outcome.message, EXAMPLE_TEXT)
                lines.append(f"  your code raised {safe_exception_name(outcome.exc_type)}"
                             + (f": {text}" if text else ""))
            else:
                lines.append(f"  your code returned: {sanitize.line(fmt(outcome.value), 1000)}")
            self._text = "\n".join(lines)
        return self._text

    __call__ = render


def example_of(student, function: str, args: tuple, expected, *, names: tuple[str, ...] = ()) -> PublicExample:
    """A lazy public example: see :class:`PublicExample`."""
    return PublicExample(student, function, args, expected, names=names)
