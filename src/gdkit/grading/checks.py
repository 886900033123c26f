"""Trusted assertion helpers for the hidden suites, producing feedback a student may read.

A failed check raises :class:`Fail`. Its fields are of two kinds:

- student-safe in any case: ``message`` states what the contract expected and what was found,
  in a fixed vocabulary for answers to hidden inputs (wrong shape, wrong values, NaN, "raised
  an exception": the exception's type and text are named from the public example only);
  ``example`` shows the student's answer on a small *public* example (never the hidden random
  inputs), asked of a worker that never saw a hidden input and that starts only once every
  worker that did is gone (see :meth:`Fail.settle`); ``mistake``/``hint`` name a known mistake
  when the answer matches one bug-zoo entry, and only that one, on the failing input and on
  the public example;
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

import copy
from numbers import Integral, Real

import numpy as np

from gdkit.grading import sanitize

DETAIL_LIMIT = 600      # characters of hidden specifics kept per check
EXAMPLE_TEXT = 200      # characters of an exception message shown from the public example
# Relative difference under which a wrong answer is "close" (agrees to about three digits, as an
# example prints it); only a word in the message, never a verdict.
NEAR_RTOL = 1e-3
# dtype kinds a real-valued answer may have: bool, signed and unsigned integers, floats.
REAL_KINDS = frozenset("biuf")


class PublicTooEarly(RuntimeError):
    """The student's code was asked about a public input while a worker that saw hidden inputs
    could still be alive: a bug of the suite (see :meth:`Fail.settle`), never the student's."""


class Fail(AssertionError):
    """A check the student's answer did not pass.

    ``message``, ``example``, ``mistake`` and ``hint`` are student-safe text; ``detail`` holds
    the hidden specifics (sizes, alpha values, thresholds) shown only with full feedback;
    ``kind`` is ``fail`` or ``raised`` (the student's function raised on a hidden input).

    What needs the student's code run on a *public* input (a lazy ``example``, such as a
    :class:`PublicExample`; ``later``, a callable returning new ``message``/``mistake``/``hint``
    text, e.g. a diagnosis) is not asked when the Fail is built: a worker that answers it while
    a worker that saw hidden inputs is alive could be told those inputs (two live processes
    always share some channel). :meth:`settle` asks it, once, when the grader says every such
    worker is gone (``gdkit grade`` settles a student's failures after their workers are
    closed, in a fresh twin; the in-kernel path settles at once: nothing is isolated there).
    """

    def __init__(self, message: str, *, example=None, mistake: str | None = None,
                 hint: str | None = None, detail: str | None = None, kind: str = "fail", later=None):
        super().__init__(message)
        self.message = message
        self.example = example if isinstance(example, str) else None
        self.mistake = mistake
        self.hint = hint
        self.detail = _bounded(detail)
        self.kind = kind
        self._example = example if callable(example) else None
        self._later = later if callable(later) else None

    @property
    def settled(self) -> bool:
        """Whether nothing is left to ask of the student's code on public inputs."""
        return self._example is None and self._later is None

    def settle(self) -> Fail:
        """Render the public example and apply ``later`` (asking the student's code on public
        inputs); afterwards the Fail holds text only (a callable's repr would hold an address).
        A failure of either leaves the text as it was; :class:`PublicTooEarly` propagates."""
        example, later = self._example, self._later
        self._example = self._later = None
        if example is not None:
            self.example = _resolve(example)
        if later is not None:
            try:
                found = later()
            except PublicTooEarly:
                raise
            except Exception:  # a broken remark must not hide the failure itself
                found = None
            for key in ("message", "mistake", "hint"):
                value = found.get(key) if isinstance(found, dict) else None
                if isinstance(value, str) and value:
                    setattr(self, key, value)
        return self

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
    """A lazy example (a callable) rendered: text or None, never the callable itself."""
    if callable(thing):
        try:
            thing = thing()
        except PublicTooEarly:
            raise
        except Exception:  # a broken example must not hide the real failure
            return None
    return thing if isinstance(thing, str) or thing is None else None


