"""Which notebook is whose (gdkit.intake): LMS downloads, nbgrader trees, copies and
checkpoints, zips (safely), and `gdkit grade --student`. Real files in tmp folders, real zips;
the behaviours that are about grading are checked on real graded runs of a tiny course."""
import csv
import io
import json
import os
import re
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from gdkit.assignments import Assignment, Question
from gdkit.errors import GdkitError
from gdkit.grading import runner
from gdkit.intake import MAX_MEMBERS, collect, find_submissions, submissions
from minicourse import notebook, write_course

GD = Assignment("gradient_descent", "gradient_descent.ipynb",
                (Question("q1", 10, ("sigmoid_output_to_derivative",)),), Path("."))
NB = notebook("x = 1\n")


def ids(paths, assignment=GD, **kw):
    return {f.student: f for f in find_submissions(paths, assignment, **kw)}


def lms_of(found) -> dict:
    """What the LMS's layout told of the student (the submission time aside: see test_late)."""
    return {k: v for k, v in found.extra.items() if k != "handed_in"}


def touch(path: Path, text: str = NB, mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def zip_of(path: Path, members: dict) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("name", [b"new\nline", b"tab\there", b"esc\x1b[2Kfake", b"rtl\xe2\x80\xaeevil", b"bad\xff\xfe"])
def test_a_student_id_that_could_forge_a_row_or_break_an_output_is_refused(tmp_path, name):
    """Ids become folders, grades.csv cells and rows of the summary on the instructor's terminal:
    a file name with a newline, an escape sequence or a bidi control would forge or hide rows,
    and one of undecodable bytes could be written to no output."""
    touch(tmp_path / "ok é name.ipynb")
    assert set(ids([tmp_path])) == {"ok é name"}
    with open(os.path.join(os.fsencode(tmp_path), name + b".ipynb"), "w") as f:
        f.write(NB)
    with pytest.raises(GdkitError) as refused:
        ids([tmp_path])
    assert "rename it" in str(refused.value) and str(refused.value).isprintable()


# ---- several notebooks for one student


def test_copies_and_checkpoints_of_a_plain_notebook_are_one_student(tmp_path):
    touch(tmp_path / "alice.ipynb", mtime=1000)
    touch(tmp_path / "alice (1).ipynb", mtime=3000)
    touch(tmp_path / "alice copy.ipynb", mtime=2000)
    touch(tmp_path / ".ipynb_checkpoints" / "alice-checkpoint.ipynb", mtime=4000)
    touch(tmp_path / "bob.ipynb")
    found = ids([tmp_path])
    assert sorted(found) == ["alice", "bob"]
    alice = found["alice"]
    # none is named like the assignment: the newest by modification time; the checkpoint never
    assert alice.path.name == "alice (1).ipynb"
    assert alice.notebook["graded"] == "alice (1).ipynb"
    assert sorted(alice.notebook["ignored"]) == [".ipynb_checkpoints/alice-checkpoint.ipynb", "alice copy.ipynb",
                                                 "alice.ipynb"]
    assert "newest" in alice.notebook["rule"] and "modification time" in alice.notebook["rule"]
    assert found["bob"].notebook == {"graded": "bob.ipynb", "ignored": [], "rule": "the only notebook handed in"}


@pytest.mark.parametrize("layout", ["nbgrader", "per-student"])
def test_the_assignments_notebook_name_wins_over_newer_copies(tmp_path, layout):
    folder = tmp_path / "sub" / "s1" / ("gradient_descent" if layout == "nbgrader" else "")
    touch(folder / "gradient_descent.ipynb", mtime=1000)
    touch(folder / "gradient_descent (1).ipynb", mtime=5000)
    touch(folder / ".ipynb_checkpoints" / "gradient_descent-checkpoint.ipynb", mtime=6000)
    touch(folder / "notes.txt")
    touch(folder / "timestamp.txt")  # nbgrader's: never a candidate, so never named as ignored
    found = ids([tmp_path / "sub"])["s1"]
    assert found.path == folder / "gradient_descent.ipynb"
    assert found.notebook["rule"] == "the notebook named gradient_descent.ipynb"
    prefix = "s1/gradient_descent/" if layout == "nbgrader" else "s1/"
    assert sorted(found.notebook["ignored"]) == sorted(prefix + n for n in (
        "gradient_descent (1).ipynb", ".ipynb_checkpoints/gradient_descent-checkpoint.ipynb"))


def test_the_name_matches_in_any_case_and_links_are_not_followed(tmp_path):
    touch(tmp_path / "s1" / "Gradient_Descent.ipynb", mtime=1000)
    touch(tmp_path / "s1" / "scratch.ipynb", mtime=5000)
    touch(tmp_path / "s1" / "._gradient_descent.ipynb", "\0\5\26\7", mtime=6000)  # macOS litter: not a candidate
    touch(tmp_path / "other" / "gradient_descent.ipynb")
    (tmp_path / "s1" / "gradient_descent.ipynb").symlink_to(tmp_path / "other" / "gradient_descent.ipynb")
    (tmp_path / "s2").symlink_to(tmp_path / "other", target_is_directory=True)
    result = collect([tmp_path], GD)
    found = {f.student: f for f in result.found}
    assert sorted(found) == ["other", "s1"]
    assert found["s1"].path == tmp_path / "s1" / "Gradient_Descent.ipynb"
    assert found["s1"].notebook == {"graded": "s1/Gradient_Descent.ipynb", "ignored": ["s1/scratch.ipynb"],
                                    "rule": "the notebook named gradient_descent.ipynb"}
    links = [n for n in result.notes if "symbolic link" in n]
    assert len(links) == 2 and any(n.endswith("s1/gradient_descent.ipynb: a symbolic link (gdkit follows no links "
                                              "inside a folder)") for n in links)


def test_an_nbgrader_tree_reads_only_this_assignments_folder(tmp_path):
    touch(tmp_path / "s1" / "gradient_descent" / "gradient_descent.ipynb")
    touch(tmp_path / "s1" / "tuning" / "tuning.ipynb", mtime=time.time() + 100)
    (tmp_path / "s2" / "gradient_descent").mkdir(parents=True)  # handed in nothing: still a row
    found = ids([tmp_path])
    assert found["s1"].notebook["ignored"] == []
    assert found["s2"].problem[0] == "missing-file" and "gradient_descent.ipynb" in found["s2"].problem[1]


def test_notebooks_named_one_by_one_are_read_together(tmp_path):
    old = touch(tmp_path / "a" / "carol.ipynb", mtime=1000)
    new = touch(tmp_path / "b" / "carol.ipynb", mtime=2000)
    copy = touch(tmp_path / "b" / "carol (1).ipynb")  # named on the command line: its own name is the id
    other = touch(tmp_path / "dave.json")  # named on the command line: graded whatever its name
    found = ids([old, new, copy, other])
    assert sorted(found) == ["carol", "carol (1)", "dave"]
    assert found["carol"].path == new and found["carol"].notebook["ignored"] == ["carol.ipynb"]
    assert found["carol"].shown == str(new) and found["dave"].path == other


def test_folders_without_notebooks_and_stray_files_are_notes_not_students(tmp_path):
    touch(tmp_path / "ann.ipynb")
    touch(tmp_path / "roster.csv", "a,b\n")
    touch(tmp_path / "old" / "readme.md", "hi")
    result = collect([tmp_path], GD)
    assert [f.student for f in result.found] == ["ann"]
    assert any("roster.csv" in n and "not a notebook" in n for n in result.notes)
    assert any("old" in n and "no notebook" in n for n in result.notes)


def test_the_output_folder_inside_the_submissions_is_not_read(tmp_path):
    touch(tmp_path / "ann.ipynb")
    touch(tmp_path / "grades" / "ann" / "record.json", "{}")
    touch(tmp_path / "grades" / "ann" / "copy.ipynb")  # even a notebook there is not a submission
    result = collect([tmp_path], GD, exclude=[tmp_path / "grades"])
    assert [f.student for f in result.found] == ["ann"] and result.notes == []


# ---- LMS downloads


def test_canvas_bulk_download(tmp_path):
    touch(tmp_path / "smithjohn_12345_67890_gradient_descent.ipynb", mtime=5000)
    # re-uploaded: Canvas renamed it; a later attachment id is a later upload, whatever the mtime
    touch(tmp_path / "doejane_LATE_23456_70001_gradient_descent-1.ipynb", mtime=1000)
    touch(tmp_path / "doejane_LATE_23456_70000_scratch.ipynb", mtime=9000)
    touch(tmp_path / "leeann_34567_71000_my_work-2.ipynb")
    touch(tmp_path / "anon_Ab1Cd_72000_gradient_descent.ipynb")
    touch(tmp_path / "kimbo_45678_text.html", "<p>see attachment</p>")
    found = ids([tmp_path])
    assert sorted(found) == ["12345", "23456", "34567", "45678", "anon_Ab1Cd"]
    assert lms_of(found["12345"]) == {"lms": "canvas", "lms_name": "smithjohn"}
    jane = found["23456"]
    assert lms_of(jane) == {"lms": "canvas", "lms_name": "doejane", "lms_late": True}
    assert jane.path.name == "doejane_LATE_23456_70001_gradient_descent-1.ipynb"  # named like the assignment
    assert jane.notebook["ignored"] == ["doejane_LATE_23456_70000_scratch.ipynb"]
    assert found["34567"].path.name.endswith("my_work-2.ipynb")
    assert "lms_name" not in found["anon_Ab1Cd"].extra
    assert found["45678"].problem[0] == "missing-file" and "kimbo_45678_text.html" in found["45678"].problem[1]


def test_canvas_newest_by_upload_order(tmp_path):
    touch(tmp_path / "doejane_23456_70000_first.ipynb", mtime=9000)
    touch(tmp_path / "doejane_23456_70100_second.ipynb", mtime=1000)
    found = ids([tmp_path])["23456"]
    assert found.path.name.endswith("second.ipynb") and "submission time" in found.notebook["rule"]


def test_moodle_folders_and_flattened_files(tmp_path):
    touch(tmp_path / "Ann Lee_101_assignsubmission_file_" / "gradient_descent.ipynb")
    touch(tmp_path / "Bo Chen_102_assignsubmission_file" / "sub" / "work.ipynb")  # newer Moodle: no '_'
    touch(tmp_path / "Cy Ray_103_assignsubmission_file_gradient_descent.ipynb")
    touch(tmp_path / "Cy Ray_103_assignsubmission_onlinetext_onlinetext.html", "<p>hi</p>")
    touch(tmp_path / "Di Oz_104_assignsubmission_file_" / "report.pdf", "%PDF")
    found = ids([tmp_path])
    assert sorted(found) == ["101", "102", "103", "104"]
    assert lms_of(found["101"]) == {"lms": "moodle", "lms_name": "Ann Lee"}
    assert found["102"].path.name == "work.ipynb"
    assert found["103"].path.name.endswith("_file_gradient_descent.ipynb")
    assert found["103"].notebook["ignored"] == []  # the online text is no notebook: not a candidate
    assert found["104"].problem[0] == "missing-file" and "report.pdf" in found["104"].problem[1]


def test_blackboard_download_with_receipts(tmp_path):
    stamp1, stamp2 = "2024-01-01-10-00-00", "2024-01-02-09-30-00"
    touch(tmp_path / f"Gradient Descent_jsmith_attempt_{stamp1}_gradient_descent.ipynb", mtime=9000)
    touch(tmp_path / f"Gradient Descent_jsmith_attempt_{stamp2}_gradient_descent.ipynb", mtime=1000)
    touch(tmp_path / f"Gradient Descent_jsmith_attempt_{stamp2}.txt",
          "Name: John Smith (jsmith)\nAssignment: Gradient Descent\nDate Submitted: ...\n")
    # a username with '_' in it: only the receipt can tell where the assignment's title ends
    touch(tmp_path / f"Gradient Descent_mary_k_attempt_{stamp1}_gd.ipynb")
    touch(tmp_path / f"Gradient Descent_mary_k_attempt_{stamp1}.txt", "Name: Mary Kay (mary_k)\n")
    found = ids([tmp_path])
    assert sorted(found) == ["jsmith", "mary_k"]
    john = found["jsmith"]
    assert john.path.name.startswith(f"Gradient Descent_jsmith_attempt_{stamp2}")  # the later attempt
    assert lms_of(john) == {"lms": "blackboard", "lms_name": "John Smith"}
    assert all(not n.endswith(".txt") for n in john.notebook["ignored"])  # receipts are not "handed in"
    assert found["mary_k"].extra["lms_name"] == "Mary Kay"


def test_a_zip_of_an_lms_download_gives_the_same_ids(tmp_path):
    folder = tmp_path / "dl"
    touch(folder / "smithjohn_12345_67890_gradient_descent.ipynb")
    touch(folder / "Ann Lee_101_assignsubmission_file_" / "gradient_descent.ipynb")
    touch(folder / "Gradient Descent_jsmith_attempt_2024-01-01-10-00-00_x.ipynb")
    touch(folder / "Gradient Descent_jsmith_attempt_2024-01-01-10-00-00.txt", "Name: John Smith (jsmith)\n")
    members = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    plain = zip_of(tmp_path / "class.zip", members)
    wrapped = zip_of(tmp_path / "wrapped.zip", {f"submissions/{k}": v for k, v in members.items()})
    want = {s: lms_of(f) for s, f in ids([folder]).items()}
    for archive in (plain, wrapped):
        with submissions([archive], GD) as result:
            got = {f.student: f for f in result.found}
            assert {s: lms_of(f) for s, f in got.items()} == want
            for f in got.values():  # unpacked, readable, named after the zip in records
                assert f.path.read_bytes() in members.values() and f.shown.startswith(f"{archive}:")
        assert not f.path.exists()  # the unpacked copy lives only as long as the grading
    assert sorted(ids([plain])) == sorted(want)  # without unpacking: the ids alone (gdkit merge --expect)


def test_a_students_own_zip_is_opened_one_level(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("work/gradient_descent.ipynb", NB)
        archive.writestr("work/deeper.zip", b"PK\x05\x06" + b"\0" * 18)
    zip_of(tmp_path / "class.zip", {"smithjohn_12345_67890_work.zip": inner.getvalue(),
                                    "doejane_23456_67891_broken.zip": b"not a zip"})
    with submissions([tmp_path / "class.zip"], GD) as result:
        found = {f.student: f for f in result.found}
        assert found["12345"].notebook["graded"] == "smithjohn_12345_67890_work.zip/work/gradient_descent.ipynb"
        assert found["12345"].path.read_text() == NB
        assert found["23456"].problem[0] == "missing-file"
        assert any("doejane" in n or "23456" in n for n in result.notes)


# ---- zips gdkit refuses, with one line, before anything is written


def _refused(tmp_path, archive, words):
    with pytest.raises(GdkitError) as failure:
        with submissions([archive], GD):
            pass
    message = str(failure.value)
    assert words in message and "\n" not in message
    return message


@pytest.mark.parametrize("name", ["../evil.ipynb", "/etc/evil.ipynb", "a/../../evil.ipynb", "C:/evil.ipynb",
                                  "a\\..\\..\\evil.ipynb"])
def test_path_traversal_is_refused(tmp_path, name):
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(zipfile.ZipInfo(name), NB)
    _refused(tmp_path, archive, "outside its own folder")
    assert not (tmp_path / "evil.ipynb").exists()


def test_symlinks_are_refused(tmp_path):
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as z:
        info = zipfile.ZipInfo("alice.ipynb")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(info, "/etc/passwd")
    _refused(tmp_path, archive, "symbolic link")


def overlapping_bomb(path: Path, members: int, size: int) -> Path:
    """A zip whose every entry points at the same compressed data (a classic zip bomb): tiny on
    disk, ``members * size`` bytes declared."""
    import struct
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = packer.compress(b"0" * size) + packer.flush()
    crc = zlib.crc32(b"0" * size)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, 8, 0) + b"s0.ipynb"
    directory = b""
    for i in range(members):
        name = f"s{i}.ipynb".encode()
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(data), size,
                                 len(name), 0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, members, members, len(directory), len(local) + len(data), 0)
    path.write_bytes(local + data + directory + end)
    return path


