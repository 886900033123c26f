"""``gdkit release``: student notebooks made from the master notebooks by nbgrader itself.

Before nbgrader runs, each master is checked against its grading definition (one line per
problem: points that differ from ``assignment.toml``, a test cell that would not grade on
nbgrader's path) and synced with its plain-text twin (:mod:`gdkit.twin`).

nbgrader's GenerateAssignment converter does the real work (stubs, removal of solution and
hidden-test regions, cell locks, checksums). It runs in a throw-away course directory so that
the repository's own gradebook and timestamps never influence the result; the output is then
re-serialised by nbformat so that two runs give byte-identical files and ``--check`` can compare.
"""
from __future__ import annotations

import logging
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from gdkit import twin
from gdkit.course import RELEASE_DIR, SOURCE_DIR, SUITE_DIR, Course, resolve  # noqa: F401 - re-exported
from gdkit.errors import GdkitError

# Things beside a master that are never part of a release (nbgrader_config.py ignores the same
# ones): above all the master's text twin, which holds the solutions.
IGNORED = (".ipynb_checkpoints", "__pycache__", "*.pyc", "feedback", f"*{twin.SUFFIX}")
_IGNORED = shutil.ignore_patterns(*IGNORED)


def find_course(where=None) -> Course:
    """The course to release (see :func:`gdkit.course.resolve`); it must hold ``solutions/``."""
    course = resolve(where)
    if not course.source_dir.is_dir():
        raise GdkitError(f"{course.root} has no '{SOURCE_DIR}/' folder: run inside a course (gdkit init "
                         "makes one) or pass --course DIR")
    return course


def find_root(root: Path | None = None) -> Path:
    """The root of the course holding ``solutions/`` (kept for callers that want a path)."""
    return find_course(root).root


def available_assignments(root=None) -> list[str]:
    """Names of the folders in ``solutions/`` that hold at least one master notebook."""
    return resolve(root).masters()


def _check_names(names, course: Course) -> list[str]:
    known = course.masters()
    if not names:
        return known
    for name in names:
        if name not in known:
            raise GdkitError(f"unknown assignment '{name}': expected one of {', '.join(known) or '(none)'} "
                             f"(folders with a notebook in {course.source_dir})")
    return list(dict.fromkeys(names))


class _ErrorCollector(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())

    def reason(self) -> str:
        """The most specific line nbgrader logged: the end of its first traceback, if any."""
        for message in self.messages:
            if "Traceback" in message:
                return message.strip().splitlines()[-1]
        return self.messages[0].strip().splitlines()[-1] if self.messages else ""


def _normalise(path: Path) -> bytes:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return (nbformat.writes(nb) + "\n").encode("utf-8")


def generate(assignment: str, root=None) -> dict[str, bytes]:
    """Run nbgrader's generate-assignment on one master folder of the course at ``root``.

    Returns {path relative to ``assignments/<assignment>/``: file bytes}; writes nothing in root.
    """
    root = find_course(root).root
    # Imported here: nbgrader pulls in sqlalchemy and friends, too slow for `gdkit --help`.
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    with tempfile.TemporaryDirectory(prefix="gdkit-release-") as tmp:
        course = Path(tmp)
        shutil.copytree(Path(root) / SOURCE_DIR / assignment, course / "source" / assignment, ignore=_IGNORED)
        config = Config()
        config.CourseDirectory.root = str(course)
        config.CourseDirectory.source_directory = "source"
        config.CourseDirectory.release_directory = "release"
        config.CourseDirectory.assignment_id = assignment
        config.GenerateAssignment.force = True
        # nbgrader's own `--no-db`: the gradebook is for grading with nbgrader; building it costs
        # seconds (an alembic subprocess) and changes nothing in the release.
        config.GenerateAssignment.no_database = True
        config.SaveCells.enabled = False
        # nbgrader explains failures only in its log, so keep its errors for our one-line message
        # (on a private logger: the shared "traitlets" one belongs to whoever else runs here).
        errors = _ErrorCollector()
        log = logging.getLogger(f"gdkit.release.nbgrader.{assignment}")
        log.propagate = False
        log.addHandler(errors)
        coursedir = CourseDirectory(config=config, log=log)
        converter = GenerateAssignment(coursedir=coursedir, config=config, log=log)
        try:
            converter.start()
        except Exception as exc:  # nbgrader reports bad cell metadata etc. as assorted exceptions
            raise GdkitError(f"nbgrader could not generate '{assignment}': {errors.reason() or exc} "
                             f"(fix the master in {SOURCE_DIR}/{assignment}/)") from exc
        finally:
            log.removeHandler(errors)
        out = course / "release" / assignment
        if not out.is_dir():
            raise GdkitError(f"nbgrader produced no release for '{assignment}': "
                             f"check the notebooks in {SOURCE_DIR}/{assignment}/")
        files = {}
        for path in sorted(p for p in out.rglob("*") if p.is_file()):
            rel = path.relative_to(out).as_posix()
            files[rel] = _normalise(path) if path.suffix == ".ipynb" else path.read_bytes()
        return files


