"""`gdkit export grades`: each LMS's import file, read back with that LMS's own import rules.

The rosters are written the way each LMS exports its class list (Canvas's gradebook export
with its Points Possible and test-student rows, Moodle's grade export, Blackboard's Grade
Center download as UTF-16 tab-separated text, Moodle's grading worksheet as its assignment
writes it). The readers below apply the rules the LMSs document and implement for an upload:
Canvas's gradebook importer (header checks, "Title (id)" columns, students found by ID, then
SIS User ID, then SIS Login ID), Moodle's CSV grade import (one identifier column mapped to a
user field, one grade column mapped to a grade item; '' or '-' is no grade; at most 100),
Moodle's "Upload grading worksheet" (columns found by name, participant ids after
"Participant ", every row as long as the header, grades skipped when empty, unchanged, above
the maximum, locked or stale), Blackboard's Grade Center upload (every field quoted; students by
Username; a column with "|id" updates that column, others are created).
"""
import csv
import datetime as dt
import io
import json
import re
import subprocess
import sys

import pytest

from gdkit import lms
from gdkit.grading import outputs
from gdkit.record import QuestionResult, Record, TestResult

SCORES = {"alice": 100.0, "bob": 72.5, "carol": 60.0, "dave": 0.0, "zoe": 90.0}   # zoe is in no roster


def record(student: str, total: float, status: str = "ok", extra: dict | None = None) -> dict:
    tests = [TestResult("t", "q1", 1.0, total == 100)]
    r = Record(student, "gradient_descent", status=status, reason="" if status == "ok" else "it hung",
               questions=[QuestionResult("q1", 100.0, total, tests)], total=total, max_total=100.0,
               extra=extra or {})
    return r.to_json()


@pytest.fixture()
def graded(tmp_path):
    folder = tmp_path / "grades"
    records = [record(s, t, "timeout" if s == "dave" else "ok") for s, t in SCORES.items()]
    for r in records:
        outputs.write_atomic(folder / r["student"] / "record.json", json.dumps(r))
    outputs.write_atomic(folder / "grades.csv", outputs.grades_csv([Record.from_json(r) for r in records], ["q1"]))
    return folder