def test_a_zip_bomb_is_refused(tmp_path):
    # 300 entries of 20 MB each: 6 GB declared, 20 KB on disk
    archive = overlapping_bomb(tmp_path / "bomb.zip", 300, 20 << 20)
    assert archive.stat().st_size < 100_000
    _refused(tmp_path, archive, "zip bomb")


def test_declared_sizes_are_enforced_while_unpacking(tmp_path):
    # one entry that says 100 bytes and holds 1 MB: refused as it is written, nothing kept
    archive = overlapping_bomb(tmp_path / "liar.zip", 1, 1 << 20)
    raw = bytearray(archive.read_bytes())
    at = raw.rfind(b"PK\x01\x02")
    raw[at + 24:at + 28] = (100).to_bytes(4, "little")  # the central directory's uncompressed size
    archive.write_bytes(bytes(raw))
    _refused(tmp_path, archive, "s0.ipynb")


def test_password_protected_zips_are_refused(tmp_path):
    archive = tmp_path / "locked.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("notes/", b"")
        z.writestr("alice.ipynb", NB)
    raw = bytearray(archive.read_bytes())
    for signature, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # the encryption bit, as a password sets it
        where = raw.rfind(signature)
        raw[where + at] |= 0x1
    archive.write_bytes(bytes(raw))
    assert "alice.ipynb" in _refused(tmp_path, archive, "is password-protected")