def _graded_cells(nb) -> dict[str, tuple[Any, str, bool]]:
    """grade_id -> (points, source, is a test cell) of the master's nbgrader-graded cells; the
    points as the cell's metadata has them (any JSON value, or None: checked by the caller)."""
    cells: dict[str, tuple[Any, str, bool]] = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if isinstance(meta, dict) and meta.get("grade"):
            cells[str(meta.get("grade_id"))] = (meta.get("points"), cell.source, not meta.get("solution"))
    return cells


def master_problems(name: str, root=None) -> list[str]:
    """One line per way the master of ``name`` disagrees with its grading definition.

    Points live in both the master's graded cells (nbgrader's grades) and ``assignment.toml``
    (``gdkit grade``'s): they must be equal, question by question. Each question's test cell
    must end in the hidden ``grade_question(...)`` call for that very question, or nbgrader's
    autograde would not run the hidden suite there. Empty: nothing to fix.
    """
    course = resolve(root)
    definition_path = course.suite_dir / name / "assignment.toml"
    master = course.master_path(name)
    if not definition_path.is_file() or not master.is_file():
        return []  # a master with no grading definition yet (or not made): nothing to compare
    definition = course.assignment(name)
    where = f"{SOURCE_DIR}/{name}/{master.name}"
    toml = f"{SUITE_DIR}/{name}/assignment.toml"
    import nbformat

    cells = _graded_cells(nbformat.read(master, as_version=4))
    problems = []
    for question in definition.questions:
        if question.id not in cells:
            problems.append(f"{toml} gives {question.id} {question.points:g} points but {where} has no graded "
                            f"cell with that id; add its test cell or remove the question")
            continue
        points, source, is_test = cells[question.id]
        try:
            same = float(points) == question.points
        except (TypeError, ValueError):
            same = False
        if not same:
            given = "no" if points is None else f"{points:g}" if isinstance(points, (int, float)) else repr(points)
            problems.append(f"{question.id} has {given} points in {where} but {question.points:g} in {toml}; "
                            "make them equal")
        call = re.compile(r"grade_question\(\s*['\"]" + re.escape(definition.name) + r"['\"]\s*,\s*['\"]"
                          + re.escape(question.id) + r"['\"]")
        if is_test and not call.search(source):
            problems.append(f"the test cell {question.id} in {where} does not end in the hidden "
                            f"grade_question({definition.name!r}, {question.id!r}, globals()); nbgrader's "
                            "autograde would skip the hidden suite (see docs/authoring.md)")
    for grade_id, (points, _, _) in cells.items():
        if definition.question(grade_id) is None:
            problems.append(f"graded cell {grade_id} ({points!s} points) in {where} is no question of {toml}; "
                            "add it there or make the cell ungraded")
    return problems


def sync_twins(names=None, root=None) -> list[Path]:
    """Sync each master with its text twin (:func:`gdkit.twin.sync`); returns the files written."""
    course = find_course(root)
    written = []
    for name in _check_names(names, course):
        notebook = course.master_path(name)
        what = twin.sync(notebook)
        if what:
            written.append(twin.twin_path(notebook) if what == "twin" else notebook)
    return written


def release(names=None, root=None) -> list[Path]:
    """Regenerate ``assignments/<name>/`` for each name (default: all); returns the files written
    (twins or masters brought in sync included).

    ``root``: a :class:`~gdkit.course.Course`, its folder, or None (the course found from here).
    GdkitError, before anything is released, when a master disagrees with its grading definition.
    """
    course = find_course(root)
    names = _check_names(names, course)
    written = sync_twins(names, course)
    for name in names:
        problems = master_problems(name, course)
        if problems:
            more = f" (and {len(problems) - 1} more: gdkit release --check lists them)" if len(problems) > 1 else ""
            raise GdkitError(problems[0] + more)
    for name in names:
        files = generate(name, course.root)
        target = course.release_dir / name
        if target.exists():
            shutil.rmtree(target)
        for rel, data in files.items():
            path = target / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            written.append(path)
    return written


def stale(names=None, root=None) -> list[str]:
    """Release files (relative to root) that differ from what ``release`` would write now.

    Missing, changed and leftover files are all stale, and so is a master's text twin that
    differs from it. Empty list: ``assignments/`` is current.
    """
    course = find_course(root)
    problems = []
    for name in _check_names(names, course):
        notebook = course.master_path(name)
        if not twin.in_sync(notebook):
            missing = twin.twin_path(notebook) if notebook.is_file() else notebook
            problems.append(missing.relative_to(course.root).as_posix())
            if not notebook.is_file():
                continue
        expected = generate(name, course.root)
        target = course.release_dir / name
        present = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()} \
            if target.is_dir() else set()
        for rel in sorted(set(expected) | present):
            path = target / rel
            if rel not in expected or not path.is_file() or path.read_bytes() != expected[rel]:
                problems.append(f"{RELEASE_DIR}/{name}/{rel}")
    return problems
