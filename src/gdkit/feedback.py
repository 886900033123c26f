"""A student's feedback: per question what passed, what failed and why, and their training curve.

Rendered from a grading record (see docs/architecture.md) by the Jinja2 templates
``templates/feedback.html.j2`` (autoescaped) and ``templates/feedback.md.j2`` (every expression
escaped for Markdown by :func:`gdkit.grading.sanitize.markdown`; the public examples go into code
fences long enough that nothing inside can close them). ``feedback.html`` is one self-contained
file (inline CSS and SVG, no scripts, no network); ``feedback.md`` says the same in Markdown with
the curve as an inline SVG data image.

What the record holds, the feedback shows once: the score (after a late penalty: the raw score,
the penalty and the final score), a plain sentence for the status, which notebook was graded
and which were ignored, cells skipped while loading, and per question the failed checks. A
check the grader could not run is never shown as the student's failure.

The pieces other renderers share (results.json, CI annotations) live here too:
:func:`message_of`, :func:`check_title`, :func:`notebook_line`, :func:`late_line`,
:func:`status_sentence`.
"""
from __future__ import annotations

import base64
import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from gdkit.grading import sanitize
from gdkit.record import GRADER_ERROR, QuestionResult, Record, TestResult

# A plain sentence for every status a record can have. The record's ``reason`` follows it with
# the specifics (which file, which limit).
STATUS_TEXT = {
    "ok": "Your notebook ran and every question was graded.",
    "timeout": "Part of your code did not finish in time; the checks it was running count as failed.",
    "cpu-time": "Your code used up its CPU time; the checks it was running count as failed.",
    "crashed": "Your code ended or crashed the process that ran it; the checks it was running count as failed.",
    "invalid-notebook": "Your file could not be read as a notebook.",
    "invalid-json": "Your file is not a complete notebook (its JSON is broken).",
    "not-a-notebook": "Your file is JSON, but not a Jupyter notebook.",
    "unsupported-nbformat": "Your notebook is saved in a format version the grader cannot read.",
    "empty-file": "Your file is empty.",
    "binary-file": "Your file holds binary data, not a notebook.",
    "not-utf8": "Your file is not text as Jupyter saves it (not UTF-8).",
    "missing-file": "No notebook was found in what you handed in.",
    "too-large": "Your file is too large to grade.",
    "wrong-assignment": "Your notebook is not this assignment's: it defines none of the functions graded here.",
    GRADER_ERROR: ("The grader itself failed on your submission. This is not your fault: it will be "
                   "graded again, and the score shown is not final."),
}
def status_sentence(status: str) -> str:
    """The plain sentence for a record's status (a generic one for a status not listed)."""
    return STATUS_TEXT.get(status, "Your submission could not be graded as it is.")


# ------------------------------------------------------------------------------ shared pieces

def check_title(test: TestResult) -> str:
    """What a check is called where a student reads it: its description, else its name."""
    return (test.description or test.name).rstrip(".")


def message_of(test: TestResult, detail: str = "default") -> str:
    """What a student reads about a check: its message, and only with the course's feedback
    detail "full" the specifics of the hidden inputs (sizes, alpha values, thresholds)."""
    return f"{test.message} ({test.detail})" if detail == "full" and test.detail else test.message


def shown_failures(question: QuestionResult) -> list[TestResult]:
    """The failed checks that are the student's to read: a notebook that could not be run is
    said once, in the status line, and a check the grader could not run is not a failure."""
    return [t for t in question.failed if t.kind not in ("unusable", GRADER_ERROR)]


def notebook_line(record: Record) -> str:
    """Which file was graded and which were ignored (``record.notebook``), one line; '' when there
    was no choice to make (one notebook handed in: nothing worth saying)."""
    info = record.notebook or {}
    graded = info.get("graded")
    listed = info.get("ignored") or []
    if not graded or not listed:
        return ""
    ignored = [sanitize.line(p, 80) for p in listed[:10]]
    more = len(listed) - len(ignored)
    text = f"Graded {sanitize.line(graded, 120)}"
    why = info.get("rule") or info.get("why")
    if why:
        text += f" ({sanitize.line(why, 120)})"
    if ignored:
        text += "; ignored: " + ", ".join(ignored) + (f" and {more} more" if more > 0 else "")
    return text + "."


def _num(x: Any) -> str:
    try:
        return f"{float(x):g}"
    except (TypeError, ValueError):
        return "?"