def gdkit(*args):
    return subprocess.run([sys.executable, "-m", "gdkit.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


# ----------------------------------------------------------------------------------- Canvas
CANVAS_ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,Lab 1 (1001),gradient_descent (2002),Current Score,Unposted Current Score,Final Score
    Points Possible,,,,,10.00,100.00,(read only),(read only),(read only)
"Liddell, Alice",501,S001,alice,Section A,8.00,,80.00,80.00,80.00
"Builder, Bob",502,S002,bob,Section A,9.00,,90.00,90.00,90.00
"Carroll, Carol",503,S003,CAROL,Section B,7.00,,70.00,70.00,70.00
"Dee, Dave",504,S004,dave,Section B,,,0.00,0.00,0.00
"Young, Yan",505,S005,yan,Section B,10.00,,100.00,100.00,100.00
"Student, Test",599,,,Section A,,,,,
"""
CANVAS_COURSE = {"students": [{"id": 501, "sis": "S001", "login": "alice"}, {"id": 502, "sis": "S002", "login": "bob"},
                              {"id": 503, "sis": "S003", "login": "CAROL"}, {"id": 504, "sis": "S004", "login": "dave"},
                              {"id": 505, "sis": "S005", "login": "yan"}, {"id": 599, "sis": None, "login": None}],
                 "assignments": {1001: "Lab 1", 2002: "gradient_descent"}}
CANVAS_NOT_ASSIGNMENTS = ("Current Score", "Current Points", "Current Grade", "Final Score", "Final Points",
                          "Final Grade", "Override Score", "Override Grade", "Override Status")


def canvas_import(text: str, course: dict) -> dict:
    """Canvas's gradebook importer's reading of an upload: {user id: {assignment id: grade}}."""
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    assert len(header) > 3 and "Student" in header[0] and "ID" in header[1], "Invalid header row"
    columns, sis_user, sis_login = 3, None, None
    if re.search(r"SIS\s+Login\s+ID", header[2]):
        sis_login, columns = 2, 4
    elif re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]):
        extra = 1 if re.search(r"Integration\s+ID", header[4]) else 0
        sis_user, sis_login, columns = 2, 3, 5 + extra
    assert "Section" in header[columns - 1], "Invalid header row"
    assignments = {}
    for index, name in enumerate(header[columns:], columns):
        if re.search("|".join(CANVAS_NOT_ASSIGNMENTS), name):
            continue
        m = re.fullmatch(r"(.*)\s\((\d+)\)", name)
        if m and int(m.group(2)) in course["assignments"]:
            assignments[index] = int(m.group(2))
        else:
            same = [i for i, t in course["assignments"].items() if t == name]
            assignments[index] = same[0] if same else f"new:{name}"
    grades, points = {}, {}
    for row in rows[1:]:
        if "Points Possible" in row[0]:
            points = {assignments[i]: row[i] for i in assignments}
            continue
        student = next((s for s in course["students"] if row[1].strip() and s["id"] == int(row[1])), None)
        if student is None and sis_user is not None and row[sis_user]:
            student = next((s for s in course["students"] if s["sis"] == row[sis_user]), None)
        if student is None and sis_login is not None and row[sis_login]:
            student = next((s for s in course["students"] if s["login"] == row[sis_login]), None)
        assert student is not None, f"Canvas would make a new student of {row}"
        grades[student["id"]] = {assignments[i]: row[i].strip() for i in assignments}
    return {"grades": grades, "points": points}


def test_canvas_import_reads_every_matched_student(graded, tmp_path):
    roster = tmp_path / "canvas.csv"
    roster.write_text(CANVAS_ROSTER)
    out = tmp_path / "import.csv"
    done = gdkit("export", "grades", graded, "--format", "canvas", "--roster", roster, "--out", out)
    assert done.returncode == 1                              # zoe has no row: reported, not dropped silently
    assert "zoe (score 90): not exported, no row of the roster has SIS Login ID = zoe" in done.stderr
    assert "yan" in done.stdout and "no submission" in done.stdout   # the roster student without one
    assert "timeout" in done.stdout                           # dave's status is said, his 0 exported
    imported = canvas_import(out.read_text(), CANVAS_COURSE)
    assert imported["grades"] == {501: {2002: "100"}, 502: {2002: "72.5"}, 503: {2002: "60"}, 504: {2002: "0"}}
    assert imported["points"] == {2002: "100"}               # the existing assignment, no new one
    # with every student in the roster the command succeeds
    roster.write_text(CANVAS_ROSTER + '"Zed, Zoe",506,S006,zoe,Section B,,,,,\n')
    CANVAS_COURSE["students"].append({"id": 506, "sis": "S006", "login": "zoe"})
    done = gdkit("export", "grades", graded, "--format", "canvas", "--roster", roster, "--out", out)
    assert done.returncode == 0, done.stderr
    assert canvas_import(out.read_text(), CANVAS_COURSE)["grades"][506] == {2002: "90"}


def test_canvas_without_roster_uses_login_ids_and_a_new_assignment(graded, tmp_path):
    out = tmp_path / "import.csv"
    done = gdkit("export", "grades", graded, "--format", "canvas", "--out", out, "--column", "Lab GD")
    assert done.returncode == 0, done.stderr
    course = {"students": [{"id": 700 + i, "sis": None, "login": s} for i, s in enumerate(SCORES)], "assignments": {}}
    imported = canvas_import(out.read_text(), course)
    assert imported["grades"][700] == {"new:Lab GD": "100"} and imported["points"] == {"new:Lab GD": "100"}


# ----------------------------------------------------------------------------------- Moodle
MOODLE_ROSTER = """First name,Last name,ID number,Institution,Department,Email address,Assignment: gradient_descent (Real),Course total (Real),Last downloaded from this course
Alice,Liddell,1001,Uni,CS,alice@uni.example,-,0.00,1700000000
Bob,Builder,1002,Uni,CS,bob@uni.example,-,0.00,1700000000
Carol,Carroll,1003,Uni,CS,carol@uni.example,-,0.00,1700000000
Dave,Dee,1004,Uni,CS,dave@uni.example,-,0.00,1700000000
Yan,Young,1005,Uni,CS,yan@uni.example,-,0.00,1700000000
"""
MOODLE_USERS = {"alice@uni.example": 11, "bob@uni.example": 12, "carol@uni.example": 13, "dave@uni.example": 14,
                "yan@uni.example": 15}


def moodle_import(text: str, map_from: str, users: dict, items: dict) -> dict:
    """Moodle's CSV grade import with the teacher's mapping: the identifier column -> useremail,
    every other column whose header is a grade item's -> that item. {user id: {item: grade}}."""
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip() for h in rows[0]]
    key = header.index(map_from)
    out = {}
    for row in rows[1:]:
        assert row[key] in users, f"Moodle: user mapping error, no user with email address {row[key]!r}"
        grades = {}
        for i, name in enumerate(header):
            if name in items:
                value = row[i]
                grade = None if value in ("", "-") else float(value)
                assert grade is None or grade <= 100, "grade value too big (gradepointmax 100)"
                grades[items[name]] = grade
        out[users[row[key]]] = grades
    return out


def test_moodle_import_by_email(graded, tmp_path):
    roster = tmp_path / "moodle.csv"
    roster.write_text(MOODLE_ROSTER)
    out = tmp_path / "import.csv"
    done = gdkit("export", "grades", graded, "--format", "moodle", "--roster", roster, "--out", out,
                 "--missing", "zero")
    assert done.returncode == 1 and "zoe" in done.stderr
    assert "Email address (before @)" in done.stdout
    header = next(csv.reader(io.StringIO(out.read_text())))
    assert header[-1] == "Assignment: gradient_descent (Real)" and "Email address" in header
    grades = moodle_import(out.read_text(), "Email address", MOODLE_USERS, {"Assignment: gradient_descent (Real)": 7})
    assert grades == {11: {7: 100.0}, 12: {7: 72.5}, 13: {7: 60.0}, 14: {7: 0.0}, 15: {7: 0.0}}  # yan: --missing zero


# ----------------------------------------------------------------------------------- Moodle's grading worksheet
# As Moodle's assignment writes it (View all submissions > Download grading worksheet): the
# identity field the site shows (Email address), a submission plugin's text and the feedback
# comments among the columns; a student's online text may hold commas, quotes and newlines.
WORKSHEET = ('Identifier,"Full name","Email address",Status,Grade,"Maximum Grade","Grade can be changed",'
             '"Last modified (submission)","Online text","Last modified (grade)","Feedback comments"\n'
             '"Participant 101","Ann Lee",ann@uni.example,"Submitted for grading",,100.00,Yes,'
             '"Monday, 3 March 2025, 10:30 AM",,-,\n'
             '"Participant 102","Bo Chen",bo@uni.example,"Submitted for grading Graded",40.00,100.00,Yes,'
             '"Monday, 3 March 2025, 11:00 AM","see ""attached"", and\nmore","Tuesday, 4 March 2025, 9:00 AM",'
             '"Good start"\n'
             '"Participant 103","Cy Ray",cy@uni.example,"No submission",,100.00,Yes,-,,-,\n'
             '"Participant 104","Di Oz",di@uni.example,"Submitted for grading",55.00,100.00,No,'
             '"Monday, 3 March 2025, 9:00 AM",,"Monday, 3 March 2025, 9:30 AM",\n')
# Moodle's side: participant id (assign_user_mapping) -> user id, and the grades it holds.
PARTICIPANTS = {"101": 11, "102": 12, "103": 13, "104": 14}
MOODLE_GRADES = {12: {"grade": 40.0, "modified": "Tuesday, 4 March 2025, 9:00 AM", "locked": False,
                      "feedback": "Good start"},
                 14: {"grade": 55.0, "modified": "Monday, 3 March 2025, 9:30 AM", "locked": True, "feedback": ""}}
MOODLE_SCORES = {"101": 100.0, "102": 72.5, "104": 60.0, "106": 90.0}      # 106 is on no worksheet


def moodle_time(text: str) -> float:
    """PHP's strtotime of Moodle's userdate(); '-' is false, i.e. 0."""
    if text.strip() in ("", "-"):
        return 0.0
    return dt.datetime.strptime(text.strip(), "%A, %d %B %Y, %I:%M %p").timestamp()


def moodle_float(text: str, decsep: str = ".") -> float | None:
    """Moodle's unformat_float: '' is no grade; the site language's decimal separator."""
    text = text.strip().replace(" ", "")
    if not text:
        return None
    return float(text.replace(decsep, "."))


def worksheet_upload(raw: bytes, participants: dict, grades: dict, maximum: float, decsep: str = ".") -> dict:
    """Moodle's "Upload grading worksheet" (assignfeedback_offline, UTF-8, comma): {user id: grade
    written}; {user id: feedback written} under the key "feedback"."""
    text = raw.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n").strip()
    rows = [r for r in csv.reader(io.StringIO(text)) if r != []]
    header = rows[0]
    assert all(len(r) == len(header) for r in rows), "csvweirdcolumns: rows of another length than the header"
    assert {"Identifier", "Grade", "Last modified (grade)"} <= set(header), "invalidgradeimport"
    index = {name: header.index(name) for name in header}
    written, feedback = {}, {}
    for row in rows[1:]:
        user = participants.get(row[index["Identifier"]][len("Participant "):])
        if user is None:
            continue
        grade = moodle_float(row[index["Grade"]], decsep)
        now = grades.get(user)
        stale = now is not None and moodle_time(now["modified"]) > moodle_time(row[index["Last modified (grade)"]]) + 60
        skip = ((now is not None and now["grade"] == grade) or grade is None or grade < 0 or stale
                or (now is not None and now["locked"]) or grade > maximum)
        if not skip:
            written[user] = grade
        comments = row[index["Feedback comments"]] if "Feedback comments" in index else None
        if not stale and comments is not None and comments != (now["feedback"] if now else ""):
            feedback[user] = comments
    return {**written, "feedback": feedback}


@pytest.fixture()
def moodle_graded(tmp_path):
    """A grading folder of a Moodle download: the ids are participant ids (gdkit.intake says so)."""
    folder = tmp_path / "moodle-grades"
    for student, total in MOODLE_SCORES.items():
        r = record(student, total, extra={"lms": "moodle", "lms_name": "x"})
        outputs.write_atomic(folder / student / "record.json", json.dumps(r))
    return folder


@pytest.mark.slow  # gdkit in subprocesses
def test_moodle_grading_worksheet_round_trip(moodle_graded, tmp_path):
    roster = tmp_path / "worksheet.csv"
    roster.write_bytes(b"\xef\xbb\xbf" + WORKSHEET.encode())
    out = tmp_path / "upload.csv"
    done = gdkit("export", "grades", moodle_graded, "--format", "moodle", "--roster", roster, "--out", out)
    assert done.returncode == 1                                     # 106 has no row; 104's grade is locked
    assert "106 (score 90): not exported, no row of the roster has Identifier = 106" in done.stderr
    assert "104 (score 60): written, but the worksheet says the grade cannot be changed" in done.stderr
    assert "matched by 'Identifier'" in done.stdout and "Upload grading worksheet" in done.stdout
    assert "1 worksheet row(s) have no submission and keep their grade (Cy Ray)" in done.stdout
    # every column and row as Moodle wrote them, in order; only Grade filled
    before = list(csv.reader(io.StringIO(WORKSHEET)))
    after = list(csv.reader(io.StringIO(out.read_text())))
    grade = before[0].index("Grade")
    assert after[0] == before[0] and len(after) == len(before)
    for old, new in zip(before[1:], after[1:]):
        assert old[:grade] + old[grade + 1:] == new[:grade] + new[grade + 1:]
    assert [r[grade] for r in after[1:]] == ["100", "72.5", "", "60"]
    uploaded = worksheet_upload(out.read_bytes(), PARTICIPANTS, MOODLE_GRADES, 100.0)
    assert uploaded == {11: 100.0, 12: 72.5, "feedback": {}}       # 104: locked; 103: no grade; comments kept
    # --missing zero: the row without a submission gets 0 too
    done = gdkit("export", "grades", moodle_graded, "--format", "moodle", "--roster", roster, "--out", out,
                 "--missing", "zero")
    assert worksheet_upload(out.read_bytes(), PARTICIPANTS, MOODLE_GRADES, 100.0) == {
        11: 100.0, 12: 72.5, 13: 0.0, "feedback": {}}


@pytest.mark.slow  # gdkit in subprocesses
def test_moodle_worksheet_points_and_decimal_comma(moodle_graded, tmp_path):
    # a site whose language writes "10,00": the grades come back with a decimal comma
    roster = tmp_path / "worksheet.csv"
    roster.write_text(WORKSHEET.replace("100.00", '"10,00"').replace("40.00", '"4,00"').replace("55.00", '"5,50"'))
    out = tmp_path / "upload.csv"
    done = gdkit("export", "grades", moodle_graded, "--format", "moodle", "--roster", roster, "--out", out)
    assert done.returncode == 1 and "worth 10 points" in done.stdout
    # Moodle would skip each grade above the Maximum Grade without a word: each is said
    assert "101 (score 100): written, but above the worksheet's Maximum Grade 10" in done.stderr
    assert worksheet_upload(out.read_bytes(), PARTICIPANTS, MOODLE_GRADES, 10.0, decsep=",") == {"feedback": {}}
    done = gdkit("export", "grades", moodle_graded, "--format", "moodle", "--roster", roster, "--out", out,
                 "--points", "10")
    assert "above the worksheet's Maximum Grade" not in done.stderr
    grades = {r[0]: r[4] for r in csv.reader(io.StringIO(out.read_text()))}
    assert grades["Participant 102"] == "7,25"
    assert worksheet_upload(out.read_bytes(), PARTICIPANTS, MOODLE_GRADES, 10.0, decsep=",") == {
        11: 10.0, 12: 7.25, "feedback": {}}


@pytest.mark.slow  # gdkit in subprocesses
def test_moodle_participant_ids_need_the_worksheet(moodle_graded, tmp_path):
    # a gradebook export has no participant ids: its "ID number" 101 may be another student
    gradebook = tmp_path / "moodle.csv"
    gradebook.write_text("First name,Last name,ID number,Email address,Assignment: gradient_descent (Real)\n"
                         "Zed,Other,101,zed@uni.example,-\n")
    for roster in (["--roster", gradebook], []):
        done = gdkit("export", "grades", moodle_graded, "--format", "moodle", *roster, "--out", tmp_path / "x.csv")
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "are Moodle participant ids" in done.stderr and "grading worksheet" in done.stderr
        assert not (tmp_path / "x.csv").exists()
    # naming the column is the instructor's word that it holds these ids
    done = gdkit("export", "grades", moodle_graded, "--format", "moodle", "--roster", gradebook,
                 "--match", "ID number", "--out", tmp_path / "x.csv")
    assert done.returncode == 1 and "Zed" in (tmp_path / "x.csv").read_text()
    # a roster that is neither a worksheet nor a gradebook export; a worksheet of a scale
    other = tmp_path / "other.csv"
    other.write_text("Name,Score\nAnn,1\n")
    scale = tmp_path / "scale.csv"
    scale.write_text(WORKSHEET.replace('"Maximum Grade"', "Scale"))
    neither = ("is neither Moodle's grading worksheet (it has the columns Identifier, Grade, Last modified (grade)) "
               "nor its gradebook export")
    for roster, words in ((other, neither),
                          (scale, "graded with a scale")):
        done = gdkit("export", "grades", moodle_graded, "--format", "moodle", "--roster", roster,
                     "--out", tmp_path / "y.csv")
        assert done.returncode == 2 and words in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "y.csv").exists()


