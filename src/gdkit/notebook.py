"""Reading a submitted notebook, and choosing which of its cells the worker runs.

Submissions are hostile input: this module only *reads* them (no code is executed here) and
turns every way a file can be broken into an :class:`InvalidNotebook` with a short ``status``
for grade reports and a one-line reason a student can act on.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

from gdkit.errors import GdkitError

# A real notebook of this kit is ~50 kB; anything this large is junk or an attempt to exhaust memory.
MAX_BYTES = 20 * 1024 * 1024
CELL_TYPES = ("code", "markdown", "raw")
EXPERIMENT_TAG = "experiment"
# IPython-only lines: magics (%, %%) and shell escapes (!). Plain Python cannot parse them.
_IPYTHON_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<line>(%|!).*)$")


class InvalidNotebook(GdkitError):
    """The file cannot be read as a notebook. ``status`` is a short machine-readable reason."""

    status = "invalid-notebook"

    def __init__(self, message: str, status: str | None = None):
        super().__init__(message)
        if status:
            self.status = status


def _fail(path, status: str, reason: str):
    raise InvalidNotebook(f"{Path(path).name}: {reason}", status)


def read_submission(path, max_bytes: int = MAX_BYTES):
    """Read a submission as an nbformat-4 ``NotebookNode`` whose cell sources are strings.

    Older formats (nbformat 3 and before) are upgraded. Raises :class:`InvalidNotebook` with
    status ``missing-file``, ``too-large``, ``empty-file``, ``binary-file``, ``not-utf8``,
    ``invalid-json``, ``not-a-notebook``, ``unsupported-nbformat`` or ``invalid-notebook``.
    """
    path = Path(path)
    if not path.is_file():
        _fail(path, "missing-file", f"no such file ({path}): check the path")
    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        _fail(path, "too-large", f"larger than {max_bytes // (1024 * 1024)} MB: clear the outputs "
                                 "(Kernel > Restart & Clear Output), save and submit again")
    if not data.strip():
        _fail(path, "empty-file", "the file is empty: save the notebook in Jupyter and submit it again")
    if b"\x00" in data:
        _fail(path, "binary-file", "this is binary data, not a notebook: submit the .ipynb file saved by Jupyter")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        _fail(path, "not-utf8", f"not UTF-8 text (bad byte at offset {exc.start}): "
                                "submit the .ipynb file exactly as Jupyter saved it")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(path, "invalid-json", f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                                    "the file was probably cut short or edited by hand: save it again from Jupyter")
    except RecursionError:
        _fail(path, "invalid-json", "not valid notebook JSON (nested too deeply): submit the file saved by Jupyter")
    return _to_notebook(path, raw)


def _to_notebook(path, raw):
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
