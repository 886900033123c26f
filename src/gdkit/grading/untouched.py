"""Which arguments a student's function changed in place: trusted *driver* code.

``gdkit grade`` hands this module's source to the sandbox worker (as it does the training loop,
:mod:`gdkit.grading.training`), which compiles it before any student code and runs :func:`call`
on request; the in-kernel grader imports it. It runs in the student's process, so it imports
nothing but numpy.

The arguments are the grader's copies, sent for this one call. The driver keeps its own
references to them (a tuple) and a snapshot of their contents taken before the call, and after
the call compares each argument it passed (not whatever the caller's argument list holds by
then) with its snapshot. A function that changes an input and then swaps the caller's list
entry back to an untouched copy is caught. The limit: the student's code runs in this same
process and could rewrite the driver's own tuple or snapshot through ctypes; nothing inside a
process can be hidden from code running in it (README, "Threat model").
"""
from __future__ import annotations

import numpy as np

_PLAIN = (int, float, bool, str, type(None))


def lookup(namespace: dict, name: str):
    """``namespace[name]`` if it is callable, else None."""
    function = namespace.get(name)
    return function if callable(function) else None


def snapshot(value):
    """A comparable copy of a plain argument: an array by dtype, shape and bytes; lists, tuples
    and dicts by their items; numbers and strings by type and value. Anything else (an object
    the student's code put into one of our lists) compares by identity, so it counts as a change."""
    kind = type(value)
    if kind is np.ndarray:
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if kind in (list, tuple):
        return (kind.__name__, tuple(snapshot(item) for item in value))
    if kind is dict:
        return ("dict", tuple((snapshot(k), snapshot(v)) for k, v in value.items()))
    if kind in _PLAIN or (isinstance(value, np.generic) and kind.__module__ == "numpy"):
        return ("plain", kind.__name__, value.tobytes() if isinstance(value, np.generic) else repr(value))
    return ("object", id(value))


def call(namespace: dict, name: str, args) -> dict:
    """Call ``namespace[name](*args)``; returns ``{"value": ..., "changed": [bool per argument]}``
    or ``{"missing": name}``. The function's exception propagates (the caller reports it)."""
    function = lookup(namespace, name)
    if function is None:
        return {"missing": name}
    kept = tuple(args)
    before = tuple(snapshot(argument) for argument in kept)
    value = function(*kept)
    return {"value": value, "changed": [snapshot(argument) != was for argument, was in zip(kept, before, strict=True)]}
