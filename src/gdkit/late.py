"""Late submissions: the course's due dates and penalty rule, applied once when grading ends.

The rule lives in the course's ``gdkit.toml``::

    [late]
    due = 2025-03-01T23:59:00+01:00   # every assignment's due date (a TOML date-time; a date alone = its 23:59:59)
    per = "day"                        # lateness counted in started days or hours ("day" | "hour")
    penalty = 10                       # percent deducted per started unit
    cap = 50                           # at most this percent in all (100: a late submission can reach 0)
    grace_minutes = 15                 # up to this late counts as on time
    of = "max"                         # percent of the points possible ("max") or of the raw score ("score")
    timezone = "Europe/Berlin"         # for due dates and times written without an offset (default UTC)
    source = "auto"                    # submission time: auto | nbgrader | gradescope | lms | file | git | roster
    roster = "times.csv"               # source roster: a CSV (path from the course folder) with
    roster_student = "student"         #   the student id column
    roster_time = "submitted_at"       #   and the submission time column (ISO 8601)

    [late.tuning]                      # one assignment's own values (any key above)
    due = 2025-03-15T23:59:00+01:00

An assignment has a late policy when it has a due date. The submission time of each student
comes from what the submission holds, the same whether it came in a folder or a zip
(:func:`gdkit.intake.handed_in` records it when grading, :func:`handed_in` reads it):
``nbgrader``, nbgrader's ``timestamp.txt`` beside the notebook; ``gradescope``, Gradescope's
``submission_metadata.json`` (``created_at``) beside it or one folder up; ``lms``, the LMS's own
time in the download's names (Blackboard's attempt time, in ``timezone``); ``file``, the
notebook's own date (a zip entry's date, in ``timezone`` unless the zip stores UTC, or a file's
modification time). Or from ``git``, the last commit that touched the notebook, or the
``roster``. ``auto`` tries nbgrader, Gradescope and the LMS's time, then the roster when one is
set; ``file`` and ``git`` only when asked (a zip or a copy may stamp every file with the time
it was made, and a course repository's own commits are not submission times).

:func:`apply` is the one place a penalty is applied: ``gdkit grade`` calls it on the records
before writing grades.csv. It keeps the raw score in the record (``extra``: ``raw_total``,
``penalty``, ``submitted_at``, ``due``, ``late_by`` in seconds) and sets ``total`` to the final
score; it is idempotent (a rerun recomputes from ``raw_total``) and a policy removed from
gdkit.toml restores the raw score.
"""
from __future__ import annotations

import csv
import datetime as dt
import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from gdkit.errors import GdkitError

UNITS = {"day": 86400, "hour": 3600}
SOURCES = ("auto", "nbgrader", "gradescope", "lms", "file", "git", "roster")
# The kinds of gdkit.intake's handed_in each source reads, in order.
KINDS = {"auto": ("nbgrader", "gradescope", "lms"), "nbgrader": ("nbgrader",), "gradescope": ("gradescope",),
         "lms": ("lms",), "file": ("file",), "git": (), "roster": ()}
FIELDS = ("raw_total", "penalty", "submitted_at", "submitted_from", "due", "late_by", "late_unknown")
KEYS = {"due", "per", "penalty", "cap", "grace_minutes", "of", "timezone", "source", "roster",
        "roster_student", "roster_time"}
UTC = dt.timezone.utc


@dataclass(frozen=True)
class Policy:
    """One assignment's due date and penalty rule (see the module docstring)."""

    due: dt.datetime              # aware
    per: str = "day"
    penalty: float = 10.0         # percent per started unit
    cap: float = 100.0            # percent
    grace: float = 0.0            # seconds
    of: str = "max"
    source: str = "auto"
    roster: Path | None = None
    roster_student: str = "student"
    roster_time: str = "submitted_at"
    timezone: dt.tzinfo = UTC

    def deduction(self, submitted: dt.datetime, raw: float, max_total: float) -> tuple[float, float]:
        """(points deducted, seconds late) for a submission at ``submitted`` with ``raw`` points."""
        late = (submitted - self.due).total_seconds()
        if late <= self.grace:
            return 0.0, max(0.0, late)
        units = math.ceil(late / UNITS[self.per])
        percent = min(self.cap, units * self.penalty)
        base = max_total if self.of == "max" else raw
        return round(min(raw, base * percent / 100), 4), late

    def describe(self) -> str:
        of = "points possible" if self.of == "max" else "score"
        return (f"due {self.due.isoformat()}, {self.penalty:g}% of the {of}"
                f" per started {self.per}, at most {self.cap:g}%"
                + (f", {self.grace / 60:g} min grace" if self.grace else ""))