def test_a_zip_larger_than_the_free_space_is_refused(tmp_path, monkeypatch):
    import shutil

    archive = zip_of(tmp_path / "class.zip", {"alice.ipynb": NB, "bob.ipynb": NB})
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10, 10, 100))
    message = _refused(tmp_path, archive, "MB unpacked but")
    assert "MB free; free some space or point TMPDIR elsewhere" in message


def test_too_many_members_and_broken_zips(tmp_path, monkeypatch):
    monkeypatch.setattr("gdkit.intake.MAX_MEMBERS", 5)
    archive = zip_of(tmp_path / "many.zip", {f"s{i}.ipynb": NB for i in range(6)})
    _refused(tmp_path, archive, "more than the 5")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip")
    _refused(tmp_path, broken, "not a readable zip")
    assert MAX_MEMBERS >= 10_000


def test_a_zipped_notebook_over_the_size_limit_is_that_students_row(tmp_path, monkeypatch):
    monkeypatch.setattr("gdkit.notebook.MAX_BYTES", 1000)
    archive = zip_of(tmp_path / "class.zip", {"big.ipynb": notebook("x = '" + "y" * 900 + "'\n"),
                                              "small.ipynb": NB})
    with submissions([archive], GD) as result:
        found = {f.student: f for f in result.found}
        assert found["big"].problem[0] == "too-large" and found["small"].problem is None