def named(found) -> dict:
    """A diagnosis ((mistake, hint) or None) as Fail fields."""
    return {"mistake": found[0], "hint": found[1]} if found else {}


def fail(message: str, *, example=None, diagnose=None, got=None, detail=None, hint=None) -> Fail:
    """Build a Fail that asks ``diagnose(got)`` for a known mistake (a (name, hint) pair or None)
    when it is settled (a diagnosis compares with the public example: see :class:`Fail`)."""
    later = (lambda: named(diagnose(got))) if diagnose is not None else None
    return Fail(message, example=example, hint=hint, detail=detail, later=later)


def raised_on_hidden(function: str, where: str = "on the hidden inputs", *, then: str = "", example=None,
                     diagnose=None, detail=None, hint=None, exc_type: str | None = None) -> Fail:
    """The Fail for a student function that raised on hidden inputs: "`function` raised an
    exception {where}[; {then}]."

    On hidden inputs only *that* it raised is said: the exception's type and text are the
    student's to choose, so they could spell out the input (even a builtin type's name carries
    six bits). The public ``example``, run by a worker that never saw a hidden input, names
    them when the Fail is settled. ``diagnose``: a callable returning (mistake, hint) or None.
    An unwritten stub (``exc_type`` NotImplementedError) is said as such: one fixed phrase more.
    """
    if exc_type == "NotImplementedError":
        return Fail(f"`{function}` is not written yet: it still raises NotImplementedError.", example=example,
                    kind="raised", detail=detail)
    first = f"`{function}` raised an exception {where}"
    last = f"; {then}." if then else "."

    def later() -> dict:
        fields = named(diagnose()) if diagnose is not None else {}
        outcome = example.outcome() if isinstance(example, PublicExample) else None
        if outcome is not None:
            fields["message"] = f"{first}; {public_remark(outcome)}{last}"
        return fields

    return Fail(first + last, example=example, kind="raised", detail=detail, hint=hint, later=later)


def public_remark(outcome: Outcome) -> str:
    """What the code did on the public example, for a message about a hidden input's exception."""
    return f"on the public example it raised {raised_text(outcome)}" if outcome.raised else \
        "it did not raise on the public example"