# ----------------------------------------------------------------------------------- Blackboard
BLACKBOARD_ROSTER = ('"Last Name"\t"First Name"\t"Username"\t"Student ID"\t"Last Access"\t"Availability"\t'
                     '"gradient_descent [Total Pts: 10 Score] |123456"\t"Weighted Total [Total Pts: up to 0 Percentage] |123457"\n'
                     '"Liddell"\t"Alice"\t"alice"\t"1001"\t"2024-01-01"\t"Yes"\t""\t""\n'
                     '"Builder"\t"Bob"\t"bob"\t"1002"\t"2024-01-01"\t"Yes"\t""\t""\n'
                     '"Carroll"\t"Carol"\t"ccarroll"\t"carol"\t"2024-01-01"\t"Yes"\t""\t""\n'
                     '"Dee"\t"Dave"\t"dave"\t"1004"\t"2024-01-01"\t"Yes"\t""\t""\n'
                     '"Zed"\t"Zoe"\t"zoe"\t"1006"\t"2024-01-01"\t"Yes"\t""\t""\n')


def blackboard_upload(raw: str, usernames: set, columns: dict) -> dict:
    """Blackboard's Grade Center upload of a comma-delimited file: every field in quotes, students
    by Username, a column with a column id updates that column. {username: {column id: grade}}."""
    for line in raw.splitlines():
        fields = next(csv.reader([line]))
        assert line == ",".join('"' + f.replace('"', '""') + '"' for f in fields), f"unquoted field in {line}"
    rows = list(csv.reader(io.StringIO(raw)))
    header = rows[0]
    user = header.index("Username")
    ids = {}
    for i, name in enumerate(header):
        m = re.search(r"\|(\d+)\s*$", name)
        if m:
            assert int(m.group(1)) in columns
            ids[i] = int(m.group(1))
    out = {}
    for row in rows[1:]:
        assert row[user] in usernames, f"Blackboard: no user {row[user]!r}"
        out[row[user]] = {ids[i]: float(row[i]) for i in ids}
    return out


