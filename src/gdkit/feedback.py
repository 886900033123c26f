"""A student's feedback: per question what passed, what failed and why, and their training curve.

Rendered from a grading record (see docs/architecture.md), which holds only student-safe text.
``feedback.html`` is one self-contained file (inline CSS and SVG, no scripts, no network);
``feedback.md`` says the same in Markdown with the curve as an inline SVG data image.
"""
from __future__ import annotations

import base64
import html
import math

from gdkit.grading import sanitize
from gdkit.record import Record, TestResult

_STATUS_TEXT = {
    "ok": "Your notebook ran and every question was graded.",
    "timeout": "Part of your code did not finish in time.",
    "crashed": "Your code crashed the process that ran it.",
    "cpu-time": "Your code used up its CPU time.",
    "invalid-notebook": "Your file could not be read as a notebook.",
    "empty-file": "Your file is empty.",
}


def _num(x: float) -> str:
    return f"{x:g}"


def curve_svg(curves: dict[str, list[float]], *, width: int = 460, height: int = 220) -> str:
    """Error curves (log-scale y) as a small SVG: {label: errors}. Empty string when no data."""
    series = {k: [e for e in v if isinstance(e, (int, float)) and math.isfinite(e) and e > 0]
              for k, v in curves.items() if v}
    series = {k: v for k, v in series.items() if len(v) >= 2}
    if not series:
        return ""
    left, right, top, bottom = 52, 10, 12, 34
    low = math.log10(min(min(v) for v in series.values()))
    high = math.log10(max(max(v) for v in series.values()))
    if high - low < 1e-9:
        low, high = low - 0.5, high + 0.5
    longest = max(len(v) for v in series.values())
    colours = ["#d1495b", "#00798c", "#edae49", "#30638e"]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="training error curves">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#444"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#444"/>']

    def x_of(i: int) -> float:
        return left + (width - left - right) * i / max(1, longest - 1)

    def y_of(e: float) -> float:
        return top + (height - top - bottom) * (high - math.log10(e)) / (high - low)

    # Ticks at 1, 2 and 5 times the powers of ten in range, so a curve spanning less than a
    # decade still gets labels; only the 1s when the range is wide.
    steps = (1,) if high - low > 3 else (1, 2, 5)
    for exponent in range(math.floor(low), math.ceil(high) + 1):
        for step in steps:
            value = step * 10.0 ** exponent
            if low - 1e-9 <= math.log10(value) <= high + 1e-9:
                y = y_of(value)
                parts.append(f'<line x1="{left - 4}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>')
                parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{value:g}</text>')
    parts.append(f'<text x="{(left + width) / 2:.0f}" y="{height - 8}" font-size="11" text-anchor="middle">'
                 f'iteration (0 to {longest - 1})</text>')
    for n, (label, values) in enumerate(series.items()):
        step = max(1, len(values) // 400)  # at most ~400 points per curve keeps the file small
        points = " ".join(f"{x_of(i):.1f},{y_of(values[i]):.1f}" for i in range(0, len(values), step))
        colour = colours[n % len(colours)]
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        parts.append(f'<text x="{width - right - 4}" y="{top + 14 + 14 * n}" font-size="11" '
                     f'text-anchor="end" fill="{colour}">{html.escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _title(test: TestResult) -> str:
    return (test.description or test.name).rstrip(".")


def message_of(test: TestResult, detail: str = "default") -> str:
    """What a student reads about a check: its message, and only with the course's feedback
    detail "full" the specifics of the hidden inputs (sizes, alpha values, thresholds)."""
    return f"{test.message} ({test.detail})" if detail == "full" and test.detail else test.message


def shown_failures(question) -> list[TestResult]:
    """The failed checks worth a line: a notebook that could not be run is said once, in the
    status line, not once per check."""
    return [t for t in question.failed if t.kind != "unusable"]


def failed_check_lines(test: TestResult, *, bold: bool = False, detail: str = "default") -> list[str]:
    """A failed check as text lines (feedback.md and Gradescope's output): what, why, the
    known mistake and its hint."""
    title = f"**{_title(test)}**" if bold else _title(test)
    lines = [f"- {title}: {message_of(test, detail)}"]
    if test.mistake:
        lines.append(f"  - Likely mistake: {test.mistake}")
    if test.hint:
        lines.append(f"  - Hint: {test.hint}")
    return lines


def _curve(record: Record) -> tuple[str, str]:
    curve = (record.artifacts or {}).get("training_curve") or {}
    svg = curve_svg({"your functions": curve.get("student") or [], "reference": curve.get("reference") or []})
    return svg, str(curve.get("label", ""))


def render_markdown(record: Record, detail: str = "default") -> str:
    """feedback.md for one student (``detail``: the course's feedback detail, see message_of)."""
    lines = [f"# Feedback: {record.assignment} — {record.student}", "",
             f"**Score: {_num(record.total)} / {_num(record.max_total)}**", "",
             f"Status: `{record.status}`. {_STATUS_TEXT.get(record.status, '')} {record.reason}".rstrip(),
             "", "| question | points | checks passed |", "|---|---|---|"]
    for q in record.questions:
        lines.append(f"| {q.id} | {_num(q.score)} / {_num(q.points)} | {q.passed_checks} / {len(q.tests)} |")
    for q in record.questions:
        if not shown_failures(q):
            continue
        lines += ["", f"## {q.id}"]
        for t in shown_failures(q):
            lines += failed_check_lines(t, bold=True, detail=detail)
            if t.example:
                lines += ["", "  ```", *("  " + l for l in str(t.example).splitlines()), "  ```"]
    if record.cells:
        lines += ["", "## Cells that raised an error while your notebook loaded"]
        for c in record.cells:
            # The student's own text: escaped so it reads as typed, never as a link or an image.
            lines.append(f"- cell {c.get('cell')}: {c.get('error')}: {sanitize.markdown(c.get('message', ''))}")
    svg, label = _curve(record)
    if svg:
        data = base64.b64encode(svg.encode()).decode()
        lines += ["", f"## Training error ({label})", "",
                  f"![your training error next to the reference](data:image/svg+xml;base64,{data})"]
    return "\n".join(lines) + "\n"


_CSS = """body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .7rem;text-align:left}
.full{background:#e6f4ea}.part{background:#fff4d6}.none{background:#fde2e1}
pre{background:#f6f6f6;padding:.6rem;overflow-x:auto;white-space:pre-wrap}.hint{color:#225}"""


def render_html(record: Record, detail: str = "default") -> str:
    """feedback.html for one student: self-contained, no scripts, no external resources."""
    e = html.escape
    rows = []
    for q in record.questions:
        cls = "full" if q.full else ("part" if q.score > 0 else "none")
        rows.append(f'<tr class="{cls}"><td>{e(q.id)}</td><td>{_num(q.score)} / {_num(q.points)}</td>'
                    f'<td>{q.passed_checks} / {len(q.tests)}</td></tr>')
    details = []
    for q in record.questions:
        if not shown_failures(q):
            continue
        items = []
        for t in shown_failures(q):
            item = f"<li><b>{e(_title(t))}</b>: {e(message_of(t, detail))}"
            if t.mistake:
                item += f"<div class=hint>Likely mistake: {e(t.mistake)}</div>"
            if t.hint:
                item += f"<div class=hint>Hint: {e(t.hint)}</div>"
            if t.example:
                item += f"<pre>{e(str(t.example))}</pre>"
            items.append(item + "</li>")
        details.append(f"<h2>{e(q.id)}</h2><ul>{''.join(items)}</ul>")
    cells = ""
    if record.cells:
        cells = "<h2>Cells that raised an error while your notebook loaded</h2><ul>" + "".join(
            f"<li>cell {e(str(c.get('cell')))}: {e(str(c.get('error')))}: {e(str(c.get('message', '')))}</li>"
            for c in record.cells) + "</ul>"
    svg, label = _curve(record)
    curve = f"<h2>Training error ({e(label)})</h2>{svg}" if svg else ""
    status = f"{_STATUS_TEXT.get(record.status, '')} {record.reason}".strip()
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>Feedback: {e(record.assignment)} — {e(record.student)}</title><style>{_CSS}</style></head>"
            f"<body><h1>{e(record.assignment)} — {e(record.student)}</h1>"
            f"<p><b>Score: {_num(record.total)} / {_num(record.max_total)}</b></p>"
            f"<p>Status: <code>{e(record.status)}</code>. {e(status)}</p>"
            f"<table><tr><th>question</th><th>points</th><th>checks passed</th></tr>{''.join(rows)}</table>"
            f"{curve}{''.join(details)}{cells}</body></html>\n")


def render(record: Record, detail: str = "default") -> tuple[str, str]:
    """(markdown, html) for one record."""
    return render_markdown(record, detail), render_html(record, detail)
