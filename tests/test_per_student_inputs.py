"""Per-student hidden inputs (`[seed] per_student = true`): each student's inputs are drawn from
(course seed, test, student id), and the same student gets the same inputs on every platform
that spells their id the same way: `gdkit grade` (file name), the Gradescope bundle
(submission_metadata.json) and nbgrader's kernel (its student folder).

A mini course makes the draw observable: its one hidden test passes only when the student's
`f()` returns the number drawn for them, so a notebook that returns ann's number passes for
ann and fails for anyone else, on each platform."""
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gdkit.grading import randomness
from gdkit.grading import plugin
from minicourse import notebook, write_course

SEED = 4242
SUITE = '''import pytest
from gdkit.grading.randomness import rng


@pytest.mark.question("q1", weight=1)
def test_draw(student):
    """f() returns the number drawn for you."""
    assert student.call("f") == int(rng.integers(0, 10**9))
'''
TOML = 'name = "mini"\nnotebook = "mini.ipynb"\n[[questions]]\nid = "q1"\npoints = 1\nfunctions = ["f"]\n'


def drawn_for(student: str | None, per_student: bool = True) -> int:
    """The number the suite draws for ``student``: the test's own seeding, replayed."""
    randomness.start_run(SEED, per_student)
    randomness.start_test(plugin.test_key("test_mini.py", "test_draw"), student)
    return int(randomness.rng.integers(0, 10**9))


def test_draws_depend_on_the_student_only_when_asked():
    assert drawn_for("ann") != drawn_for("ben")
    assert drawn_for("ann") == drawn_for(" ANN ")  # ids compare without case and outer spaces
    assert drawn_for("ann", per_student=False) == drawn_for("ben", per_student=False)
    randomness.start_run(SEED, per_student=True)
    with pytest.raises(ValueError, match="student's id"):
        randomness.start_test("test_mini::test_draw", None)
    randomness.start_run(0)


@pytest.fixture()
def course(tmp_path):
    root = write_course(tmp_path / "course", TOML, SUITE)
    (root / "gdkit.toml").write_text(f'[course]\nname = "mini"\n\n[seed]\nper_student = true\n')
    release = root / "assignments" / "mini"
    release.mkdir(parents=True)
    (release / "mini.ipynb").write_text(notebook("def f():\n    raise NotImplementedError"))
    return root


def gdkit(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "gdkit.cli", *args], capture_output=True, text=True, timeout=300,
                          env=env, cwd=cwd)


def course_env(root: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("GDKIT_ROOT", "GDKIT_COURSE")}
    return {**env, "GDKIT_COURSE": str(root), "GDKIT_SEED": str(SEED)}


