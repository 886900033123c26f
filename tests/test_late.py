"""Late penalties: the rule in gdkit.toml, the submission time from each source, and the one
place it is applied (when `gdkit grade` finishes): record, grades.csv and report show raw score,
penalty and final score; a course without [late] keeps its table unchanged."""
import csv
import datetime as dt
import json
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gdkit import late
from gdkit.errors import GdkitError
from minicourse import notebook, write_course

UTC = dt.timezone.utc
DUE = dt.datetime(2025, 3, 1, 23, 59, tzinfo=UTC)


def at(**delta) -> dt.datetime:
    return DUE + dt.timedelta(**delta)


@pytest.mark.parametrize("settings, submitted, raw, expected", [
    ({}, at(seconds=-1), 80, 0),                                       # on time
    ({}, at(seconds=1), 80, 10),                                       # 1 second late: one started day, 10% of 100
    ({}, at(days=1, seconds=1), 80, 20),                               # second day started
    ({"cap": 25}, at(days=5), 80, 25),                                 # capped
    ({}, at(days=30), 60, 60),                                         # never below zero
    ({"per": "hour", "penalty": 2}, at(hours=3, minutes=1), 80, 8),    # four started hours
    ({"grace_minutes": 15}, at(minutes=14), 80, 0),                    # within the grace period
    ({"grace_minutes": 15}, at(minutes=16), 80, 10),                   # counted from the due date after it
    ({"of": "score"}, at(hours=2), 80, 8),                             # 10% of the raw score
    ({"penalty": 0}, at(days=3), 80, 0),
])
def test_deduction(settings, submitted, raw, expected):
    pol = late.policy({"late": {"due": DUE, **settings}}, "gd")
    penalty, late_by = pol.deduction(submitted, raw, 100)
    assert penalty == expected
    assert late_by == pytest.approx(max(0.0, (submitted - DUE).total_seconds()))


def test_due_dates_per_assignment_timezone_and_dates():
    config = {"late": {"due": "2025-03-01", "timezone": "Europe/Berlin", "tuning": {"due": "2025-03-15T12:00:00Z",
                                                                                   "penalty": 5}}}
    gd = late.policy(config, "gradient_descent")
    assert gd.due == dt.datetime(2025, 3, 1, 22, 59, 59, tzinfo=UTC)   # a date: its last second, Berlin time
    tuning = late.policy(config, "tuning")
    assert tuning.due == dt.datetime(2025, 3, 15, 12, tzinfo=UTC) and tuning.penalty == 5
    assert late.policy({"late": {"per": "hour"}}, "gd") is None        # no due date: no policy
    assert late.policy({}, "gd") is None


@pytest.mark.parametrize("table, words", [
    ({"due": "soon"}, "is not a date and time"),
    ({"due": DUE, "per": "week"}, 'per must be "day" or "hour"'),
    ({"due": DUE, "cap": 150}, "cap must be a number from 0 to 100"),
    ({"due": DUE, "penalty": "10%"}, "penalty must be a number"),
    ({"due": DUE, "of": "total"}, 'of must be "max" or "score"'),
    ({"due": DUE, "source": "moodle"}, "source must be one of"),
    ({"due": DUE, "source": "roster"}, "needs roster"),
    ({"due": DUE, "timezone": "Mars/Olympus"}, "is not a time zone name"),
    ({"due": DUE, "penalty_per_day": 5}, "unknown key 'penalty_per_day'"),
])
def test_bad_configuration_is_one_line(table, words):
    with pytest.raises(GdkitError, match=words.replace("(", r"\(")):
        late.policy({"late": table}, "gd")