def test_bad_student_ids_and_duplicates_are_one_line_errors(tmp_path):
    touch(tmp_path / "a" / "ann.ipynb")
    touch(tmp_path / "b" / "ann.ipynb")
    with pytest.raises(GdkitError, match="two submissions for student 'ann'"):
        find_submissions([tmp_path / "a", tmp_path / "b"], GD)
    # the same folder twice is one submission, not two
    assert list(ids([tmp_path / "a", tmp_path / "a"])) == ["ann"]
    with pytest.raises(GdkitError, match="does not exist"):
        find_submissions([tmp_path / "nope"], GD)


# ---- real graded runs


SUITE = '''
import pytest
from gdkit.grading.checks import Fail


@pytest.mark.question("q1_double")
def test_double(student):
    """doubles a number"""
    if student.call("double", 2.0) != 4.0:
        raise Fail("double(x) must return 2 * x")


@pytest.mark.question("q2_halve")
def test_halve(student):
    """halves a number"""
    if student.call("halve", 3.0) != 1.5:
        raise Fail("halve(x) must return x / 2")
'''

TOML = '''name = "mini"
notebook = "mini.ipynb"
[[questions]]
id = "q1_double"
points = 50
functions = ["double"]
[[questions]]
id = "q2_halve"
points = 50
functions = ["halve"]
'''

