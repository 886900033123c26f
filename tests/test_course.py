"""The course: found by its gdkit.toml (never by a folder's name), its settings and assignments."""
import subprocess
import sys
from pathlib import Path

import pytest

from gdkit import assignments
from gdkit.course import MARKER, Course, locate, resolve
from gdkit.errors import GdkitError
from gdkit.sandbox.limits import Limits

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def no_course_env(monkeypatch):
    monkeypatch.delenv("GDKIT_COURSE", raising=False)
    monkeypatch.delenv("GDKIT_ROOT", raising=False)


def make_course(folder: Path, toml: str = '[course]\nname = "demo"\n') -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text(toml)
    return folder


def one_line(exc) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


def test_found_from_the_current_folder_and_its_parents(tmp_path, monkeypatch):
    course = make_course(tmp_path / "course")
    deep = course / "solutions" / "week1" / "notes"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    found = Course.find()
    assert found.root == course.resolve()
    assert found.name == "demo" and found.config["course"]["name"] == "demo"


def test_the_nearest_marker_wins(tmp_path, monkeypatch):
    outer = make_course(tmp_path / "outer")
    inner = make_course(outer / "inner", "")
    monkeypatch.chdir(inner)
    assert Course.find().root == inner.resolve()
    assert Course.find().name == "inner"  # no [course] name: the folder's


def test_a_folder_named_autograder_is_not_a_course(tmp_path, monkeypatch):
    # On Gradescope the machine's own folder is /autograder: a name proves nothing.
    place = tmp_path / "autograder" / "source"
    (tmp_path / "autograder" / "autograder" / "x").mkdir(parents=True)
    (tmp_path / "autograder" / "autograder" / "x" / "assignment.toml").write_text('notebook = "x.ipynb"\n')
    place.mkdir(parents=True)
    monkeypatch.chdir(place)
    assert locate() is None
    with pytest.raises(GdkitError) as failure:
        Course.find()
    assert "gdkit init" in one_line(failure) and MARKER in str(failure.value)
    assert assignments.available() == []


def test_explicit_folder_beats_environment_beats_current_folder(tmp_path, monkeypatch):
    here, env, given = (make_course(tmp_path / n) for n in ("here", "env", "given"))
    monkeypatch.chdir(here)
    assert Course.find().root == here.resolve()
    monkeypatch.setenv("GDKIT_COURSE", str(env))
    assert Course.find().root == env.resolve()
    assert Course.find(given).root == given.resolve()
    assert Course.find(str(given)).root == given.resolve()


def test_explicit_folders_must_be_courses(tmp_path, monkeypatch):
    (tmp_path / "plain").mkdir()
    for value, words in ((tmp_path / "missing", "does not exist"), (tmp_path / "plain", f"holds no {MARKER}")):
        with pytest.raises(GdkitError) as failure:
            Course.find(value)
        assert words in one_line(failure) and "gdkit init" in str(failure.value)
        monkeypatch.setenv("GDKIT_COURSE", str(value))
        with pytest.raises(GdkitError) as failure:
            Course.find()
        assert "$GDKIT_COURSE" in one_line(failure)
        monkeypatch.delenv("GDKIT_COURSE")


def test_gdkit_root_is_a_deprecated_alias(tmp_path, monkeypatch):
    bare = tmp_path / "bundle" / "course"
    bare.mkdir(parents=True)
    monkeypatch.setenv("GDKIT_ROOT", str(bare))
    course = Course.find()
    assert course.root == bare.resolve() and course.config == {} and course.limits == Limits()
    monkeypatch.setenv("GDKIT_COURSE", str(make_course(tmp_path / "new")))
    assert Course.find().root == (tmp_path / "new").resolve()  # the new name wins
    monkeypatch.delenv("GDKIT_COURSE")
    monkeypatch.setenv("GDKIT_ROOT", str(tmp_path / "nowhere"))
    with pytest.raises(GdkitError) as failure:
        Course.find()
    assert "GDKIT_COURSE" in one_line(failure)


