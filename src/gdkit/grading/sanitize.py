"""The one way text a student's code chose reaches the grader's outputs.

Strings returned by student code, exception names and messages, printed output, load errors,
function names: anything the worker sends may be crafted. Before it goes into a record (and so
into grades.csv, junit.xml, results.json, feedback and record.json) it passes through one of
these functions, which return printable text of bounded length:

- :func:`text` keeps line breaks (an example block, printed output);
- :func:`line` makes one line (a reason, a message, a CSV cell);
- :func:`name` accepts a plain identifier only (a function or class name);
- :func:`exception_name` accepts a builtin exception's name only (what may be said about an
  exception raised on hidden inputs, where a class name could carry a hidden value);
- :func:`kind` describes a value by its type alone (never its contents, length or shape);
- :func:`result_fields`, :func:`load_errors` and :func:`within` apply them to a record's
  pieces and bound one student's whole record (``RECORD_LIMIT`` bytes, whatever they do).

"Printable" means: no control characters (terminal escapes), no invisible format characters
(bidirectional overrides, zero-width joiners and spaces, byte-order marks), no surrogates or
private-use characters, at most two combining marks on a letter. Markup is left to the output's
own escaping (HTML, XML, markdown: see :func:`markdown`); nothing here is trusted as markup.
"""
from __future__ import annotations

import builtins
import json
import re
import unicodedata
from typing import Any

import numpy as np

from gdkit.record import Record

ELLIPSIS = "…"
LINE_LIMIT = 300     # one-line fields: reasons, messages, names of things
TEXT_LIMIT = 2000    # multi-line fields: examples, printed output
NAME_LIMIT = 64
OUTPUT_LIMIT = 2000     # characters kept of what the student's code printed
MAX_LOAD_ERRORS = 20    # cells listed as failed while loading
RECORD_LIMIT = 256_000  # bytes of one student's record.json, whatever the student does
UNNAMED = "(a name that cannot be shown)"
OWN_EXCEPTION = "an exception of a class of its own"
_COMBINING_RUN = 2   # combining marks kept on one character ("Zalgo" text stacks hundreds)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_ANY_SPACE = re.compile(r"\s+")


def _as_str(value: Any) -> str:
    """A str for any value without running its code: str as is, else its type's name."""
    if isinstance(value, str):
        return str.__str__(value)  # an exact str, whatever a subclass's __str__ says
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if value is None or isinstance(value, (bool, float)):
        return repr(value)
    if isinstance(value, int):
        return repr(int(value)) if value.bit_length() < 1000 else "<a very large int>"
    return f"<{type(value).__name__}>"


def _printable(value: str, keep_newlines: bool) -> str:
    """Drop what is not printable; whitespace of any kind becomes a space (or a newline)."""
    if value.isascii() and (value.replace("\n", "") if keep_newlines else value).isprintable():
        return value  # printable ASCII (the usual case) is kept as it is: no need to look at each character
    out = []
    combining = 0
    for ch in value:
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif ch.isspace():
            out.append(" ")
        elif ch.isprintable():
            combining = combining + 1 if unicodedata.combining(ch) else 0
            if combining <= _COMBINING_RUN:
                out.append(ch)
    return "".join(out)