RIGHT = notebook("def double(x):\n    return 2 * x\ndef halve(x):\n    return x / 2\n")
HALF = notebook("def double(x):\n    return 2 * x\ndef halve(x):\n    return x\n")
STUBS = notebook("def double(x):\n    raise NotImplementedError()\ndef halve(x):\n    raise NotImplementedError()\n")


@pytest.fixture()
def course(tmp_path):
    return write_course(tmp_path / "course", TOML, SUITE)


def grade(root, paths, out, **kw):
    return {r.student: r for r in runner.grade_submissions("mini", paths, outdir=out, root=root, quiet=True,
                                                             timeout=5.0, **kw)}


@pytest.mark.slow  # real graded runs
def test_graded_run_of_a_canvas_zip_with_copies(course, tmp_path):
    archive = zip_of(tmp_path / "canvas.zip", {
        "smithjohn_12345_67890_mini.ipynb": HALF,
        "smithjohn_12345_67999_mini-1.ipynb": RIGHT,  # the re-upload: graded
        "doejane_LATE_23456_70000_mini.ipynb": RIGHT,
        "leeann_34567_71000_essay.pdf": b"%PDF-1.4",
    })
    records = grade(course, [archive], tmp_path / "out")
    john, jane, ann = records["12345"], records["23456"], records["34567"]
    assert (john.total, john.status) == (100, "ok")
    assert john.notebook["graded"] == "smithjohn_12345_67999_mini-1.ipynb"
    assert john.notebook["ignored"] == ["smithjohn_12345_67890_mini.ipynb"]
    assert john.path == f"{archive}:smithjohn_12345_67999_mini-1.ipynb"
    assert lms_of(john) == {"lms": "canvas", "lms_name": "smithjohn"}
    assert jane.extra["lms_late"] is True and jane.total == 100
    assert (ann.status, ann.total) == ("missing-file", 0) and "essay.pdf" in ann.reason
    saved = json.loads((tmp_path / "out" / "12345" / "record.json").read_text())
    assert saved["lms_name"] == "smithjohn" and saved["notebook"]["graded"].endswith("mini-1.ipynb")
    feedback = (tmp_path / "out" / "12345" / "feedback.md").read_text()
    # what was not graded, said once (Markdown may escape the underscores)
    assert len(re.findall(r"smithjohn\\?_12345\\?_67890\\?_mini\.ipynb", feedback)) == 1
    assert "smithjohn_12345_67890_mini.ipynb" in (tmp_path / "out" / "12345" / "feedback.html").read_text()
    # a rerun skips them all: the zip unpacks to the same files
    again = grade(course, [archive], tmp_path / "out")
    assert {s: r.total for s, r in again.items()} == {s: r.total for s, r in records.items()}