def test_sources(tmp_path):
    # nbgrader: timestamp.txt as nbgrader's submit writes it
    folder = tmp_path / "submitted" / "ann" / "gd"
    folder.mkdir(parents=True)
    nb = folder / "gd.ipynb"
    nb.write_text("{}")
    (folder / "timestamp.txt").write_text("2025-03-02 10:30:00.123456 UTC\n")
    assert late.nbgrader_time(nb) == dt.datetime(2025, 3, 2, 10, 30, 0, 123456, tzinfo=UTC)
    (folder / "timestamp.txt").write_text("2025-03-02 11:30:00.000000 Europe/Berlin")
    assert late.nbgrader_time(nb) == dt.datetime(2025, 3, 2, 10, 30, tzinfo=UTC)
    (folder / "timestamp.txt").write_text("garbage")
    assert late.nbgrader_time(nb) is None
    # Gradescope: submission_metadata.json next to the submission
    (folder / "submission_metadata.json").write_text(json.dumps({"id": 1, "created_at": "2025-03-03T01:02:03.5-08:00"}))
    assert late.gradescope_time(nb) == dt.datetime(2025, 3, 3, 9, 2, 3, 500000, tzinfo=UTC)
    # git: the last commit that touched the notebook, in a student's repository
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "gd.ipynb").write_text("{}")
    env = {**os.environ, "GIT_AUTHOR_NAME": "s", "GIT_AUTHOR_EMAIL": "s@x", "GIT_COMMITTER_NAME": "s",
           "GIT_COMMITTER_EMAIL": "s@x", "GIT_COMMITTER_DATE": "2025-03-04T05:06:07+02:00",
           "GIT_AUTHOR_DATE": "2025-03-01T00:00:00+00:00"}
    for args in (["init", "-q"], ["add", "gd.ipynb"], ["commit", "-qm", "work"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    assert late.git_time(repo / "gd.ipynb") == dt.datetime(2025, 3, 4, 3, 6, 7, tzinfo=UTC)
    assert late.git_time(nb) is None                                   # a folder in no repository
    # roster: a CSV with student and time; times without an offset are in the course's zone
    (tmp_path / "times.csv").write_text("student,submitted_at\nann,2025-03-05 08:00\nbob,2025-03-01T20:00:00Z\n")
    pol = late.policy({"late": {"due": DUE, "source": "roster", "roster": "times.csv", "timezone": "Europe/Berlin"}},
                      "gd", tmp_path)
    assert late.roster_times(pol) == {"ann": dt.datetime(2025, 3, 5, 7, tzinfo=UTC),
                                      "bob": dt.datetime(2025, 3, 1, 20, tzinfo=UTC)}
    # auto: nbgrader's file first; git only when asked
    auto = late.policy({"late": {"due": DUE}}, "gd")
    assert late.submitted_at(auto, repo / "gd.ipynb", "x", {}) == (None, "")
    gitpol = late.policy({"late": {"due": DUE, "source": "git"}}, "gd")
    assert late.submitted_at(gitpol, repo / "gd.ipynb", "x", {}) == (dt.datetime(2025, 3, 4, 3, 6, 7, tzinfo=UTC), "git")


def ut_member(name: str, data: str, local: tuple, utc: dt.datetime | None = None) -> tuple:
    """A zip member dated ``local`` (the DOS date: the zipping machine's clock), with Info-ZIP's
    extended timestamp (UTC seconds) when ``utc`` is given."""
    info = zipfile.ZipInfo(name, local)
    if utc is not None:
        info.extra = struct.pack("<HHBi", 0x5455, 5, 1, int(utc.timestamp()))
    return info, data


def write_zip(path: Path, members: list) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in members:
            archive.writestr(info, data)
    return path


def test_zipped_submissions_keep_their_times(tmp_path):
    """A zip holds what a folder holds: nbgrader's timestamp.txt, Blackboard's attempt time, the
    entry's date; each reaches the late policy through the record (intake -> late.handed_in)."""
    from gdkit.assignments import Assignment, Question
    from gdkit.intake import submissions

    gd = Assignment("gd", "gd.ipynb", (Question("q1", 10, ("f",)),), Path("."))
    stamp = (2025, 3, 1, 9, 0, 0)
    archive = write_zip(tmp_path / "class.zip", [
        # nbgrader's submitted/ tree, zipped
        ut_member("submitted/ann/gd/gd.ipynb", notebook("x = 1\n"), stamp),
        ut_member("submitted/ann/gd/timestamp.txt", "2025-03-02 10:30:00.000000 UTC\n", stamp),
        ut_member("submitted/bob/gd/gd.ipynb", notebook("x = 1\n"), stamp),
    ])
    blackboard = write_zip(tmp_path / "gradecenter.zip", [
        ut_member("GD_jsmith_attempt_2025-03-03-08-15-00_gd.ipynb", notebook("x = 1\n"), stamp),
        ut_member("GD_jsmith_attempt_2025-03-03-08-15-00.txt", "Name: John Smith (jsmith)\n", stamp),
        # Moodle-style folders: no time in the names; the entry's date (one with UTC stored)
        ut_member("Ann Lee_101_assignsubmission_file_/gd.ipynb", notebook("x = 1\n"), (2025, 3, 2, 1, 0, 0)),
        ut_member("Bo Chen_102_assignsubmission_file_/gd.ipynb", notebook("x = 1\n"), (2025, 3, 2, 1, 0, 0),
                  utc=dt.datetime(2025, 3, 1, 23, 0, tzinfo=UTC)),
        # Gradescope's layout: submission_metadata.json one folder up from the submission
        ut_member("carl/submission/gd.ipynb", notebook("x = 1\n"), stamp),
        ut_member("carl/submission_metadata.json", json.dumps({"created_at": "2025-03-02T01:02:03-08:00"}), stamp),
    ])
    auto = late.policy({"late": {"due": DUE, "timezone": "Europe/Berlin"}}, "gd")
    by_file = late.policy({"late": {"due": DUE, "timezone": "Europe/Berlin", "source": "file"}}, "gd")
    with submissions([archive, blackboard], gd) as result:
        found = {f.student: f for f in result.found}
        assert found["ann"].shown.endswith("class.zip:submitted/ann/gd/gd.ipynb")   # not a file late.py can open

        def when(pol, student):
            f = found[student]
            return late.submitted_at(pol, f.shown, student, {}, f.extra.get("handed_in"))

        assert when(auto, "ann") == (dt.datetime(2025, 3, 2, 10, 30, tzinfo=UTC), "nbgrader")
        assert when(auto, "bob") == (None, "")                       # no timestamp.txt: unknown, as in a folder
        # Blackboard's attempt time is its local time: the course's time zone (Berlin: UTC+1 in March)
        assert when(auto, "jsmith") == (dt.datetime(2025, 3, 3, 7, 15, tzinfo=UTC), "lms")
        assert when(auto, "carl") == (dt.datetime(2025, 3, 2, 9, 2, 3, tzinfo=UTC), "gradescope")
        assert when(auto, "101") == (None, "")                       # a zip's dates only when asked
        assert when(by_file, "101") == (dt.datetime(2025, 3, 2, 0, 0, tzinfo=UTC), "file")     # DOS date: Berlin
        assert when(by_file, "102") == (dt.datetime(2025, 3, 1, 23, 0, tzinfo=UTC), "file")    # stored UTC wins
    # a file on disk: the same kinds, by the same function
    folder = tmp_path / "unzipped" / "ann" / "gd"
    folder.mkdir(parents=True)
    (folder / "gd.ipynb").write_text(notebook("x = 1\n"))
    (folder / "timestamp.txt").write_text("2025-03-02 10:30:00.000000 UTC\n")
    os.utime(folder / "gd.ipynb", (DUE.timestamp() + 60, DUE.timestamp() + 60))
    assert late.handed_in(folder / "gd.ipynb") == {"nbgrader": "2025-03-02 10:30:00.000000 UTC",
                                                    "file": "2025-03-02T00:00:00+00:00"}


SUITE = '''
import pytest
from gdkit.grading.checks import Fail


@pytest.mark.question("q1")
def test_double(student):
    """doubles a number"""
    if student.call("double", 3.0) != 6.0:
        raise Fail("double(x) must return 2 * x")
'''
TOML = 'name = "mini"\nnotebook = "mini.ipynb"\n[[questions]]\nid = "q1"\npoints = 50\n'
LATE = '''
[late]
due = 2025-03-01T23:59:00Z
per = "day"
penalty = 10
cap = 40
grace_minutes = 10
'''
TIMES = {"ann": "2025-03-01 23:00:00.000000 UTC",      # on time
         "ben": "2025-03-02 00:05:00.000000 UTC",      # within the grace period
         "cy": "2025-03-04 00:30:00.000000 UTC",       # third day started: 30% of 50
         "dee": "2025-03-20 12:00:00.000000 UTC",      # capped at 40%
         "eli": None}                                  # no timestamp.txt


@pytest.fixture()
def course(tmp_path):
    root = write_course(tmp_path / "course", TOML, SUITE)
    (root / "gdkit.toml").write_text('[course]\nname = "mini"\n')
    submitted = tmp_path / "submitted"
    for student, when in TIMES.items():
        folder = submitted / student / "mini"
        folder.mkdir(parents=True)
        (folder / "mini.ipynb").write_text(notebook("def double(x):\n    return 2 * x\n"))
        if when:
            (folder / "timestamp.txt").write_text(when)
    return root, submitted


def grade(course, out):
    return subprocess.run([sys.executable, "-m", "gdkit.cli", "grade", str(course[1]), "--assignment", "mini",
                           "--out", str(out), "--jobs", "1", "--course", str(course[0])],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow  # grades a small class three times
def test_grade_applies_the_policy_once(course, tmp_path):
    out = tmp_path / "out"
    plain = grade(course, out)
    assert plain.returncode == 0, plain.stderr
    header_without = (out / "grades.csv").read_text().splitlines()[0]
    assert header_without == "student,q1,total,max_total,status,reason"   # no policy: the table as before

    (course[0] / "gdkit.toml").write_text('[course]\nname = "mini"\n' + LATE)
    done = grade(course, out)                                   # nobody regraded: the policy is applied
    assert done.returncode == 0, done.stderr
    assert "late penalty" in done.stdout and "no submission time for 1 student(s) (eli)" in done.stderr
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert list(rows["ann"])[-4:] == ["raw_total", "penalty", "submitted_at", "late_by_hours"]
    final = {s: (r["raw_total"], r["penalty"], r["total"]) for s, r in rows.items()}
    assert final == {"ann": ("50", "0", "50"), "ben": ("50", "0", "50"), "cy": ("50", "15", "35"),
                     "dee": ("50", "20", "30"), "eli": ("50", "0", "50")}
    assert rows["cy"]["submitted_at"] == "2025-03-04T00:30:00+00:00" and rows["cy"]["late_by_hours"] == "48.52"
    record = json.loads((out / "cy" / "record.json").read_text())
    assert (record["total"], record["raw_total"], record["penalty"], record["due"]) == (
        35.0, 50.0, 15.0, "2025-03-01T23:59:00+00:00")
    assert json.loads((out / "eli" / "record.json").read_text())["late_unknown"] is True

    table = (out / "grades.csv").read_text()
    again = grade(course, out)                                  # idempotent: from raw_total, not from 35
    assert again.returncode == 0 and (out / "grades.csv").read_text() == table
    assert {r["student"]: r["total"] for r in csv.DictReader((out / "grades.csv").open())} == {
        "ann": "50", "ben": "50", "cy": "35", "dee": "30", "eli": "50"}

    # the report and the LMS export show the final score, the report the raw one and the penalty too
    rep = subprocess.run([sys.executable, "-m", "gdkit.cli", "report", str(out)], capture_output=True, text=True)
    assert rep.returncode == 0, rep.stderr
    assert "2 late submission(s) lost points" in (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    assert "<th>raw</th><th>penalty</th><th>late by</th>" in html and "2.0 d" in html and "time unknown" in html
    export = subprocess.run([sys.executable, "-m", "gdkit.cli", "export", "grades", str(out), "--format", "csv",
                             "--out", str(tmp_path / "x.csv")], capture_output=True, text=True)
    assert export.returncode == 0, export.stderr
    exported = {r["student"]: r for r in csv.DictReader((tmp_path / "x.csv").open())}
    assert (exported["dee"]["score"], exported["dee"]["raw_score"], exported["dee"]["penalty"]) == ("30", "50", "20")

    (course[0] / "gdkit.toml").write_text('[course]\nname = "mini"\n')  # policy removed: raw scores back
    assert grade(course, out).returncode == 0
    assert (out / "grades.csv").read_text().splitlines()[0] == header_without
    assert json.loads((out / "cy" / "record.json").read_text())["total"] == 50.0


def test_bad_policy_stops_before_grading(course, tmp_path):
    (course[0] / "gdkit.toml").write_text('[course]\nname = "mini"\n[late]\ndue = 2025-03-01T23:59:00Z\nper = "week"\n')
    done = grade(course, tmp_path / "out")
    assert done.returncode == 2 and done.stderr.startswith("gdkit: error: ") and 'per must be "day"' in done.stderr
    assert not (tmp_path / "out" / "ann").exists()


@pytest.mark.slow  # grades a small class
def test_a_zipped_class_gets_the_same_penalties(course, tmp_path):
    root, submitted = course
    (root / "gdkit.toml").write_text('[course]\nname = "mini"\n' + LATE)
    archive = tmp_path / "submitted.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(submitted.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(submitted.parent).as_posix())
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "gdkit.cli", "grade", str(archive), "--assignment", "mini",
                           "--out", str(out), "--jobs", "1", "--course", str(root)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "no submission time for 1 student(s) (eli)" in done.stderr
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert {s: (r["penalty"], r["total"]) for s, r in rows.items()} == {
        "ann": ("0", "50"), "ben": ("0", "50"), "cy": ("15", "35"), "dee": ("20", "30"), "eli": ("0", "50")}
    record = json.loads((out / "cy" / "record.json").read_text())
    assert record["path"] == f"{archive}:submitted/cy/mini/mini.ipynb"
    assert (record["submitted_at"], record["submitted_from"]) == ("2025-03-04T00:30:00+00:00", "nbgrader")
    assert record["handed_in"]["nbgrader"] == TIMES["cy"]
