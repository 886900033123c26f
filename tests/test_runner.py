"""The grading pipeline on a small course of its own: outputs, resume, lock, shards, bad input.

The course here is deliberately tiny (one function, two questions) so that these tests check
the runner itself; the real assignments' suites are checked by `gdkit validate`.
"""
import csv
import fcntl
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

import nbformat

from gdkit.errors import GdkitError
from gdkit.grading import runner
from minicourse import notebook, write_course

SUITE = '''
import numpy as np
import pytest
from gdkit.grading.checks import Fail
from gdkit.grading.randomness import rng


@pytest.mark.question("q1_double", weight=1)
def test_double_small(student):
    """doubles a number"""
    if student.call("double", 2.0) != 4.0:
        raise Fail("double(x) must return 2 * x", hint="multiply by two")


@pytest.mark.question("q1_double", weight=3)
def test_double_array(student):
    """doubles every entry of an array"""
    x = rng.random((3, 2))
    got = student.call("double", x)
    if not (isinstance(got, np.ndarray) and np.allclose(got, 2 * x)):
        raise Fail(f"double(x) must double every entry (inputs summing to {x.sum():.12f})")


@pytest.mark.question("q2_halve")
def test_halve(student):
    """halves a number"""
    student.artifacts["training_curve"] = {"student": [0.5, 0.25, 0.1], "reference": [0.5, 0.3, 0.2], "label": "demo"}
    if student.call("halve", 3.0) != 1.5:
        raise Fail("halve(x) must return x / 2")
'''

TOML = '''name = "mini"
notebook = "mini.ipynb"
[[questions]]
id = "q1_double"
points = 40
functions = ["double"]
[[questions]]
id = "q2_halve"
points = 60
functions = ["halve"]
'''


@pytest.fixture()
def course(tmp_path):
    root = tmp_path / "course"
    write_course(root, TOML, SUITE)
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ann.ipynb").write_text(notebook("def double(x):\n    return 2 * x\ndef halve(x):\n    return x / 2\n"))
    (subs / "ben.ipynb").write_text(notebook("def double(x):\n    return x + 2\ndef halve(x):\n    return x / 2\n"))
    (subs / "cat.ipynb").write_text(notebook("import os\nos._exit(1)\n"))
    (subs / "dan.ipynb").write_text("{ not json")
    (subs / "eve.ipynb").write_text(notebook("def double(x):\n    while True:\n        pass\ndef halve(x):\n    return x / 2\n"))
    return root, subs


def grade(course, out, **kw):
    root, subs = course
    kw.setdefault("timeout", 2.0)
    return runner.grade_submissions("mini", [subs], outdir=out, root=root, quiet=True, **kw)


def rows(out):
    with open(out / "grades.csv") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def test_grades_every_submission_with_a_truthful_status(course, tmp_path):
    out = tmp_path / "out"
    grade(course, out, jobs=2)
    table = rows(out)
    assert list(next(iter(table.values()))) == ["student", "q1_double", "q2_halve", "total", "max_total",
                                                 "status", "reason"]
    assert (table["ann"]["total"], table["ann"]["status"]) == ("100", "ok")
    # x + 2 happens to double 2.0: the small check passes (weight 1 of 4), the array check does not
    assert (table["ben"]["q1_double"], table["ben"]["q2_halve"], table["ben"]["status"]) == ("10", "60", "ok")
    assert (table["cat"]["total"], table["cat"]["status"]) == ("0", "crashed")
    assert table["dan"]["status"] == "invalid-json" and "not valid JSON" in table["dan"]["reason"]
    # eve's double hangs: that question is lost, the other one is still graded
    assert (table["eve"]["q1_double"], table["eve"]["q2_halve"], table["eve"]["status"]) == ("0", "60", "timeout")


@pytest.mark.slow  # real grading runs: seconds
def test_partial_credit_follows_weights(course, tmp_path):
    root, subs = course
    (subs / "fay.ipynb").write_text(notebook("def double(x):\n    return 4.0 if x == 2.0 else x\n"))
    out = tmp_path / "out"
    runner.grade_submissions("mini", [subs / "fay.ipynb"], outdir=out, root=root, quiet=True)
    assert rows(out)["fay"]["q1_double"] == "10"  # 1 of 4 weight units of 40 points


