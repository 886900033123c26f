"""`gdkit export grades`: a grading folder's scores as the grade-import CSV of an LMS.

The instructor exports the class list from the LMS (the *roster*: Canvas's gradebook export,
Moodle's grade export, Blackboard's Grade Center download) and gives it with ``--roster``; each
gdkit student id is looked up in one of the roster's identity columns (the one that matches the
most ids, or ``--match COLUMN``) and the row's own identifiers go into the import file, so the
LMS recognises every student. The formats follow what each LMS's importer reads:

- **canvas**: ``Student, ID, SIS User ID, SIS Login ID[, Integration ID], Section``, then one
  assignment column (the roster's ``Title (12345)`` header when the roster has the assignment,
  else a new title, which Canvas offers to create), and a ``Points Possible`` row. Canvas finds
  the student by ``ID``, then ``SIS User ID``, then ``SIS Login ID``.
- **moodle**, two rosters:

  - the assignment's *grading worksheet* (Assignment > View all submissions > Download grading
    worksheet), the roster for a Moodle download: its ``Identifier`` column (``Participant
    12345``) holds the participant ids gdkit reads from the download's folder names. The
    worksheet comes back whole (every column and row, in order, comma separated, UTF-8) with
    the ``Grade`` column filled, for *Upload grading worksheet*, whose importer finds the
    ``Identifier``, ``Grade`` and ``Last modified (grade)`` columns by name, reads the number
    after ``Participant `` and skips empty grades, grades above ``Maximum Grade`` and rows
    whose ``Grade can be changed`` is No.
  - the gradebook export (Grades > Export), whose user fields (``First name``, ``Last name``,
    ``ID number``, ``Email address``, ``Username`` where present) are written with the grade
    column (the roster's ``Assignment: Title (Real)`` header when present, else a new item).
    On import, map the identifier column (e.g. *Email address -> useremail*) and the grade
    column. It has no participant ids: ids from a Moodle download are refused with it.
- **blackboard**: ``Last Name, First Name, Username, Student ID`` and the grade column (the
  roster's ``Title [Total Pts: 100 Score] |123456`` header, whose column id after ``|`` makes
  Blackboard update that column; without one it creates a new column). Every field quoted.
- **csv**: gdkit's own table, ``student, score, max_score, status``.

A student with no roster row, two roster rows, or whose grader failed is not written: each is
reported on stderr and the command exits 1 (the file still holds everyone else). Roster
students without a submission are left out (the LMS keeps their grade) or, with ``--missing
zero``, get 0.
"""
from __future__ import annotations

import codecs
import csv
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gdkit.errors import GdkitError
from gdkit.grading.outputs import FORMULA_START

FORMATS = ("canvas", "moodle", "blackboard", "csv")
# A cell a spreadsheet would run as a formula: never written from a student-chosen id (an LMS
# matches ids exactly, so such an id is refused here, where grades.csv neutralises it).
_FORMULA = FORMULA_START


@dataclass(frozen=True)
class Format:
    """What one LMS's import file holds (see the module docstring)."""

    name: str
    id_columns: tuple[str, ...]      # roster columns that may hold gdkit's student id, preferred first
    info_columns: tuple[str, ...]    # roster columns copied before the grade column, in this order
    required: tuple[str, ...]        # info columns the importer needs even when the roster lacks them
    quote_all: bool = False
    line_end: str = "\n"
    # Without a roster gdkit's id must be the LMS's login: the columns written and the one the
    # importer finds the student by (the id goes into each column named in LOGIN_FILLED).
    login_columns: tuple[str, ...] = ()
    login_id: str = ""
    points_row: bool = False         # a "Points Possible" row under the header (Canvas)
    email_kept: bool = False         # ids matched by the address's local part write Email address (Moodle maps it)
    plain: bool = False              # gdkit's own table: student, roster id, score, max_score, status
    # (roster, header, title) -> (the header, the points the LMS gives it) when that roster
    # column is the assignment's; None where the format has no such column.
    grade_header: Callable[[Roster, str, str], tuple[str, float | None] | None] | None = None