@pytest.mark.slow  # real graded runs
def test_wrong_assignment_versus_blank_release(course, tmp_path):
    subs = tmp_path / "subs"
    touch(subs / "blank.ipynb", STUBS)
    touch(subs / "other.ipynb", notebook("def best_alpha(final_errors):\n    return 1\n"))
    touch(subs / "empty.ipynb", notebook(""))
    # right assignment, broken: the definitions are there but their cell does not even compile
    touch(subs / "broken.ipynb", notebook("def double(x):\n    return 2 * x\ndef halve(x) return x\n"))
    touch(subs / "right.ipynb", RIGHT)
    records = grade(course, [subs], tmp_path / "out")
    assert (records["blank"].status, records["blank"].total) == ("ok", 0)
    for name in ("other", "empty"):
        record = records[name]
        assert (record.status, record.total) == ("wrong-assignment", 0)
        assert "double, halve" in record.reason and "mini.ipynb" in record.reason
    assert records["broken"].status == "ok" and records["broken"].cells
    assert records["right"].total == 100
    table = {r["student"]: r for r in csv.DictReader(open(tmp_path / "out" / "grades.csv"))}
    assert table["other"]["status"] == "wrong-assignment"
    assert "not this assignment" in (tmp_path / "out" / "other" / "feedback.md").read_text()


