"""The course: a folder marked by ``gdkit.toml`` that the kit is pointed at.

A course holds ``solutions/`` (the master notebooks), ``assignments/`` (the student releases
nbgrader makes from them), ``autograder/`` (one hidden pytest suite per assignment) and
``gdkit.toml`` (what the course sets once: its name, default limits, and the tables other
features read, e.g. ``[feedback]``, ``[seed]``, ``[late]``). Release, grade, check, validate,
export and merge all work on one :class:`Course`::

    course = Course.find()            # --course DIR, $GDKIT_COURSE, or the current folder and its parents
    course.root                       # the folder holding gdkit.toml
    course.config                     # the parsed gdkit.toml (a dict); features read their own table
    course.limits                     # gdkit.sandbox.limits.Limits: [limits] over the defaults
    course.assignment("tuning")       # gdkit.assignments.Assignment (autograder/tuning/assignment.toml)
    course.available()                # names of the assignments with a grading definition

The course is found by its marker file only, never by a folder's name (on Gradescope the
grading machine's own folder is called ``/autograder``).
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from gdkit.errors import GdkitError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MARKER = "gdkit.toml"
SOURCE_DIR = "solutions"       # master notebooks: solutions/<name>/<notebook>
RELEASE_DIR = "assignments"    # student releases:  assignments/<name>/<notebook>
SUITE_DIR = "autograder"       # hidden suites:     autograder/<name>/assignment.toml, test_*.py
ENV = "GDKIT_COURSE"
LEGACY_ENV = "GDKIT_ROOT"      # the old name of $GDKIT_COURSE, still read (nbgrader kernels set it)


@dataclass(frozen=True)
class Course:
    """One course folder and its settings. Build it with :meth:`find` or :meth:`at`."""

    root: Path
    config: dict = field(default_factory=dict, compare=False, repr=False)

    # -- finding a course
    @classmethod
    def find(cls, course_dir=None) -> Course:
        """The course to work on: ``course_dir`` (``--course``), else ``$GDKIT_COURSE``, else the
        current folder or the nearest parent holding ``gdkit.toml``. GdkitError if there is none."""
        root = locate(course_dir)
        if root is None:
            here = Path.cwd()
            raise GdkitError(f"no course here: neither {here} nor a parent holds {MARKER}; run inside "
                             "a course folder, pass --course DIR, or make one with 'gdkit init DIR'")
        return cls.at(root, marker=(root / MARKER).is_file())

    @classmethod
    def at(cls, root, marker: bool = True) -> Course:
        """The course in folder ``root``. With ``marker`` its ``gdkit.toml`` must exist; without,
        a missing one means the defaults (a bare folder of suites, as tests and old bundles have)."""
        root = Path(root).resolve()
        if not root.is_dir():
            raise GdkitError(f"course folder {root} does not exist; pass the folder holding {MARKER}")
        path = root / MARKER
        if not path.is_file():
            if marker:
                raise GdkitError(f"{root} is not a course (no {MARKER}); make one with 'gdkit init {root}' "
                                 "or pass the folder that holds it")
            return cls(root, {})
        return cls(root, read_config(path))

    # -- what the course sets
    @property
    def name(self) -> str:
        """The course's name (``[course] name``), else its folder's name."""
        return str(self.config.get("course", {}).get("name") or self.root.name)

    @cached_property
    def limits(self):
        """The worker limits of this course: ``[limits]`` of gdkit.toml over the kit's defaults."""
        from gdkit.sandbox.limits import Limits

        table = self.config.get("limits", {})
        try:
            return Limits.from_json(table)
        except (TypeError, ValueError) as exc:
            raise GdkitError(f"{self.root / MARKER}: [limits] is invalid ({exc}); fix it") from None

    @cached_property
    def worker_ids(self) -> dict:
        """``[sandbox]`` ``uid``/``gid``: who runs student code when the grader is root (default nobody)."""
        from gdkit.sandbox.policy import Policy

        table = self.config.get("sandbox", {})
        if not isinstance(table, dict) or set(table) - {"uid", "gid"}:
            raise GdkitError(f"{self.root / MARKER}: [sandbox] takes uid and gid only; fix it")
        try:
            policy = Policy(**table)
        except (TypeError, ValueError) as exc:
            raise GdkitError(f"{self.root / MARKER}: [sandbox] is invalid ({exc}); fix it") from None
        return {"uid": policy.uid, "gid": policy.gid}

    # -- its folders and assignments
    @property
    def source_dir(self) -> Path:
        return self.root / SOURCE_DIR

    @property
    def release_dir(self) -> Path:
        return self.root / RELEASE_DIR

    @property
    def suite_dir(self) -> Path:
        return self.root / SUITE_DIR

    def default_assignment(self) -> str:
        """The assignment commands mean when none is named: ``[course] default_assignment``,
        else the course's only one; GdkitError when that does not decide."""
        named = self.config.get("course", {}).get("default_assignment")
        if named:
            return str(named)
        known = self.available()
        if len(known) == 1:
            return known[0]
        if not known:
            raise GdkitError(f"the course {self.root} has no assignments yet; make one with 'gdkit new NAME'")
        raise GdkitError(f"the course has several assignments ({', '.join(known)}): pass --assignment, or set "
                         f"default_assignment in [course] of {self.root / MARKER}")

    def assignment(self, name: str):
        """``autograder/<name>/assignment.toml`` read as an :class:`gdkit.assignments.Assignment`."""
        from gdkit import assignments

        return assignments.load(name, self.root)

    def available(self) -> list[str]:
        """Names of the assignments that have a grading definition (``autograder/*/assignment.toml``)."""
        if not self.suite_dir.is_dir():
            return []
        return sorted(p.parent.name for p in self.suite_dir.glob("*/assignment.toml"))

    def masters(self) -> list[str]:
        """Names of the folders in ``solutions/`` that hold a master notebook (or its text twin)."""
        if not self.source_dir.is_dir():
            return []
        return sorted(p.name for p in self.source_dir.iterdir()
                      if p.is_dir() and (any(p.glob("*.ipynb")) or any(p.glob("*.master.py"))))

    def master_path(self, name: str) -> Path:
        """``solutions/<name>/<notebook>``: the notebook named in assignment.toml, else ``<name>.ipynb``."""
        return self.source_dir / name / self._notebook_name(name)

    def release_path(self, name: str) -> Path:
        """``assignments/<name>/<notebook>``, as ``master_path``."""
        return self.release_dir / name / self._notebook_name(name)

    def _notebook_name(self, name: str) -> str:
        if (self.suite_dir / name / "assignment.toml").is_file():
            return self.assignment(name).notebook
        return f"{name}.ipynb"