@pytest.mark.slow  # gdkit in subprocesses
def test_blackboard_upload_updates_the_column(graded, tmp_path):
    roster = tmp_path / "gc.xls"                               # Blackboard's download: UTF-16, tab separated
    roster.write_bytes(BLACKBOARD_ROSTER.encode("utf-16"))
    out = tmp_path / "upload.csv"
    done = gdkit("export", "grades", graded, "--format", "blackboard", "--roster", roster, "--out", out)
    assert done.returncode == 1 and "matched by 'Username'" in done.stdout   # the column matching most ids
    assert "carol (score 60): not exported, no row of the roster has Username = carol" in done.stderr
    assert "worth 10 points" in done.stdout and "--points 10" in done.stdout
    done = gdkit("export", "grades", graded, "--format", "blackboard", "--roster", roster, "--out", out,
                 "--points", "10")
    assert done.returncode == 1 and "carol (score 6)" in done.stderr
    uploaded = blackboard_upload(out.read_text(), {"alice", "bob", "ccarroll", "dave", "zoe"}, {123456: "gd"})
    assert uploaded == {"alice": {123456: 10.0}, "bob": {123456: 7.25}, "dave": {123456: 0.0}, "zoe": {123456: 9.0}}
    done = gdkit("export", "grades", graded, "--format", "blackboard", "--roster", roster, "--out", out,
                 "--points", "10", "--match", "Student ID")
    assert done.returncode == 1 and "alice" in done.stderr   # alice's Student ID is a number
    assert blackboard_upload(out.read_text(), {"ccarroll"}, {123456: "gd"}) == {"ccarroll": {123456: 6.0}}


