"""Calling untrusted functions in their own namespace, and turning what they do into replies.

Runs in the worker child (and in a kernel, for the nbgrader path): nothing here is trusted by
the grader, which decodes every reply as hostile data.
"""
from __future__ import annotations

import builtins
import traceback

from gdkit.sandbox import protocol


def lookup(namespace: dict, name: str):
    """``namespace[name]`` if it is callable, else None."""
    function = namespace.get(name)
    return function if callable(function) else None


def safe_str(obj) -> str:
    try:
        return str(obj)
    except BaseException:
        return f"<unprintable {type(obj).__name__}>"


def short_traceback(exc: BaseException, filename_prefix: str = "<cell") -> str:
    """The untrusted code's own frames only: the worker's internals are nobody's business."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(filename_prefix)]
    lines = traceback.format_list(frames[-5:])
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)[-4000:]


# The builtin exception classes, taken before any untrusted code runs here: which of them an
# exception is an instance of is read from its class's MRO by identity, not from names it chose.
BUILTIN_EXCEPTIONS = {cls: name for name, cls in vars(builtins).items()
                      if isinstance(cls, type) and issubclass(cls, BaseException)}


def builtin_bases(exc: BaseException) -> list[str]:
    """The builtin exception classes ``exc`` is an instance of, nearest first: a contract's
    "raise ValueError" is met by any subclass of ValueError, and not by a class named so."""
    try:
        return [BUILTIN_EXCEPTIONS[cls] for cls in type(exc).__mro__ if cls in BUILTIN_EXCEPTIONS][:16]
    except Exception:  # a metaclass can make even the MRO misbehave
        return []


def error_reply(exc: BaseException) -> dict:
    return {"ok": False, "kind": "raised", "exc_type": type(exc).__name__[:100],
            "message": safe_str(exc)[:2000], "traceback": short_traceback(exc),
            "exc_bases": builtin_bases(exc)}


def value_reply(value, args=None) -> dict:
    """A reply carrying ``value`` (and the arguments after the call), or why it cannot be sent."""
    try:
        reply = {"ok": True, "value": protocol.encode(value)}
        if args is not None:
            reply["args"] = protocol.encode(list(args))
        return reply
    except TypeError as exc:
        return {"ok": False, "kind": "raised", "exc_type": "UngradableResult",
                "message": f"the function returned something that is not numbers or arrays ({exc})",
                "traceback": ""}


class substituted:
    """Swap in the caller's versions of other functions for one call (so a mistake elsewhere
    does not cascade).

    ``sources`` maps names to complete source defining them, compiled each in a fresh
    namespace; the untrusted function looks its helpers up in its globals at call time, so it
    sees these until the call ends.
    """

    _MISSING = object()

    def __init__(self, namespace: dict, sources: dict):
        self.namespace, self.sources = namespace, sources
        self.saved: dict = {}

    def __enter__(self):
        for name, source in self.sources.items():
            scratch = {"__builtins__": builtins}
            exec(compile(source, "<grader>", "exec"), scratch)  # noqa: S102 - source from the grader
            self.saved[name] = self.namespace.get(name, self._MISSING)
            self.namespace[name] = scratch[name]
        return self

    def __exit__(self, *exc):
        for name, value in self.saved.items():
            if value is self._MISSING:
                self.namespace.pop(name, None)
            else:
                self.namespace[name] = value
