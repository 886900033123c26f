"""Reading a submitted notebook, and choosing which of its cells the worker runs.

Submissions are hostile input: this module only *reads* them (no code is executed here) and
turns every way a file can be broken into an :class:`InvalidNotebook` with a short ``status``
for grade reports and a one-line reason a student can act on.
"""
from __future__ import annotations

import bisect
import json
import mmap
import os
import re
from pathlib import Path

from gdkit.errors import GdkitError

# A notebook's outputs (plots, printed logs, widget state) are never graded: only the code
# cells' sources run in the worker. So the raw file may be large (a student who ran every
# experiment and kept 20 MB of figures is graded like any other), what remains once outputs are
# dropped must stay modest, and the code itself smaller still. A real notebook of this kit is
# ~50 kB, ~10 kB of it code.
MAX_BYTES = 200 * 1024 * 1024        # the file as submitted, outputs included
MAX_KEPT_BYTES = 20 * 1024 * 1024    # what is left once outputs are dropped: sources, markdown, metadata
MAX_CODE_BYTES = 2 * 1024 * 1024     # the code cells' sources together
# Files up to this size are parsed whole (fast); larger ones go through the streaming pre-pass
# below, which drops outputs without ever holding them, so the grader's memory stays bounded.
STREAM_FROM = 8 * 1024 * 1024
CELL_TYPES = ("code", "markdown", "raw")
EXPERIMENT_TAG = "experiment"
# IPython-only lines: magics (%, %%) and shell escapes (!). Plain Python cannot parse them.
_IPYTHON_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<line>(%|!).*)$")
_MB = 1024 * 1024
_NOTHING = object()


class InvalidNotebook(GdkitError):
    """The file cannot be read as a notebook. ``status`` is a short machine-readable reason."""

    status = "invalid-notebook"

    def __init__(self, message: str, status: str | None = None):
        super().__init__(message)
        if status:
            self.status = status


def _fail(path, status: str, reason: str):
    raise InvalidNotebook(f"{Path(path).name}: {reason}", status)


def _megabytes(size: int) -> str:
    return f"{size / _MB:.1f} MB" if size < 10 * _MB else f"{size // _MB} MB"


def read_submission(path, max_bytes: int = MAX_BYTES):
    """Read a submission as an nbformat-4 ``NotebookNode`` whose cell sources are strings and
    whose outputs are dropped (code cells' ``outputs`` are ``[]``, cell attachments and widget
    state ``{}``).

    Older formats (nbformat 3 and before) are upgraded. Raises :class:`InvalidNotebook` with
    status ``missing-file``, ``too-large`` (file over ``max_bytes``, over ``MAX_KEPT_BYTES``
    without its outputs, or code over ``MAX_CODE_BYTES``), ``empty-file``, ``binary-file``,
    ``not-utf8``, ``invalid-json``, ``not-a-notebook``, ``unsupported-nbformat`` or
    ``invalid-notebook``. Memory: a file over ``STREAM_FROM`` is mapped, never read whole; the
    grader holds what is left without outputs plus a bounded window of the file.
    """
    path = Path(path)
    if not path.is_file():
        _fail(path, "missing-file", f"no such file ({path}): check the path")
    raw = _NOTHING
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > max_bytes:
            _too_large(path, max_bytes)
        if size > STREAM_FROM:
            try:
                buf = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError):  # a file system that cannot map it: read it whole
                buf = None
            if buf is not None:
                with buf:
                    raw = _parse_streaming(path, buf)
        if raw is _NOTHING:
            data = handle.read(max_bytes + 1)
            if len(data) > max_bytes:  # it grew since
                _too_large(path, max_bytes)
            raw = _parse_whole(path, data)
    nb = _to_notebook(path, raw)
    code = sum(len(cell.source.encode("utf-8", "replace")) for cell in nb.cells if cell.get("cell_type") == "code")
    if code > MAX_CODE_BYTES:
        _fail(path, "too-large", f"its code cells hold {_megabytes(code)} of code (limit "
                                 f"{_megabytes(MAX_CODE_BYTES)}): remove pasted data or long literals from "
                                 "the code, save and submit again")
    return nb


def _too_large(path, max_bytes: int):
    _fail(path, "too-large", f"larger than {max_bytes // _MB} MB: clear the outputs "
                             "(Kernel > Restart & Clear Output), save and submit again")


def _empty_file(path):
    _fail(path, "empty-file", "the file is empty: save the notebook in Jupyter and submit it again")


