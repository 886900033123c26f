"""``gdkit init`` and ``gdkit new``: a course, and an assignment in it, that work at once.

The files come from Jinja2 templates shipped with the kit (``templates/scaffold/``):

* ``init DIR`` writes ``gdkit.toml`` (with a random secret seed of the course's own: hidden
  inputs differ from every other course's), ``nbgrader_config.py``, a README, ``.gitignore``
  and the empty ``solutions/`` (with its ``jupytext.toml``), ``assignments/`` and
  ``autograder/``; ``--example`` adds a copy of the bundled gradient-descent course's assignments;
* ``new NAME`` writes one example question end to end: the master (``NAME.master.py`` and the
  notebook made from it), ``autograder/NAME/assignment.toml``, a hidden suite with one test, a
  bug zoo with one entry and one other correct style. ``gdkit release NAME``, ``gdkit validate
  NAME`` and ``gdkit grade`` of the master then work as they are.

Nothing is ever overwritten: an existing file is a one-line error before anything is written.
"""
from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path

from gdkit import twin
from gdkit.course import MARKER, RELEASE_DIR, SOURCE_DIR, SUITE_DIR, Course, bundled_course, resolve
from gdkit.errors import GdkitError

TEMPLATES = Path(__file__).resolve().parent / "templates" / "scaffold"
NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# What --example copies from the bundled course (never its build artefacts).
EXAMPLE_ASSIGNMENTS = ("gradient_descent", "tuning")
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")


def _render(template: str, **values) -> str:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined, autoescape=False)
    env.filters["pyrepr"] = repr
    return env.get_template(template).render(**values)


def _write_all(files: Mapping[Path, str | bytes]) -> list[Path]:
    """Write every file, or none: refuse (one line) if any of them exists already."""
    existing = sorted(str(p) for p in files if p.exists())
    if existing:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise GdkitError(f"{existing[0]} exists already{more}; nothing was written (move it away or "
                         "choose another name)")
    written = []
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


def course_files(folder: Path, name: str, default_assignment: str | None = None,
                 secret: int | None = None) -> dict[Path, str]:
    """The files of a new, empty course in ``folder``; ``secret``: its ``[seed] secret``
    (default: a fresh random one, see :func:`new_secret`)."""
    from gdkit.release import IGNORED

    secret = new_secret() if secret is None else secret
    return {
        folder / MARKER: _render("course/gdkit.toml.j2", name=name, default_assignment=default_assignment,
                                 secret=secret),
        folder / "nbgrader_config.py": _render("course/nbgrader_config.py.j2", course_id=name, ignore=IGNORED),
        folder / "README.md": _render("course/README.md.j2", name=name),
        folder / ".gitignore": (TEMPLATES / "course" / "gitignore").read_text(encoding="utf-8"),
        folder / SOURCE_DIR / "jupytext.toml": twin.JUPYTEXT_TOML,
    }


def new_secret() -> int:
    """A course's secret seed: 63 random bits from the operating system (a whole number >= 0,
    as every seed of the kit)."""
    return secrets.randbits(63)


def _example_files(folder: Path) -> dict[Path, bytes]:
    """The bundled course's assignments (masters, releases, suites) and sample submissions."""
    source = bundled_course()
    files = {}
    parts = [(SOURCE_DIR, name) for name in EXAMPLE_ASSIGNMENTS] + \
            [(RELEASE_DIR, name) for name in EXAMPLE_ASSIGNMENTS] + \
            [(SUITE_DIR, name) for name in EXAMPLE_ASSIGNMENTS] + [("examples", "submissions")]
    for top, name in parts:
        base = source / top / name
        if not base.is_dir():
            raise GdkitError(f"the kit's bundled course lacks {top}/{name}; reinstall gdkit")
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(source)
            if path.is_file() and not any(part in ("__pycache__", ".ipynb_checkpoints") for part in rel.parts) \
                    and path.suffix != ".pyc":
                files[folder / rel] = path.read_bytes()
    maker = source / "examples" / "make_examples.py"
    if maker.is_file():
        files[folder / "examples" / "make_examples.py"] = maker.read_bytes()
    return files


def init(folder, *, name: str | None = None, example: bool = False) -> list[Path]:
    """Make a new course in ``folder`` (created if missing); returns the files written.

    ``example``: also copy the bundled gradient-descent course's assignments into it.
    """
    folder = Path(folder).expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise GdkitError(f"{folder} is a file; give a folder for the new course")
    if (folder / MARKER).is_file():
        raise GdkitError(f"{folder} is a course already ({MARKER} exists); add assignments with 'gdkit new NAME'")
    name = name or folder.name
    if not name.strip() or "\n" in name or '"' in name or "\\" in name:
        raise GdkitError(f"course name {name!r} must be one line without quotes or backslashes; pass --name")
    files: dict[Path, str | bytes] = dict(course_files(folder, name, "gradient_descent" if example else None))
    if example:
        files.update(_example_files(folder))
    written = _write_all(files)
    for empty in (RELEASE_DIR, SUITE_DIR):
        (folder / empty).mkdir(exist_ok=True)
    return written


def assignment_files(course: Course, name: str, title: str | None = None) -> dict[Path, str]:
    """The files ``gdkit new NAME`` writes (the master notebook is made from its twin after)."""
    values = {"name": name, "title": title or name.replace("_", " ").capitalize()}
    master_twin = twin.twin_path(course.source_dir / name / f"{name}.ipynb")
    suite = course.suite_dir / name
    return {
        master_twin: _render("assignment/master.py.j2", **values),
        suite / "assignment.toml": _render("assignment/assignment.toml.j2", **values),
        suite / f"test_{name}.py": _render("assignment/test_suite.py.j2", **values),
        suite / "bugzoo.py": _render("assignment/bugzoo.py.j2", **values),
        suite / "styles.py": _render("assignment/styles.py.j2", **values),
    }


def new(name: str, course=None, *, title: str | None = None) -> list[Path]:
    """Scaffold assignment ``name`` in the course (a Course, its folder, or found from here);
    returns the files written, the master notebook last."""
    if not NAME.match(name or ""):
        raise GdkitError(f"assignment name {name!r} must start with a lower-case letter and hold only "
                         "a-z, 0-9 and _ (it names a folder, a notebook and a Python module); e.g. 'week_2'")
    course = resolve(course)
    taken = [p for p in (course.source_dir / name, course.suite_dir / name, course.release_dir / name) if p.exists()]
    if taken:
        raise GdkitError(f"{taken[0]} exists already: choose another name (or remove it first)")
    if title is not None and ("\n" in title or not title.strip()):
        raise GdkitError("--title must be one non-empty line")
    written = _write_all(assignment_files(course, name, title))
    notebook = course.source_dir / name / f"{name}.ipynb"
    twin.sync(notebook)  # the notebook from its twin: the one an instructor opens in Jupyter
    written.append(notebook)
    return written