@pytest.mark.slow  # real grading runs: seconds
def test_results_json_feedback_and_junit(course, tmp_path):
    out = tmp_path / "out"
    grade(course, out)
    results = json.loads((out / "ben" / "results.json").read_text())
    assert results["score"] == 70
    scored = [t for t in results["tests"] if "score" in t]  # one per question; the checks follow, unscored
    assert [t["name"] for t in scored] == ["q1_double", "q2_halve"]
    for t in scored:
        assert set(t) >= {"name", "score", "max_score", "output", "visibility"}
    checks = [t for t in results["tests"] if "score" not in t]
    assert any("double(x) must double every entry" in t["output"] and t["status"] == "failed" for t in checks)
    assert scored[1]["output"] == "1 of 1 checks passed."
    html = (out / "ben" / "feedback.html").read_text()
    assert "<svg" in html and "double every entry" in html and "q1_double" in html
    md = (out / "ben" / "feedback.md").read_text()
    assert "double(x) must double every entry" in md
    # hidden test code never reaches a student
    for student in ("ann", "ben", "cat", "dan", "eve"):
        for name in ("results.json", "feedback.md", "feedback.html"):
            text = (out / student / name).read_text()
            assert "default_rng" not in text and "student.call" not in text
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
    assert suite.get("tests") == "10"
    failed = {c.get("classname") + ":" + c.get("name") for c in suite if c.find("failure") is not None}
    assert "mini.ben:q1_double" in failed and "mini.ann:q1_double" not in failed


@pytest.mark.slow  # real grading runs: seconds
def test_rerun_skips_finished_students_unless_forced(course, tmp_path):
    out = tmp_path / "out"
    grade(course, out)
    first = (out / "grades.csv").read_text()
    stamp = (out / "ann" / "record.json").stat().st_mtime_ns
    grade(course, out)
    assert (out / "ann" / "record.json").stat().st_mtime_ns == stamp
    assert (out / "grades.csv").read_text() == first
    grade(course, out, force=True)
    assert (out / "ann" / "record.json").stat().st_mtime_ns != stamp
    assert (out / "grades.csv").read_text() == first


@pytest.mark.slow  # real grading runs: seconds
def test_shards_partition_and_match_unsharded(course, tmp_path):
    whole = tmp_path / "whole"
    grade(course, whole)
    seen = []
    for k in (1, 2, 3):
        part = tmp_path / f"part{k}"
        records = grade(course, part, shard=(k, 3))
        seen += [r.student for r in records]
        for r in records:
            assert r.total == json.loads((whole / r.student / "record.json").read_text())["total"]
    assert sorted(seen) == ["ann", "ben", "cat", "dan", "eve"]


def test_lock_refuses_a_second_run(course, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out / runner.LOCK, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(GdkitError, match="another gdkit grade"):
            grade(course, out)
    finally:
        os.close(fd)


@pytest.mark.parametrize("kwargs, message", [
    ({"jobs": 0}, "--jobs"),
    ({"timeout": float("nan")}, "timeout must be a positive number"),
])
def test_bad_arguments(course, tmp_path, kwargs, message):
    with pytest.raises(GdkitError, match=message):
        grade(course, tmp_path / "out", **kwargs)


def test_missing_paths_and_assignment(course, tmp_path):
    root, _ = course
    with pytest.raises(GdkitError, match="does not exist"):
        runner.grade_submissions("mini", [tmp_path / "nope"], outdir=tmp_path / "o", root=root)
    with pytest.raises(GdkitError, match="no assignment named"):
        runner.grade_submissions("nope", [tmp_path], outdir=tmp_path / "o", root=root)


def test_unwritable_outdir_is_one_line_error(course, tmp_path):
    target = tmp_path / "file-not-dir"
    target.write_text("x")
    with pytest.raises(GdkitError, match="cannot write"):
        grade(course, target / "sub")


@pytest.mark.slow  # real grading runs: seconds
def test_nbgrader_submitted_tree(course, tmp_path):
    root, subs = course
    tree = tmp_path / "submitted"
    for student in ("s1", "s2"):
        (tree / student / "mini").mkdir(parents=True)
        (tree / student / "mini" / "mini.ipynb").write_text((subs / "ann.ipynb").read_text())
    records = runner.grade_submissions("mini", [tree], outdir=tmp_path / "o", root=root, quiet=True)
    assert sorted((r.student, r.total) for r in records) == [("s1", 100.0), ("s2", 100.0)]


@pytest.mark.slow  # real grading runs: seconds
def test_cli_exit_codes(course, tmp_path):
    root, subs = course
    env = dict(os.environ, GDKIT_ROOT=str(root))
    ok = subprocess.run([sys.executable, "-m", "gdkit.cli", "grade", str(subs / "ann.ipynb"), "-a", "mini",
                         "--out", str(tmp_path / "o")], env=env, capture_output=True, text=True)
    assert ok.returncode == 0 and "ann" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "gdkit.cli", "grade", "-a", "nope", "--out", str(tmp_path / "o")],
                         env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr


def _descendants(pid):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    children.setdefault(int(f.read().rsplit(")", 1)[1].split()[1]), []).append(int(entry))
            except OSError:
                pass
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow  # real grading runs: seconds
def test_killing_the_command_alone_kills_every_process_it_started(course, tmp_path):
    import signal
    import time
    root, subs = course
    env = dict(os.environ, GDKIT_ROOT=str(root))
    # eve hangs in double(): the run is still busy when we kill it
    proc = subprocess.Popen([sys.executable, "-m", "gdkit.cli", "grade", str(subs), "-a", "mini", "--jobs", "2",
                             "--timeout", "30", "--out", str(tmp_path / "o"), "-q"], env=env)
    deadline = time.monotonic() + 30
    started = set()
    while time.monotonic() < deadline and len(started) < 4:  # sessions, zygotes and workers
        started |= _descendants(proc.pid)
        time.sleep(0.1)
    assert len(started) >= 4
    os.kill(proc.pid, signal.SIGKILL)  # the command only, not its process group
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in started):
        time.sleep(0.1)
    assert not [p for p in started if _alive(p)]


@pytest.mark.slow  # real grading runs: seconds
def test_a_students_random_inputs_do_not_depend_on_who_else_is_graded(course, tmp_path):
    root, subs = course
    # q1's array check draws random inputs: 'close' is right only for some of them
    (subs / "gus.ipynb").write_text(notebook(
        "import numpy as np\ndef double(x):\n    x = np.asarray(x)\n    return np.where(x > 0.5, 2 * x, x)\n"
        "def halve(x):\n    return x / 2\n"))
    alone = runner.grade_submissions("mini", [subs / "gus.ipynb"], outdir=tmp_path / "a", root=root, quiet=True,
                                     seed=7)
    crowd = runner.grade_submissions("mini", [subs], outdir=tmp_path / "b", root=root, quiet=True, seed=7,
                                     jobs=2, timeout=1.0)
    again = runner.grade_submissions("mini", [subs / "gus.ipynb"], outdir=tmp_path / "c", root=root, quiet=True,
                                     seed=8)
    gus = lambda records: next(r for r in records if r.student == "gus").to_json()["questions"]  # noqa: E731
    # the failure message quotes the drawn inputs: equal messages mean equal inputs
    assert gus(alone) == gus(crowd)
    assert gus(again) != gus(alone)  # another seed draws other inputs


@pytest.mark.slow  # real grading runs: seconds
def test_stale_records_are_regraded(course, tmp_path):
    root, subs = course
    out = tmp_path / "out"
    grade(course, out)
    assert rows(out)["ben"]["total"] == "70"
    # ben hands in a fixed notebook: his old record no longer matches the file
    (subs / "ben.ipynb").write_text((subs / "ann.ipynb").read_text())
    grade(course, out)
    assert rows(out)["ben"]["total"] == "100"
    # another seed draws other inputs: every record is stale
    stamp = (out / "ann" / "record.json").stat().st_mtime_ns
    grade(course, out, seed=12345)
    assert (out / "ann" / "record.json").stat().st_mtime_ns != stamp


@pytest.mark.parametrize("seed, env", [(-1, None), (None, "abc"), (None, "-3")])
def test_bad_seeds_are_one_line_errors(course, tmp_path, monkeypatch, seed, env):
    if env is not None:
        monkeypatch.setenv("GDKIT_SEED", env)
    with pytest.raises(GdkitError, match="(?i)seed"):
        grade(course, tmp_path / "out", seed=seed)


@pytest.mark.slow  # real grading runs: seconds
def test_student_folder_without_notebook_gets_a_row(course, tmp_path):
    root, subs = course
    tree = tmp_path / "submitted"
    (tree / "s1" / "mini").mkdir(parents=True)
    (tree / "s1" / "mini" / "mini.ipynb").write_text((subs / "ann.ipynb").read_text())
    (tree / "s2" / "mini").mkdir(parents=True)  # handed in nothing
    records = {r.student: r for r in runner.grade_submissions("mini", [tree], outdir=tmp_path / "o", root=root,
                                                                quiet=True)}
    assert records["s1"].total == 100 and records["s2"].status == "missing-file"