def _zone(name, where: str) -> dt.tzinfo:
    if name in (None, "", "UTC", "utc"):
        return UTC
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo(str(name))
    except Exception:  # ZoneInfoNotFoundError, ValueError for odd names
        raise GdkitError(f"{where}: timezone {name!r} is not a time zone name (e.g. Europe/Berlin, UTC); "
                         "fix it") from None


def parse_time(value, zone: dt.tzinfo, where: str, *, end_of_day: bool = False) -> dt.datetime:
    """An aware datetime from a TOML date-time/date or an ISO 8601 string (``Z`` allowed); a time
    without an offset is in ``zone``; a date alone is its last second when ``end_of_day``."""
    if isinstance(value, str):
        text = value.strip()
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                value = dt.date.fromisoformat(text)   # a date alone (fromisoformat would make it midnight)
            else:
                value = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            raise GdkitError(f"{where}: {text[:60]!r} is not a date and time (write e.g. "
                             "2025-03-01T23:59:00+01:00)") from None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(23, 59, 59) if end_of_day else dt.time(0, 0))
    if not isinstance(value, dt.datetime):
        raise GdkitError(f"{where}: expected a date and time, got {value!r}")
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def policy(config: dict, assignment: str, course_root: Path | None = None) -> Policy | None:
    """The late policy of ``assignment`` from a parsed gdkit.toml (None when it has no due date)."""
    table = config.get("late")
    if table is None:
        return None
    where = "gdkit.toml [late]"
    if not isinstance(table, dict):
        raise GdkitError(f"{where} must be a table; fix gdkit.toml")
    settings = {k: v for k, v in table.items() if not isinstance(v, dict)}
    own = table.get(assignment)
    if isinstance(own, dict):
        settings.update(own)
        where = f"gdkit.toml [late.{assignment}]"
    unknown = sorted(set(settings) - KEYS)
    if unknown:
        raise GdkitError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(KEYS))}); fix gdkit.toml")
    if "due" not in settings:
        return None
    zone = _zone(settings.get("timezone"), where)
    due = parse_time(settings["due"], zone, f"{where} due", end_of_day=True)

    def number(key, default, low=0.0, high=math.inf):
        value = settings.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise GdkitError(f"{where}: {key} must be a number from {low:g} to {high:g}, got {value!r}; fix gdkit.toml")
        return float(value)

    per = settings.get("per", "day")
    if per not in UNITS:
        raise GdkitError(f"{where}: per must be \"day\" or \"hour\", got {per!r}; fix gdkit.toml")
    of = settings.get("of", "max")
    if of not in ("max", "score"):
        raise GdkitError(f"{where}: of must be \"max\" or \"score\", got {of!r}; fix gdkit.toml")
    source = settings.get("source", "auto")
    if source not in SOURCES:
        raise GdkitError(f"{where}: source must be one of {', '.join(SOURCES)}, got {source!r}; fix gdkit.toml")
    roster = settings.get("roster")
    if roster is not None:
        roster = Path(roster) if course_root is None else Path(course_root) / str(roster)
    if source == "roster" and roster is None:
        raise GdkitError(f"{where}: source = \"roster\" needs roster = \"FILE.csv\" (student id and time columns)")
    return Policy(due, per, number("penalty", 10.0), number("cap", 100.0, high=100.0),
                  60 * number("grace_minutes", 0.0), of, source, roster,
                  str(settings.get("roster_student", "student")), str(settings.get("roster_time", "submitted_at")),
                  zone)


# ---------------------------------------------------------------------------------------------
# When a student submitted
# ---------------------------------------------------------------------------------------------

def handed_in(notebook, held: dict | None = None) -> dict[str, str]:
    """What a submission holds about when it was handed in, ``{kind: text}``, for folders and zips
    alike: what :func:`gdkit.intake.handed_in` recorded when grading (``held``: the record's
    ``extra["handed_in"]``; a zipped notebook's only source, its path being ``class.zip:member``),
    updated, for a notebook on disk, by intake's reading of the files beside it now."""
    times = {str(k): v for k, v in held.items() if isinstance(v, str)} if isinstance(held, dict) else {}
    if notebook and Path(notebook).is_file():
        from gdkit import intake

        times.update(intake.times_beside(Path(notebook)))
    return times


def read_time(kind: str, text: str, zone: dt.tzinfo = UTC) -> dt.datetime | None:
    """The time ``text`` of ``kind`` means (None when it means none): nbgrader's timestamp as
    nbgrader reads it (naive = UTC), the others ISO 8601 (naive = ``zone``)."""
    if kind == "nbgrader":
        from nbgrader.utils import parse_utc  # nbgrader's own reading of its timestamps (naive UTC)

        try:
            return parse_utc(text[:100]).replace(tzinfo=UTC)
        except (ValueError, OverflowError, TypeError):
            return None
    try:
        return parse_time(text, zone, kind)
    except GdkitError:
        return None


