"""`gdkit release`: nbgrader's generate-assignment from solutions/ into assignments/, and --check."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from gdkit.cli import main
from gdkit.release import available_assignments, generate

ROOT = Path(__file__).resolve().parents[1]


def _copy_course(tmp_path: Path) -> Path:
    for folder in ("solutions", "assignments", "autograder"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "gdkit.toml", tmp_path / "gdkit.toml")
    return tmp_path


@pytest.mark.slow
def test_committed_releases_are_current(tmp_path):
    # The console script, as CI runs it (from anywhere, given the course): exit 0 and nothing stale.
    done = subprocess.run([sys.executable, "-m", "gdkit.cli", "release", "--check", "--course", str(ROOT)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout


@pytest.mark.slow
def test_check_names_the_stale_notebook_after_a_master_changes(tmp_path, capsys):
    course = _copy_course(tmp_path)
    master = course / "solutions" / "tuning" / "tuning.ipynb"
    nb = nbformat.read(master, as_version=4)
    nb.cells[0].source += "\n\nOne more sentence from the instructor."
    nbformat.write(nb, master)

    assert main(["release", "--check", "--root", str(course)]) == 1  # the old name of --course still works
    err = capsys.readouterr().err
    assert "assignments/tuning/tuning.ipynb" in err
    assert "gradient_descent" not in err

    # Regenerating repairs it, and a second run writes byte-identical files.
    assert main(["release", "tuning", "--course", str(course)]) == 0
    first = (course / "assignments" / "tuning" / "tuning.ipynb").read_bytes()
    assert main(["release", "--check", "--course", str(course)]) == 0
    assert main(["release", "tuning", "--course", str(course)]) == 0
    assert (course / "assignments" / "tuning" / "tuning.ipynb").read_bytes() == first


def test_check_reports_missing_and_leftover_files(tmp_path, capsys):
    course = _copy_course(tmp_path)
    (course / "assignments" / "gradient_descent" / "gradient_descent.ipynb").unlink()
    (course / "assignments" / "tuning" / "notes.txt").write_text("left behind")
    assert main(["release", "--check", "--course", str(course)]) == 1
    err = capsys.readouterr().err
    assert "assignments/gradient_descent/gradient_descent.ipynb" in err
    assert "assignments/tuning/notes.txt" in err


def test_unknown_assignment_is_one_line_and_exit_2(capsys):
    assert main(["release", "no_such_thing", "--course", str(ROOT)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "unknown assignment 'no_such_thing'" in err and "gradient_descent" in err


def test_a_course_without_solutions_or_no_course_is_a_user_error(tmp_path, capsys):
    assert main(["release", "--check", "--course", str(tmp_path)]) == 2
    assert "gdkit.toml" in capsys.readouterr().err
    (tmp_path / "gdkit.toml").write_text("")
    assert main(["release", "--check", "--course", str(tmp_path)]) == 2
    assert "has no 'solutions/' folder" in capsys.readouterr().err


def test_broken_master_metadata_is_reported_by_nbgrader(tmp_path, capsys):
    course = _copy_course(tmp_path)
    master = course / "solutions" / "gradient_descent" / "gradient_descent.ipynb"
    nb = nbformat.read(master, as_version=4)
    solutions = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    solutions[1].metadata["nbgrader"]["grade_id"] = solutions[0].metadata["nbgrader"]["grade_id"]
    nbformat.write(nb, master)
    assert main(["release", "gradient_descent", "--course", str(course)]) == 2
    err = capsys.readouterr().err
    assert "nbgrader could not generate 'gradient_descent'" in err and "sigmoid_output_to_derivative" in err
    assert err.count("\n") == 1


def test_missing_points_are_named(tmp_path, capsys):
    course = _copy_course(tmp_path)
    master = course / "solutions" / "gradient_descent" / "gradient_descent.ipynb"
    nb = nbformat.read(master, as_version=4)
    graded = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
    del graded.metadata["nbgrader"]["points"]
    nbformat.write(nb, master)
    assert main(["release", "gradient_descent", "--course", str(course)]) == 2
    assert "q1_sigmoid_derivative has no points in solutions/gradient_descent/gradient_descent.ipynb but 10 " \
           "in autograder/gradient_descent/assignment.toml" in capsys.readouterr().err


@pytest.mark.parametrize("assignment", available_assignments(ROOT))
def test_release_is_what_nbgrader_makes_of_the_master(assignment):
    files = generate(assignment, ROOT)
    assert list(files) == [f"{assignment}.ipynb"]
    nb = json.loads(files[f"{assignment}.ipynb"])
    nbformat.validate(nbformat.from_dict(nb))
    solution_cells = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
    assert solution_cells
    for cell in solution_cells:
        source = "".join(cell["source"])
        assert "raise NotImplementedError()" in source and "### BEGIN SOLUTION" not in source
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("locked") or meta.get("grade") or meta.get("solution"):
            assert meta.get("checksum"), f"nbgrader left no checksum on {meta.get('grade_id')}"
        if meta.get("locked"):
            assert cell["metadata"].get("editable") is False and cell["metadata"].get("deletable") is False
        assert "### BEGIN HIDDEN TESTS" not in "".join(cell["source"])


def test_repository_is_an_nbgrader_course():
    # nbgrader reads nbgrader_config.py as Python with `get_config` provided; do the same.
    from traitlets.config import Config

    config = Config()
    namespace = {"get_config": lambda: config, "__file__": str(ROOT / "nbgrader_config.py")}
    exec(compile((ROOT / "nbgrader_config.py").read_text(), "nbgrader_config.py", "exec"), namespace)
    assert config.CourseDirectory.source_directory == "solutions"
    assert config.CourseDirectory.release_directory == "assignments"
    assert Path(config.CourseDirectory.root) == ROOT


def test_nbgrader_never_copies_a_masters_text_twin():
    from traitlets.config import Config

    from gdkit.release import IGNORED

    config = Config()
    namespace = {"get_config": lambda: config, "__file__": str(ROOT / "nbgrader_config.py")}
    exec(compile((ROOT / "nbgrader_config.py").read_text(), "nbgrader_config.py", "exec"), namespace)
    assert sorted(config.CourseDirectory.ignore) == sorted(IGNORED) and "*.master.py" in IGNORED


def _set_points(course: Path, qid: str, points: int) -> None:
    toml = course / "autograder" / "tuning" / "assignment.toml"
    text = toml.read_text()
    head, tail = text.split(f'id = "{qid}"\npoints = ', 1)
    toml.write_text(head + f'id = "{qid}"\npoints = {points}' + tail[tail.index("\n"):])


def test_points_that_differ_from_assignment_toml_fail_check_and_release(tmp_path, capsys):
    course = _copy_course(tmp_path)
    _set_points(course, "q2_direction_changes", 25)
    assert main(["release", "--check", "--course", str(course)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["problem: q2_direction_changes has 20 points in solutions/tuning/tuning.ipynb but 25 in "
                   "autograder/tuning/assignment.toml; make them equal"]
    before = (course / "assignments" / "tuning" / "tuning.ipynb").read_bytes()
    assert main(["release", "tuning", "--course", str(course)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "q2_direction_changes has 20 points" in err
    assert (course / "assignments" / "tuning" / "tuning.ipynb").read_bytes() == before  # nothing released


def test_a_test_cell_must_grade_its_own_question_on_nbgraders_path(tmp_path, capsys):
    course = _copy_course(tmp_path)
    master = course / "solutions" / "tuning" / "tuning.ipynb"
    nb = nbformat.read(master, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q3_init_synapses")
    cell.source = cell.source.replace("'q3_init_synapses'", "'q4_error_surface'")
    extra = nbformat.v4.new_code_cell("assert True")
    extra.metadata["nbgrader"] = {"grade": True, "grade_id": "q9_bonus", "locked": True, "points": 5,
                                  "schema_version": 3, "solution": False, "task": False}
    nb.cells.append(extra)
    nbformat.write(nb, master)
    (course / "solutions" / "tuning" / "tuning.master.py").unlink()  # written again from the notebook
    assert main(["release", "--check", "--course", str(course)]) == 1
    err = capsys.readouterr().err
    assert "stale: solutions/tuning/tuning.master.py" in err
    assert "test cell q3_init_synapses in solutions/tuning/tuning.ipynb does not end in the hidden " \
           "grade_question('tuning', 'q3_init_synapses', globals())" in err
    assert "graded cell q9_bonus (5 points) in solutions/tuning/tuning.ipynb is no question of " \
           "autograder/tuning/assignment.toml" in err
    assert "gradient_descent" not in err


@pytest.mark.slow
def test_the_text_twin_is_kept_in_sync_both_ways(tmp_path, capsys):
    import os

    from gdkit import twin

    course = _copy_course(tmp_path)
    master = course / "solutions" / "tuning" / "tuning.ipynb"
    pair = twin.twin_path(master)
    assert pair.name == "tuning.master.py" and twin.in_sync(master)
    # An instructor edits the plain text: the check names the pair, release carries it through.
    text = pair.read_text()
    assert "# # Tuning gradient descent" in text
    pair.write_text(text.replace("# # Tuning gradient descent", "# # Tuning gradient descent, revised"))
    os.utime(pair, (master.stat().st_mtime + 5,) * 2)
    assert main(["release", "--check", "--course", str(course)]) == 1
    assert "stale: solutions/tuning/tuning.master.py" in capsys.readouterr().err
    assert main(["release", "tuning", "--course", str(course)]) == 0
    assert str(master) in capsys.readouterr().out
    assert nbformat.read(master, as_version=4).cells[0].source.startswith("# Tuning gradient descent, revised")
    released = nbformat.read(course / "assignments" / "tuning" / "tuning.ipynb", as_version=4)
    assert released.cells[0].source.startswith("# Tuning gradient descent, revised")
    assert sorted(p.name for p in (course / "assignments" / "tuning").iterdir()) == ["tuning.ipynb"]
    # Cell ids of unchanged cells survive the round trip (stable diffs of the notebook).
    assert [c.id for c in nbformat.read(master, as_version=4).cells] == \
        [c.id for c in nbformat.read(ROOT / "solutions" / "tuning" / "tuning.ipynb", as_version=4).cells]
    assert main(["release", "--check", "--course", str(course)]) == 0
    # Edited in Jupyter instead (the notebook is newer): the twin follows.
    nb = nbformat.read(master, as_version=4)
    nb.cells[0].source += "\n\nOne more line."
    nbformat.write(nb, master)
    os.utime(master, (pair.stat().st_mtime + 5,) * 2)
    assert main(["release", "tuning", "--course", str(course)]) == 0
    assert "# One more line." in pair.read_text() and twin.in_sync(master)
    # Only the twin at hand (a master written as text): the notebook is made from it.
    master.unlink()
    assert main(["release", "tuning", "--course", str(course)]) == 0
    assert twin.in_sync(master) and master.is_file()