def _binary(path):
    _fail(path, "binary-file", "this is binary data, not a notebook: submit the .ipynb file saved by Jupyter")


def _parse_whole(path, data: bytes):
    """A small file: decoded and parsed at once, then its outputs dropped."""
    if _NONSPACE.search(data) is None:
        _empty_file(path)
    if b"\x00" in data:
        _binary(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        _not_utf8(path, exc.start)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        _invalid_json(path, exc.lineno, exc.colno, exc.msg)
    except RecursionError:
        _too_deep(path)
    except ValueError:  # Python refuses integers of more digits than sys.get_int_max_str_digits()
        _too_long_number(path)
    _drop_outputs(raw)
    return raw


def _not_utf8(path, offset: int):
    _fail(path, "not-utf8", f"not UTF-8 text (bad byte at offset {offset}): "
                            "submit the .ipynb file exactly as Jupyter saved it")


def _invalid_json(path, line: int, column: int, what: str):
    _fail(path, "invalid-json", f"not valid JSON (line {line}, column {column}: {what}); "
                                "the file was probably cut short or edited by hand: save it again from Jupyter")


def _too_long_number(path):
    _fail(path, "invalid-json", "not valid notebook JSON (a number thousands of digits long): "
                                "submit the file saved by Jupyter")


def _too_deep(path):
    _fail(path, "invalid-json", "not valid notebook JSON (nested too deeply): submit the file saved by Jupyter")


# Keys whose values are outputs, by where they sit: in a cell (nbformat 4: cells[i]; nbformat 3:
# worksheets[j].cells[i]) or in the notebook's metadata (ipywidgets' saved state). Each is
# replaced by an empty value of its own kind.
_CELL_OUTPUT_KEYS = ("outputs", "attachments")
_METADATA_OUTPUT_KEYS = ("widgets",)


def _drop_outputs(raw) -> None:
    """Empty the output values of a parsed notebook (in place); anything malformed is left for
    :func:`_to_notebook` to judge."""
    if not isinstance(raw, dict):
        return
    metadata = raw.get("metadata")
    if isinstance(metadata, dict):
        _empty(metadata, _METADATA_OUTPUT_KEYS)
    cell_lists = [raw.get("cells")]
    worksheets = raw.get("worksheets")
    if isinstance(worksheets, list):
        cell_lists += [w.get("cells") for w in worksheets if isinstance(w, dict)]
    for cells in cell_lists:
        if isinstance(cells, list):
            for cell in cells:
                if isinstance(cell, dict):
                    _empty(cell, _CELL_OUTPUT_KEYS)


def _empty(container: dict, keys) -> None:
    for key in keys:
        value = container.get(key)
        if isinstance(value, (list, dict)):
            container[key] = type(value)()


# ---------------------------------------------------------------- the streaming pre-pass
#
# A large file is memory-mapped and scanned once. The scanner follows the JSON structure just
# enough to know where it is (objects, arrays, keys, strings); the values of the output keys
# above are skipped without being copied, decoded or held, and everything else is copied into a
# much smaller document that ``json.loads`` then parses (and validates). Pages already scanned
# are handed back to the kernel as the scan moves on, so the grader's resident memory is a
# window of the file plus what is kept, whatever the file's size. Not a library (ijson and the
# like): they materialise every string they meet, and one 190 MB output string would be held
# whole. Offsets of errors in the smaller document are mapped back to the file's lines.

_NONSPACE = re.compile(rb"[^ \t\r\n]")
_TOKEN = re.compile(rb'[{}\[\]:,"]')
# Runs of plain bytes and short strings, consumed in one regular-expression step where the
# engine has possessive quantifiers (Python 3.11+: no backtracking state, whatever the run's
# length): a printed log is millions of short strings. Long strings (a base64 image) are left to
# ``bytes.find``, which is much faster on them than any pattern.
_PLAIN_RUN = re.compile(rb'[^"\[\]{}]*')  # plain bytes only, strings one at a time


def _skip_run_pattern() -> re.Pattern:
    try:
        pattern = re.compile(rb'(?:[^"\[\]{}]++|"[^"\\]{0,4096}+(?:\\.[^"\\]{0,4096}+){0,512}+")*+', re.DOTALL)
    except re.error:  # Python 3.10: no possessive quantifiers
        return _PLAIN_RUN
    # CPython 3.11.0-3.11.2 (Debian 12's python3) lets a bounded possessive repeat run past its
    # bound: the run would end inside a long string. A string longer than the bound must stop
    # the run at its opening quote; where it does not, use the plain pattern.
    probe = b'a "' + b"B" * 5000 + b'"]'
    found = pattern.match(probe)
    return pattern if found is not None and found.end() == 2 else _PLAIN_RUN


_SKIP_RUN = _skip_run_pattern()
_BINARY_PROBE = 1024 * 1024   # a NUL byte in the first MB: not a text file at all
_WINDOW = 16 * 1024 * 1024    # searched at a time, and handed back at a time
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPEN, _CLOSE = b"{[", b"}]"


class _Truncated(Exception):
    """The file ends inside a value the scanner was skipping."""


class _Frame:
    __slots__ = ("is_object", "name", "key", "expect_key")

    def __init__(self, is_object: bool, name):
        self.is_object = is_object  # an object (else an array)
        self.name = name            # its key in the enclosing object (None in an array)
        self.key = None             # the object's current key
        self.expect_key = True


class _Scan:
    """The pre-pass over one mapped file (see above)."""

    def __init__(self, path, buf, max_kept: int | None = None):
        self.path, self.buf, self.n = path, buf, len(buf)
        self.max_kept = MAX_KEPT_BYTES if max_kept is None else max_kept
        self.released = 0
        self.pieces: list[bytes] = []
        self.spans: list[tuple[int, int]] = []  # (offset in the kept document, offset in the file)
        self.kept = 0

    # -- windows of the file
    def _release(self, pos: int) -> None:
        """Hand pages before ``pos`` back to the kernel (they are re-read if needed again)."""
        if pos - self.released >= _WINDOW and hasattr(self.buf, "madvise") and hasattr(mmap, "MADV_DONTNEED"):
            upto = pos - pos % mmap.PAGESIZE
            self.buf.madvise(mmap.MADV_DONTNEED, self.released, upto - self.released)
            self.released = upto

    def search_from(self, pos: int, pattern) -> int:
        return self._search(pattern, pos)

    def _search(self, pattern, pos: int) -> int:
        """Index of the next match of a one-byte ``pattern`` from ``pos``, or -1."""
        while pos < self.n:
            self._release(pos)
            end = min(pos + _WINDOW, self.n)
            match = pattern.search(self.buf, pos, end)
            if match is not None:
                return match.start()
            pos = end
        return -1

    def _find(self, byte: bytes, pos: int) -> int:
        while pos < self.n:
            self._release(pos)
            end = min(pos + _WINDOW, self.n)
            found = self.buf.find(byte, pos, end)
            if found != -1:
                return found
            pos = end
        return -1

    def _string_end(self, start: int) -> int:
        """Index of the quote closing the string opened at ``start``, or -1 at the end of the file."""
        pos = start + 1
        while True:
            quote = self._find(b'"', pos)
            if quote == -1:
                return -1
            back = quote - 1
            while back > start and self.buf[back] == _BACKSLASH:
                back -= 1
            if (quote - 1 - back) % 2 == 0:  # an even run of backslashes: this quote is not escaped
                return quote
            pos = quote + 1

    def _skip(self, pos: int) -> int:
        """The end of the object or array that opens at ``pos``, not looking inside its strings."""
        depth = 0
        while True:
            self._release(pos)
            if pos >= self.n:
                raise _Truncated
            run = _SKIP_RUN.match(self.buf, pos, min(pos + _WINDOW, self.n))
            pos = run.end() if run is not None else pos  # the pattern matches the empty run too
            if pos >= self.n:
                raise _Truncated
            char = self.buf[pos]
            if char == _QUOTE:
                end = self._string_end(pos)
                if end == -1:
                    raise _Truncated
                pos = end + 1
            elif char in _OPEN or char in _CLOSE:
                depth += 1 if char in _OPEN else -1
                pos += 1
                if depth == 0:
                    return pos

    # -- what is kept
    def _keep(self, start: int, end: int, replacement: bytes = b"") -> None:
        size = end - start + len(replacement)
        if self.kept + size > self.max_kept:
            self._over()
        if end > start:
            self.spans.append((self.kept, start))
            self.pieces.append(self.buf[start:end])
            self.kept += end - start
        if replacement:
            self.spans.append((self.kept, end))
            self.pieces.append(replacement)
            self.kept += len(replacement)

    def _over(self):
        _fail(self.path, "too-large", f"even without its outputs it holds more than {self.max_kept // _MB} MB "
                                      "(long markdown, pasted data or metadata): remove them, save and submit again")

    def to_file_offset(self, kept_offset: int) -> int:
        index = bisect.bisect_right(self.spans, (kept_offset, float("inf"))) - 1
        if index < 0:
            return kept_offset
        at, file_at = self.spans[index]
        return file_at + (kept_offset - at)

    def line_and_column(self, offset: int) -> tuple[int, int]:
        """1-based line and column (in characters) of a byte offset of the file."""
        lines = 0
        for start in range(0, offset, _WINDOW):
            lines += self.buf[start:min(start + _WINDOW, offset)].count(b"\n")
        line_start = self.buf.rfind(b"\n", 0, offset) + 1
        return lines + 1, len(self.buf[line_start:offset].decode("utf-8", "replace")) + 1

    # -- the scan
    def _drops(self, stack: list) -> bool:
        """Whether the value starting now is one of the outputs to drop."""
        frame = stack[-1]
        if not frame.is_object or frame.expect_key:
            return False
        depth = len(stack)
        if depth == 2 and stack[1].name == "metadata":
            return frame.key in _METADATA_OUTPUT_KEYS
        in_cell = ((depth == 3 and stack[1].name == "cells")
                   or (depth == 5 and stack[1].name == "worksheets" and stack[3].name == "cells"))
        return in_cell and frame.key in _CELL_OUTPUT_KEYS

    def run(self) -> bytes:
        """The file without its outputs; raises InvalidNotebook for what it can tell is broken."""
        pos = copied = 3 if self.buf[:3] == b"\xef\xbb\xbf" else 0  # a UTF-8 byte-order mark
        stack: list[_Frame] = []
        while True:
            if self.kept + (pos - copied) > self.max_kept:
                self._over()
            pos = self._search(_TOKEN, pos)
            if pos == -1:
                break
            char = self.buf[pos]
            if char == _QUOTE:
                pos = self._string(pos, stack)
            elif char in _OPEN:
                pos, copied = self._open(char, pos, copied, stack)
            elif char in _CLOSE:
                pos = self._close(char, pos, stack)
                if not stack:
                    break
            else:
                _separator(char, stack)
                pos += 1
        if stack:
            self._ends_early()
        self._keep(copied, pos if pos != -1 else self.n)
        return b"".join(self.pieces)

    # Each token's step, from its position to the next one's.
    def _string(self, pos: int, stack: list[_Frame]) -> int:
        """A string: the current key when an object expects one."""
        end = self._string_end(pos)
        if end == -1:
            self._ends_early()
        frame = stack[-1] if stack else None
        if frame is not None and frame.is_object and frame.expect_key:
            frame.key = _decode_key(self.buf[pos:end + 1]) if end - pos < 256 else None
        return end + 1

    def _open(self, char: int, pos: int, copied: int, stack: list[_Frame]) -> tuple[int, int]:
        """An object or array opens: (next position, first byte not yet kept). An output is
        skipped, an empty one of its kind kept instead."""
        if stack and self._drops(stack):
            try:
                end = self._skip(pos)
            except _Truncated:
                self._ends_early()
            self._keep(copied, pos, b"{}" if char == ord("{") else b"[]")
            return end, end
        frame = stack[-1] if stack else None
        stack.append(_Frame(char == ord("{"), frame.key if frame is not None and frame.is_object else None))
        return pos + 1, copied

    def _close(self, char: int, pos: int, stack: list[_Frame]) -> int:
        """An object or array closes; once the document is complete only white space may follow."""
        if not stack or stack[-1].is_object != (char == ord("}")):
            line, column = self.line_and_column(pos)
            _invalid_json(self.path, line, column, f"unexpected {chr(char)!r}")
        stack.pop()
        if not stack:
            extra = self._search(_NONSPACE, pos + 1)
            if extra != -1:
                _invalid_json(self.path, *self.line_and_column(extra), "extra data after the notebook")
        return pos + 1

    def _ends_early(self):
        _invalid_json(self.path, *self.line_and_column(self.n), "the file ends before the notebook does")


def _separator(char: int, stack: list[_Frame]) -> None:
    """``:`` or ``,``: after a comma an object expects a key again."""
    frame = stack[-1] if stack else None
    if frame is not None and frame.is_object:
        frame.expect_key = char == ord(",")
        frame.key = frame.key if char == ord(":") else None


def _decode_key(raw: bytes):
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _parse_streaming(path, buf):
    """A large mapped file: outputs dropped by :class:`_Scan`, the rest parsed."""
    scan = _Scan(path, buf)
    if buf.find(b"\x00", 0, _BINARY_PROBE) != -1:
        _binary(path)
    if scan.search_from(0, _NONSPACE) == -1:
        _empty_file(path)
    kept = scan.run()
    if b"\x00" in kept:
        _binary(path)
    try:
        text = kept.decode("utf-8")
    except UnicodeDecodeError as exc:
        _not_utf8(path, scan.to_file_offset(exc.start))
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        offset = scan.to_file_offset(len(text[:exc.pos].encode("utf-8")))
        _invalid_json(path, *scan.line_and_column(offset), exc.msg)
    except RecursionError:
        _too_deep(path)
    except ValueError:
        _too_long_number(path)


def _to_notebook(path, raw):
    import nbformat  # here, not at import: `gdkit grade`'s main process reads no notebook (only gdkit.intake's caps)

    if not isinstance(raw, dict) or "nbformat" not in raw:
        _fail(path, "not-a-notebook", "valid JSON but not a Jupyter notebook (no 'nbformat' field): "
                                      "submit the .ipynb file")
    major = raw.get("nbformat")
    if isinstance(major, bool) or not isinstance(major, int) or not 1 <= major <= 4:
        _fail(path, "unsupported-nbformat", f"notebook format {major!r} is not supported (expected 4): "
                                            "open and save it with a current Jupyter")
    nb = nbformat.from_dict(raw)
    if major < 4:
        try:
            nb = nbformat.convert(nb, 4)
        except Exception as exc:  # the converters assume well-formed old notebooks
            _fail(path, "unsupported-nbformat", f"could not upgrade this nbformat {major} notebook "
                                                f"({type(exc).__name__}): open and save it with a current Jupyter")
    cells = nb.get("cells")
    if not isinstance(cells, list):
        _fail(path, "invalid-notebook", "the notebook has no list of cells: save it again from Jupyter")
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") not in CELL_TYPES:
            _fail(path, "invalid-notebook", f"cell {index} is not a code, markdown or raw cell: "
                                            "save the notebook again from Jupyter")
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(part, str) for part in source):
            cell["source"] = "".join(source)
        elif not isinstance(source, str):
            _fail(path, "invalid-notebook", f"cell {index} has a source that is not text: "
                                            "save the notebook again from Jupyter")
        if not isinstance(cell.get("metadata", {}), dict):
            cell["metadata"] = nbformat.NotebookNode()
    return nb