@pytest.mark.slow  # real graded runs
def test_regrading_one_student_keeps_every_other_row(course, tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    for name, text in (("ann", RIGHT), ("ben", HALF), ("cat", STUBS), ("dan", "{ not json")):
        touch(subs / f"{name}.ipynb", text)
    grade(course, [subs], out)
    rows_before = {r["student"]: r for r in csv.DictReader(open(out / "grades.csv"))}
    stamps = {s: (out / s / "record.json").stat().st_mtime_ns for s in ("ann", "cat", "dan")}
    # ben fixes his notebook; cat's changes too, but only ben is asked for; dan's record is an old one
    touch(subs / "ben.ipynb", RIGHT)
    touch(subs / "cat.ipynb", RIGHT)
    junit_before = (out / "junit.xml").read_text()
    records = grade(course, [subs], out, students=["ben"])
    rows = {r["student"]: r for r in csv.DictReader(open(out / "grades.csv"))}
    assert rows["ben"]["total"] == "100" and rows_before["ben"]["total"] == "50"
    for other in ("ann", "cat", "dan"):
        assert rows[other] == rows_before[other]  # kept, stale or not
        assert (out / other / "record.json").stat().st_mtime_ns == stamps[other]
    assert sorted(records) == ["ann", "ben", "cat", "dan"]
    junit = (out / "junit.xml").read_text()
    assert junit.count("testcase") == junit_before.count("testcase")
    # only the one named; a single notebook path works too
    grade(course, [subs / "cat.ipynb"], out, students=["cat"])
    rows = {r["student"]: r for r in csv.DictReader(open(out / "grades.csv"))}
    assert rows["cat"]["total"] == "100" and rows["ann"] == rows_before["ann"] and rows["ben"]["total"] == "100"


@pytest.mark.slow  # real graded runs
def test_student_option_errors_are_one_line_and_write_nothing(course, tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    touch(subs / "ann.ipynb", RIGHT)
    touch(subs / "ben.ipynb", RIGHT)
    with pytest.raises(GdkitError, match="grade the class first"):
        grade(course, [subs], out, students=["ann"])
    grade(course, [subs], out)
    before = (out / "grades.csv").read_text()
    with pytest.raises(GdkitError, match="no submission with that id"):
        grade(course, [subs], out, students=["zed"])
    with pytest.raises(GdkitError, match="--shard"):
        grade(course, [subs], out, students=["ann"], shard=(1, 2))
    (out / "ben" / "record.json").write_text("{ broken")
    with pytest.raises(GdkitError, match="cannot keep ben's row"):
        grade(course, [subs], out, students=["ann"])
    assert (out / "grades.csv").read_text() == before


@pytest.mark.slow  # real graded runs
def test_cli_student_option(course, tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    touch(subs / "ann.ipynb", HALF)
    touch(subs / "ben.ipynb", HALF)
    env = dict(os.environ, GDKIT_ROOT=str(course))
    base = [sys.executable, "-m", "gdkit.cli", "grade", str(subs), "-a", "mini", "--out", str(out), "-q"]
    assert subprocess.run(base, env=env).returncode == 0
    touch(subs / "ann.ipynb", RIGHT)
    touch(subs / "ben.ipynb", RIGHT)
    done = subprocess.run(base + ["--student", "ann"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rows = {r["student"]: r["total"] for r in csv.DictReader(open(out / "grades.csv"))}
    assert rows == {"ann": "100", "ben": "50"}
    bad = subprocess.run(base + ["--student", "nobody"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "nobody" in bad.stderr
