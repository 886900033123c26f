"""Reading a submission (gdkit.notebook): outputs dropped, caps on the file, on what is left
and on code, the streaming pre-pass (same result as a whole parse, bounded memory), and the
"defines none of the assignment's functions" test."""
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from gdkit import notebook
from gdkit.notebook import InvalidNotebook, defines_any, graded_code_cells, read_submission

ROOT = Path(__file__).resolve().parents[1]


def code(source, outputs=(), **extra):
    return {"cell_type": "code", "source": source, "metadata": extra.pop("metadata", {}), "outputs": list(outputs),
            "execution_count": None, **extra}


def doc(cells, **metadata):
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": cells}


def stream(text):
    return {"output_type": "stream", "name": "stdout", "text": text}


def image(size):
    return {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBORw0K" + "A" * size}}


# Strings that a scanner following the JSON structure could trip on: escaped quotes and
# backslashes, brackets and keys named like outputs inside strings, unicode, deep nesting.
TRICKY = [
    code('s = "a \\" ] } [ {"\nt = "\\\\"\nu = \'"outputs": [\'\n', [stream('"] }\\\\"\n'), image(3000)]),
    code("x = 'é∂ 漢字 \U0001F600'", [{"output_type": "error", "ename": "E", "evalue": "\\", "traceback": ["[", "{"]}]),
    {"cell_type": "markdown", "source": ["# outputs\n", "a ] b"], "metadata": {"outputs": [1, 2]},
     "attachments": {"a.png": {"image/png": "B" * 5000}}},
    code(["def f(x):\n", "    return {'outputs': [x]}\n"], [stream(["[" * 50, "]" * 50])],
         metadata={"tags": ["x"], "outputs": {"nested": [[[]]]}}),
    {"cell_type": "raw", "source": "", "metadata": {}},
]


@pytest.fixture(params=["whole", "streaming", "streaming-plain"])
def reading(request, monkeypatch):
    """Run a test through both readers: the whole-file parse and the streaming pre-pass, the
    latter also with the plain run pattern (what Python 3.10 and 3.11.0-3.11.2 get)."""
    if request.param.startswith("streaming"):
        monkeypatch.setattr(notebook, "STREAM_FROM", 0)
    if request.param == "streaming-plain":
        monkeypatch.setattr(notebook, "_SKIP_RUN", notebook._PLAIN_RUN)
        return "streaming"
    return request.param


def test_the_run_pattern_never_ends_inside_a_long_string():
    """Whichever pattern this Python gets, a run stops at the quote of a string it cannot take
    whole (CPython 3.11.0-3.11.2 ran bounded possessive repeats past their bound)."""
    for text in (b'a "' + b"B" * 5000 + b'"]', b'x: "' + b"\\n" * 3000 + b'" ]'):
        end = notebook._SKIP_RUN.match(text).end()
        assert text[end:end + 1] in (b'"', b"]"), end


def write(tmp_path, data, name="s.ipynb"):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data, indent=1, ensure_ascii=False).encode())
    return path


def test_outputs_are_dropped_and_everything_else_kept(tmp_path, reading):
    data = doc(TRICKY, widgets={"state": {"k": "v" * 1000}}, kernelspec={"name": "python3"})
    nb = read_submission(write(tmp_path, data))
    assert all(c.outputs == [] for c in nb.cells if c.cell_type == "code")
    assert nb.cells[2].attachments == {} and nb.metadata.widgets == {} and nb.metadata.kernelspec.name == "python3"
    # what is not an output is untouched (metadata keys named like outputs included)
    assert nb.cells[2].metadata == {"outputs": [1, 2]} and nb.cells[3].metadata.outputs == {"nested": [[[]]]}
    assert [c.source for c in nb.cells] == ["".join(c["source"]) for c in TRICKY]
    assert graded_code_cells(nb)[0] == (0, TRICKY[0]["source"])


