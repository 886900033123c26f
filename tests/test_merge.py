"""`gdkit merge`: sharded runs joined back into the table one unsharded run writes, and refusals.

A tiny deterministic course (one function per question) keeps the grading fast; the runner's
own shard selection (`--shard K/N`) decides who lands where.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gdkit.grading import runner
from minicourse import notebook, write_course

SUITE = '''
import pytest
from gdkit.grading.checks import Fail


@pytest.mark.question("q1_double")
def test_double(student):
    """doubles a number"""
    if student.call("double", 3.0) != 6.0:
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
points = 40
[[questions]]
id = "q2_halve"
points = 60
'''

CODE = {"right": "def double(x):\n    return 2 * x\ndef halve(x):\n    return x / 2\n",
        "half": "def double(x):\n    return x + 2\ndef halve(x):\n    return x / 2\n",
        "blank": "pass\n"}
STUDENTS = {"ann": "right", "ben": "half", "cy": "blank", "dee": "right", "eli": "half", "fox": "right",
            "gus": "blank", "hal": "half"}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("merge")
    root = tmp_path / "course"
    write_course(root, TOML, SUITE)
    subs = tmp_path / "subs"
    subs.mkdir()
    for student, kind in STUDENTS.items():
        (subs / f"{student}.ipynb").write_text(notebook(CODE[kind]))
    (subs / "ivy.ipynb").write_text("{ broken")
    # every shard must hold someone, or the merge would be trivially right
    assert all(any(runner.in_shard(s, (k, 3)) for s in [*STUDENTS, "ivy"]) for k in (1, 2, 3))
    return root, subs


def gdkit(course, *args):
    env = {**os.environ, "GDKIT_ROOT": str(course[0])}
    return subprocess.run([sys.executable, "-m", "gdkit.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def grade(course, out, *extra):
    result = gdkit(course, "grade", str(course[1]), "--assignment", "mini", "--out", str(out), "--quiet",
                   "--jobs", "2", *extra)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def graded_shards(course, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("shards")
    return [grade(course, tmp_path / f"shard{k}", "--shard", f"{k}/3") for k in (1, 2, 3)]


@pytest.fixture()
def shards(graded_shards, tmp_path):
    """A fresh copy of the graded shards per test (tests damage them on purpose)."""
    return [Path(shutil.copytree(s, tmp_path / s.name)) for s in graded_shards]


@pytest.mark.slow  # real grading runs: seconds
def test_sharded_then_merged_equals_unsharded(course, shards, tmp_path):
    whole = grade(course, tmp_path / "whole")
    result = gdkit(course, "merge", *map(str, shards), "--out", str(tmp_path / "merged"), "--expect", str(course[1]))
    assert result.returncode == 0, result.stderr
    merged = tmp_path / "merged"
    assert (merged / "grades.csv").read_text() == (whole / "grades.csv").read_text()
    assert (merged / "junit.xml").read_text() == (whole / "junit.xml").read_text()
    for student in [*STUDENTS, "ivy"]:
        assert {p.name for p in (merged / student).iterdir()} == {p.name for p in (whole / student).iterdir()}
    assert "ann" in result.stdout and "3 shard(s)" in result.stdout
    # merging again into the same folder needs --force, and then gives the same table
    again = gdkit(course, "merge", *map(str, shards), "--out", str(merged))
    assert again.returncode == 2 and "--force" in again.stderr
    forced = gdkit(course, "merge", *map(str, shards), "--out", str(merged), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (merged / "grades.csv").read_text() == (whole / "grades.csv").read_text()


def refused(course, out, *args):
    result = gdkit(course, "merge", *map(str, args), "--out", str(out))
    assert result.returncode == 2, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("gdkit: error: ")
    assert not out.exists()  # nothing written
    return result.stderr


@pytest.mark.slow  # real grading runs: seconds
def test_overlapping_shards_are_refused(course, shards, tmp_path):
    donor = next(s for s in shards if any(p.is_dir() for p in s.iterdir()))
    student = next(p.name for p in donor.iterdir() if p.is_dir())
    other = next(s for s in shards if s != donor)
    shutil.copytree(donor / student, other / student)
    message = refused(course, tmp_path / "merged", *shards)
    assert f"student '{student}' is in two shards" in message


@pytest.mark.slow  # real grading runs: seconds
def test_missing_students_are_refused(course, shards, tmp_path):
    # a shard left out: only --expect can know
    result = gdkit(course, "merge", str(shards[0]), str(shards[1]), "--out", str(tmp_path / "m1"),
                   "--expect", str(course[1]))
    assert result.returncode == 2 and "no record in any shard" in result.stderr
    assert not (tmp_path / "m1").exists()
    # a student the shard lists in grades.csv but whose record is gone (the grader failed on them)
    victim = next(p for s in shards for p in s.iterdir() if p.is_dir())
    (victim / "record.json").unlink()
    message = refused(course, tmp_path / "m2", *shards)
    assert victim.name in message and "rerun that shard" in message


@pytest.mark.slow  # real grading runs: seconds
def test_shards_of_different_assignments_are_refused(course, shards, tmp_path):
    root, subs = course
    other = root / "autograder" / "mini2"
    shutil.rmtree(other, ignore_errors=True)
    shutil.copytree(root / "autograder" / "mini", other)
    (other / "assignment.toml").write_text(TOML.replace('"mini"', '"mini2"'))
    stray = tmp_path / "stray"
    result = gdkit(course, "grade", str(subs / "ann.ipynb"), "--assignment", "mini2", "--out", str(stray), "--quiet")
    assert result.returncode == 0, result.stderr
    message = refused(course, tmp_path / "merged", *shards, stray)
    assert "different assignment" in message


def test_not_a_grading_folder(course, tmp_path):
    (tmp_path / "empty").mkdir()
    assert "is it a 'gdkit grade --out' folder" in refused(course, tmp_path / "merged", tmp_path / "empty")
    assert "is not a folder" in refused(course, tmp_path / "merged", tmp_path / "nowhere")


@pytest.mark.slow  # real grading runs: seconds
def test_shards_graded_with_different_seeds_are_refused(course, tmp_path):
    root, subs = course
    shards = []
    for k, seed in ((1, 5), (2, 6)):
        out = tmp_path / f"s{k}"
        runner.grade_submissions("mini", [subs], outdir=out, root=root, quiet=True, shard=(k, 2), seed=seed)
        shards.append(out)
    from gdkit.errors import GdkitError
    from gdkit.merge import merge

    with pytest.raises(GdkitError, match="seed"):
        merge(shards, tmp_path / "merged", root=root)


@pytest.mark.slow  # real grading runs: seconds
def test_shards_graded_with_different_limits_are_refused(course, tmp_path):
    root, subs = course
    shards = []
    for k, timeout in ((1, 5.0), (2, 6.0)):
        out = tmp_path / f"shard{k}"
        runner.grade_submissions("mini", [subs], outdir=out, root=root, quiet=True, shard=(k, 2), timeout=timeout)
        shards.append(out)
    from gdkit.errors import GdkitError
    from gdkit.merge import merge

    with pytest.raises(GdkitError, match="set of limits"):
        merge(shards, tmp_path / "merged", root=root)
    assert not (tmp_path / "merged").exists()