def _canvas_header(roster: Roster, header: str, title: str) -> tuple[str, float | None] | None:
    """Canvas's ``Title (12345)`` column (or one named ``Title``), worth its Points Possible."""
    m = CANVAS_TITLE_ID.match(header)
    if not ((m and m.group(1) == title) or header == title):
        return None
    pp = roster.points_row.get(header, "")
    return header, float(pp) if re.fullmatch(r"[0-9.]+", pp or "") else None


def _blackboard_header(roster: Roster, header: str, title: str) -> tuple[str, float | None] | None:
    """Blackboard's ``Title [Total Pts: 100 Score] |123456`` column (points or column id needed)."""
    m = BLACKBOARD_HEADER.match(header)
    if not (m and m.group(1) == title and (m.group(2) or m.group(3))):
        return None
    return header, float(m.group(2)) if m.group(2) else None


def _moodle_header(roster: Roster, header: str, title: str) -> tuple[str, float | None] | None:
    """Moodle's ``Assignment: Title (Real)`` grade item (not a user field)."""
    m = MOODLE_ITEM.match(header)
    if m and header not in MOODLE_INFO and m.group(1) == title and header != "Last downloaded from this course":
        return header, None
    return None


CANVAS_INFO = ("Student", "ID", "SIS User ID", "SIS Login ID", "Integration ID", "Section")
MOODLE_INFO = ("First name", "Last name", "Surname", "ID number", "Institution", "Department", "Email address",
               "Username")
BLACKBOARD_INFO = ("Last Name", "First Name", "Username", "Student ID")
CANVAS_REQUIRED = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
LOGIN_FILLED = ("Student", "SIS Login ID", "Username")

SPECS = {
    "canvas": Format("canvas", ("SIS Login ID", "SIS User ID", "ID", "Integration ID"), CANVAS_INFO,
                     CANVAS_REQUIRED, login_columns=CANVAS_REQUIRED, login_id="SIS Login ID", points_row=True,
                     grade_header=_canvas_header),
    "moodle": Format("moodle", ("Username", "ID number", "Email address"), MOODLE_INFO, (),
                     login_columns=("Username",), login_id="Username", email_kept=True, grade_header=_moodle_header),
    "blackboard": Format("blackboard", ("Username", "Student ID"), BLACKBOARD_INFO, ("Username",), quote_all=True,
                         line_end="\r\n", login_columns=("Username",), login_id="Username",
                         grade_header=_blackboard_header),
    "csv": Format("csv", ("student", "Username", "SIS Login ID", "ID number", "Student ID", "Email address", "ID"),
                  (), (), plain=True),
}
# Moodle's grading worksheet: written back whole, so it has no info columns of its own.
WORKSHEET_SPEC = Format("moodle grading worksheet", ("Identifier", "Email address", "Username", "ID number"), (), ())
# Columns of a Canvas gradebook export that are not assignments (its importer skips them too).
CANVAS_NOT_ASSIGNMENTS = re.compile(r"Current Score|Current Points|Current Grade|Final Score|Final Points|"
                                    r"Final Grade|Override Score|Override Grade|Override Status|Unposted")
CANVAS_TITLE_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z")                  # "Title (12345)"
BLACKBOARD_HEADER = re.compile(r"\A(.*?)\s*(?:\[Total Pts:[^\]0-9]*([0-9.]+)[^\]]*\])?\s*(?:\|(\d+))?\Z")
MOODLE_ITEM = re.compile(r"\A(?:[^:]+:\s*)?(.*?)(?:\s*\((?:Real|Percentage|Letter)[^)]*\))?\Z")
EMAIL_LOCAL = "Email address (before @)"


@dataclass(frozen=True)
class Worksheet:
    """The column names of Moodle's grading worksheet (English, as Moodle writes and reads them)."""

    identifier: str = "Identifier"              # "Participant 12345": the participant id of the download
    grade: str = "Grade"
    modified: str = "Last modified (grade)"
    maximum: str = "Maximum Grade"
    scale: str = "Scale"                         # instead of Maximum Grade when the grade type is a scale
    changeable: str = "Grade can be changed"     # "No": locked or overridden in the gradebook

    @property
    def required(self) -> tuple[str, ...]:
        """The columns Moodle's upload finds by name; without one it refuses the file."""
        return (self.identifier, self.grade, self.modified)


WORKSHEET = Worksheet()
PARTICIPANT = re.compile(r"\A\D*?(\d+)\s*\Z")     # "Participant 12345" -> "12345" (the word is the site's language's)