def _cap(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def text(value: Any, limit: int = TEXT_LIMIT, *, keep_spaces: bool = False) -> str:
    """Printable multi-line text of at most ``limit`` characters (an ellipsis marks a cut).

    Line breaks are kept (``\\r\\n`` and ``\\r`` become ``\\n``); runs of spaces and tabs
    become one space (with ``keep_spaces``, each stays a space: columns of a printed array stay
    aligned); more than one blank line in a row becomes one.
    """
    raw = _as_str(value)
    cut = len(raw) > 4 * limit + 16  # only a bounded prefix is ever looked at
    raw = raw[: 4 * limit + 16].replace("\r\n", "\n").replace("\r", "\n")
    lines = [(piece if keep_spaces else _SPACES.sub(" ", piece)).rstrip()
             for piece in _printable(raw, True).split("\n")]
    clean = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")
    return _cap(clean + (ELLIPSIS if cut and len(clean) < limit else ""), limit)


def line(value: Any, limit: int = LINE_LIMIT) -> str:
    """Printable one-line text of at most ``limit`` characters: every run of whitespace (line
    breaks included) becomes one space."""
    raw = _as_str(value)
    cut = len(raw) > 4 * limit + 16
    clean = _ANY_SPACE.sub(" ", _printable(raw[: 4 * limit + 16], False)).strip()
    return _cap(clean + (ELLIPSIS if cut and len(clean) < limit else ""), limit)


def name(value: Any, limit: int = NAME_LIMIT, fallback: str = UNNAMED) -> str:
    """``value`` if it is a plain ASCII identifier of at most ``limit`` characters, else ``fallback``."""
    if isinstance(value, str) and len(value) <= limit and _IDENTIFIER.match(value):
        return str.__str__(value)
    return fallback


def exception_name(value: Any) -> str:
    """A builtin exception's name as is (``TypeError``); anything else as a fixed phrase.

    A student's own class could be named after a hidden value, so on hidden inputs only the
    builtin names may be shown.
    """
    known = getattr(builtins, value, None) if isinstance(value, str) and _IDENTIFIER.match(value) else None
    if isinstance(known, type) and issubclass(known, BaseException):
        return str.__str__(value)
    return OWN_EXCEPTION


# What a value is, by its type alone: shapes, lengths, dtypes and contents could all have
# been chosen from a hidden input.
_KINDS: dict[type, str] = {
    type(None): "None", bool: "a bool", int: "an int", float: "a float", str: "a string",
    list: "a list", tuple: "a tuple", dict: "a dict", np.bool_: "a numpy bool",
}
_ARRAY_KINDS = {"b": "an array of booleans", "i": "an array of integers", "u": "an array of integers",
                "f": "an array of floats"}
_SCALAR_KINDS = {"i": "a numpy integer", "u": "a numpy integer", "f": "a numpy float"}


def kind(value: Any) -> str:
    """What kind of value this is ("a float", "an array of integers"), from a fixed vocabulary."""
    found = _KINDS.get(type(value))
    if found is not None:
        return found
    if isinstance(value, np.ndarray):
        return _ARRAY_KINDS.get(value.dtype.kind, "an array")
    if isinstance(value, np.generic):
        return _SCALAR_KINDS.get(value.dtype.kind, "a numpy value")
    return "a value of another type"


# Enough to keep text from turning into emphasis, code, a link or an image, a table or HTML.
# An underscore between two letters or digits (snake_case) can neither open nor close emphasis
# (CommonMark's flanking rules), so it stays as typed and names read as names.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>|~&])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def markdown(value: Any, limit: int = LINE_LIMIT) -> str:
    """:func:`line`, with markdown's special characters escaped: shown as typed, never as a link,
    an image, code or HTML."""
    escaped = _MARKDOWN_SPECIAL.sub(lambda m: "\\" + m.group(0), line(value, limit))
    return escaped.replace("://", r":\/\/").replace("www.", r"www\.")  # no bare-URL autolinks


# ---------------------------------------------------------------- a record's fields and size

# Student-safe fields of a test result and how each is bounded (text keeps line breaks).
_TEST_FIELDS = {"message": (text, 1000), "example": (text, 1500), "mistake": (line, 200),
                "hint": (text, 600), "detail": (text, 600)}


def result_fields(info: dict) -> dict:
    """A test result's fields with every student-safe text field sanitized and capped."""
    out = dict(info)
    for key, (clean, limit) in _TEST_FIELDS.items():
        if out.get(key):
            out[key] = clean(out[key], limit)
    return out


def load_errors(report: list) -> list[dict]:
    """The cells that failed while loading, as the record keeps them: the first
    ``MAX_LOAD_ERRORS``, each with the cell index, the exception's name and a one-line message
    (a cell the sandbox skipped for running too long also ``skipped`` and its ``first_line``),
    then one entry (cell ``"..."``) saying how many more there were.

    The report comes from the worker, so each entry is rebuilt from its known fields only.
    """
    failed = [c for c in report if isinstance(c, dict) and c.get("ok") is False and c.get("cell") != "..."]
    kept = [{"cell": c.get("cell") if type(c.get("cell")) is int else None,
             "error": name(c.get("error"), fallback=OWN_EXCEPTION),
             "message": line(c.get("message", ""))} for c in failed[:MAX_LOAD_ERRORS]]
    for entry, c in zip(kept, failed, strict=False):  # kept: the first MAX_LOAD_ERRORS
        if c.get("skipped") is True:  # the sandbox stopped this cell (its own mark, see sandbox.client)
            entry.update(skipped=True, first_line=line(c.get("first_line", ""), 80))
    more = len(failed) - len(kept) + sum(_counted(c) for c in report if isinstance(c, dict) and c.get("cell") == "...")
    if more:
        kept.append({"cell": "...", "error": "MoreErrors", "message": f"{more} more cells raised errors (not listed)"})
    return kept


def _counted(entry: dict) -> int:
    """How many cells a "... more cells raised errors" entry of the sandbox's counts."""
    found = re.match(r"(\d{1,9}) more", str(entry.get("message", "")))
    return int(found.group(1)) if found else 0


def _size(record: Record) -> int:
    return len(json.dumps(record.to_json(), ensure_ascii=False).encode("utf-8"))


def _cut_examples(record: Record, limit: int) -> None:
    for q in record.questions:
        for t in q.tests:
            for key in ("example", "hint", "detail"):
                if getattr(t, key):
                    setattr(t, key, text(getattr(t, key), limit) if limit else None)


def _cut_messages(record: Record, limit: int) -> None:
    for q in record.questions:
        for t in q.tests:
            t.message = line(t.message, limit)


# Ways to make an oversized record smaller, least loss first; each keeps every score.
_SHRINK = (
    lambda r: _cut_examples(r, 300),
    lambda r: setattr(r, "output", text(r.output, 200)),
    lambda r: setattr(r, "cells", r.cells[:5]),
    lambda r: _cut_examples(r, 0),
    lambda r: _cut_messages(r, 120),
)


def within(record: Record, max_bytes: int) -> Record:
    """``record`` shrunk (in place) until its JSON takes at most ``max_bytes``, or as far as
    it goes: per-field caps bound it already; this holds whatever a suite's size."""
    for shrink in _SHRINK:
        if _size(record) <= max_bytes:
            break
        shrink(record)
    return record