# ----------------------------------------------------------------------------------- csv and refusals
@pytest.mark.slow  # gdkit in subprocesses
def test_plain_csv_and_problems(graded, tmp_path):
    out = tmp_path / "grades-export.csv"
    done = gdkit("export", "grades", graded, "--format", "csv", "--out", out)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.open()))
    assert {r["student"]: r["score"] for r in rows} == {s: outputs._num(t) for s, t in SCORES.items()}
    assert {r["max_score"] for r in rows} == {"100"} and next(r for r in rows if r["student"] == "dave")["status"] == "timeout"
    # a grader error, an unreadable record, an id a spreadsheet would run, two roster rows for one id
    broken = record("erin", 0, "grader-error")
    outputs.write_atomic(graded / "erin" / "record.json", json.dumps(broken))
    outputs.write_atomic(graded / "=cmd" / "record.json", json.dumps(record("=cmd", 50)))
    (graded / "bob" / "record.json").write_text("{ cut")
    roster = tmp_path / "roster.csv"
    roster.write_text("Username,Name\nalice,A\nalice,A2\ncarol,C\ndave,D\nzoe,Z\n")
    done = gdkit("export", "grades", graded, "--format", "csv", "--roster", roster, "--out", out)
    assert done.returncode == 1
    errors = done.stderr
    assert "erin: not graded (the grader failed" in errors and "bob: not exported (record.json cannot be read" in errors
    assert "=cmd: not exported (the id starts with '='" in errors
    assert "alice (score 100): not exported, 2 rows of the roster have Username = alice" in errors
    assert {r["student"] for r in csv.DictReader(out.open())} == {"carol", "dave", "zoe"}