# ---------------------------------------------------------------------------------------------
# The roster
# ---------------------------------------------------------------------------------------------

@dataclass
class Roster:
    path: Path
    header: list[str]
    rows: list[dict[str, str]]
    points_row: dict[str, str] = field(default_factory=dict)  # Canvas's "Points Possible" row
    cells: list[list[str]] = field(default_factory=list)      # each row as the file has it (rows[i] is cells[i])
    raw_header: list[str] = field(default_factory=list)       # the header as the file has it

    @property
    def worksheet(self) -> bool:
        """Moodle's grading worksheet (not a gradebook export)."""
        return all(c in self.header for c in WORKSHEET.required)


def _decode(data: bytes, path: Path) -> str:
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding)
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise GdkitError(f"{path} is not text (UTF-8, UTF-16 or Windows-1252); export the roster from the LMS as CSV")


def read_roster(path: Path) -> Roster:
    """The class list an LMS exported (comma, semicolon or tab separated; UTF-8/16 with or without BOM)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GdkitError(f"cannot read the roster {path} ({exc.strerror or exc}); "
                         "give the file the LMS exported") from None
    rows = _csv_rows(_decode(data, path))
    header = _header(rows, path)
    roster = Roster(path, header, [], raw_header=rows[0])
    for cells in rows[1:]:
        row = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header) if h}
        values = [v for v in row.values() if v]
        if not values:
            continue
        if "Points Possible" in (cells[0] if cells else ""):
            roster.points_row = row
        elif not _posting_policy(values):
            roster.rows.append(row)
            roster.cells.append(cells)
    return roster


def _csv_rows(text: str) -> list[list[str]]:
    """The rows of a roster's text, split by the separator its first line uses most (comma on a tie)."""
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max(("\t", ";", ","), key=lambda d: (first.count(d), d == ","))
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _header(rows: list[list[str]], path: Path) -> list[str]:
    """The roster's column names (stripped): refused when empty or when a name repeats."""
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise GdkitError(f"{path} is empty; export the class list (gradebook) from the LMS as CSV")
    header = [cell.strip() for cell in rows[0]]
    if len({h for h in header if h}) != len([h for h in header if h]):
        raise GdkitError(f"{path} repeats a column name in its header; export the roster again")
    return header


def _posting_policy(values: list[str]) -> bool:
    """Canvas's posting-policy row (every cell ``Muted``, ``Manual Posting...`` or ``(read only)``)."""
    return all(re.fullmatch(r"(Muted|Manual Posting.*|\(read only\))", v, re.I) for v in values)


def _key(value: str) -> str:
    return value.strip().casefold()


@dataclass
class Match:
    column: str                          # the roster column gdkit ids were matched against
    rows: dict[str, dict[str, str]]      # student -> roster row
    unmatched: dict[str, str]            # student -> why
    missing: list[dict[str, str]]        # roster rows with no gdkit student


def _column_values(roster: Roster, column: str) -> list[str]:
    if column == EMAIL_LOCAL:
        return [r.get("Email address", "").split("@")[0] for r in roster.rows]
    if roster.worksheet and column == WORKSHEET.identifier:
        return [m.group(1) if (m := PARTICIPANT.match(r.get(column, ""))) else "" for r in roster.rows]
    return [r.get(column, "") for r in roster.rows]


def match(roster: Roster, students: list[str], spec: Format, column: str | None = None) -> Match:
    """Each student's roster row, by ``column`` or the identity column matching the most ids."""
    candidates = [c for c in spec.id_columns if c in roster.header]
    if "Email address" in roster.header:
        candidates.append(EMAIL_LOCAL)
    if column is not None:
        if column not in roster.header and column != EMAIL_LOCAL:
            raise GdkitError(f"--match {column!r} is not a column of {roster.path} "
                             f"(it has: {', '.join(roster.header[:8])}); name the column that holds the student ids")
        candidates = [column]
    if not candidates:
        raise GdkitError(f"{roster.path} has none of the columns that identify students in a {spec.name} roster "
                         f"({', '.join(spec.id_columns)}); export the class list from the LMS, or pass --match COLUMN")
    wanted = {_key(s) for s in students}
    best = max(candidates, key=lambda c: (sum(_key(v) in wanted for v in _column_values(roster, c) if v),
                                          -candidates.index(c)))
    index: dict[str, list[int]] = {}
    for i, value in enumerate(_column_values(roster, best)):
        if value:
            index.setdefault(_key(value), []).append(i)
    rows, unmatched, used = {}, {}, set()
    for student in students:
        found = index.get(_key(student), [])
        if len(found) == 1:
            rows[student] = roster.rows[found[0]]
            used.add(found[0])
        elif found:
            unmatched[student] = f"{len(found)} rows of the roster have {best} = {student}"
        else:
            unmatched[student] = f"no row of the roster has {best} = {student}"
    missing = [r for i, r in enumerate(roster.rows) if i not in used]
    return Match(best, rows, unmatched, missing)


