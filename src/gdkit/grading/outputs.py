"""What grading leaves on disk, each file written atomically (temp file + rename).

Per student, in ``OUTDIR/<student>/``: ``results.json`` (Gradescope's autograder format),
``feedback.md`` and ``feedback.html``, and last ``record.json`` — the full result, whose
presence means the student is done (a rerun skips them). For the class: ``grades.csv`` and
``junit.xml``, rebuilt from the records.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import tempfile
from pathlib import Path
from xml.etree import ElementTree as ET

from gdkit.record import Record

RECORD = "record.json"
# A cell a spreadsheet would run as a formula (or could be made to): its first character.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What neutralises such a cell: a leading apostrophe, which spreadsheets read as "text".
TEXT_MARK = "'"
_UMASK = os.umask(0o022)  # read once (os.umask can only be read by setting it), then put back
os.umask(_UMASK)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a whole file or nothing: a reader never sees a half-written file.

    Safe against the grader being killed at any point (the rename is atomic). There is no
    fsync: it cost ~3 ms a file, and surviving a power cut is not what these files need.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file 0600; grades are read by other people and tools, so give it
        # the mode an ordinary write would (0666 less the umask).
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def gradescope_results(record: Record, visibility=None, detail: str = "default") -> dict:
    """A record in Gradescope's results.json format (see gdkit.export.gradescope_results)."""
    from gdkit.export.gradescope_results import results_json
    from gdkit.export.settings import Visibility

    return results_json(record, visibility or Visibility(), detail)


def student_dir(outdir: Path, student: str) -> Path:
    """Where one student's files go: ``OUTDIR/<student>``."""
    return Path(outdir) / student


def write_student(outdir: Path, record: Record, render=None, *, detail: str = "default", visibility=None) -> None:
    """Write one student's files; the record goes last so its presence means 'done'.
    ``detail`` and ``visibility``: the course's feedback detail and Gradescope visibility."""
    folder = student_dir(outdir, record.student)
    write_atomic(folder / "results.json", json.dumps(gradescope_results(record, visibility, detail), indent=2))
    if render is not None:
        markdown, html = render(record)
        write_atomic(folder / "feedback.md", markdown)
        write_atomic(folder / "feedback.html", html)
    write_record(outdir, record)


def write_record(outdir: Path, record: Record) -> None:
    """``OUTDIR/<student>/record.json``, last of a student's files."""
    write_atomic(student_dir(outdir, record.student) / RECORD, json.dumps(record.to_json(), indent=1, default=str))


def read_record(outdir: Path, student: str, *, expect: dict | None = None) -> Record | None:
    """A finished student's record, or None when absent or unreadable (then they are regraded).

    ``expect`` (a :meth:`Record.regrade_key`: assignment, seed, the submission's sha256, the
    limits) must match the record's values: a record of another assignment, seed, version of
    the notebook or set of limits is stale.
    """
    try:
        record = Record.from_json(json.loads((student_dir(outdir, student) / RECORD).read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if record.student != student:
        return None
    key = record.regrade_key()
    if expect and any(key.get(name) != value for name, value in expect.items()):
        return None
    return record


def file_digest(path) -> str | None:
    """sha256 of a file's bytes (what identifies a version of a submission), None if unreadable."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):  # a block at a time: files may be 200 MB
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def csv_text(value) -> str:
    """A text cell a spreadsheet shows as text: one that starts like a formula (``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return) gets a leading apostrophe, and so does one that
    starts with an apostrophe already (so :func:`csv_value` reads every cell back exactly).
    Student ids come from file names, reasons quote what a student's notebook did: neither may
    become a formula (``=HYPERLINK(...)``) in the instructor's spreadsheet."""
    text = str(value)
    return TEXT_MARK + text if text.startswith(FORMULA_START + (TEXT_MARK,)) else text


def csv_value(cell: str) -> str:
    """A text cell of a CSV the kit wrote, as it was before :func:`csv_text`."""
    return cell[1:] if cell.startswith(TEXT_MARK) else cell


def grades_csv(records: list[Record], question_ids: list[str]) -> str:
    """One row per submission: student, points per question, total, max_total, status, reason.

    When a late policy was applied (``gdkit.late``), ``total`` is the final score and four
    columns follow: raw_total, penalty, submitted_at, late_by_hours. Text cells go through
    :func:`csv_text` (read them back with :func:`csv_value`); numbers are written as numbers.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    late = any("raw_total" in r.extra for r in records)
    writer.writerow(["student", *question_ids, "total", "max_total", "status", "reason"]
                    + (["raw_total", "penalty", "submitted_at", "late_by_hours"] if late else []))
    for r in sorted(records, key=lambda r: r.student):
        scores = r.scores()
        row = [csv_text(r.student), *(_num(scores.get(q, 0.0)) for q in question_ids),
               _num(r.total), _num(r.max_total), csv_text(r.status), csv_text(" ".join(str(r.reason).split())[:300])]
        if late:
            e = r.extra
            row += ([_num(e["raw_total"]), _num(e.get("penalty") or 0), csv_text(e.get("submitted_at") or ""),
                     f"{float(e.get('late_by') or 0) / 3600:.2f}"] if "raw_total" in e else ["", "", "", ""])
        writer.writerow(row)
    return buffer.getvalue()


def grades_students(path: Path) -> list[str]:
    """The student ids a ``grades.csv`` lists, as they were before :func:`csv_text`."""
    with open(path, newline="") as handle:
        return [csv_value(row["student"]) for row in csv.DictReader(handle) if row.get("student")]


def _num(x) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:g}"


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text) -> str:
    """Text safe for XML 1.0: a student's message may hold control characters."""
    return _XML_ILLEGAL.sub("\ufffd", str(text))


def junit_xml(records: list[Record], assignment: str) -> str:
    """JUnit XML for CI dashboards: a testcase per (student, question); failures carry feedback."""
    suite = ET.Element("testsuite", name=f"gdkit.{assignment}")
    failures = 0
    count = 0
    for r in sorted(records, key=lambda r: r.student):
        for q in r.questions:
            count += 1
            case = ET.SubElement(suite, "testcase", classname=_xml_text(f"{assignment}.{r.student}"),
                                 name=_xml_text(q.id))
            properties = ET.SubElement(case, "properties")
            properties.append(ET.Element("property", name="score", value=_num(q.score)))
            properties.append(ET.Element("property", name="max_score", value=_num(q.points)))
            if q.score < q.points:
                failures += 1
                messages = [t.message for t in q.failed] or [r.reason or r.status]
                failure = ET.SubElement(case, "failure", message=f"{_num(q.score)}/{_num(q.points)} points")
                failure.text = _xml_text("\n".join(messages))
    suite.set("tests", str(count))
    suite.set("failures", str(failures))
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
