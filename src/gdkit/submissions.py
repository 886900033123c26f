"""Building notebooks that look like student submissions, from the release and the master.

Used for the bundled examples, the bug zoo, hostile corpora and benchmarks: take the student
release, put chosen source into the solution cells, and you have exactly what a student with
that code would hand in (same locked cells, same test cells, same metadata).
"""
from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import nbformat

from gdkit.course import resolve
from gdkit.errors import GdkitError

_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
_DEF = re.compile(r"^def\s+([A-Za-z_]\w*)\s*\(", re.MULTILINE)


def _existing(path: Path, folder: Path, assignment: str, root: Path) -> Path:
    if not path.is_file():
        known = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
        raise GdkitError(f"no notebook {path.relative_to(root)} for assignment '{assignment}': "
                         f"expected one of {', '.join(known) or '(none)'}")
    return path


def master_path(assignment: str, root=None) -> Path:
    """``solutions/<assignment>/<notebook>`` of the course (a Course, its folder, or found from here)."""
    course = resolve(root)
    return _existing(course.master_path(assignment), course.source_dir, assignment, course.root)


def release_path(assignment: str, root=None) -> Path:
    """``assignments/<assignment>/<notebook>`` of the course (a Course, its folder, or found from here)."""
    course = resolve(root)
    return _existing(course.release_path(assignment), course.release_dir, assignment, course.root)


def is_solution_cell(cell) -> bool:
    """A code cell nbgrader marks as the student's to write."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and isinstance(meta, dict) and bool(meta.get("solution"))


def defined_functions(source: str) -> list[str]:
    """Names of the top-level functions a cell defines (a regex fallback if it does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return _DEF.findall(source)
    return [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def master_answers(assignment: str, root=None) -> dict[str, str]:
    """{function name: source} of the master's solution cells, solution markers removed."""
    nb = nbformat.read(master_path(assignment, root), as_version=4)
    answers = {}
    for cell in nb.cells:
        if not is_solution_cell(cell):
            continue
        source = "\n".join(line for line in cell.source.split("\n") if not _MARKER.match(line))
        for name in defined_functions(source):
            answers[name] = source
    return answers


def fill_solutions(release_nb, answers: dict[str, str]):
    """A copy of ``release_nb`` whose solution cell defining each named function holds the given source.

    ``answers`` maps function name -> full cell source (any text: it may be broken on purpose).
    Cells not named keep their stubs. Raises GdkitError for a name no solution cell defines.
    """
    nb = copy.deepcopy(release_nb)
    cells_by_name: dict[str, nbformat.NotebookNode] = {}
    for cell in nb.cells:
        if is_solution_cell(cell):
            for name in defined_functions(cell.source):
                cells_by_name.setdefault(name, cell)
    for name, source in answers.items():
        if name not in cells_by_name:
            raise GdkitError(f"no solution cell defines '{name}': expected one of {', '.join(sorted(cells_by_name))}")
        cells_by_name[name].source = source
    return nb