# ---------------------------------------------------------------------------------------------
# Scores and the import file
# ---------------------------------------------------------------------------------------------

@dataclass
class Grade:
    student: str
    score: float          # the final score (after a late penalty, when there is one)
    max_score: float
    status: str
    raw: float | None = None
    penalty: float | None = None
    lms: str = ""         # the LMS whose download the submission came from (gdkit.intake)


@dataclass
class Export:
    """What ``export`` wrote and what it could not."""

    path: Path
    written: int
    column: str                                   # the grade column's header
    matched_by: str = ""
    problems: list[str] = field(default_factory=list)   # one line each: unmatched, grader errors, ...
    notes: list[str] = field(default_factory=list)      # one line each: missing students, statuses, points


def _num(x: float) -> str:
    x = round(float(x), 2)
    return str(int(x)) if x.is_integer() else f"{x:.2f}".rstrip("0")


def grades_of(folder: Path) -> tuple[list[Grade], list[str], str, float]:
    """(grades, problems, assignment, max points) of a grading folder, through its records."""
    from gdkit import report

    loaded = report.load(folder, progress=False)
    grades, problems = [], []
    for r in sorted(loaded.records, key=lambda r: r.student):
        if not r.graded:
            problems.append(f"{r.student}: not graded (the grader failed: {report.clip(r.reason, 120)}); "
                            "rerun gdkit grade, then export again")
            continue
        raw, penalty = r.extra.get("raw_total"), r.extra.get("penalty")
        grades.append(Grade(r.student, r.total, r.max_total, r.status,
                            float(raw) if isinstance(raw, (int, float)) else None,
                            float(penalty) if isinstance(penalty, (int, float)) else None,
                            str(r.extra.get("lms") or "")))
    for student, why in sorted(loaded.unreadable.items()):
        problems.append(f"{student}: not exported ({why})")
    assignment = loaded.records[0].assignment if loaded.records else ""
    max_points = max((r.max_total for r in loaded.records), default=0.0)
    return grades, problems, assignment, max_points


def _grade_column(fmt: str, roster: Roster | None, title: str, points: float) -> tuple[str, float | None]:
    """(the grade column's header, the points the LMS gives that column when the roster says)."""
    if roster is None:
        return title, None
    if fmt == "moodle" and roster.worksheet:
        return WORKSHEET.grade, _worksheet_points(roster)
    find = SPECS[fmt].grade_header
    if find is None:
        return title, None
    for header in roster.header:
        found = find(roster, header, title)
        if found is not None:
            return found
    return title, None


def _worksheet_points(roster: Roster) -> float | None:
    """The assignment's Maximum Grade in a grading worksheet (None when no row says)."""
    if WORKSHEET.maximum not in roster.header and WORKSHEET.scale in roster.header:
        raise GdkitError(f"{roster.path} is the grading worksheet of an assignment graded with a scale, which takes "
                         "no points; set the assignment's grade type to Point in Moodle and download the worksheet "
                         "again")
    for row in roster.rows:
        text = row.get(WORKSHEET.maximum, "")
        number = text.replace(",", ".") if "." not in text else text.replace(",", "")
        if re.fullmatch(r"[0-9]+(?:\.[0-9]*)?", number):
            return float(number)
    return None


def _decimal_comma(roster: Roster) -> bool:
    """The worksheet writes numbers with a decimal comma (Moodle's format_float in a site language
    that does): gdkit's grades are written the same way."""
    numbers = [row.get(c, "") for row in roster.rows for c in (WORKSHEET.maximum, WORKSHEET.grade)]
    return any(re.fullmatch(r"[0-9]+,[0-9]+", n) for n in numbers) and not any(
        re.fullmatch(r"[0-9]+\.[0-9]+", n) for n in numbers)


