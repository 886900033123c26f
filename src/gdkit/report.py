"""`gdkit report OUTDIR`: what the class did, as one page for the instructor.

Reads every ``OUTDIR/<student>/record.json`` (one run's folder or a ``gdkit merge`` folder look
the same) through :meth:`gdkit.record.Record.from_json`, aggregates first (score histogram, per
question mean and full/partial/zero shares, named mistakes with who made them, unnamed failures
by check, statuses a person must look at, the class's training curves sampled) and renders
``report.html`` (self-contained: inline CSS and SVG, no scripts, nothing fetched) and
``report.md`` from Jinja2 templates. ``--compare OTHER`` adds this run against another one, per
question and per mistake.

Every string in a record may come in part from a student (their id is a folder name they chose;
messages quote their values): the HTML template autoescapes, the Markdown one escapes every
expression, and each string is clipped to a fixed length before it reaches a template.
"""
from __future__ import annotations

import csv
import hashlib
import json
import math
import statistics
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from gdkit.errors import GdkitError
from gdkit.grading import outputs, sanitize
from gdkit.record import Record

RECORD = "record.json"
HTML, MARKDOWN = "report.html", "report.md"
MAX_CURVES = 150          # curves drawn at most; each category keeps a share (see sample_curves)
CURVE_POINTS = 60         # points per drawn curve
MAX_ATTENTION_ROWS = 1000  # statuses listed on the page; the rest are counted (grades.csv has all)
PROGRESS_FROM = 200       # classes at least this big get a progress bar on a terminal
# Display caps: a record's strings are bounded by the grader already; these keep one page small.
CAP = {"student": 80, "mistake": 120, "hint": 300, "description": 200, "reason": 300, "label": 100,
       "question": 80, "check": 120}
# Curve categories, in the order the legend lists them.
CATEGORIES = ("converged", "slow", "stuck", "diverged")


def clip(text, limit: int) -> str:
    """``text`` printable on one line, at most ``limit`` characters (the kit's one sanitizer)."""
    return "" if text is None else sanitize.line(text, limit)


def anchor(prefix: str, text: str) -> str:
    """An HTML id for ``text`` that is unique per text and safe in a ``#fragment``: letters,
    digits, ``-`` and ``_`` kept, every other character (``.`` included) written as ``.hex.``."""
    return prefix + "".join(c if (c.isascii() and c.isalnum()) or c in "-_" else f".{ord(c):x}."
                            for c in str(text))


# ---------------------------------------------------------------------------------------------
# Reading a grading folder
# ---------------------------------------------------------------------------------------------

@dataclass
class Loaded:
    """The records of one grading folder and the entries that could not be read."""

    folder: Path
    records: list[Record]
    unreadable: dict[str, str] = field(default_factory=dict)  # student -> why