def _when(text: Any) -> str:
    """An ISO 8601 time as 'YYYY-MM-DD HH:MM UTC' (or UTC+hh:mm): what a student reads."""
    try:
        moment = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return sanitize.line(text, 40)
    offset = moment.utcoffset()
    if offset is None or not offset:
        zone = "UTC"
    else:
        sign = "+" if offset >= dt.timedelta(0) else "-"
        minutes = abs(int(offset.total_seconds())) // 60
        zone = f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return f"{moment:%Y-%m-%d %H:%M} {zone}"


def _duration(seconds: Any) -> str:
    """'2 days 31 minutes', '6 minutes', 'under a minute'."""
    try:
        left = int(float(seconds))
    except (TypeError, ValueError, OverflowError):
        return "an unknown time"
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count} {unit}{'' if count == 1 else 's'}")
    return " ".join(parts) or "under a minute"


@dataclass(frozen=True)
class Late:
    """What a late policy did to one record (``record.extra``, see gdkit.late)."""

    raw: float
    penalty: float
    final: float
    max_total: float
    submitted: str | None   # as shown
    due: str | None         # as shown
    late_by: str | None     # as shown; None when on time
    unknown: bool           # no submission time was found: no penalty applied

    @property
    def sentence(self) -> str:
        """One line: when it was submitted against the due date, and what that cost."""
        if self.unknown:
            return "No submission time was found for your notebook, so no late penalty was applied."
        due = f"the due date ({self.due})" if self.due else "the due date"
        if self.late_by is None:
            return f"Submitted {self.submitted}, before {due}: no late penalty."
        if self.penalty <= 0:
            return f"Submitted {self.submitted}, {self.late_by} after {due}, within the grace period: no late penalty."
        return (f"Submitted {self.submitted}, {self.late_by} after {due}: late penalty {_num(self.penalty)} points "
                f"(raw score {_num(self.raw)} / {_num(self.max_total)}, final score {_num(self.final)} / "
                f"{_num(self.max_total)}).")


def late_of(record: Record) -> Late | None:
    """The late policy's effect on ``record``, or None when no policy applied."""
    extra = record.extra or {}
    if "raw_total" not in extra:
        return None
    try:
        raw, penalty = float(extra["raw_total"]), float(extra.get("penalty") or 0.0)
        late_by = float(extra.get("late_by") or 0.0)
    except (TypeError, ValueError):
        return None
    submitted = extra.get("submitted_at")
    return Late(raw=raw, penalty=penalty, final=float(record.total), max_total=float(record.max_total),
                submitted=_when(submitted) if submitted else None,
                due=_when(extra["due"]) if extra.get("due") else None,
                late_by=_duration(late_by) if late_by > 0 else None,
                unknown=bool(extra.get("late_unknown")) or not submitted)


def late_line(record: Record) -> str:
    """The late policy's one line for ``record`` ('' when none applied)."""
    found = late_of(record)
    return found.sentence if found else ""


def cell_label(index: Any) -> str:
    """A load report's cell as a student finds it: numbered from 1 at the top of the notebook,
    text cells included (the record keeps the index in the notebook's list of cells)."""
    return f"cell {index + 1}" if isinstance(index, int) and not isinstance(index, bool) else "a cell"


def load_error_line(cell: dict) -> str:
    """One load-report entry as plain text: 'cell 4: NameError: ...', or how many more failed."""
    if cell.get("cell") == "...":
        return str(cell.get("message", ""))
    if cell.get("skipped") is True:
        code = f" ({cell['first_line']})" if cell.get("first_line") else ""
        return f"{cell_label(cell.get('cell'))}{code}: {cell.get('message', '')}"
    return f"{cell_label(cell.get('cell'))}: {cell.get('error')}: {cell.get('message', '')}"


# ------------------------------------------------------------------------------ the curve