def raised_text(outcome: Outcome) -> str:
    """"TypeError: its message" for an outcome on a *public* input (sanitized, capped)."""
    text = sanitize.line(outcome.message, EXAMPLE_TEXT // 2)
    return safe_exception_name(outcome.exc_type) + (f": {text}" if text else "")


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


def safe_exception_name(name: str | None) -> str:
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
    if diagnose is not None and not isinstance(got, np.ndarray):
        # A diagnosis compares the answer as the student's code returned it (a pair stays a pair).
        ask, raw = diagnose, got
        diagnose = lambda _array: ask(raw)  # noqa: E731
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
    # Values that agree to a few digits look right in a printed example: say so, or the
    # message would seem to contradict what the student sees.
    near = " (close to the expected values, but not within the check's tolerance)" if np.allclose(
        values, expected.astype(float), rtol=NEAR_RTOL, atol=NEAR_RTOL * 1e-3) else ""
    raise fail(f"{what} has the right shape but wrong values{where}: {_how_many(wrong, expected.size)} "
               f"from the contract{near}.", example=example, diagnose=diagnose, got=array,
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


def expect_unmodified(changed: bool, *, what: str, example=None,
                      hint: str = "work on a copy or build a new array (e.g. `a = a - b`, not `a -= b`)"):
    """Fail when the student's function changed an input it was not allowed to change.

    ``changed``: that argument's entry of ``student.call(name, *args, watch_inputs=True)``
    (the trusted watcher in the worker compared the very object it passed with a snapshot)."""
    if changed is not False:
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
    ``message``); ``available`` is False when it could not be run at all (missing, died) or was
    not ``asked`` (an input the suite did not declare public: never run late, never claimed)."""

    def __init__(self, value=None, exc_type: str | None = None, message: str = "", available: bool = True,
                 asked: bool = True):
        self.value, self.exc_type, self.message, self.available = value, exc_type, message, available
        self.asked = asked

    @property
    def raised(self) -> bool:
        return self.exc_type is not None


class PublicExample:
    """A small, fixed, public example of one graded function, shown under a failed check.

    Calling it renders the text (inputs with their kinds, the expected answer and what the
    student's code did); :meth:`outcome` is the student's answer there, asked once of a twin
    worker that never saw a hidden input, and also confirms a diagnosis on a second input.
    """

    def __init__(self, student, function: str, args: tuple, expected, *, names: tuple[str, ...] = (),
                 probes: tuple = (), reference=None):
        self.student, self.function, self.args, self.expected = student, function, tuple(args), expected
        self.names = tuple(names) or tuple(f"arg{i}" for i in range(len(self.args)))
        # More public argument tuples, never shown: a diagnosis must hold on each of them too
        # (one example can be matched by several mistakes, or by code with another mistake).
        self.probes = tuple(tuple(p) for p in probes)
        # The trusted function that answers the probes as the contract does: with it, a mistake
        # is named only when some public input shows it (see Diagnoser.identify), and the
        # example shown is one the student's code gets wrong, when a probe is (see _choose).
        self.reference = reference
        self._outcome: Outcome | None = None
        self._text: str | None = None
        self._chosen = False

    def outcome(self) -> Outcome | None:
        """The student's outcome on the example; None when it could not be had (no function,
        the twin died). Asked of ``student.public_outcome`` when the handle has one (the
        sandbox's: a twin started after every worker that saw hidden inputs is gone, answers
        shared by every example of the same inputs), else of ``student.public()`` or the
        student itself (a kernel, ``gdkit check``: no hidden inputs there to hide)."""
        self._choose()
        if self._outcome is None:
            self._outcome = public_outcome(self.student, self.function, self.args)
        return self._outcome if self._outcome.available else None

    def _choose(self) -> None:
        """Once: when the student's code answers the example as the contract does but a probe
        differently, that probe becomes the example (shown, and what :meth:`outcome` and a
        diagnosis read; the first example joins the probes), so the feedback shows a public
        input the code gets wrong rather than one it gets right. Probes the contract answers
        by raising are not shown. Without a reference nothing changes."""
        if self._chosen:
            return
        self._chosen = True
        if self.reference is None or not self.probes:
            return
        first = public_outcome(self.student, self.function, self.args)
        if not first.available or not _agrees(first, self.expected):
            self._outcome = first
            return
        for probe in self.probes:
            try:
                contract = self.reference(*copy.deepcopy(probe))
            except Exception:  # the contract raises here: shown examples are answers only
                continue
            theirs = public_outcome(self.student, self.function, probe)
            if theirs.available and not _agrees(theirs, contract):
                self.probes = (self.args,) + tuple(p for p in self.probes if p is not probe)
                self.args, self.expected, self._outcome = probe, contract, theirs
                return
        self._outcome = first

    def probe_outcome(self, args: tuple) -> Outcome | None:
        """The student's outcome on one of the public ``probes`` (asked as :meth:`outcome` is)."""
        outcome = public_outcome(self.student, self.function, tuple(args))
        return outcome if outcome.available else None

    def render(self) -> str:
        if self._text is None:
            self._choose()  # which input is shown, before any of it is written
            lines = [f"On a small example, {self.function}(" + ", ".join(self.names) + ") with:"]
            width = max(len(n) for n in self.names) if self.names else 0
            lines += [f"  {name.ljust(width)} = {fmt(value)}   ({_argument_kind(value)})"
                      for name, value in zip(self.names, self.args, strict=False)]
            lines.append(f"  expected: {fmt(self.expected)}")
            outcome = self.outcome()
            if self._outcome is not None and not self._outcome.asked:
                pass  # not one of the suite's declared public inputs: nothing is known of it to say
            elif outcome is None:
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


def _agrees(outcome: Outcome, expected) -> bool:
    """Whether an outcome on a public input is the contract's answer ``expected`` (values to
    the default tolerance, pairs item by item; a raise never is)."""
    if outcome.raised:
        return False
    value = outcome.value
    if isinstance(expected, (tuple, list)):
        return isinstance(value, (tuple, list)) and len(value) == len(expected) and all(
            _agrees(Outcome(value=v), e) for v, e in zip(value, expected, strict=True))
    if isinstance(value, (bool, np.bool_)) or isinstance(expected, (bool, np.bool_)):
        return isinstance(value, (bool, np.bool_)) and isinstance(expected, (bool, np.bool_)) and value == expected
    return is_close(value, expected)


def public_outcome(student, function: str, args: tuple, *, return_args: bool = False) -> Outcome:
    """What the student's ``function`` does on the public ``args`` (with ``return_args`` the
    value is (value, the arguments after the call)), asked as a :class:`PublicExample` asks it:
    a sandboxed submission serves what its public twin answered before any hidden input."""
    ask = getattr(student, "public_outcome", None)
    if callable(ask):
        return ask(function, tuple(args), return_args=True) if return_args else ask(function, tuple(args))
    worker = student.public() if hasattr(student, "public") else student
    return outcome_of(worker, function, tuple(args), return_args=return_args)


def outcome_of(worker, function: str, args: tuple, *, return_args: bool = False) -> Outcome:
    """What ``worker.call(function, *args)`` did, as an Outcome (never raises but
    :class:`PublicTooEarly`): the answer, the exception raised, or not available."""
    try:
        return Outcome(value=worker.call(function, *args, return_args=True) if return_args
                       else worker.call(function, *args))
    except PublicTooEarly:
        raise
    except Exception as exc:  # StudentRaised, MissingFunction, WorkerDied, SandboxFailed
        return _failed(exc)


def outcomes_of(worker, function: str, calls: list) -> list[Outcome]:
    """:func:`outcome_of` for many argument tuples of one function, in one round trip."""
    try:
        answers = worker.call_many(function, [list(args) for args in calls])
    except PublicTooEarly:
        raise
    except Exception as exc:  # the whole batch: missing, the worker died, the sandbox failed
        return [_failed(exc)] * len(calls) if getattr(exc, "exc_type", None) else \
            [Outcome(available=False)] * len(calls)
    return [_failed(a) if isinstance(a, BaseException) else Outcome(value=a) for a in answers]


def _failed(exc: BaseException) -> Outcome:
    kind = getattr(exc, "exc_type", None)
    return (Outcome(exc_type=str(kind), message=str(getattr(exc, "message", ""))) if kind
            else Outcome(available=False))


def example_of(student, function: str, args: tuple, expected, *, names: tuple[str, ...] = (),
               probes: tuple = (), reference=None) -> PublicExample:
    """A lazy public example: see :class:`PublicExample` (``probes``: more public inputs that
    confirm a diagnosis, never shown)."""
    return PublicExample(student, function, args, expected, names=names, probes=probes, reference=reference)


def example_inputs(*factories) -> list[tuple]:
    """The public inputs the examples made by ``factories`` (``q1_example`` of a suite's
    public.py...) may ask: each example's own and its probes', as (function, args, False), for
    a suite's ``PUBLIC_INPUTS`` (see :meth:`gdkit.grading.student.Student.prefetch`)."""
    found = []
    for make in factories:
        example = make(None)  # lazy: nothing is asked of the student while it is made
        found += [(example.function, tuple(args), False) for args in (example.args, *example.probes)]
    return found