def is_test_cell(cell) -> bool:
    """An nbgrader test cell: ``grade`` true and ``solution`` false (the grader's own checks)."""
    meta = _nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def is_experiment_cell(cell) -> bool:
    """A cell tagged ``experiment``: slow or graphical, never run when grading."""
    tags = cell.get("metadata", {}).get("tags", [])
    return isinstance(tags, list) and EXPERIMENT_TAG in tags


def _nbgrader_meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def to_plain_python(source: str) -> str:
    """Comment out IPython magics and shell escapes so the source is plain Python.

    Indented ones become ``pass  # ...`` so that the block around them still parses.
    """
    lines = []
    for line in source.split("\n"):
        match = _IPYTHON_LINE.match(line)
        if match is None:
            lines.append(line)
        elif match["indent"]:
            lines.append(f"{match['indent']}pass  # {match['line']}")
        else:
            lines.append(f"# {match['line']}")
    return "\n".join(lines)


def graded_code_cells(nb) -> list[tuple[int, str]]:
    """The cells the worker runs when grading: ``[(index in nb.cells, plain Python source)]``.

    Every code cell in order, except nbgrader test cells and ``experiment``-tagged cells.
    """
    selected = []
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code" or is_test_cell(cell) or is_experiment_cell(cell):
            continue
        selected.append((index, to_plain_python(cell.get("source", ""))))
    return selected


def defines_any(nb, names) -> bool:
    """Whether some code cell (test cells aside) binds one of ``names`` in its text: ``def name``,
    ``name = ...``, ``import ... name``. Read from the source, so a definition counts even when
    its cell failed to run (a syntax error elsewhere in the cell): that notebook is this
    assignment's, only broken."""
    if not names:
        return False
    alternatives = "|".join(re.escape(n) for n in names)
    binding = re.compile(rf"^[ \t]*(?:async[ \t]+)?def[ \t]+(?:{alternatives})\b"
                         rf"|^[ \t]*(?:{alternatives})[ \t]*(?::[^=\n]*)?=(?!=)"
                         rf"|^[ \t]*(?:from[ \t]+\S+[ \t]+)?import\b[^\n]*\b(?:{alternatives})\b", re.M)
    return any(cell.get("cell_type") == "code" and not is_test_cell(cell) and binding.search(cell.get("source", ""))
               for cell in nb.cells)
