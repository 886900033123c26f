"""A graded record as Gradescope's ``results.json``: what a student sees, and when.

Gradescope's rules (its autograder specification): each test entry has its own
``visibility`` (``hidden``: never shown to students; ``after_due_date``: after the due date,
or the late due date when late submissions are allowed; ``after_published``: once the grades
are published; ``visible``: at once); the top-level ``visibility`` is the default of entries
without one, and an entry's own value overrides it. While any entry is not yet visible,
Gradescope does not show the student their total score. ``stdout_visibility`` governs the
autograder's log (instructors always see everything). ``output_format`` (top-level output,
default ``simple_format``, i.e. HTML) and ``test_output_format``/``test_name_format`` (default
``text``) say how text is rendered: everything here is plain ``text``, so no name or message
(a file name is the student's choice) is ever read as HTML.

The entries, with the course's :class:`gdkit.export.settings.Visibility`:

- one scored entry per question (``scores``, default visible): its points, how many checks
  passed and, with ``examples``, each failed check's answer on the small public example;
- one unscored entry per check (``checks``, default after_published): the check's name
  (its description), passed/failed, and for a failure the message, named mistake and hint;
  the specifics of hidden inputs only with the course's feedback detail "full".

The top-level output says once which notebook was graded and which were ignored, once why
a notebook could not be run (never once per check), and, when a late policy applied, the raw
score, the penalty and the final score (``score`` is the final one).
"""
from __future__ import annotations

import re

from gdkit.export.settings import Visibility
from gdkit.grading import sanitize
from gdkit.feedback import check_title as _title
from gdkit.feedback import late_line, load_error_line, message_of, notebook_line, status_sentence
from gdkit.record import Record

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def clean(text, limit: int = 200) -> str:
    """One line of plain text of at most ``limit`` characters (for names a student chose)."""
    text = " ".join(_UNPRINTABLE.sub(" ", str(text)).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _num(x: float) -> str:
    return f"{float(x):g}"


def _check_entry(qid: str, test, visibility: Visibility, detail: str) -> dict:
    lines = []
    if not test.passed:
        lines.append(message_of(test, detail))
        if test.mistake:
            lines.append(f"Likely mistake: {test.mistake}")
        if test.hint:
            lines.append(f"Hint: {test.hint}")
        if test.example and not visibility.examples:
            lines += ["", str(test.example)]
    return {"name": f"{qid}: {_title(test)}", "status": "passed" if test.passed else "failed",
            "output": "\n".join(lines), "visibility": visibility.checks}


def notebook_note(record: Record) -> str:
    """Which file was graded and which were ignored (``record.notebook``), one line; '' if none."""
    return notebook_line(record)


def results_json(record: Record, visibility: Visibility = Visibility(), detail: str = "default") -> dict:
    """The results.json dict of one record."""
    unusable = record.status != "ok" and all(t.kind == "unusable" for q in record.questions for t in q.tests)
    tests = [_question_entry(q, visibility, unusable) for q in record.questions]
    tests += [_check_entry(q.id, t, visibility, detail) for q in record.questions for t in q.tests
              if t.kind != "unusable"]
    top = _top_lines(record)
    result = {"score": record.total, "tests": tests, "visibility": visibility.scores,
              "stdout_visibility": visibility.stdout, "output_format": "text", "test_output_format": "text",
              "test_name_format": "text"}
    for entry in tests:  # plain text, but no terminal escapes or bidirectional overrides either
        entry["name"] = sanitize.line(entry["name"], 400)
        entry["output"] = sanitize.text(entry["output"], 20_000, keep_spaces=True)
    if top:
        result["output"] = sanitize.text("\n".join(top), 20_000, keep_spaces=True)
    return result


def _question_entry(q, visibility: Visibility, unusable: bool) -> dict:
    """A question's scored entry: its points, how many checks passed and, with examples, each
    failed check's answer on the public example (once when checks share one)."""
    lines = []
    if q.tests and not unusable:
        lines.append(f"{q.passed_checks} of {len(q.tests)} checks passed.")
    if visibility.examples:
        shown = set()
        for t in q.failed:
            if t.example and t.kind != "unusable" and str(t.example) not in shown:
                shown.add(str(t.example))  # two checks of a question often share one example
                lines += ["", f"{_title(t)}:", str(t.example)]
    return {"name": q.id, "score": q.score, "max_score": q.points, "output": "\n".join(lines),
            "visibility": visibility.scores}


def _top_lines(record: Record) -> list[str]:
    """The top-level output: late line, notebook chosen, status, cells skipped or failing at load."""
    top = [line for line in (late_line(record), notebook_note(record)) if line]
    if record.status != "ok":
        top.append(f"Status: {record.status}. {status_sentence(record.status)} {record.reason}".strip())
    skipped = [c for c in record.cells if c.get("skipped") is True]
    errors = [c for c in record.cells if c not in skipped]
    for cells, heading in ((skipped, "Cells skipped while your notebook loaded: "),
                           (errors, "Cells that raised an error while your notebook loaded: ")):
        if cells:
            top.append(heading + "; ".join(clean(load_error_line(c), 300) for c in cells[:10]))
    return top


def failure(reason: str, questions=(), visibility: Visibility = Visibility()) -> dict:
    """A results.json for a submission that could not be graded at all: score 0 and why, once."""
    tests = [{"name": q.id, "score": 0.0, "max_score": q.points, "output": "", "visibility": visibility.scores}
             for q in questions]
    return {"score": 0.0, "output": f"Your submission was not graded: {reason}", "tests": tests,
            "visibility": visibility.scores, "stdout_visibility": visibility.stdout, "output_format": "text",
            "test_output_format": "text", "test_name_format": "text"}