@pytest.mark.parametrize("indent", [None, 1])
def test_both_readers_agree_on_real_notebooks(tmp_path, monkeypatch, indent):
    paths = sorted((ROOT / "examples" / "submissions").glob("*.ipynb")) + sorted(ROOT.glob("assignments/*/*.ipynb"))
    for path in paths:
        data = path.read_bytes()
        if indent is None:  # the same notebook written compactly, on one line
            try:
                data = json.dumps(json.loads(data), separators=(",", ":")).encode()
            except ValueError:
                pass
        target = write(tmp_path, data, path.name)
        results = []
        for stream_from in (1 << 40, 0):
            monkeypatch.setattr(notebook, "STREAM_FROM", stream_from)
            try:
                results.append(read_submission(target))
            except InvalidNotebook as exc:
                results.append(exc.status)
        assert results[0] == results[1], path.name


def test_nbformat_3_outputs_are_dropped_too(tmp_path, reading):
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {},
          "worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1", "language": "python",
                                     "outputs": [{"output_type": "stream", "text": "[ {"}], "metadata": {}}]}]}
    nb = read_submission(write(tmp_path, v3))
    assert nb.nbformat == 4 and nb.cells[0].outputs == [] and nb.cells[0].source == "x = 1"


@pytest.mark.parametrize("content, status, words", [
    (b"", "empty-file", "empty"),
    (b"   \n\n  \t ", "empty-file", "empty"),
    (b"PK\x03\x04\x00\x00junk", "binary-file", "binary"),
    (b'{"cells": [], "nbformat": 4, "x": "\xff\xfe"}', "not-utf8", "offset 35"),
    (b'{"cells": [\n  {"cell_type": "code", "source": "x"', "invalid-json", "line 2"),
    (b'{"nbformat": 4, "cells": [\n]}\n}', "invalid-json", "line 3"),
    (b'{"nbformat": 4, "cells": []} trailing', "invalid-json", "line 1"),
    (b'{"nbformat": 4,\n "cells": [}', "invalid-json", "line 2"),                 # a bracket closed by a brace
    (b"[1, 2, 3]", "not-a-notebook", "not a Jupyter notebook"),
    (b'{"nbformat": 5, "cells": []}', "unsupported-nbformat", "format 5"),
    (b"[" * 100000, "invalid-json", "JSON"),
    # Valid JSON, but Python refuses integers over 4,300 digits (a ValueError, not a JSONDecodeError).
    pytest.param(b'{"nbformat": 4, "cells": [], "metadata": {"n": 1' + b"0" * 5000 + b"}}", "invalid-json",
                 "digits long", id="a-5000-digit-integer"),
])
def test_broken_files_get_the_same_status_from_both_readers(tmp_path, reading, content, status, words):
    with pytest.raises(InvalidNotebook) as failure:
        read_submission(write(tmp_path, content))
    assert failure.value.status == status and words in str(failure.value) and "\n" not in str(failure.value)