def curve_view(curves: dict[str, list[float]], *, width: int = 460, height: int = 220) -> dict | None:
    """Geometry of the error curves (log-scale y) for the SVG template: {label: errors} in,
    plain numbers and point strings out. None when there is nothing to draw."""
    series = {k: [e for e in v if isinstance(e, (int, float)) and math.isfinite(e) and e > 0]
              for k, v in curves.items() if v}
    series = {k: v for k, v in series.items() if len(v) >= 2}
    if not series:
        return None
    left, right, top, bottom = 52, 10, 12, 34
    low = math.log10(min(min(v) for v in series.values()))
    high = math.log10(max(max(v) for v in series.values()))
    if high - low < 1e-9:
        low, high = low - 0.5, high + 0.5
    longest = max(len(v) for v in series.values())
    colours = ["#d1495b", "#00798c", "#edae49", "#30638e"]

    def x_of(i: int) -> float:
        return left + (width - left - right) * i / max(1, longest - 1)

    def y_of(e: float) -> float:
        return top + (height - top - bottom) * (high - math.log10(e)) / (high - low)

    # Ticks at 1, 2 and 5 times the powers of ten in range, so a curve spanning less than a
    # decade still gets labels; only the 1s when the range is wide.
    steps = (1,) if high - low > 3 else (1, 2, 5)
    ticks = []
    for exponent in range(math.floor(low), math.ceil(high) + 1):
        for step in steps:
            value = step * 10.0 ** exponent
            if low - 1e-9 <= math.log10(value) <= high + 1e-9:
                ticks.append({"y": f"{y_of(value):.1f}", "text_y": f"{y_of(value) + 4:.1f}", "label": f"{value:g}"})
    lines = []
    for n, (label, values) in enumerate(series.items()):
        every = max(1, len(values) // 400)  # at most ~400 points per curve keeps the file small
        lines.append({"label": label, "colour": colours[n % len(colours)], "label_y": top + 14 + 14 * n,
                      "points": " ".join(f"{x_of(i):.1f},{y_of(values[i]):.1f}"
                                         for i in range(0, len(values), every))})
    return {"width": width, "height": height, "left": left, "right": width - right, "top": top,
            "bottom": height - bottom, "tick_left": left - 4, "tick_text": left - 6,
            "middle": f"{(left + width) / 2:.0f}", "axis_label_y": height - 8, "last": longest - 1,
            "label_x": width - right - 4, "ticks": ticks, "lines": lines}


def curve_svg(curves: dict[str, list[float]], *, width: int = 460, height: int = 220) -> str:
    """Error curves (log-scale y) as a small SVG: {label: errors}. Empty string when no data."""
    view = curve_view(curves, width=width, height=height)
    return _HTML.get_template("feedback.curve.svg.j2").render(c=view).strip() if view else ""


# ------------------------------------------------------------------------------ what is shown

@dataclass
class FailedCheck:
    title: str
    message: str
    mistake: str | None = None
    hint: str | None = None
    example: str | None = None   # None when the question shows it once for all its checks, or above


@dataclass
class QuestionView:
    id: str
    score: float
    points: float
    passed: int
    checks: int
    css: str                                 # full / part / none / ungraded
    failures: list[FailedCheck] = field(default_factory=list)
    mistake: str | None = None               # shared by every failed check: said once
    hint: str | None = None
    example: str | None = None               # the one public example of every failed check
    ungraded: int = 0                        # checks the grader could not run


def _question_view(q: QuestionResult, detail: str) -> QuestionView:
    failed = shown_failures(q)
    ungraded = sum(t.kind == GRADER_ERROR for t in q.tests)
    css = "ungraded" if ungraded else ("full" if q.full else ("part" if q.score > 0 else "none"))
    view = QuestionView(q.id, q.score, q.points, q.passed_checks, len(q.tests), css, ungraded=ungraded)
    pairs = {(t.mistake, t.hint) for t in failed}
    shared = len(failed) > 1 and len(pairs) == 1 and any(next(iter(pairs)))
    if shared:
        view.mistake, view.hint = next(iter(pairs))
    examples = [str(t.example) for t in failed if t.example]
    if len(examples) > 1 and len(set(examples)) == 1:
        view.example = examples[0]
    shown: set[str] = set()
    for t in failed:
        example = None
        if t.example and view.example is None and str(t.example) not in shown:
            example = str(t.example)  # two checks of a question often share one example: once
            shown.add(example)
        view.failures.append(FailedCheck(check_title(t), message_of(t, detail),
                                         None if shared else t.mistake, None if shared else t.hint, example))
    return view


def _curve(record: Record) -> tuple[dict | None, str]:
    curve = (record.artifacts or {}).get("training_curve") or {}
    if not isinstance(curve, dict):
        return None, ""
    view = curve_view({"your functions": curve.get("student") or [], "reference": curve.get("reference") or []})
    return view, str(curve.get("label", ""))


def view_of(record: Record, detail: str = "default") -> dict:
    """Everything the templates show, from one record (``detail``: the course's feedback detail)."""
    cells = [c for c in record.cells if isinstance(c, dict)]
    skipped = [c for c in cells if c.get("skipped") is True]
    curve, label = _curve(record)
    return {
        "r": record,
        "final": record.status != GRADER_ERROR,
        "status_sentence": status_sentence(record.status),
        "notebook": notebook_line(record),
        "late": late_of(record),
        "questions": [_question_view(q, detail) for q in record.questions],
        "skipped": [{"cell": cell_label(c.get("cell")), "first_line": c.get("first_line") or "",
                     "message": c.get("message", "")} for c in skipped],
        "errors": [{"cell": cell_label(c.get("cell")) if c.get("cell") != "..." else "",
                    "error": c.get("error", "") if c.get("cell") != "..." else "",
                    "message": c.get("message", "")} for c in cells if c not in skipped],
        "curve": curve,
        "curve_label": label,
    }


# ------------------------------------------------------------------------------ rendering

class Verbatim(str):
    """Markdown the template puts in as it is (code fences, the image): built by this module."""


def _md_escape(value: Any) -> Any:
    if isinstance(value, Verbatim) or not isinstance(value, str):
        return "" if value is None else value
    return sanitize.markdown(value, 1_000_000)  # every field is capped in the record already


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in re.findall("`+", text)), default=0)