@pytest.mark.slow  # gdkit in subprocesses
def test_bad_input_is_one_line(graded, tmp_path):
    for args, words in (([graded, "--format", "canvas", "--roster", tmp_path / "none.csv"], "cannot read the roster"),
                        ([tmp_path / "nowhere", "--format", "csv"], "is not a folder"),
                        ([graded, "--format", "moodle", "--roster", graded / "grades.csv", "--match", "Email"],
                         "is not a column")):
        done = gdkit("export", "grades", *args, "--out", tmp_path / "x.csv")
        assert done.returncode == 2 and done.stderr.startswith("gdkit: error: ") and words in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_roster_formats_are_read(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"\xef\xbb\xbfUsername;Score\nal;1\n\n")
    roster = lms.read_roster(path)
    assert roster.header == ["Username", "Score"] and roster.rows == [{"Username": "al", "Score": "1"}]
    assert lms.BLACKBOARD_HEADER.match("Quiz 3 [Total Pts: 10] |664617").groups() == ("Quiz 3", "10", "664617")
    assert lms.BLACKBOARD_HEADER.match("W [Total Pts: up to 0 Percentage] |5").groups() == ("W", "0", "5")


MINI_TOML = 'name = "mini"\nnotebook = "mini.ipynb"\n[[questions]]\nid = "q1"\npoints = 100\n'
MINI_SUITE = '''
import pytest
from gdkit.grading.checks import Fail


@pytest.mark.question("q1")
def test_double(student):
    """doubles a number"""
    if student.call("double", 2.0) != 4.0:
        raise Fail("double(x) must return 2 * x")
    if student.call("double", 0.5) != 1.0:
        raise Fail("double(x) must return 2 * x")
'''


