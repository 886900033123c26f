"""Write the nbgrader master notebooks of every assignment from the cell lists in this folder.

Run ``python3 solutions/build_masters.py [ASSIGNMENT...]`` after editing a ``master_*.py`` file, then
``gdkit release`` to regenerate the student releases. The notebooks are generated (not edited
by hand) so that a review reads plain Python and the files come out byte-for-byte the same.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
ASSIGNMENTS = ("gradient_descent", "tuning")

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}


def _nbgrader(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return meta


def graded_by_suite(assignment: str, grade_id: str, visible: str) -> str:
    """A test cell whose nbgrader points come from the hidden suite, exactly as in ``gdkit grade``.

    The release shows only ``visible`` (the student's checks). ``nbgrader autograde`` restores
    the hidden regions: they quote the visible checks (a failing visible assert would zero the
    whole cell, while the hidden suite gives partial credit) and end the cell with the points
    earned, which nbgrader records as the cell's partial credit.
    """
    if "'''" in visible:
        raise ValueError(f"{grade_id}: the visible checks cannot contain ''' (they are quoted when grading)")
    return "\n".join([
        "### BEGIN HIDDEN TESTS",
        "# nbgrader: the visible checks are quoted, not run; the hidden suite alone decides the points.",
        "r'''",
        "### END HIDDEN TESTS",
        visible,
        "### BEGIN HIDDEN TESTS",
        "'''",
        "from gdkit.grading.inkernel import grade_question",
        f"grade_question({assignment!r}, {grade_id!r}, globals())",
        "### END HIDDEN TESTS",
    ])


class Master:
    """Collects the cells of one master notebook; cell ids are stable so rebuilds are identical."""

    def __init__(self, name: str):
        self.name = name
        self.cells = []

    def _id(self, kind: str) -> str:
        return f"{kind}-{len(self.cells):02d}"

    def md(self, text: str) -> None:
        """Explanations: plain markdown, editable by students (nothing is graded there)."""
        self.cells.append(new_markdown_cell(text.strip("\n"), id=self._id("md")))

    def given(self, grade_id: str, source: str) -> None:
        """Code every student gets as is; nbgrader locks it and checksums it."""
        cell = new_code_cell(source.strip("\n"), id=self._id("given"))
        cell.metadata["nbgrader"] = _nbgrader(grade_id, locked=True)
        cell.metadata["deletable"] = False
        cell.metadata["editable"] = False
        self.cells.append(cell)

    def solution(self, grade_id: str, source: str) -> None:
        """One graded function's ``def``; its ``### BEGIN/END SOLUTION`` body becomes a stub."""
        cell = new_code_cell(source.strip("\n"), id=self._id("solution"))
        cell.metadata["nbgrader"] = _nbgrader(grade_id, solution=True)
        self.cells.append(cell)

    def tests(self, grade_id: str, points: int, source: str) -> None:
        """A question's visible checks, wrapped in the hidden regions that grade it for nbgrader."""
        cell = new_code_cell(graded_by_suite(self.name, grade_id, source.strip("\n")), id=self._id("tests"))
        cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=True, locked=True, points=points)
        cell.metadata["deletable"] = False
        cell.metadata["editable"] = False
        self.cells.append(cell)

    def experiment(self, source: str) -> None:
        """Slow or graphical cells; the grader skips everything tagged ``experiment``."""
        cell = new_code_cell(source.strip("\n"), id=self._id("experiment"))
        cell.metadata["tags"] = ["experiment"]
        self.cells.append(cell)

    def notebook(self):
        nb = new_notebook(cells=self.cells)
        nb.metadata["kernelspec"] = dict(KERNELSPEC)
        nb.metadata["language_info"] = dict(LANGUAGE_INFO)
        return nb


def build(name: str) -> Path:
    """Build ``solutions/<name>/<name>.ipynb`` from ``solutions/master_<name>.py``; returns the path."""
    spec = importlib.util.spec_from_file_location(f"master_{name}", HERE / f"master_{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    master = Master(name)
    module.cells(master)
    nb = master.notebook()
    nbformat.validate(nb)
    path = HERE / name / f"{name}.ipynb"
    path.parent.mkdir(exist_ok=True)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    for assignment in sys.argv[1:] or ASSIGNMENTS:
        print(build(assignment).relative_to(HERE.parent))