def _moodle_roster_checked(fmt: str, roster: Roster | None, grades: list[Grade], match_column: str | None,
                             folder: Path) -> None:
    """A Moodle roster is a grading worksheet or a gradebook export; ids read from a Moodle download
    are participant ids, which only the worksheet lists: matched against another column they
    could name another student."""
    if fmt != "moodle" or match_column is not None or (roster is not None and roster.worksheet):
        return
    if roster is not None and not any(c in roster.header for c in SPECS["moodle"].id_columns):
        raise GdkitError(f"{roster.path} is neither Moodle's grading worksheet (it has the columns "
                         f"{', '.join(WORKSHEET.required)}) nor its gradebook export (Username, ID number or Email "
                         "address); give one of them as --roster, or pass --match COLUMN")
    from_moodle = [g.student for g in grades if g.lms == "moodle"]
    if from_moodle:
        raise GdkitError(f"the student ids in {folder} ({', '.join(from_moodle[:3])}, ...) are Moodle participant ids "
                         "from a Moodle download, which only the assignment's grading worksheet lists: download it "
                         "(Assignment > View all submissions > Download grading worksheet) and give it as --roster")


def _worksheet_rows(out: _Out, roster: Roster, found: Match) -> None:
    """Moodle's grading worksheet again, every column and row as it came, with the Grade filled:
    gdkit's score for a matched student, 0 for the others with ``--missing zero``, else what the
    worksheet held (the upload skips a grade it already has)."""
    value, problems = out.value, out.problems
    for student, why in sorted(found.unmatched.items()):
        problems.append(f"{student} (score {value[student]}): not exported, {why}; is the worksheet this "
                        "assignment's? (--match COLUMN picks another column)")
    comma = _decimal_comma(roster)
    grade_of = {id(row): value[student] for student, row in found.rows.items()}
    locked = [student for student, row in sorted(found.rows.items())
              if row.get(WORKSHEET.changeable, "").strip().casefold() == "no"]
    for student in locked:
        problems.append(f"{student} (score {value[student]}): written, but the worksheet says the grade cannot be "
                        "changed (locked or overridden in Moodle's gradebook), so the upload skips it until it is "
                        "unlocked in Moodle")
    index = roster.header.index(WORKSHEET.grade)
    width = len(roster.raw_header)
    out.writer.writerow(roster.raw_header)
    for row, cells in zip(roster.rows, roster.cells, strict=False):
        cells = (list(cells) + [""] * width)[:width]  # the upload refuses rows of another length
        if id(row) in grade_of:
            cells[index] = grade_of[id(row)].replace(".", ",") if comma else grade_of[id(row)]
        elif out.missing == "zero":
            cells[index] = "0"
        out.writer.writerow(cells)
    if found.missing:
        if out.missing == "zero":
            out.notes.append(f"{len(found.missing)} worksheet row(s) without a submission get 0 (--missing zero)")
        else:
            sample = ", ".join(_who(r, "Full name") for r in found.missing[:5])
            out.notes.append(f"{len(found.missing)} worksheet row(s) have no submission and keep their grade "
                             f"({sample}{', ...' if len(found.missing) > 5 else ''}); --missing zero gives them 0")


def _who(row: dict[str, str], column: str) -> str:
    """A roster row's name for a message: its id in the matched column, else a name it has."""
    for key in (column, "Email address", "Student", "Username", "Last Name", "Last name", "SIS Login ID"):
        if row.get(key):
            return row[key][:60]
    return "(a row without a name)"


def _safe_cell(value: str) -> bool:
    return not str(value).startswith(_FORMULA)


def _check_options(fmt: str, missing: str, points: float | None) -> None:
    if fmt not in FORMATS:
        raise GdkitError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")
    if missing not in ("blank", "zero"):
        raise GdkitError(f"--missing must be blank or zero, got {missing!r}")
    if points is not None and not (math.isfinite(points) and points > 0):
        raise GdkitError(f"--points must be a positive number, got {points}")


