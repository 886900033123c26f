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
from dataclasses import dataclass, field
from pathlib import Path

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


CANVAS_INFO = ("Student", "ID", "SIS User ID", "SIS Login ID", "Integration ID", "Section")
MOODLE_INFO = ("First name", "Last name", "Surname", "ID number", "Institution", "Department", "Email address",
               "Username")
BLACKBOARD_INFO = ("Last Name", "First Name", "Username", "Student ID")

SPECS = {
    "canvas": Format("canvas", ("SIS Login ID", "SIS User ID", "ID", "Integration ID"), CANVAS_INFO,
                     ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")),
    "moodle": Format("moodle", ("Username", "ID number", "Email address"), MOODLE_INFO, ()),
    "blackboard": Format("blackboard", ("Username", "Student ID"), BLACKBOARD_INFO, ("Username",), quote_all=True),
    "csv": Format("csv", ("student", "Username", "SIS Login ID", "ID number", "Student ID", "Email address", "ID"),
                  (), ()),
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
        raise GdkitError(f"cannot read the roster {path} ({exc.strerror or exc}); give the file the LMS exported") from None
    text = _decode(data, path)
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max(("\t", ";", ","), key=lambda d: (first.count(d), d == ","))
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise GdkitError(f"{path} is empty; export the class list (gradebook) from the LMS as CSV")
    header = [cell.strip() for cell in rows[0]]
    if len(set(h for h in header if h)) != len([h for h in header if h]):
        raise GdkitError(f"{path} repeats a column name in its header; export the roster again")
    roster = Roster(path, header, [], raw_header=rows[0])
    for cells in rows[1:]:
        row = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header) if h}
        values = [v for v in row.values() if v]
        if not values:
            continue
        if "Points Possible" in (cells[0] if cells else ""):
            roster.points_row = row
            continue
        if all(re.fullmatch(r"(Muted|Manual Posting.*|\(read only\))", v, re.I) for v in values):
            continue  # Canvas's posting-policy row
        roster.rows.append(row)
        roster.cells.append(cells)
    return roster


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
    for header in roster.header:
        if fmt == "canvas":
            m = CANVAS_TITLE_ID.match(header)
            if (m and m.group(1) == title) or header == title:
                pp = roster.points_row.get(header, "")
                return header, float(pp) if re.fullmatch(r"[0-9.]+", pp or "") else None
        elif fmt == "blackboard":
            m = BLACKBOARD_HEADER.match(header)
            if m and m.group(1) == title and (m.group(2) or m.group(3)):
                return header, float(m.group(2)) if m.group(2) else None
        elif fmt == "moodle":
            m = MOODLE_ITEM.match(header)
            if m and header not in MOODLE_INFO and m.group(1) == title and header != "Last downloaded from this course":
                return header, None
    return title, None


def _worksheet_points(roster: Roster) -> float | None:
    """The assignment's Maximum Grade in a grading worksheet (None when no row says)."""
    if WORKSHEET.maximum not in roster.header and WORKSHEET.scale in roster.header:
        raise GdkitError(f"{roster.path} is the grading worksheet of an assignment graded with a scale, which takes "
                         "no points; set the assignment's grade type to Point in Moodle and download the worksheet again")
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


def _worksheet_rows(writer, roster: Roster, found: Match, value: dict[str, str], missing: str,
                    problems: list[str], notes: list[str]) -> None:
    """Moodle's grading worksheet again, every column and row as it came, with the Grade filled:
    gdkit's score for a matched student, 0 for the others with ``--missing zero``, else what the
    worksheet held (the upload skips a grade it already has)."""
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
    writer.writerow(roster.raw_header)
    for row, cells in zip(roster.rows, roster.cells):
        cells = (list(cells) + [""] * width)[:width]  # the upload refuses rows of another length
        if id(row) in grade_of:
            cells[index] = grade_of[id(row)].replace(".", ",") if comma else grade_of[id(row)]
        elif missing == "zero":
            cells[index] = "0"
        writer.writerow(cells)
    if found.missing:
        if missing == "zero":
            notes.append(f"{len(found.missing)} worksheet row(s) without a submission get 0 (--missing zero)")
        else:
            sample = ", ".join(_who(r, "Full name") for r in found.missing[:5])
            notes.append(f"{len(found.missing)} worksheet row(s) have no submission and keep their grade "
                         f"({sample}{', ...' if len(found.missing) > 5 else ''}); --missing zero gives them 0")


def _who(row: dict[str, str], column: str) -> str:
    """A roster row's name for a message: its id in the matched column, else a name it has."""
    for key in (column, "Email address", "Student", "Username", "Last Name", "Last name", "SIS Login ID"):
        if row.get(key):
            return row[key][:60]
    return "(a row without a name)"


def _safe_cell(value: str) -> bool:
    return not str(value).startswith(_FORMULA)