@pytest.mark.slow  # real grading runs: seconds
def test_junit_survives_control_characters(course, tmp_path):
    root, subs = course
    out = tmp_path / "out"
    grade(course, out)
    ET.parse(out / "junit.xml")  # parses: no XML-illegal characters
    # A file name (so a student id) with a control character in it is refused in one line before
    # anything is graded: it would reach junit.xml, grades.csv and the terminal's summary as is.
    (subs / "zed\x01.ipynb").write_text(notebook("def double(x):\n    return x\n"))
    with pytest.raises(GdkitError, match=r"student id 'zed\\x01' .* rename it"):
        grade(course, tmp_path / "out2")
    assert not (tmp_path / "out2" / "junit.xml").exists()


@pytest.mark.slow  # real grading runs: seconds
def test_public_examples_cannot_replay_hidden_inputs(tmp_path):
    """A worker keeps state between calls: a function that remembers what it was given and
    answers the public example with it must show only public values in the feedback."""
    import re

    from gdkit.submissions import fill_solutions, master_answers, release_path

    release = nbformat.read(release_path("gradient_descent"), as_version=4)
    mallory = {**master_answers("gradient_descent"), "sigmoid_output_to_derivative": (
        "SHAPES = set()\n"
        "def sigmoid_output_to_derivative(output):\n"
        "    SHAPES.add(np.shape(output))\n"
        "    if np.shape(output) == (2, 2):  # the public example: replay what was seen\n"
        "        raise ValueError('SHAPES' + str(sorted(SHAPES)))\n"
        "    return output * (1 + output)  # wrong on hidden inputs, so feedback shows the example\n")}
    subs = tmp_path / "subs"
    subs.mkdir()
    nbformat.write(fill_solutions(release, mallory), subs / "mallory.ipynb")
    runner.grade_submissions("gradient_descent", [subs], outdir=tmp_path / "out", quiet=True)
    feedback = (tmp_path / "out" / "mallory" / "feedback.md").read_text()
    shown = re.findall(r"SHAPES\[[^\]]*\]", feedback)
    assert shown and set(shown) == {"SHAPES[(2, 2)]"}  # the public example's shape only


@pytest.mark.slow  # real grading runs: seconds
def test_a_broken_check_is_a_grader_error_retried_on_the_next_run(tmp_path):
    root = write_course(tmp_path / "course", TOML, SUITE + '''

@pytest.mark.question("q2_halve", weight=1)
def test_broken_in_the_suite(student):
    """a check with a bug of its own"""
    return 1 / 0
''')
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ann.ipynb").write_text(notebook("def double(x):\n    return 2 * x\ndef halve(x):\n    return x / 2\n"))
    env = dict(os.environ, GDKIT_ROOT=str(root))
    cmd = [sys.executable, "-m", "gdkit.cli", "grade", str(subs), "-a", "mini", "--out", str(tmp_path / "o"), "-q"]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert first.returncode == 1 and "grader failed" in first.stderr
    assert rows(tmp_path / "o")["ann"]["status"] == "grader-error"
    stamp = (tmp_path / "o" / "ann" / "record.json").stat().st_mtime_ns
    subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert (tmp_path / "o" / "ann" / "record.json").stat().st_mtime_ns != stamp  # graded again
    feedback = (tmp_path / "o" / "ann" / "feedback.md").read_text()
    assert "1 / 0" not in feedback and "ZeroDivisionError" not in feedback


@pytest.mark.slow  # real grading runs: seconds
def test_an_unsendable_result_gets_a_plain_sentence(course, tmp_path):
    root, subs = course
    (subs / "ivy.ipynb").write_text(notebook("import numpy as np\ndef double(x):\n    return np.array(['a'])\n"
                                             "def halve(x):\n    return x / 2\n"))
    records = runner.grade_submissions("mini", [subs / "ivy.ipynb"], outdir=tmp_path / "o", root=root, quiet=True)
    messages = [t.message for q in records[0].questions for t in q.failed]
    assert messages and all("cannot be graded" in m for m in messages)


def test_a_bundled_example_is_graded_by_the_real_suite(tmp_path):
    """One real notebook of the bundled assignment through the whole pipeline, hidden suite and
    training run included (the tests above use the mini course; `gdkit validate` grades the rest)."""
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "out"
    [record] = runner.grade_submissions("gradient_descent", [repo / "examples" / "submissions" / "carol.ipynb"],
                                        outdir=out, root=repo, quiet=True)
    points = {q.id: q.points for q in record.questions}
    lost = {"q4_update_synapses", "q5_convergence"}  # carol's update climbs the slope (+=); the rest is right
    assert record.status == "ok" and record.scores() == {q: 0.0 if q in lost else p for q, p in points.items()}
    expected = sum(p for q, p in points.items() if q not in lost)
    assert record.total == expected and rows(out)["carol"]["total"] == f"{expected:g}"
    assert "q4_update_synapses" in (out / "carol" / "feedback.md").read_text()
