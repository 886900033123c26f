"""A master notebook's plain-text twin: ``solutions/<name>/<name>.master.py`` in jupytext's
percent format, for reviews and diffs that read like Python.

The notebook (``<name>.ipynb``) is what nbgrader reads; the twin holds the same cells (source,
nbgrader metadata, tags) with no outputs, and either may be edited:

* ``gdkit release`` syncs each pair first, as ``jupytext --sync`` does: the file changed last
  wins; a missing twin is written from the notebook, a missing notebook made from the twin;
* ``gdkit release --check`` reports a pair that differs, changing nothing.

``solutions/jupytext.toml`` pairs the same files for Jupyter's jupytext extension, with the same
settings as :data:`SETTINGS`, so a notebook saved in Jupyter rewrites its twin identically.
"""
from __future__ import annotations

import os
from pathlib import Path

SUFFIX = ".master.py"
FORMAT = "py:percent"
# The twin carries no notebook-level header: nothing version-dependent, nothing to drift.
SETTINGS = {"formats": f"ipynb,{SUFFIX}:percent", "notebook_metadata_filter": "-all"}
JUPYTEXT_TOML = ('# Pairs every master notebook here with a plain-text twin, NAME.master.py (jupytext\'s\n'
                 '# percent format), for reviews and diffs; `gdkit release` keeps each pair in sync.\n'
                 f'formats = "{SETTINGS["formats"]}"\n'
                 f'notebook_metadata_filter = "{SETTINGS["notebook_metadata_filter"]}"\n')
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def twin_path(notebook: Path) -> Path:
    """``x/NAME.ipynb`` -> ``x/NAME.master.py``."""
    notebook = Path(notebook)
    return notebook.with_name(notebook.stem + SUFFIX)


def notebook_path(twin: Path) -> Path:
    """``x/NAME.master.py`` -> ``x/NAME.ipynb``."""
    twin = Path(twin)
    return twin.with_name(twin.name[: -len(SUFFIX)] + ".ipynb")


def _config():
    from jupytext.config import JupytextConfiguration

    return JupytextConfiguration(**SETTINGS)


def to_text(nb) -> str:
    """The twin's text for notebook ``nb`` (outputs and notebook metadata left out)."""
    import jupytext

    return jupytext.writes(nb, fmt=FORMAT, config=_config())


def from_text(text: str, existing=None):
    """A notebook with the cells of twin ``text``; ``existing`` (the paired notebook) keeps its
    notebook metadata and, for cells whose source is unchanged, their ids and outputs."""
    import jupytext
    import nbformat
    from jupytext.combine import combine_inputs_with_outputs

    nb = jupytext.reads(text, fmt=FORMAT, config=_config())
    if existing is not None:
        return combine_inputs_with_outputs(nb, existing, fmt=FORMAT)
    nb.metadata = nbformat.NotebookNode({"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}})
    return nb


def _write_notebook(nb, path: Path) -> None:
    import nbformat

    nbformat.validate(nb)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def _normalise_twin(twin: Path, nb, text: str) -> None:
    # A hand-edited twin may differ from jupytext's own spelling of the same cells (blank
    # lines, quoting): rewrite it in that spelling so the pair compares equal afterwards.
    canonical = to_text(nb)
    if canonical != text:
        twin.write_text(canonical, encoding="utf-8")


def in_sync(notebook: Path) -> bool:
    """Whether the notebook and its twin both exist and hold the same cells."""
    import nbformat

    twin = twin_path(notebook)
    if not (Path(notebook).is_file() and twin.is_file()):
        return False
    return to_text(nbformat.read(notebook, as_version=4)) == twin.read_text(encoding="utf-8")


def sync(notebook: Path) -> str | None:
    """Bring the pair in line: the file changed last wins. Returns what was written
    (``"twin"``, ``"notebook"``) or None when they already agree."""
    import nbformat

    notebook, twin = Path(notebook), twin_path(notebook)
    if not notebook.is_file() and not twin.is_file():
        raise FileNotFoundError(notebook)
    if not twin.is_file():
        twin.write_text(to_text(nbformat.read(notebook, as_version=4)), encoding="utf-8")
        return "twin"
    text = twin.read_text(encoding="utf-8")
    if not notebook.is_file():
        nb = from_text(text)
        _write_notebook(nb, notebook)
        _normalise_twin(twin, nb, text)
        return "notebook"
    nb = nbformat.read(notebook, as_version=4)
    if to_text(nb) == text:
        return None
    if os.stat(twin).st_mtime > os.stat(notebook).st_mtime:
        nb = from_text(text, nb)
        _write_notebook(nb, notebook)
        _normalise_twin(twin, nb, text)
        return "notebook"
    twin.write_text(to_text(nb), encoding="utf-8")
    return "twin"