@pytest.mark.slow
def test_the_same_student_draws_the_same_inputs_on_every_platform(course, tmp_path, monkeypatch):
    ann_number = drawn_for("ann@example.org")
    answer = notebook(f"def f():\n    return {ann_number}")

    # gdkit grade: the student id is the file name
    subs = tmp_path / "subs"
    subs.mkdir()
    for student in ("ann@example.org", "ben@example.org"):
        (subs / f"{student}.ipynb").write_text(answer)
    out = tmp_path / "grades"
    result = gdkit("grade", str(subs), "-a", "mini", "--out", str(out), "--quiet", env=course_env(course))
    assert result.returncode == 0, result.stderr
    totals = {p.name: json.loads((p / "record.json").read_text())["total"] for p in out.iterdir() if p.is_dir()}
    assert totals == {"ann@example.org": 1.0, "ben@example.org": 0.0}

    # switching the policy off makes the records stale: regraded, now everyone draws alike
    (course / "gdkit.toml").write_text('[course]\nname = "mini"\n')
    result = gdkit("grade", str(subs), "-a", "mini", "--out", str(out), "--quiet", env=course_env(course))
    assert result.returncode == 0, result.stderr
    totals = {p.name: json.loads((p / "record.json").read_text())["total"] for p in out.iterdir() if p.is_dir()}
    assert totals == {"ann@example.org": 0.0, "ben@example.org": 0.0}  # ann's number is not the course-wide one
    (course / "gdkit.toml").write_text('[course]\nname = "mini"\n\n[seed]\nper_student = true\n')

    # Gradescope: the id is the submitter's email in submission_metadata.json
    bundle = tmp_path / "mini.zip"
    result = gdkit("export", "gradescope", "-a", "mini", "--out", str(bundle), env=course_env(course))
    assert result.returncode == 0, result.stderr
    scores = {}
    for email in ("Ann@Example.org", "ben@example.org"):
        root = tmp_path / f"autograder-{email}"
        (root / "source").mkdir(parents=True)
        (root / "submission").mkdir()
        with zipfile.ZipFile(bundle) as zf:
            zf.extractall(root / "source")
        shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
        os.chmod(root / "run_autograder", 0o755)
        (root / "submission" / "mini.ipynb").write_text(answer)
        (root / "submission_metadata.json").write_text(json.dumps({"users": [{"email": email, "id": 7, "name": "x"}]}))
        env = {**course_env(course), "GDKIT_AUTOGRADER_ROOT": str(root), "GDKIT_AUTOGRADER_PYTHON": sys.executable,
               "PYTHONPATH": str(root / "source" / "kit" / "src")}
        env.pop("GDKIT_COURSE")
        env.pop("GDKIT_SEED")  # the bundle carries the seed
        proc = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr
        scores[email] = json.loads((root / "results" / "results.json").read_text())["score"]
    assert scores == {"Ann@Example.org": 1.0, "ben@example.org": 0.0}

    # nbgrader's kernel: the id is the student folder autograde runs the notebook in
    from gdkit.grading.inkernel import grade_question

    monkeypatch.setenv("GDKIT_COURSE", str(course))
    monkeypatch.setenv("GDKIT_SEED", str(SEED))
    namespace = {}
    exec(f"def f():\n    return {ann_number}", namespace)
    points = {}
    for student in ("ann@example.org", "ben@example.org"):
        folder = tmp_path / "autograded" / student / "mini"
        folder.mkdir(parents=True)
        monkeypatch.chdir(folder)
        points[student] = grade_question("mini", "q1", namespace)
    assert points == {"ann@example.org": 1.0, "ben@example.org": 0.0}
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="cannot tell whose notebook"):
        grade_question("mini", "q1", namespace)


@pytest.mark.slow
def test_nbgrader_autograde_draws_per_student_as_gdkit_grade(tmp_path):
    """Real nbgrader autograde on the kit's course with per-student inputs: its kernels find
    the student's id in their folder (a kernel that could not would fail its grade cells), and
    the points equal `gdkit grade`'s with the same policy."""
    from gdkit.grading.runner import grade_submissions
    from gdkit.nbgrader_course import make_course

    repo = Path(__file__).resolve().parents[1]
    kit = tmp_path / "kit"
    for part in ("solutions", "autograder", "assignments"):
        shutil.copytree(repo / part / "gradient_descent", kit / part / "gradient_descent",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (kit / "gdkit.toml").write_text((repo / "gdkit.toml").read_text() + "\n[seed]\nper_student = true\n")
    examples = repo / "examples" / "submissions"
    submissions = {name: examples / f"{name}.ipynb" for name in ("alice", "erin")}
    course = make_course(tmp_path / "nbgrader", "gradient_descent", submissions, kit_root=kit)
    autograded = course.autograde(timeout=120)
    records = grade_submissions("gradient_descent", list(submissions.values()), outdir=tmp_path / "gdkit",
                                quiet=True, root=kit)
    assert all(r.extra.get("inputs") == "per-student" for r in records)
    for record in records:
        assert autograded.scores[record.student] == pytest.approx(record.scores(), abs=1e-6), record.student
    assert sum(autograded.scores["alice"].values()) == 100