def nbgrader_time(notebook: Path) -> dt.datetime | None:
    """nbgrader's ``timestamp.txt`` next to the notebook (``submitted/<student>/<assignment>/``)."""
    text = handed_in(notebook).get("nbgrader")
    return read_time("nbgrader", text) if text else None


def gradescope_time(notebook: Path) -> dt.datetime | None:
    """Gradescope's ``submission_metadata.json`` (``created_at``) next to the notebook or one folder up."""
    text = handed_in(notebook).get("gradescope")
    return read_time("gradescope", text) if text else None


def git_time(notebook: Path) -> dt.datetime | None:
    """The commit time of the last commit that touched the notebook (a student's repository)."""
    notebook = Path(notebook)
    try:
        done = subprocess.run(["git", "-c", "core.fsmonitor=", "--no-optional-locks", "-C", str(notebook.parent),
                               "log", "-1", "--format=%cI", "--", notebook.name],
                              capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    text = done.stdout.strip()
    if done.returncode != 0 or not text:
        return None
    try:
        return parse_time(text, UTC, "git")
    except GdkitError:
        return None


def roster_times(pol: Policy) -> dict[str, dt.datetime]:
    """{student: time} from the policy's roster CSV."""
    if pol.roster is None:
        return {}
    try:
        with open(pol.roster, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            columns = reader.fieldnames
            if not columns or pol.roster_student not in columns or pol.roster_time not in columns:
                raise GdkitError(f"{pol.roster} needs the columns {pol.roster_student!r} and {pol.roster_time!r} "
                                 "([late] roster_student / roster_time); fix the file or gdkit.toml")
            out = {}
            for n, row in enumerate(reader, 2):
                student, when = (row.get(pol.roster_student) or "").strip(), (row.get(pol.roster_time) or "").strip()
                if student and when:
                    out[student] = parse_time(when, pol.timezone, f"{pol.roster} line {n}")
            return out
    except OSError as exc:
        raise GdkitError(f"cannot read the late roster {pol.roster} ({exc.strerror or exc}); "
                         "fix [late] roster in gdkit.toml") from None


def submitted_at(pol: Policy, notebook, student: str, roster: dict[str, dt.datetime],
                 held: dict | None = None) -> tuple[dt.datetime | None, str]:
    """(when ``student`` submitted, the source that said) by the policy's source ((None, '') when
    none says); ``held``: the record's ``extra["handed_in"]`` (see :func:`handed_in`)."""
    times = handed_in(notebook, held) if KINDS[pol.source] else {}
    for kind in KINDS[pol.source]:
        when = read_time(kind, times[kind], pol.timezone) if times.get(kind) else None
        if when is not None:
            return when, kind
    if pol.source == "git" and notebook and Path(notebook).is_file():
        when = git_time(Path(notebook))
        return (when, "git") if when is not None else (None, "")
    if pol.source in ("roster", "auto") and student in roster:
        return roster[student], "roster"
    return None, ""


# ---------------------------------------------------------------------------------------------
# Applying the policy to records
# ---------------------------------------------------------------------------------------------

@dataclass
class Applied:
    late: list[str]           # students who lost points
    unknown: list[str]        # students whose submission time no source gave (no penalty applied)
    policy: Policy | None


def _strip(record) -> None:
    if "raw_total" in record.extra:
        record.total = float(record.extra["raw_total"])
    for key in FIELDS:
        record.extra.pop(key, None)


def apply(records: list, pol: Policy | None) -> Applied:
    """Set each graded record's late fields and final total (in place; see the module docstring).
    Returns who was late and whose submission time is unknown."""
    late: list[str] = []
    unknown: list[str] = []
    if pol is None:
        for r in records:
            _strip(r)
        return Applied(late, unknown, None)
    roster = roster_times(pol)
    for r in records:
        if not r.graded:
            continue
        raw = float(r.extra.get("raw_total", r.total))
        _strip(r)
        r.extra["raw_total"] = raw
        r.extra["due"] = pol.due.isoformat()
        when, source = submitted_at(pol, r.path, r.student, roster, r.extra.get("handed_in"))
        if when is None:
            r.extra.update(penalty=0.0, submitted_at=None, late_by=0.0, late_unknown=True)
            r.total = raw
            unknown.append(r.student)
            continue
        penalty, late_by = pol.deduction(when, raw, r.max_total)
        r.extra.update(penalty=penalty, submitted_at=when.astimezone(UTC).isoformat(), submitted_from=source,
                       late_by=round(late_by, 1))
        r.total = round(raw - penalty, 4)
        if penalty > 0:
            late.append(r.student)
    return Applied(late, unknown, pol)


def course_config(root: Path) -> dict:
    """The parsed gdkit.toml of the course at ``root`` ({} without one)."""
    from gdkit.course import Course

    return Course.at(root, marker=False).config
