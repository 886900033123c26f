"""`gdkit ci-report --check NOTEBOOK`: the student workflow's step, the visible checks on GitHub.

It runs ``gdkit check`` on the notebook (the visible tests only: a student's repository holds no
course, so the notebook's own test cells, checked against nbgrader's checksums) and writes
what GitHub shows: a table in ``$GITHUB_STEP_SUMMARY``, one ``::error`` annotation on the
notebook per failing question, and ``passed``/``questions`` in ``$GITHUB_OUTPUT``.
"""
from __future__ import annotations

import os
from pathlib import Path

from gdkit.errors import GdkitError
from gdkit.export.ci_report import printable, escape_data, escape_property

NOTE = ("These are the notebook's visible tests. Your marks come from the course's grading, "
        "which runs more (hidden) tests on each question.")


def _cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _first_line(text: str) -> str:
    lines = str(text).strip().splitlines()
    return lines[0] if lines else ""


def _relative(path: Path, workspace: str | None) -> str:
    if workspace:
        try:
            return path.resolve().relative_to(Path(workspace).resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def summary(notebook: str, results) -> str:
    passed = sum(r.passed for r in results)
    lines = [f"## gdkit check: {_cell(notebook)}: {passed} of {len(results)} questions pass", "",
             "| | question | visible tests |", "|---|---|---|"]
    for r in results:
        lines.append(f"| {'✅' if r.passed else '❌'} | {_cell(r.question)} | "
                     f"{'pass' if r.passed else _cell(_first_line(r.message) or 'fails')} |")
    return "\n".join(lines + ["", NOTE, ""])


def error_commands(notebook: str, results) -> list[str]:
    file = escape_property(notebook)
    return [f"::error file={file},title={escape_property(r.question + ': a visible test fails')}::"
            f"{escape_data(printable(chr(10).join([r.message.strip() or 'the visible test fails', *r.findings])))}"
            for r in results if not r.passed]


def report(notebook: Path, assignment: str | None = None, environ=None, course=None):
    """Check the notebook and write GitHub's files; returns (results, summary, annotation lines).

    A notebook that cannot be checked (missing, not a notebook) raises GdkitError after the
    summary and an annotation say why.
    """
    from gdkit import check

    environ = os.environ if environ is None else environ
    notebook = Path(notebook)
    shown = _relative(notebook, environ.get("GITHUB_WORKSPACE"))
    try:
        results = check.check_notebook(notebook, assignment, course=course)
    except GdkitError as exc:
        _append(environ, "GITHUB_STEP_SUMMARY", f"## gdkit check: {_cell(shown)}\n\nNot checked: {_cell(exc)}\n")
        print(f"::error file={escape_property(shown)},title=gdkit check::{escape_data(str(exc))}")
        raise
    text = summary(shown, results)
    _append(environ, "GITHUB_STEP_SUMMARY", text)
    _append(environ, "GITHUB_OUTPUT", f"passed={sum(r.passed for r in results)}\nquestions={len(results)}\n")
    return results, text, error_commands(shown, results)


def _append(environ, name: str, text: str) -> None:
    if environ.get(name):
        with open(environ[name], "a", encoding="utf-8") as f:
            f.write(text)