def test_limits_are_the_limits_table_over_the_defaults(tmp_path):
    course = Course.at(make_course(tmp_path / "c", "[limits]\ntimeout = 3\nmemory_mb = 256\n"))
    assert course.limits == Limits(timeout=3, memory_mb=256)
    assert course.limits.output_kb == Limits().output_kb and course.limits.cpu == 18
    assert Course.at(make_course(tmp_path / "d", "")).limits == Limits()


@pytest.mark.parametrize("toml, words", [
    ("[limits]\ntimeout = -1\n", "timeout must be a positive number"),
    ("[limits]\ntimout = 5\n", "unknown limit(s) timout"),
    ("[limits]\nmemory_mb = 'lots'\n", "memory_mb must be a whole number"),
    ("limits = 5\n", "'limits' must be a table"),
    ("[course\nname = 1\n", "is not valid TOML"),
])
def test_bad_settings_are_one_line_errors_naming_the_file(tmp_path, toml, words):
    folder = make_course(tmp_path / "c", toml)
    with pytest.raises(GdkitError) as failure:
        Course.at(folder).limits
    text = one_line(failure)
    assert words in text and str(folder / MARKER) in text


def test_the_repository_is_the_bundled_course(monkeypatch):
    monkeypatch.chdir(REPO / "autograder")
    course = Course.find()
    assert course.root == REPO and course.name == "gradient-descent"
    assert course.available() == ["gradient_descent", "tuning"] == course.masters()
    definition = course.assignment("tuning")
    assert definition.root == REPO and definition.max_total == 100
    assert course.master_path("gradient_descent") == REPO / "solutions" / "gradient_descent" / "gradient_descent.ipynb"
    assert course.release_path("tuning") == REPO / "assignments" / "tuning" / "tuning.ipynb"
    assert course.limits.timeout == 10.0
    with pytest.raises(GdkitError, match="no assignment named 'nope'"):
        course.assignment("nope")


def test_resolve_takes_a_course_a_folder_or_nothing(tmp_path, monkeypatch):
    course = Course.at(REPO)
    assert resolve(course) is course
    assert resolve(REPO) == course
    bare = tmp_path / "suites-only"
    bare.mkdir()
    assert resolve(bare).config == {}  # programmatic roots (tests' mini-courses) need no marker
    monkeypatch.chdir(REPO)
    assert resolve(None) == course


@pytest.mark.slow
def test_commands_take_course_and_refuse_a_non_course(tmp_path):
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("GDKIT_COURSE", "GDKIT_ROOT")}
    done = subprocess.run([sys.executable, "-m", "gdkit.cli", "validate", "--course", str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "is not a course folder" in done.stderr
    done = subprocess.run([sys.executable, "-m", "gdkit.cli", "grade", "--out", str(tmp_path / "g")],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert done.returncode == 2 and "no course here" in done.stderr and "gdkit init" in done.stderr
    assert not (tmp_path / "g").exists()


def test_sandbox_ids_come_from_the_course(tmp_path):
    from gdkit.course import Course
    from gdkit.errors import GdkitError

    (tmp_path / "gdkit.toml").write_text("[sandbox]\nuid = 1234\ngid = 4321\n")
    assert Course.at(tmp_path).worker_ids == {"uid": 1234, "gid": 4321}
    (tmp_path / "gdkit.toml").write_text("[course]\nname = 'x'\n")
    assert Course.at(tmp_path).worker_ids == {"uid": 65534, "gid": 65534}
    for bad in ("[sandbox]\nuid = 0\n", "[sandbox]\nuser = 5\n", "[sandbox]\nuid = 'x'\n"):
        (tmp_path / "gdkit.toml").write_text(bad)
        with pytest.raises(GdkitError, match=r"\[sandbox\]"):
            Course.at(tmp_path).worker_ids
