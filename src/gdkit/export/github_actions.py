"""`gdkit export github-actions`: two workflows, split by trust.

``OUT/student/`` is the starter repository students get (e.g. a GitHub Classroom template):
the assignment's release and ``.github/workflows/gdkit-check.yml``, which installs the kit and
runs the *visible* checks (``gdkit ci-report --check``: job summary and annotations). It fetches
nothing from the course and uses no secret, so a student who edits it learns nothing new.

``OUT/course/`` goes into the instructor's private course repository:
``.github/workflows/gdkit-grade-<name>.yml`` collects the class's notebooks (``gdkit collect``:
a roster, or a GitHub Classroom prefix; the last commit at or before the deadline), grades them
on a shard matrix (``gdkit grade --shard``), merges (``gdkit merge``), uploads ``grades/`` as an
artifact and optionally posts each student's feedback back (``gdkit publish``). The hidden tests
stay in the course repository. The YAML's shell is one command per step; the logic lives in
those commands, which the tests run directly.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

import gdkit
from gdkit import assignments
from gdkit.errors import GdkitError
from gdkit.export import collect, publish, templating
from gdkit.grading import outputs

# The actions the workflows use, at their current major versions (one place to update them).
ACTIONS = {
    "checkout": "actions/checkout@v7",
    "setup_python": "actions/setup-python@v7",
    "upload_artifact": "actions/upload-artifact@v7",
    "download_artifact": "actions/download-artifact@v8",
}
PYTHON = "3.11"
STUDENT_WORKFLOW = ".github/workflows/gdkit-check.yml"
SCHEDULE = "30 5 * * *"   # daily, 05:30 UTC
KIT_SPEC_HELP = ("what pip installs the kit from: a wheel URL (https://.../gdkit-0.1.0-py3-none-any.whl), "
                 "a git URL (git+https://github.com/ORG/gdkit@v0.1.0) or a path; gdkit is not on PyPI")
_CRON = re.compile(r"^\S+( \S+){4}$")
_URL_SCHEMES = ("https://", "http://", "git+https://", "git+ssh://", "git+http://", "file://")
_DISPATCH = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def course_workflow_path(assignment: str) -> str:
    return f".github/workflows/gdkit-grade-{assignment}.yml"


def _normalise_repo_url(url: str) -> str:
    """host/owner/name of a git URL (scheme, credentials, '.git', 'git+' dropped), '' if none."""
    url = url.strip()
    if url.startswith("git+"):
        url = url[4:]
    if url.startswith("git@") and ":" in url:  # scp-like ssh: git@host:owner/name.git
        host, _, path = url[4:].partition(":")
    else:
        parts = urlsplit(url)
        host, path = parts.hostname or "", parts.path
        path = path.split("@", 1)[0] if "@" in path else path  # a pip '@ref'
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    return f"{host.lower()}/{path.lower()}" if host and path else ""


def origin_url(root: Path) -> str | None:
    """The course checkout's ``origin`` remote, if it has one."""
    try:
        done = subprocess.run(["git", "-C", str(root), "remote", "get-url", "origin"],
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def check_kit_spec(spec: str | None, root: Path, option: str = "--kit-spec") -> str:
    """A pip requirement the workflow can install the kit from; GdkitError says what to give.

    Accepted: a URL (wheel, sdist, ``git+``), ``name @ URL``, or a path (``./gdkit.whl``,
    ``.``). A bare index name (``gdkit``, ``gdkit==0.1``) is refused: gdkit is not on PyPI, and
    whatever an index serves under that name would run in every student's workflow. A spec that
    points at the course's own repository (which holds the hidden tests and masters) is refused.
    """
    spec = (spec or "").strip()
    if not spec:
        raise GdkitError(f"give {option}: {KIT_SPEC_HELP}")
    if any(c in spec for c in "\n\r\"'`$\\") or len(spec) > 500:
        raise GdkitError(f"{option} {spec!r} may not contain quotes, '$', '\\' or line breaks; {KIT_SPEC_HELP}")
    url = spec.split(" @ ", 1)[1].strip() if " @ " in spec else spec
    is_url = url.startswith(_URL_SCHEMES)
    is_path = url.startswith((".", "/")) or url.endswith((".whl", ".tar.gz", ".zip"))
    if not (is_url or is_path):
        raise GdkitError(f"{option} {spec!r} is a package name; {KIT_SPEC_HELP}")
    if " " in url:
        raise GdkitError(f"{option} {spec!r} has a space in its URL or path; {KIT_SPEC_HELP}")
    origin = origin_url(root)
    if is_url and origin and _normalise_repo_url(url) and _normalise_repo_url(url) == _normalise_repo_url(origin):
        raise GdkitError(f"{option} {spec!r} is this course's repository (hidden tests, masters); "
                         "point it at the kit's own wheel or repository")
    return spec


@dataclass(frozen=True)
class CourseOptions:
    """How the course workflow finds and grades the class (see ``gdkit export github-actions --help``)."""

    roster: str = ""            # a CSV path inside the course repository ('' with classroom)
    classroom: str = ""         # ORG/PREFIX of a GitHub Classroom assignment
    deadline: str = ""          # ISO 8601 with offset; '' = now
    schedule: str = SCHEDULE    # cron; '' = no schedule
    shards: int = 4
    publish: str = "none"       # none | comment | issue
    kit_spec: str = ""          # '' = the student workflow's spec


def _check_course_options(assignment: str, options: CourseOptions) -> CourseOptions:
    if options.roster and options.classroom:
        raise GdkitError("give either --roster or --classroom, not both")
    roster = options.roster or ("" if options.classroom else f"roster/{assignment}.csv")
    if roster and (roster.startswith("/") or ".." in Path(roster).parts or any(c in roster for c in "\"'$\\\n")):
        raise GdkitError(f"--roster {roster!r}: give a plain path inside the course repository, "
                         f"e.g. roster/{assignment}.csv")
    if options.classroom:
        org, _, prefix = options.classroom.partition("/")
        if not re.fullmatch(r"[A-Za-z0-9-]+", org or "") or not re.fullmatch(r"[A-Za-z0-9._-]+", prefix or ""):
            raise GdkitError(f"--classroom {options.classroom!r}: give ORG/PREFIX, e.g. my-course-org/gradient-descent")
    deadline = collect.parse_deadline(options.deadline)
    if options.schedule and not _CRON.match(options.schedule.strip()):
        raise GdkitError(f"--schedule {options.schedule!r} is not a cron line of five fields, e.g. '{SCHEDULE}'")
    if not 1 <= options.shards <= 64:
        raise GdkitError(f"--shards {options.shards}: give 1 to 64 parallel graders")
    if options.publish not in ("none", *publish.MODES):
        raise GdkitError(f"--publish {options.publish!r}: choose none, {', '.join(publish.MODES)}")
    # The instructor's own spelling of the deadline (checked above) reads best in the workflow.
    return CourseOptions(roster, options.classroom, options.deadline.strip() if deadline else "",
                         options.schedule.strip(), options.shards, options.publish, options.kit_spec)


def _parsed(text: str) -> str:
    yaml.safe_load(text)  # a template bug must fail here, not in a repository
    return text


def student_workflow(assignment_name: str, kit_spec: str | None, root: Path | None = None) -> str:
    """The starter repository's gdkit-check.yml."""
    assignment = assignments.load(assignment_name, root)
    spec = check_kit_spec(kit_spec, assignment.root)
    return _parsed(templating.render(
        "student-check.yml.j2", assignment=assignment.name, notebook=assignment.notebook, kit_spec=spec,
        kit_version=gdkit.__version__, actions=ACTIONS, python=PYTHON, workflow_path=STUDENT_WORKFLOW))


def course_workflow(assignment_name: str, kit_spec: str | None, options: CourseOptions = CourseOptions(),
                    root: Path | None = None) -> str:
    """The course repository's gdkit-grade-<name>.yml."""
    assignment = assignments.load(assignment_name, root)
    options = _check_course_options(assignment.name, options)
    spec = (check_kit_spec(options.kit_spec, assignment.root, "--course-kit-spec") if options.kit_spec
            else check_kit_spec(kit_spec, assignment.root))
    dispatch = f"gdkit-grade-{assignment.name}"
    if not _DISPATCH.match(dispatch):
        raise GdkitError(f"assignment name {assignment.name!r} cannot name a repository_dispatch event")
    return _parsed(templating.render(
        "course-grade.yml.j2", assignment=assignment.name, kit_spec=spec, kit_version=gdkit.__version__,
        actions=ACTIONS, python=PYTHON, workflow_path=course_workflow_path(assignment.name),
        schedule=options.schedule, deadline=options.deadline,
        deadline_text=f"the export's deadline {options.deadline}" if options.deadline else "now",
        dispatch_type=dispatch, shards=options.shards, roster=options.roster, classroom=options.classroom,
        publish=options.publish))


def _write(path: Path, data: str | bytes) -> None:
    try:
        outputs.write_atomic(path, data)
    except OSError as exc:
        raise GdkitError(f"cannot write {path} ({exc.strerror}); choose a writable --out") from None


def export(assignment_name: str, outdir: Path, kit_spec: str | None, options: CourseOptions = CourseOptions(),
           root: Path | None = None) -> dict[str, Path]:
    """Write ``outdir/student/`` (starter repository) and ``outdir/course/`` (workflow for the
    course repository); returns {"student": ..., "course": ..., "roster": ...?} paths written."""
    assignment = assignments.load(assignment_name, root)
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise GdkitError(f"--out {outdir} is a file; give a folder")
    student_text = student_workflow(assignment.name, kit_spec, assignment.root)
    course_text = course_workflow(assignment.name, kit_spec, options, assignment.root)
    release = assignment.root / "assignments" / assignment.name
    if not (release / assignment.notebook).is_file():
        raise GdkitError(f"no release {release / assignment.notebook}; run 'gdkit release {assignment.name}' first")
    written = {}
    student = outdir / "student"
    for path in sorted(release.rglob("*")):
        rel = path.relative_to(release)
        if any(part in ("__pycache__", ".ipynb_checkpoints") for part in rel.parts) or path.is_symlink():
            continue
        if path.is_file():
            _write(student / rel, path.read_bytes())
    written["student"] = student / STUDENT_WORKFLOW
    _write(written["student"], student_text)
    course = outdir / "course"
    written["course"] = course / course_workflow_path(assignment.name)
    _write(written["course"], course_text)
    checked = _check_course_options(assignment.name, options)
    if checked.roster and not (course / checked.roster).exists():
        written["roster"] = course / checked.roster
        _write(written["roster"], "student,repository\n")
    return written