def _code_block(text: Any, indent: int = 0) -> Verbatim:
    """``text`` as a fenced code block: a fence longer than any run of backticks inside, so the
    text can never close it; every line indented by ``indent`` spaces (inside a list item)."""
    body = sanitize.text(text, 1_000_000)
    fence = "`" * max(3, _longest_backticks(body) + 1)
    pad = " " * indent
    return Verbatim("\n".join(pad + line if line else line for line in [fence, *body.splitlines(), fence]))


def _code_span(text: Any) -> Verbatim:
    """``text`` as inline code: one line, delimited by more backticks than any run inside."""
    body = sanitize.line(text, 1_000_000)
    ticks = "`" * (_longest_backticks(body) + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return Verbatim(f"{ticks}{pad}{body}{pad}{ticks}")


def _svg_image(view: dict | None) -> Verbatim:
    if not view:
        return Verbatim("")
    svg = _HTML.get_template("feedback.curve.svg.j2").render(c=view).strip()
    data = base64.b64encode(svg.encode()).decode()
    return Verbatim(f"![your training error next to the reference](data:image/svg+xml;base64,{data})")


def _html_text(value: Any) -> Any:
    """Before autoescaping: printable text only (no terminal escapes, no bidirectional overrides)."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return "" if value is None else value
    return sanitize.text(value, 1_000_000, keep_spaces=True)


_TEMPLATES = jinja2.FileSystemLoader(str(Path(__file__).parent / "templates"))
_HTML = jinja2.Environment(loader=_TEMPLATES, autoescape=True, finalize=_html_text, trim_blocks=True,
                           lstrip_blocks=True, undefined=jinja2.StrictUndefined)
_MARKDOWN = jinja2.Environment(loader=_TEMPLATES, autoescape=False, finalize=_md_escape, trim_blocks=True,
                               lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
for _env in (_HTML, _MARKDOWN):
    _env.filters["num"] = _num
_MARKDOWN.filters["code"] = _code_block
_MARKDOWN.filters["code_span"] = _code_span
_MARKDOWN.filters["svg_image"] = _svg_image


def render_markdown(record: Record, detail: str = "default") -> str:
    """feedback.md for one student (``detail``: the course's feedback detail, see message_of)."""
    return _MARKDOWN.get_template("feedback.md.j2").render(**view_of(record, detail))


def render_html(record: Record, detail: str = "default") -> str:
    """feedback.html for one student: self-contained, no scripts, no external resources."""
    view = view_of(record, detail)
    curve = _HTML.get_template("feedback.curve.svg.j2").render(c=view["curve"]).strip() if view["curve"] else ""
    return _HTML.get_template("feedback.html.j2").render(**view, curve_svg=Markup(curve))


def render(record: Record, detail: str = "default") -> tuple[str, str]:
    """(markdown, html) for one record."""
    return render_markdown(record, detail), render_html(record, detail)
