"""`gdkit ci-report OUTDIR`: turn a `gdkit grade` output folder into GitHub Actions' report.

- a score table appended to ``$GITHUB_STEP_SUMMARY`` (Markdown; printed when it is unset),
- one ``::error file=...,title=...::`` workflow command per question that lost points, so the
  failure shows on the notebook in the run's annotations,
- ``score`` and ``max_score`` lines appended to ``$GITHUB_OUTPUT`` for later steps.

Escaping follows GitHub's workflow-command rules: ``%``, CR and LF in the message; also ``:``
and ``,`` in property values.
"""
from __future__ import annotations

import os
from pathlib import Path

from gdkit.errors import GdkitError
from gdkit.feedback import message_of
from gdkit.grading import outputs, sanitize
from gdkit.record import Record


def escape_data(text: str) -> str:
    """A workflow command's message: %, CR and LF escaped."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def printable(text: str) -> str:
    """What a record says, as the log shows it: no terminal escapes, no bidirectional overrides."""
    return sanitize.text(text, 20_000, keep_spaces=True)


def escape_property(text: str) -> str:
    """A workflow command's property value: also ':' and ','."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def load_records(outdir: Path) -> list[Record]:
    """Every student record in a grading output folder, by student id ([] when it does not exist)."""
    outdir = Path(outdir)
    if not outdir.exists():
        return []  # the Grade step failed before writing anything: reported as "no results"
    if not outdir.is_dir():
        raise GdkitError(f"{outdir} is not a folder; give the --out folder of 'gdkit grade'")
    records = [outputs.read_record(outdir, p.name) for p in sorted(outdir.iterdir()) if p.is_dir()]
    return [r for r in records if r is not None]


def _cell(text) -> str:
    # One line of Markdown read as typed: a '|' would end the table cell early, a newline the
    # row, and a file name a student chose must not become a link or markup.
    return sanitize.markdown(text, 1000)


def summary(records: list[Record]) -> str:
    """The job summary: per student, a table of question, points and checks passed."""
    if not records:
        return "## gdkit\n\nNo grading results: see the log of the Grade step.\n"
    parts = []
    for r in records:
        parts += [f"## gdkit: {_cell(r.assignment)} — {_cell(r.student)}: "
                  f"{outputs._num(r.total)} / {outputs._num(r.max_total)}", ""]
        if r.status != "ok":
            parts += [f"**Status: `{r.status}`** {_cell(r.reason)}", ""]
        parts += ["| | question | points | checks passed |", "|---|---|---:|---:|"]
        for q in r.questions:
            mark = "✅" if q.full else ("🟡" if q.score > 0 else "❌")
            parts.append(f"| {mark} | {_cell(q.id)} | {outputs._num(q.score)} / {outputs._num(q.points)} "
                         f"| {q.passed_checks} / {len(q.tests)} |")
        parts += ["", f"What failed and why: `{_cell(r.student)}/feedback.html` in the grading folder.", ""]
    return "\n".join(parts) + "\n"


def _relative(path: str, workspace: Path | None) -> str:
    p = Path(path)
    if workspace is not None and p.is_absolute():
        try:
            return p.resolve().relative_to(workspace.resolve()).as_posix()
        except ValueError:
            pass
    return p.as_posix()


def error_commands(records: list[Record], workspace: Path | None = None, detail: str = "default") -> list[str]:
    """``::error`` workflow commands: one per question that lost points, one per ungraded notebook."""
    lines = []
    for r in records:
        file = escape_property(_relative(r.path, workspace))
        if r.status != "ok":
            lines.append(f"::error file={file},title={escape_property('gdkit: ' + r.status)}::"
                         f"{escape_data(printable(r.reason or r.status))}")
        for q in r.questions:
            if q.full:
                continue
            body = [f"{t.description or t.name}: {message_of(t, detail)}" + (f"\nHint: {t.hint}" if t.hint else "")
                    for t in q.failed]
            title = f"{q.id}: {outputs._num(q.score)} / {outputs._num(q.points)} points"
            lines.append(f"::error file={file},title={escape_property(title)}::"
                         f"{escape_data(printable(chr(10).join(body) or r.reason or 'not graded'))}")
    return lines


def report(outdir: Path, environ=None, detail: str | None = None) -> tuple[list[Record], str, list[str]]:
    """Write the summary and outputs where GitHub's variables say; returns (records, summary, annotations).

    A folder with no results (the Grade step failed before writing any) gives an empty list and
    a summary that says so; GdkitError only when ``outdir`` is not a folder.
    """
    environ = os.environ if environ is None else environ
    records = load_records(outdir)
    workspace = Path(environ["GITHUB_WORKSPACE"]) if environ.get("GITHUB_WORKSPACE") else None
    text = summary(records)
    if detail is None:  # the course's feedback detail: hidden-input specifics only when "full"
        from gdkit.export import settings

        detail = settings.for_assignment(records[0].assignment).feedback if records else "default"
    lines = error_commands(records, workspace, detail)
    if environ.get("GITHUB_STEP_SUMMARY"):
        with open(environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as f:
            f.write(text)
    if records and environ.get("GITHUB_OUTPUT"):
        with open(environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as f:
            f.write(f"score={outputs._num(sum(r.total for r in records))}\n"
                    f"max_score={outputs._num(sum(r.max_total for r in records))}\n")
    if not records:
        lines.append(f"::error title=gdkit::{escape_data(f'no grading results in {outdir}; see the Grade step')}")
    return records, text, lines