@pytest.mark.slow  # grades a small class for real
def test_moodle_download_to_worksheet_upload(tmp_path):
    """The round trip an instructor makes: Moodle's "Download all submissions" zip, graded by
    `gdkit grade`, exported through the grading worksheet, read back by Moodle's upload."""
    import zipfile

    from minicourse import notebook, write_course

    course = write_course(tmp_path / "course", MINI_TOML, MINI_SUITE)
    (course / "gdkit.toml").write_text('[course]\nname = "mini"\n')
    download = tmp_path / "GD-Assignment 1-12.zip"
    with zipfile.ZipFile(download, "w") as archive:
        archive.writestr("Ann Lee_101_assignsubmission_file_/mini.ipynb", notebook("def double(x):\n    return 2 * x\n"))
        archive.writestr("Bo Chen_102_assignsubmission_file_/work/mini.ipynb", notebook("def double(x):\n    return x\n"))
        archive.writestr("Di Oz_104_assignsubmission_file_/notes.pdf", b"%PDF-1.4")
    graded = tmp_path / "grades"
    done = subprocess.run([sys.executable, "-m", "gdkit.cli", "grade", str(download), "--assignment", "mini",
                           "--course", str(course), "--out", str(graded), "--jobs", "1", "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    roster = tmp_path / "worksheet.csv"
    roster.write_text(WORKSHEET.replace(",No,", ",Yes,"))
    out = tmp_path / "upload.csv"
    done = gdkit("export", "grades", graded, "--format", "moodle", "--roster", roster, "--out", out)
    assert done.returncode == 0, done.stderr
    current = {12: {**MOODLE_GRADES[12]}, 14: {**MOODLE_GRADES[14], "locked": False}}
    assert worksheet_upload(out.read_bytes(), PARTICIPANTS, current, 100.0) == {
        11: 100.0, 12: 0.0, 14: 0.0, "feedback": {}}     # Di Oz handed in no notebook: graded 0


def test_late_columns_missing_rows_and_points(graded, tmp_path):
    """The branches the LMS round trips above leave out: the plain table's raw score and penalty
    under a late policy, roster students without a submission written as 0 by the plain table,
    Canvas's Points Possible after --points, Moodle and Blackboard without a roster."""
    late = record("erin", 40.0, extra={"raw_total": 50.0, "penalty": 10.0})
    outputs.write_atomic(graded / "erin" / "record.json", json.dumps(late))
    out = tmp_path / "x.csv"
    lms.export(graded, "csv", out, points=10)
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert rows[0] == ["student", "score", "max_score", "status", "raw_score", "penalty"]
    assert rows[1:3] == [["alice", "10", "10", "ok", "10", "0"], ["bob", "7.25", "10", "ok", "7.25", "0"]]
    assert ["erin", "4", "10", "ok", "5", "1"] in rows
    roster = tmp_path / "roster.csv"
    roster.write_text("Username,Name\nalice,A\nyan,Y\n")
    done = lms.export(graded, "csv", out, roster_path=roster, missing="zero")
    assert out.read_text().splitlines() == ["student,Username,score,max_score,status", "alice,alice,100,100,ok",
                                            ",yan,0,100,no-submission"]
    assert done.written == 1 and "1 roster student(s) without a submission get 0 (--missing zero)" in done.notes
    canvas = tmp_path / "canvas.csv"
    canvas.write_text(CANVAS_ROSTER)
    lms.export(graded, "canvas", out, roster_path=canvas, points=20)
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert rows[1] == ["    Points Possible", "", "", "", "", "20"] and rows[2][-1] == "20"
    lms.export(graded, "canvas", out, roster_path=canvas)                # the roster's points when not rescaled
    assert list(csv.reader(io.StringIO(out.read_text())))[1][-1] == "100"
    for fmt, line in (("moodle", "alice,100\n"), ("blackboard", '"alice","100"\r\n')):
        done = lms.export(graded, fmt, out)
        assert done.matched_by == "Username"
        text = out.read_bytes().decode()
        assert text.splitlines()[0] in ("Username,gradient_descent", '"Username","gradient_descent"')
        assert line in text