def test_a_file_cut_inside_its_outputs_says_where_it_ends(tmp_path, monkeypatch):
    data = json.dumps(doc([code("x = 1", [image(50_000)])]), indent=1).encode()
    monkeypatch.setattr(notebook, "STREAM_FROM", 0)
    with pytest.raises(InvalidNotebook) as failure:
        read_submission(write(tmp_path, data[: len(data) // 2]))
    assert failure.value.status == "invalid-json" and "ends before the notebook does" in str(failure.value)
    lines = data[: len(data) // 2].count(b"\n") + 1
    assert f"line {lines}," in str(failure.value)


def test_errors_after_dropped_outputs_are_placed_in_the_file(tmp_path, monkeypatch):
    # a missing comma on the last line, after 200 kB of outputs the scanner dropped
    text = json.dumps(doc([code("x = 1", [image(200_000)]), code("y = 2")]), indent=1)
    lines = text.split("\n")
    broken = next(i for i in range(len(lines) - 1, 0, -1) if lines[i].strip() == '"nbformat": 4,')
    lines[broken] = lines[broken].rstrip(",")
    monkeypatch.setattr(notebook, "STREAM_FROM", 0)
    with pytest.raises(InvalidNotebook) as failure:
        read_submission(write(tmp_path, "\n".join(lines).encode()))
    assert f"line {broken + 2}, column" in str(failure.value)


def test_caps_on_the_file_on_what_is_left_and_on_code(tmp_path, monkeypatch, reading):
    monkeypatch.setattr(notebook, "MAX_KEPT_BYTES", 100_000)
    monkeypatch.setattr(notebook, "MAX_CODE_BYTES", 10_000)
    big_outputs = write(tmp_path, doc([code("x = 1", [image(300_000)])]), "outputs.ipynb")
    assert read_submission(big_outputs).cells[0].source == "x = 1"  # graded: only its outputs are big
    with pytest.raises(InvalidNotebook, match="larger than 0 MB") as failure:
        read_submission(big_outputs, max_bytes=200_000)
    assert failure.value.status == "too-large"
    code_heavy = write(tmp_path, doc([code("x = '" + "z" * 20_000 + "'")]), "code.ipynb")
    with pytest.raises(InvalidNotebook, match="of code") as failure:
        read_submission(code_heavy)
    assert failure.value.status == "too-large"
    if reading == "streaming":  # the whole reader never holds more than STREAM_FROM anyway
        text_heavy = write(tmp_path, doc([{"cell_type": "markdown", "source": "m" * 200_000, "metadata": {}}]),
                           "markdown.ipynb")
        with pytest.raises(InvalidNotebook, match="without its outputs") as failure:
            read_submission(text_heavy)
        assert failure.value.status == "too-large"


def test_the_default_caps():
    assert notebook.MAX_BYTES == 200 << 20 and notebook.MAX_KEPT_BYTES == 20 << 20
    assert notebook.MAX_CODE_BYTES == 2 << 20


MEMORY_PROBE = textwrap.dedent("""
    import sys
    from gdkit.notebook import read_submission

    def peak_kb():  # this process's own peak (ru_maxrss would include the parent's, from before exec)
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

    before = peak_kb()
    nb = read_submission(sys.argv[1])
    assert all(c.get("outputs", []) == [] for c in nb.cells) and len(nb.cells) == 2
    print(peak_kb() - before)
""")


@pytest.mark.slow  # writes a 120 MB notebook
def test_memory_while_reading_a_large_notebook_is_bounded(tmp_path):
    # 120 MB of outputs: six 20 MB images. Parsed whole, the grader would hold ~4x the file.
    path = tmp_path / "plots.ipynb"
    chunk = "A" * (20 << 20)
    with open(path, "w") as out:
        out.write('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [\n')
        out.write(json.dumps(code("def f(x):\n    return x\n")) + ",\n")
        out.write('{"cell_type": "code", "execution_count": 1, "metadata": {}, "source": "f(1)", "outputs": [')
        out.write(",".join(json.dumps({"output_type": "display_data", "metadata": {}, "data": {"image/png": chunk}})
                           for _ in range(6)))
        out.write("]}]}\n")
    assert path.stat().st_size > 120 << 20
    grown_kb = int(subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(path)], check=True, capture_output=True,
                                  text=True).stdout)
    print(f"reading {path.stat().st_size >> 20} MB grew the reader by {grown_kb >> 10} MB")
    assert grown_kb < 48 << 10, f"the reader grew by {grown_kb >> 10} MB for a {path.stat().st_size >> 20} MB file"


# ---- what "defines none of the assignment's functions" reads


@pytest.mark.parametrize("source, expected", [
    ("def double(x):\n    return 2 * x", True),
    ("async def double(x):\n    pass", True),
    ("double = lambda x: 2 * x", True),
    ("double: object = print", True),
    ("from helpers import double", True),
    ("import numpy as double", True),
    ("if double == 3:\n    pass", False),   # a comparison, not a binding
    ("print(double(2))", False),             # a use, not a definition
    ("def doubled(x):\n    pass", False),
    ("# def double(x):", False),
])
def test_defines_any(source, expected):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    assert defines_any(nb, ["double", "halve"]) is expected


def test_defines_any_ignores_test_cells_and_markdown():
    test_cell = nbformat.v4.new_code_cell("def double(x):\n    pass",
                                          metadata={"nbgrader": {"grade": True, "solution": False}})
    markdown = nbformat.v4.new_markdown_cell("def double(x):")
    nb = nbformat.v4.new_notebook(cells=[test_cell, markdown])
    assert not defines_any(nb, ["double"]) and not defines_any(nb, [])