BUNDLED = "bundled_course"  # inside the installed package: the wheel's copy of the kit's own course


def bundled_course() -> Path:
    """The gradient-descent course that ships with the kit: the wheel's copy inside the package,
    or, in a checkout (``pip install -e .``), the checkout itself."""
    package = Path(__file__).resolve().parent
    for folder in (package / BUNDLED, package.parents[1]):
        if (folder / MARKER).is_file() and (folder / SUITE_DIR).is_dir():
            return folder
    raise GdkitError(f"this installation of gdkit ({package}) carries no bundled course; reinstall the kit "
                     "from its wheel or checkout")


def resolve(where=None) -> Course:
    """A :class:`Course` from what a library function was given: a Course, a folder (its
    gdkit.toml read if present), or None (:meth:`Course.find`)."""
    if isinstance(where, Course):
        return where
    if where is None:
        return Course.find()
    return Course.at(where, marker=False)


def read_config(path: Path) -> dict:
    """Parse a ``gdkit.toml``; GdkitError with the file and the TOML error on one line."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise GdkitError(f"{path} is not valid TOML ({exc}); fix it") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GdkitError(f"cannot read {path} ({exc}); check the file") from None
    for table in ("course", "limits"):
        if table in data and not isinstance(data[table], dict):
            raise GdkitError(f"{path}: '{table}' must be a table ([{table}]); fix it")
    return data


def locate(course_dir=None) -> Path | None:
    """The course folder, or None when none is given and none holds the current folder.

    An explicit folder (``course_dir`` or ``$GDKIT_COURSE``) must hold ``gdkit.toml``; the
    deprecated ``$GDKIT_ROOT`` may name a bare folder of suites (old bundles and kernels).
    """
    if course_dir is not None and str(course_dir) != "":
        return _explicit(course_dir, "--course")
    env = os.environ.get(ENV, "").strip()
    if env:
        return _explicit(env, f"${ENV}")
    legacy = os.environ.get(LEGACY_ENV, "").strip()
    if legacy:
        path = Path(legacy).expanduser().resolve()
        if not path.is_dir():
            raise GdkitError(f"${LEGACY_ENV}={legacy} is not a folder; point ${ENV} at your course folder")
        return path
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / MARKER).is_file():
            return folder
    return None


def _explicit(value, what: str) -> Path:
    path = Path(value).expanduser().resolve()
    if not (path / MARKER).is_file():
        hint = "it does not exist" if not path.exists() else f"it holds no {MARKER}"
        raise GdkitError(f"{what} {value} is not a course folder ({hint}); give the folder holding "
                         f"{MARKER}, or make one with 'gdkit init {value}'")
    return path