def _scale(points: float | None, max_points: float, lms_points: float | None, header: str,
           notes: list[str]) -> float:
    """The factor from gdkit's points to the LMS's: ``--points`` over gdkit's maximum, else 1 (with a
    note when the roster's column is worth other points)."""
    if points is not None and max_points > 0:
        return points / max_points
    if lms_points is not None and max_points > 0 and abs(lms_points - max_points) > 1e-9:
        notes.append(f"the roster's {header!r} is worth {_num(lms_points)} points but gdkit's scores are "
                     f"out of {_num(max_points)}: pass --points {_num(lms_points)} to scale them")
    return 1.0


def _exportable(grades: list[Grade], problems: list[str]) -> list[Grade]:
    """The grades whose id can be written (an id a spreadsheet would run as a formula is a problem)."""
    exportable = []
    for g in grades:
        if _safe_cell(g.student):
            exportable.append(g)
        else:
            problems.append(f"{g.student}: not exported (the id starts with {g.student[0]!r}, which a spreadsheet "
                            "would run as a formula); rename the student folder")
    return exportable


@dataclass
class _Out:
    """One import file being written: its format, what goes in its cells, what to tell the instructor."""

    spec: Format
    writer: Any                      # a csv writer over the file's text
    grades: list[Grade]              # every graded student (exportable or not)
    exportable: list[Grade]
    value: dict[str, str]            # student -> the score written (scaled)
    scale: float
    max_points: float                # gdkit's maximum (unscaled)
    lms_points: float | None         # what the roster's grade column is worth, when it says
    points_given: bool               # --points
    header: str                      # the grade column's header
    missing: str                     # --missing: blank or zero
    problems: list[str]
    notes: list[str]

    @property
    def max_text(self) -> str:
        return _num(self.max_points * self.scale)

    @property
    def possible(self) -> str:
        """Canvas's Points Possible: the roster's, unless --points rescaled the scores."""
        if self.lms_points is not None and not self.points_given:
            return _num(self.lms_points)
        return self.max_text

    def line(self, student: str, cells: list[str], score: str, status: str) -> list[str]:
        """One row: gdkit's own table, or the LMS's info columns and the grade."""
        if self.spec.plain:
            return [student, *cells, score, self.max_text, status]
        return [*cells, score]


def _write_worksheet(out: _Out, roster: Roster, match_column: str | None) -> tuple[int, str]:
    found = match(roster, [g.student for g in out.exportable], out.spec, match_column)
    if out.lms_points is not None:  # Moodle's upload skips a grade above the Maximum Grade, without a word
        out.problems += [f"{s} (score {out.value[s]}): written, but above the worksheet's Maximum Grade "
                         f"{_num(out.lms_points)}, which Moodle's upload skips; pass --points {_num(out.lms_points)}"
                         for s in sorted(found.rows) if float(out.value[s]) > out.lms_points + 1e-9]
    _worksheet_rows(out, roster, found)
    out.notes.append("upload it in Moodle with the assignment's Upload grading worksheet (View all submissions)")
    return len(found.rows), found.column


def _write_plain(out: _Out) -> tuple[int, str]:
    """gdkit's own table without a roster (raw score and penalty too under a late policy)."""
    late = any(g.raw is not None for g in out.grades)
    out.writer.writerow(["student", "score", "max_score", "status"] + (["raw_score", "penalty"] if late else []))
    for g in out.exportable:
        penalties = [_num((g.raw if g.raw is not None else g.score) * out.scale),
                     _num((g.penalty or 0) * out.scale)] if late else []
        out.writer.writerow([g.student, out.value[g.student], out.max_text, g.status] + penalties)
    return len(out.exportable), ""


def _write_logins(out: _Out) -> tuple[int, str]:
    """An LMS's import file without a roster: gdkit's id as the LMS's login."""
    info = list(out.spec.login_columns)
    out.writer.writerow(info + [out.header])
    if out.spec.points_row:
        out.writer.writerow(["    Points Possible"] + [""] * (len(info) - 1) + [out.max_text])
    for g in out.exportable:
        out.writer.writerow([g.student if c in LOGIN_FILLED else "" for c in info] + [out.value[g.student]])
    return len(out.exportable), out.spec.login_id