def export(folder: Path, fmt: str, out: Path, *, roster_path: Path | None = None, column: str | None = None,
           match_column: str | None = None, missing: str = "blank", points: float | None = None) -> Export:
    """Write ``out``: the import file of ``fmt`` for the grading folder ``folder``."""
    from gdkit.grading.outputs import write_atomic

    if fmt not in FORMATS:
        raise GdkitError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")
    if missing not in ("blank", "zero"):
        raise GdkitError(f"--missing must be blank or zero, got {missing!r}")
    if points is not None and not (math.isfinite(points) and points > 0):
        raise GdkitError(f"--points must be a positive number, got {points}")
    spec = SPECS[fmt]
    grades, problems, assignment, max_points = grades_of(Path(folder))
    roster = read_roster(roster_path) if roster_path is not None else None
    worksheet = fmt == "moodle" and roster is not None and roster.worksheet
    if worksheet:
        spec = WORKSHEET_SPEC
    _moodle_roster_checked(fmt, roster, grades, match_column, Path(folder))
    title = column or assignment
    header_name, lms_points = _grade_column(fmt, roster, title, max_points)
    notes: list[str] = []
    scale = 1.0
    if points is not None and max_points > 0:
        scale = points / max_points
    elif lms_points is not None and max_points > 0 and abs(lms_points - max_points) > 1e-9:
        notes.append(f"the roster's {header_name!r} is worth {_num(lms_points)} points but gdkit's scores are "
                     f"out of {_num(max_points)}: pass --points {_num(lms_points)} to scale them")
    value = {g.student: _num(g.score * scale) for g in grades}
    not_ok = [g for g in grades if g.status != "ok"]
    if not_ok:
        notes.append(f"{len(not_ok)} submission(s) whose status is not ok are exported with their recorded score "
                     f"({', '.join(sorted({g.status for g in not_ok}))}); see report.html's 'Needs a person'")

    exportable = []
    for g in grades:
        if _safe_cell(g.student):
            exportable.append(g)
        else:
            problems.append(f"{g.student}: not exported (the id starts with {g.student[0]!r}, which a spreadsheet "
                            "would run as a formula); rename the student folder")

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n" if fmt == "blackboard" else "\n",
                        quoting=csv.QUOTE_ALL if spec.quote_all else csv.QUOTE_MINIMAL)
    written, matched_by = 0, ""
    if worksheet:
        found = match(roster, [g.student for g in exportable], spec, match_column)
        written, matched_by = len(found.rows), found.column
        if lms_points is not None:  # Moodle's upload skips a grade above the Maximum Grade, without a word
            problems += [f"{s} (score {value[s]}): written, but above the worksheet's Maximum Grade "
                         f"{_num(lms_points)}, which Moodle's upload skips; pass --points {_num(lms_points)}"
                         for s in sorted(found.rows) if float(value[s]) > lms_points + 1e-9]
        _worksheet_rows(writer, roster, found, value, missing, problems, notes)
        notes.append("upload it in Moodle with the assignment's Upload grading worksheet (View all submissions)")
    elif roster is None:
        if fmt == "csv":
            late = any(g.raw is not None for g in grades)
            writer.writerow(["student", "score", "max_score", "status"] + (["raw_score", "penalty"] if late else []))
            for g in exportable:
                writer.writerow([g.student, value[g.student], _num(max_points * scale), g.status]
                                + ([_num((g.raw if g.raw is not None else g.score) * scale),
                                    _num((g.penalty or 0) * scale)] if late else []))
                written += 1
        else:
            # Without a roster gdkit's id must be the LMS's login: Canvas SIS Login ID, Moodle
            # username, Blackboard Username.
            info = {"canvas": ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"],
                    "moodle": ["Username"], "blackboard": ["Username"]}[fmt]
            writer.writerow(info + [header_name])
            if fmt == "canvas":
                writer.writerow(["    Points Possible", "", "", "", "", _num(max_points * scale)])
            for g in exportable:
                row = {"Student": g.student, "SIS Login ID": g.student, "Username": g.student}
                writer.writerow([row.get(c, "") for c in info] + [value[g.student]])
                written += 1
            matched_by = {"canvas": "SIS Login ID", "moodle": "Username", "blackboard": "Username"}[fmt]
    else:
        found = match(roster, [g.student for g in exportable], spec, match_column)
        matched_by = found.column
        for student, why in sorted(found.unmatched.items()):
            problems.append(f"{student} (score {value[student]}): not exported, {why}; add the student to the LMS "
                            "or fix the id (--match COLUMN picks the roster column)")
        if fmt == "csv":
            id_column = found.column if found.column != EMAIL_LOCAL else "Email address"
            info = [id_column]
        else:
            info = [c for c in spec.info_columns if c in roster.header or c in spec.required]
            if fmt == "moodle" and found.column == EMAIL_LOCAL and "Email address" not in info:
                info.append("Email address")
        head = info + [header_name] if fmt != "csv" else ["student", *info, "score", "max_score", "status"]
        writer.writerow(head)
        if fmt == "canvas":
            pp = lms_points if lms_points is not None and points is None else max_points * scale
            writer.writerow(["    Points Possible"] + [""] * (len(info) - 1) + [_num(pp)])
        by_student = {g.student: g for g in exportable}
        for student, row in sorted(found.rows.items(), key=lambda kv: kv[0]):
            cells = [row.get(c, "") for c in info]
            if fmt == "csv":
                g = by_student[student]
                writer.writerow([student, *cells, value[student], _num(max_points * scale), g.status])
            else:
                writer.writerow(cells + [value[student]])
            written += 1
        if found.missing:
            if missing == "zero":
                for row in found.missing:
                    cells = [row.get(c, "") for c in info]
                    writer.writerow(["", *cells, "0", _num(max_points * scale), "no-submission"] if fmt == "csv"
                                    else cells + ["0"])
                notes.append(f"{len(found.missing)} roster student(s) without a submission get 0 (--missing zero)")
            else:
                sample = ", ".join(_who(r, found.column) for r in found.missing[:5])
                notes.append(f"{len(found.missing)} roster student(s) have no submission and are left out, so the "
                             f"LMS keeps their grade ({sample}{', ...' if len(found.missing) > 5 else ''}); "
                             "--missing zero gives them 0")
    try:
        write_atomic(Path(out), buffer.getvalue())
    except OSError as exc:
        raise GdkitError(f"cannot write {out} ({exc.strerror or exc}); choose a writable --out") from None
    return Export(Path(out), written, header_name, matched_by, problems, notes)