def load(folder: Path, *, progress: bool = True) -> Loaded:
    """Every student record in a ``gdkit grade``/``gdkit merge`` output folder.

    A student folder whose record.json is unreadable, and a student grades.csv lists without a
    record (the grader failed there), are returned in ``unreadable``, never dropped.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise GdkitError(f"{folder} is not a folder; give the --out folder of 'gdkit grade' or 'gdkit merge'")
    students = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")
                      and (p / RECORD).exists())
    records, unreadable = [], {}
    bar = _progress_bar(len(students)) if progress else None
    for sub in students:
        read = _read_record(sub)
        if isinstance(read, Record):
            records.append(read)
        else:
            unreadable[sub.name] = read
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    unreadable.update(_without_record(folder, {r.student for r in records} | set(unreadable)))
    if not records and not unreadable:
        raise GdkitError(f"{folder} holds no grading records; run 'gdkit grade --out {folder}' first")
    names = sorted({r.assignment for r in records})
    if len(names) > 1:
        raise GdkitError(f"{folder} mixes assignments ({', '.join(clip(n, 40) for n in names[:4])}); "
                         "report on one assignment's folder")
    return Loaded(folder, records, unreadable)


def _progress_bar(total: int):
    """A progress bar on a terminal for a big class (None otherwise)."""
    if not (sys.stderr.isatty() and total >= PROGRESS_FROM):
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="student", desc="reading records", file=sys.stderr)


def _read_record(sub: Path) -> Record | str:
    """The record in a student's folder, or why it cannot be used."""
    try:
        record = Record.from_json(json.loads((sub / RECORD).read_text()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"record.json cannot be read ({type(exc).__name__}); regrade this student"
    if record.student != sub.name:
        return f"record.json names another student ({clip(record.student, 40)})"
    return record


def _without_record(folder: Path, have: set[str]) -> dict[str, str]:
    """Students grades.csv lists with no record (the grader failed there): student -> why."""
    grades = folder / "grades.csv"
    missing: dict[str, str] = {}
    if not grades.is_file():
        return missing
    try:
        with open(grades, newline="") as f:
            for row in csv.DictReader(f):
                student = outputs.csv_value(row.get("student") or "")
                if student and student not in have:
                    missing[student] = ("listed in grades.csv with no record: the grader failed on "
                                        "this student (see grader-errors.log); rerun gdkit grade")
    except (OSError, csv.Error, UnicodeDecodeError):
        pass  # grades.csv is derived from the records; the records are what counts
    return missing


# ---------------------------------------------------------------------------------------------
# Aggregates
# ---------------------------------------------------------------------------------------------

@dataclass
class QuestionStats:
    id: str
    points: float
    mean: float
    full: float     # shares of the students, 0..1
    partial: float
    zero: float


@dataclass
class MistakeGroup:
    """One named mistake (a bug-zoo entry) on one question, and who made it."""

    question: str
    mistake: str
    hint: str
    students: list[str]

    @property
    def count(self) -> int:
        return len(self.students)

    @property
    def anchor(self) -> str:
        return anchor("m-", f"{self.question}/{self.mistake}")


@dataclass
class FailureGroup:
    """A check that failed without a named mistake, and who failed it (by how it ended)."""

    question: str
    check: str
    description: str
    students: list[str]
    kinds: dict[str, int]

    @property
    def count(self) -> int:
        return len(self.students)

    @property
    def anchor(self) -> str:
        return anchor("f-", f"{self.question}/{self.check}")


@dataclass
class Attention:
    """A submission a person must look at: its status and the one-line reason."""

    student: str
    status: str
    reason: str
    linked: bool = True         # has a row in the students table (an unreadable record has none)


@dataclass
class Curve:
    student: str
    category: str
    errors: list[float]         # per iteration (drawn curves: a sample of them, see ``steps``)
    steps: list[int] = field(default_factory=list)  # the iteration of each drawn error


@dataclass
class Curves:
    label: str
    reference: Curve
    counts: dict[str, int]      # category -> students (all of them, not just the drawn ones)
    drawn: list[Curve]
    without: int                # students with no curve (the training run never happened)
    of_student: dict[str, str] = field(default_factory=dict)  # student -> category


@dataclass
class StudentRow:
    student: str
    total: float
    status: str
    mistakes: list[MistakeGroup]
    curve: str                  # category, or "" without a curve
    raw_total: float | None = None
    penalty: float | None = None
    late_by: str = ""


@dataclass
class Summary:
    """Everything the report shows about one grading folder."""

    folder: str
    assignment: str
    n: int
    max_total: float
    mean: float
    median: float
    histogram: list[tuple[str, int]]    # (bin label, students)
    questions: list[QuestionStats]
    mistakes: list[MistakeGroup]
    failures: list[FailureGroup]
    attention: list[Attention]
    curves: Curves
    students: list[StudentRow]
    late: bool                          # a late policy was applied (raw score, penalty, final)
    late_count: int = 0                 # students who lost points to it


    @property
    def attention_shown(self) -> list[Attention]:
        return self.attention[:MAX_ATTENTION_ROWS]


def histogram(totals: list[float], max_total: float, bins: int = 10) -> list[tuple[str, int]]:
    """Students per tenth of the maximum (the last bin includes full marks)."""
    counts = [0] * bins
    for t in totals:
        share = t / max_total if max_total > 0 else 0.0
        counts[min(bins - 1, max(0, int(share * bins)))] += 1
    width = 100 // bins
    return [(f"{i * width}–{(i + 1) * width}%", c) for i, c in enumerate(counts)]


def question_stats(records: list[Record]) -> list[QuestionStats]:
    """Per question (in the assignment's order): mean points and full/partial/zero shares."""
    order: dict[str, float] = {}
    scores: dict[str, list[float]] = defaultdict(list)
    for r in records:
        for q in r.questions:
            order.setdefault(q.id, q.points)
            scores[q.id].append(q.score)
    out = []
    for qid, points in order.items():
        values = scores[qid]
        n = len(values) or 1
        full = sum(v >= points for v in values)
        zero = sum(v <= 0 for v in values)
        out.append(QuestionStats(qid, points, statistics.fmean(values) if values else 0.0,
                                 full / n, (len(values) - full - zero) / n, zero / n))
    return out


def mistake_groups(records: list[Record]) -> list[MistakeGroup]:
    """Named mistakes, most frequent first; a student counts once per (question, mistake)."""
    who: dict[tuple[str, str], set[str]] = defaultdict(set)
    hints: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for r in records:
        for q in r.questions:
            for t in q.tests:
                if not t.passed and t.mistake:
                    key = (clip(q.id, CAP["question"]), clip(t.mistake, CAP["mistake"]))
                    who[key].add(r.student)
                    if t.hint:
                        hints[key][clip(t.hint, CAP["hint"])] += 1
    groups = [MistakeGroup(qid, name, hints[(qid, name)].most_common(1)[0][0] if hints[(qid, name)] else "",
                           sorted(students)) for (qid, name), students in who.items()]
    return sorted(groups, key=lambda g: (-g.count, g.question, g.mistake))


# How a check ended that is not the student's code failing a check (the notebook could not run,
# the grader failed): those belong to the statuses, not to the checks.
_NOT_A_CHECK = ("unusable", "grader-error")


def failure_groups(records: list[Record]) -> list[FailureGroup]:
    """Failed checks without a named mistake, by check, most frequent first."""
    who: dict[tuple[str, str], set[str]] = defaultdict(set)
    kinds: dict[tuple[str, str], Counter] = defaultdict(Counter)
    described: dict[tuple[str, str], str] = {}
    for r in records:
        for q in r.questions:
            for t in q.tests:
                if t.passed or t.mistake or t.kind in _NOT_A_CHECK:
                    continue
                key = (clip(q.id, CAP["question"]), clip(t.name, CAP["check"]))
                if r.student not in who[key]:
                    kinds[key][t.kind] += 1
                who[key].add(r.student)
                described.setdefault(key, clip(t.description or t.name, CAP["description"]))
    groups = [FailureGroup(qid, check, described[(qid, check)], sorted(students), dict(kinds[(qid, check)]))
              for (qid, check), students in who.items()]
    return sorted(groups, key=lambda g: (-g.count, g.question, g.check))


def attention(records: list[Record], unreadable: dict[str, str]) -> list[Attention]:
    """Every submission whose status is not ``ok``, and every record that could not be read."""
    rows = [Attention(r.student, clip(r.status, 40), clip(r.reason, CAP["reason"]))
            for r in records if r.status != "ok"]
    rows += [Attention(s, "unreadable-record", clip(why, CAP["reason"]), linked=False)
             for s, why in unreadable.items()]
    return sorted(rows, key=lambda a: (a.status, a.student))


def _finite(values) -> list[float]:
    out = []
    for v in values or []:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            out.append(math.nan)
        else:
            out.append(float(v))
    return out


def categorize(errors: list[float], reference: list[float]) -> str:
    """How a training run went, next to the reference run on the same data.

    ``diverged``: the error became non-finite or ended above where it started; ``stuck``: it
    ended within 10% of its start; ``slow``: it fell but ended above 4x the reference's final
    error; ``converged`` otherwise. Descriptive only: points come from the hidden suite.
    """
    if not errors:
        return ""
    if any(not math.isfinite(e) for e in errors) or errors[-1] > errors[0] * 1.05:
        return "diverged"
    if errors[-1] >= 0.9 * errors[0]:
        return "stuck"
    ref_final = reference[-1] if reference and math.isfinite(reference[-1]) else None
    if ref_final is not None and errors[-1] > 4 * max(ref_final, 1e-12):
        return "slow"
    return "converged"


def _downsample(values: list[float], points: int = CURVE_POINTS) -> tuple[list[int], list[float]]:
    """(iterations, errors) of at most ``points`` evenly spaced iterations, the last included."""
    if len(values) <= points:
        return list(range(len(values))), list(values)
    step = (len(values) - 1) / (points - 1)
    steps = sorted({round(i * step) for i in range(points)})
    return steps, [values[i] for i in steps]


def _stable_key(student: str) -> str:
    return hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()


def sample_curves(curves: list[Curve], limit: int = MAX_CURVES) -> list[Curve]:
    """At most ``limit`` curves: every category keeps at least a fair share (the rare ones are
    what the picture is for), the same students on every run (chosen by a hash of the id)."""
    by_category: dict[str, list[Curve]] = defaultdict(list)
    for c in sorted(curves, key=lambda c: _stable_key(c.student)):
        by_category[c.category].append(c)
    if len(curves) <= limit:
        return [c for cat in CATEGORIES for c in by_category[cat]]
    quota = dict.fromkeys(by_category, 0)
    remaining = limit
    # Round-robin one at a time: small categories are drawn in full, big ones share the rest.
    while remaining > 0 and any(quota[cat] < len(by_category[cat]) for cat in quota):
        for cat in CATEGORIES:
            if cat in quota and quota[cat] < len(by_category[cat]) and remaining > 0:
                quota[cat] += 1
                remaining -= 1
    return [c for cat in CATEGORIES for c in by_category[cat][:quota.get(cat, 0)]]


def class_curves(records: list[Record], limit: int = MAX_CURVES) -> Curves:
    """The training curves of the class (``artifacts["training_curve"]``), categorized, sampled."""
    reference: list[float] = []
    label = ""
    curves, without = [], 0
    for r in records:
        data = (r.artifacts or {}).get("training_curve")
        if not isinstance(data, dict) or not isinstance(data.get("student"), list) or not data.get("student"):
            without += 1
            continue
        if not reference and isinstance(data.get("reference"), list):
            reference = [e for e in _finite(data["reference"]) if math.isfinite(e)]
            label = clip(data.get("label", ""), CAP["label"])
        errors = _finite(data["student"])
        curves.append(Curve(r.student, categorize(errors, reference), errors))
    counts = Counter(c.category for c in curves)
    drawn = []
    for c in sample_curves(curves, limit):
        steps, errors = _downsample(c.errors)
        drawn.append(Curve(c.student, c.category, errors, steps))
    ref_steps, ref_errors = _downsample(reference)
    return Curves(label, Curve("reference", "reference", ref_errors, ref_steps),
                  {cat: counts.get(cat, 0) for cat in CATEGORIES}, drawn, without,
                  {c.student: c.category for c in curves})


def _late_by(seconds) -> str:
    if not isinstance(seconds, (int, float)) or seconds <= 0:
        return ""
    hours = seconds / 3600
    return f"{hours / 24:.1f} d" if hours >= 48 else f"{hours:.1f} h"


def summarize(loaded: Loaded, *, curves: int = MAX_CURVES) -> Summary:
    """Aggregate one grading folder (see :class:`Summary`)."""
    records = sorted(loaded.records, key=lambda r: r.student)
    totals = [r.total for r in records]
    max_total = max((r.max_total for r in records), default=0.0)
    mistakes = mistake_groups(records)
    by_student: dict[str, list[MistakeGroup]] = defaultdict(list)
    for g in mistakes:
        for s in g.students:
            by_student[s].append(g)
    drawn = class_curves(records, curves)
    category = drawn.of_student
    late = any("raw_total" in r.extra for r in records)
    rows = []
    for r in records:
        raw, penalty = r.extra.get("raw_total"), r.extra.get("penalty")
        rows.append(StudentRow(r.student, r.total, r.status, by_student.get(r.student, []),
                               category.get(r.student, ""),
                               float(raw) if isinstance(raw, (int, float)) else None,
                               float(penalty) if isinstance(penalty, (int, float)) else None,
                               "time unknown" if r.extra.get("late_unknown") else _late_by(r.extra.get("late_by"))))
    assignment = records[0].assignment if records else ""
    return Summary(str(loaded.folder), clip(assignment, 80), len(records), max_total,
                   statistics.fmean(totals) if totals else 0.0, statistics.median(totals) if totals else 0.0,
                   histogram(totals, max_total), question_stats(records), mistakes, failure_groups(records),
                   attention(records, loaded.unreadable), drawn, rows, late,
                   sum(bool(r.penalty) for r in rows))


# ---------------------------------------------------------------------------------------------
# Comparison with another run
# ---------------------------------------------------------------------------------------------

@dataclass
class QuestionDelta:
    id: str
    points: float
    this: float | None          # mean points, None when the question is not in that run
    other: float | None
    this_full: float | None
    other_full: float | None

    @property
    def delta(self) -> float | None:
        return None if self.this is None or self.other is None else self.this - self.other


@dataclass
class MistakeDelta:
    question: str
    mistake: str
    this: int                   # students, and shares of each run's class
    other: int
    this_share: float
    other_share: float

    @property
    def delta(self) -> float:
        return self.this_share - self.other_share


@dataclass
class Comparison:
    other_folder: str
    other_assignment: str
    this_n: int
    other_n: int
    this_mean: float
    other_mean: float
    questions: list[QuestionDelta]
    mistakes: list[MistakeDelta]


def compare(this: Summary, other: Summary) -> Comparison:
    """This run against another: per question (mean, full share) and per mistake (share of class)."""
    mine = {q.id: q for q in this.questions}
    theirs = {q.id: q for q in other.questions}
    ids = list(mine) + [q for q in theirs if q not in mine]
    questions = [QuestionDelta(qid, (mine.get(qid) or theirs[qid]).points,
                               mine[qid].mean if qid in mine else None, theirs[qid].mean if qid in theirs else None,
                               mine[qid].full if qid in mine else None, theirs[qid].full if qid in theirs else None)
                 for qid in ids]
    a = {(g.question, g.mistake): g.count for g in this.mistakes}
    b = {(g.question, g.mistake): g.count for g in other.mistakes}
    mistakes = [MistakeDelta(q, m, a.get((q, m), 0), b.get((q, m), 0),
                             a.get((q, m), 0) / max(this.n, 1), b.get((q, m), 0) / max(other.n, 1))
                for (q, m) in set(a) | set(b)]
    mistakes.sort(key=lambda d: (-abs(d.delta), -d.this, d.question, d.mistake))
    return Comparison(other.folder, other.assignment, this.n, other.n, this.mean, other.mean, questions, mistakes)


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------

def _num(x) -> str:
    if x is None:
        return "–"
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    return str(int(x)) if x.is_integer() else f"{x:.2f}".rstrip("0").rstrip(".")


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def _signed(x, pct: bool = False) -> str:
    if x is None:
        return "–"
    text = f"{100 * x:+.0f} pts" if pct else f"{x:+.2f}".rstrip("0").rstrip(".")
    return text.replace("-", "−")


def md_escape(value) -> str:
    """A value safe inside Markdown text and table cells: one line, no markup, no raw HTML, no
    autolink (the kit's sanitizer; strings reaching it are clipped already, hence no cap here)."""
    if not isinstance(value, str):
        return value if value is not None else ""
    return sanitize.markdown(value, 1_000_000)


def curve_paths(curves: Curves, width: int = 640, height: int = 300) -> dict:
    """Polyline point strings for the SVG, on a log-scale error axis (plain numbers only)."""
    left, right, top, bottom = 56, 12, 12, 36
    every = [*curves.drawn, curves.reference]
    values = [e for c in every for e in c.errors if math.isfinite(e) and e > 0]
    if not values:
        return {}
    low, high = math.log10(max(min(values), 1e-6)), math.log10(max(values))
    if high - low < 1e-9:
        low, high = low - 0.5, high + 0.5
    last = max([c.steps[-1] for c in every if c.steps] + [1])

    def points(curve: Curve) -> str:
        out = []
        for i, e in zip(curve.steps, curve.errors, strict=False):
            x = left + (width - left - right) * i / last
            clipped = 10 ** high if not math.isfinite(e) else min(max(e, 10 ** low), 10 ** high)
            y = top + (height - top - bottom) * (high - math.log10(clipped)) / (high - low)
            out.append(f"{x:.1f},{y:.1f}")
            if not math.isfinite(e):
                break  # a diverged run ends at the top edge
        return " ".join(out)

    ticks = []
    steps = (1,) if high - low > 3 else (1, 2, 5)  # a range under a decade still gets labels
    for exponent in range(math.floor(low), math.ceil(high) + 1):
        for step in steps:
            value = math.log10(step) + exponent
            if low - 1e-9 <= value <= high + 1e-9:
                y = top + (height - top - bottom) * (high - value) / (high - low)
                ticks.append({"y": f"{y:.1f}", "label": f"{step * 10.0 ** exponent:g}"})
    return {"width": width, "height": height, "left": left, "right": width - right, "top": top,
            "bottom": height - bottom, "ticks": ticks, "iterations": last + 1,
            "reference": points(curves.reference),
            "curves": [{"student": clip(c.student, CAP["student"]), "category": c.category,
                        "points": points(c)} for c in curves.drawn]}


def histogram_bars(summary: Summary, width: int = 640, height: int = 180) -> dict:
    left, bottom, top = 40, 30, 10
    peak = max([c for _, c in summary.histogram] + [1])
    slot = (width - left - 10) / max(1, len(summary.histogram))
    bars = []
    for i, (label, count) in enumerate(summary.histogram):
        h = (height - top - bottom) * count / peak
        bars.append({"x": f"{left + i * slot + 2:.1f}", "y": f"{height - bottom - h:.1f}", "w": f"{slot - 4:.1f}",
                     "h": f"{h:.1f}", "label": label, "count": count,
                     "cx": f"{left + (i + 0.5) * slot:.1f}"})
    return {"width": width, "height": height, "bottom": height - bottom, "left": left, "peak": peak,
            "bars": bars}


def _environment(markdown: bool):
    import jinja2

    loader = jinja2.FileSystemLoader(str(Path(__file__).parent / "templates"))
    if markdown:
        env = jinja2.Environment(loader=loader, autoescape=False, finalize=md_escape,
                                 keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    else:
        env = jinja2.Environment(loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=_num, pct=_pct, signed=_signed, clip=clip, sid=lambda s: anchor("s-", s))
    return env


def render(summary: Summary, comparison: Comparison | None = None) -> tuple[str, str]:
    """(report.html, report.md) for a summary and an optional comparison."""
    context = {"s": summary, "cmp": comparison, "curves": curve_paths(summary.curves),
               "hist": histogram_bars(summary), "categories": CATEGORIES, "cap": CAP,
               "more_attention": max(0, len(summary.attention) - MAX_ATTENTION_ROWS)}
    html = _environment(False).get_template("report.html.j2").render(**context)
    markdown = _environment(True).get_template("report.md.j2").render(**context)
    return html, markdown


def write_report(folder: Path, compare_with: Path | None = None, *, curves: int = MAX_CURVES,
                 progress: bool = True) -> tuple[Path, Path, Summary]:
    """Write ``report.html`` and ``report.md`` into ``folder``; returns their paths and the summary."""
    from gdkit.grading.outputs import write_atomic

    folder = Path(folder)
    summary = summarize(load(folder, progress=progress), curves=curves)
    comparison = None
    if compare_with is not None:
        if Path(compare_with).resolve() == folder.resolve():
            raise GdkitError("--compare names the same folder; give another run's --out folder")
        comparison = compare(summary, summarize(load(Path(compare_with), progress=progress), curves=curves))
    html, markdown = render(summary, comparison)
    try:
        write_atomic(folder / HTML, html)
        write_atomic(folder / MARKDOWN, markdown)
    except OSError as exc:
        raise GdkitError(f"cannot write the report into {folder} ({exc.strerror or exc}); "
                         "make the folder writable and run again") from None
    return folder / HTML, folder / MARKDOWN, summary