def _info_columns(spec: Format, roster: Roster, matched: str) -> list[str]:
    """The roster columns written before the grade (the plain table: the one ids were matched by)."""
    if spec.plain:
        return [matched if matched != EMAIL_LOCAL else "Email address"]
    info = [c for c in spec.info_columns if c in roster.header or c in spec.required]
    if spec.email_kept and matched == EMAIL_LOCAL and "Email address" not in info:
        info.append("Email address")
    return info


def _write_by_roster(out: _Out, roster: Roster, match_column: str | None) -> tuple[int, str]:
    """The import file of a roster's students: their own identifiers, then the grade."""
    found = match(roster, [g.student for g in out.exportable], out.spec, match_column)
    for student, why in sorted(found.unmatched.items()):
        out.problems.append(f"{student} (score {out.value[student]}): not exported, {why}; add the student to the "
                            "LMS or fix the id (--match COLUMN picks the roster column)")
    info = _info_columns(out.spec, roster, found.column)
    out.writer.writerow(["student", *info, "score", "max_score", "status"] if out.spec.plain
                        else [*info, out.header])
    if out.spec.points_row:
        out.writer.writerow(["    Points Possible"] + [""] * (len(info) - 1) + [out.possible])
    status = {g.student: g.status for g in out.exportable}
    for student, row in sorted(found.rows.items(), key=lambda kv: kv[0]):
        out.writer.writerow(out.line(student, [row.get(c, "") for c in info], out.value[student], status[student]))
    _roster_missing(out, found, info)
    return len(found.rows), found.column


def _roster_missing(out: _Out, found: Match, info: list[str]) -> None:
    """Roster students without a submission: 0 with ``--missing zero``, else left out (a note names them)."""
    if not found.missing:
        return
    if out.missing == "zero":
        for row in found.missing:
            out.writer.writerow(out.line("", [row.get(c, "") for c in info], "0", "no-submission"))
        out.notes.append(f"{len(found.missing)} roster student(s) without a submission get 0 (--missing zero)")
    else:
        sample = ", ".join(_who(r, found.column) for r in found.missing[:5])
        out.notes.append(f"{len(found.missing)} roster student(s) have no submission and are left out, so the "
                         f"LMS keeps their grade ({sample}{', ...' if len(found.missing) > 5 else ''}); "
                         "--missing zero gives them 0")


def export(folder: Path, fmt: str, out: Path, *, roster_path: Path | None = None, column: str | None = None,
           match_column: str | None = None, missing: str = "blank", points: float | None = None) -> Export:
    """Write ``out``: the import file of ``fmt`` for the grading folder ``folder``."""
    from gdkit.grading.outputs import write_atomic

    _check_options(fmt, missing, points)
    grades, problems, assignment, max_points = grades_of(Path(folder))
    roster = read_roster(roster_path) if roster_path is not None else None
    _moodle_roster_checked(fmt, roster, grades, match_column, Path(folder))
    header_name, lms_points = _grade_column(fmt, roster, column or assignment, max_points)
    notes: list[str] = []
    scale = _scale(points, max_points, lms_points, header_name, notes)
    value = {g.student: _num(g.score * scale) for g in grades}
    not_ok = [g for g in grades if g.status != "ok"]
    if not_ok:
        notes.append(f"{len(not_ok)} submission(s) whose status is not ok are exported with their recorded score "
                     f"({', '.join(sorted({g.status for g in not_ok}))}); see report.html's 'Needs a person'")
    exportable = _exportable(grades, problems)
    worksheet = fmt == "moodle" and roster is not None and roster.worksheet
    spec = WORKSHEET_SPEC if worksheet else SPECS[fmt]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=SPECS[fmt].line_end,
                        quoting=csv.QUOTE_ALL if spec.quote_all else csv.QUOTE_MINIMAL)
    job = _Out(spec, writer, grades, exportable, value, scale, max_points, lms_points, points is not None,
               header_name, missing, problems, notes)
    if roster is None:
        written, matched_by = _write_plain(job) if spec.plain else _write_logins(job)
    elif worksheet:
        written, matched_by = _write_worksheet(job, roster, match_column)
    else:
        written, matched_by = _write_by_roster(job, roster, match_column)
    try:
        write_atomic(Path(out), buffer.getvalue())
    except OSError as exc:
        raise GdkitError(f"cannot write {out} ({exc.strerror or exc}); choose a writable --out") from None
    return Export(Path(out), written, header_name, matched_by, problems, notes)
