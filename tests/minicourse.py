"""A tiny course of its own for tests of the grading machinery (runner, merge): a few one-line
functions, so grading is fast and what each student must score is obvious."""
from pathlib import Path

import nbformat


def notebook(source: str) -> str:
    """A one-code-cell notebook (as text) holding ``source``."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# mini"), nbformat.v4.new_code_cell(source)]
    return nbformat.writes(nb)


def write_course(root: Path, toml: str, suite: str, name: str = "mini") -> Path:
    """``root/autograder/<name>/`` with its assignment.toml and hidden suite; returns root."""
    folder = Path(root) / "autograder" / name
    folder.mkdir(parents=True)
    (folder / "assignment.toml").write_text(toml)
    (folder / f"test_{name}.py").write_text(suite)
    return Path(root)
