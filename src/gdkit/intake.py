"""Which notebook is whose: the submissions under the paths given to ``gdkit grade``.

Each path is a notebook, a folder or a ``.zip`` of one (read like the folder it holds). In a
folder, every top-level entry is read by the first rule that fits it (-> the student id):

- Blackboard file ``Assignment_jsmith_attempt_2024-01-01-10-00-00_x.ipynb`` (and its ``.txt``
  receipt) -> ``jsmith``, the username (the receipt's when there is one: a username may hold
  '_'); every attempt's files are that student's.
- Moodle folder ``Full Name_12345_assignsubmission_file[_]/`` or flattened file
  ``Full Name_12345_assignsubmission_file_x.ipynb`` -> ``12345``, Moodle's participant id.
- Canvas file ``smithjohn_12345_67890_x.ipynb`` (``smithjohn_LATE_12345_...``,
  ``anon_Ab1Cd_67890_...``) -> ``12345``, Canvas's user id (``anon_Ab1Cd`` when anonymous);
  ``x-1.ipynb`` is Canvas's rename of a re-uploaded ``x.ipynb``.
- nbgrader folder ``<student>/<assignment>/`` -> ``<student>`` (only that assignment's folder).
- a folder holding notebooks -> the folder's name (every notebook under it).
- ``alice.ipynb`` (also ``alice (1).ipynb``, ``alice copy.ipynb``) -> ``alice``.
- a notebook named on the command line -> its name as given (``My Notebook (2)``).

Of a student's notebooks, :func:`choose` grades one (the Gradescope bundle too, through
:func:`choose_in_folder`): the notebook named like the assignment's in any case (after undoing
an LMS's renaming), else the newest (by the LMS's submission order where the names carry one,
else by modification time); Jupyter checkpoints are never graded. Which file was graded and
what was ignored goes into ``Record.notebook``; the name the LMS gives a student into
``Record.extra["lms_name"]``. Hidden files and folders are not read, nor links inside a folder.

What the submission holds about when it was handed in goes into ``Record.extra["handed_in"]``
({kind: text}, read by :mod:`gdkit.late`), the same from a folder or a zip: ``nbgrader``,
the ``timestamp.txt`` beside the notebook; ``gradescope``, ``created_at`` of a
``submission_metadata.json`` beside it or one folder up; ``lms``, the LMS's time in the
layout (Blackboard's attempt time, in the LMS's local time); ``file``, the notebook's own date
(a zip entry's: UTC when the zip has the extended timestamp, else the zipping machine's local
time; a file's modification time).

Zips are unpacked into a private temporary folder, and only what grading needs (notebooks,
Blackboard receipts, nbgrader's and Gradescope's time files, a student's own zip one level
down): no member may leave that folder (absolute paths, ``..``) or be a link, and the number
of members and the bytes unpacked are capped, so a crafted archive (a "zip bomb") is refused
with one line, before anything is written.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import stat
import struct
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from gdkit import notebook as notebooks
from gdkit.errors import GdkitError

MAX_MEMBERS = 100_000                 # members of one zip
MAX_UNPACKED = 4 * 1024 ** 3          # bytes unpacked from one zip (its nested zips included)
MAX_RECEIPT = 64 * 1024               # a Blackboard receipt
MAX_NESTED_ZIP = 500 * 1024 ** 2      # a student's own zip inside a class zip
MAX_SIDECAR = 64 * 1024               # nbgrader's timestamp.txt, Gradescope's submission_metadata.json
SIDECARS = ("timestamp.txt", "submission_metadata.json")   # read for the submission time, never graded
_SKIPPED_DIRS = ("__MACOSX",)         # archive tools' litter; hidden folders are skipped too
CHECKPOINTS = ".ipynb_checkpoints"

# The LMSs' names, as their bulk downloads write them.
_CANVAS = re.compile(r"(?P<name>\w*?)_(?:(?P<late>LATE)_)?(?P<id>\d+)_(?P<order>\d+)_(?P<file>.+)", re.I)
_CANVAS_ANON = re.compile(r"(?:(?P<late>LATE)_)?(?P<id>anon_[A-Za-z0-9]+)_(?P<order>\d+)_(?P<file>.+)", re.I)
_CANVAS_TEXT = re.compile(r"(?P<name>\w*?)_(?:(?P<late>LATE)_)?(?P<id>\d+|anon_[A-Za-z0-9]+)_(?P<file>text|link)\.html",
                          re.I)
_MOODLE_FILE = re.compile(r"(?P<name>[^_/]+)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.+)")
_MOODLE_DIR = re.compile(r"(?P<name>[^_/]+)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_?")
_BLACKBOARD = re.compile(r"(?P<before>.+)_attempt_(?P<order>\d{4}(?:-\d\d){5})(?:_(?P<file>.+)|(?P<receipt>\.txt))")
_BLACKBOARD_NAME = re.compile(r"^Name:\s*(?P<name>.*?)\s*\((?P<user>[^()\s]+)\)\s*$", re.M)
# What browsers, file managers and Jupyter add to a copy's name: "x (1)", "x(2)", "x copy",
# "x copy 2", "x - Copy", "x - Copy (2)", "x-Copy1".
_COPY = re.compile(r"(?P<base>.+?)(?:\s?\(\d+\)|\s+copy(?:\s+\d+)?|\s+-\s+copy(?:\s+\(\d+\))?|-copy\d*)", re.I)
_CANVAS_RENAME = re.compile(r"(?P<base>.+)-\d+(?P<ext>\.[^.]+)")
_CHECKPOINT_NAME = re.compile(r".+-checkpoint\.ipynb", re.I)
# Clip what a student-chosen file name may add to a record.
_NAME_CHARS, _IGNORED_SHOWN = 200, 20


@dataclass(frozen=True, eq=False)
class Found:
    """One student's submission: the notebook to grade and what was learnt finding it.

    ``path`` is the file the grader reads (it may not exist: the student then gets a row with
    status ``missing-file``); ``shown`` is how records name it (``class.zip:member`` for a
    zipped one); ``notebook`` becomes ``Record.notebook``, ``extra`` goes into
    ``Record.extra``; ``problem`` is ``(status, reason)`` when there is nothing to grade.
    """

    student: str
    path: Path
    notebook: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    problem: tuple[str, str] | None = None
    shown: str = ""

    def spec(self) -> list:
        """``[student, path, details]`` for a grader process's spec (see gdkit.grading.session)."""
        details = {"notebook": self.notebook, "extra": self.extra, "shown": self.shown or str(self.path)}
        if self.problem:
            details["problem"] = list(self.problem)
        return [self.student, str(self.path), details]


@dataclass
class _File:
    """A file handed in: where it is in the folder or zip given, and where it is on disk."""

    rel: str                       # path inside the folder or zip given, with "/"
    path: Path | None              # on disk (None: listed in a zip, not unpacked)
    mtime: float = 0.0
    size: int = 0
    name: str = ""                 # the name the student gave it (an LMS's prefix removed)
    plain_name: str = ""           # that name with an LMS's renaming undone (Canvas: "x-1.ipynb" -> "x.ipynb")
    order: str = ""                # the LMS's submission order, where the name carries one
    too_big: bool = False          # a zipped notebook over the size limit, left packed
    receipt: bool = False          # a Blackboard receipt (.txt): read for the student's name, never listed
    shown: str = ""                # how records name it: its path, or "<zip>:<member>"
    given: bool = False            # named on the command line: graded whatever its name
    when: str = ""                 # its own date, ISO 8601 (no offset: the zipping machine's local time)
    zipped: bool = False           # a zip's member (beside it means beside it in the zip)

    def __post_init__(self):
        self.name = self.name or PurePosixPath(self.rel).name

    @property
    def gradable(self) -> bool:
        """A notebook that may be graded: not a checkpoint, not a receipt."""
        return (self.given or _is_notebook(self.name)) and not self.receipt and not _is_checkpoint(self)

    @property
    def graded_name(self) -> str:
        return self.plain_name or self.name


@dataclass
class _Student:
    files: list[_File] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


@dataclass
class Collected:
    """What :func:`collect` found: the submissions, and notes for the instructor (stderr)."""

    found: list[Found]
    notes: list[str] = field(default_factory=list)


def find_submissions(paths, assignment, *, unpack_to: Path | None = None, exclude=()) -> list[Found]:
    """The submissions under ``paths`` (see the module docstring), one per student.

    Zips are unpacked into ``unpack_to``; without it their members are only listed (the ids
    are right, the paths unusable: what ``gdkit merge --expect`` needs). ``exclude``: folders
    never read (the output folder). Raises GdkitError for bad input.
    """
    return collect(paths, assignment, unpack_to=unpack_to, exclude=exclude).found


@contextlib.contextmanager
def submissions(paths, assignment, *, exclude=()):
    """:func:`collect` with zips unpacked into a temporary folder that lives as long as the
    ``with`` block (``$TMPDIR``)."""
    with tempfile.TemporaryDirectory(prefix="gdkit-unpack-") as tmp:
        yield collect(paths, assignment, unpack_to=Path(tmp), exclude=exclude)


def collect(paths, assignment, *, unpack_to: Path | None = None, exclude=()) -> Collected:
    """The submissions under ``paths`` and notes on what was skipped; see :func:`find_submissions`."""
    result = Collected([])
    excluded = [Path(p).resolve() for p in exclude]
    seen: dict[str, str] = {}
    taken: set[Path] = set()
    given: list[_File] = []  # notebooks named one by one: read together, like one folder
    sources = []
    for index, path in enumerate(paths):
        path = Path(path)
        if not path.exists():
            raise GdkitError(f"{path} does not exist; give notebooks, folders of notebooks or a .zip of them")
        if path.resolve() in taken:  # the same file or folder twice
            continue
        taken.add(path.resolve())
        folders: set[str] = set()
        if path.is_file() and path.suffix.lower() == ".zip":
            target = unpack_to / f"zip-{index}" if unpack_to is not None else None
            sources.append((path, _unwrap(_zip_files(path, target, folders), folders, assignment), folders))
        elif path.is_file():
            given.append(_disk_file(path, path.name, given=True))
        else:
            sources.append((path, _folder_files(path, excluded, folders, result.notes), folders))
    if given:
        sources.insert(0, (Path(", ".join(str(f.path) for f in given[:3])), given, set()))
    for index, (path, files, folders) in enumerate(sources):
        students = _students(files, _folders(files, folders), assignment, result.notes, path)
        if unpack_to is not None:  # a student's own zip, one level down
            for number, (student_id, student) in enumerate(sorted(students.items())):
                student.files = _expand_nested(student.files, unpack_to / f"nested-{index}-{number}",
                                               result.notes, student_id)
        for student_id, student in sorted(students.items()):
            if not _safe_id(student_id):
                raise GdkitError(f"student id {ascii(student_id)} (from {path}) is not a plain file name "
                                 "(printable, no slashes, not hidden); rename it")
            if student_id in seen:
                raise GdkitError(f"two submissions for student {student_id!r} ({seen[student_id]} and {path}); "
                                 "keep one per student")
            seen[student_id] = str(path)
            result.found.append(_found(student_id, student, assignment))
    if not result.found:
        raise GdkitError(f"no notebooks found in {', '.join(map(str, paths))}; give .ipynb files, folders or a .zip")
    return result


def _safe_id(student: str) -> bool:
    """A student id is a folder name in the output, a cell of grades.csv and a row of the summary
    printed on the instructor's terminal: no separators, not hidden, not '.'/'..', printable (a
    newline, tab, escape sequence or bidi control in a file name would forge or hide rows there),
    text UTF-8 can write (undecodable bytes in a name reach Python as lone surrogates)."""
    try:
        student.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return bool(student) and student.isprintable() and student not in (".", "..") and "/" not in student \
        and "\\" not in student and not student.startswith(".")


# ---------------------------------------------------------------- files on disk


def _disk_file(path: Path, rel: str, given: bool = False) -> _File:
    info = path.stat()
    when = dt.datetime.fromtimestamp(info.st_mtime, dt.timezone.utc).isoformat(timespec="seconds")
    return _File(rel=rel, path=path, mtime=info.st_mtime, size=info.st_size, shown=str(path), given=given,
                 when=when)


def _folder_files(root: Path, excluded: list[Path], folders: set[str], notes: list[str]) -> list[_File]:
    """The files under ``root``; ``folders`` gets every folder walked (empty ones too).

    Links are not followed (a note says so): a student's link could name another student's
    notebook, or a file of the grader's own.
    """
    files = []
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        for name in sorted(n for n in dirs + names if (here / n).is_symlink() and _walk_into(n)):
            notes.append(f"skipped {_clip(str(here / name))}: a symbolic link (gdkit follows no links inside a folder)")
        dirs[:] = sorted(d for d in dirs if _walk_into(d) and not (here / d).is_symlink()
                         and (here / d).resolve() not in excluded)
        folders.update((here / d).relative_to(root).as_posix() for d in dirs)
        for name in sorted(names):
            path = here / name
            if not name.startswith(".") and not path.is_symlink() and path.is_file():  # ._x.ipynb: macOS litter
                files.append(_disk_file(path, path.relative_to(root).as_posix()))
    return files


def _walk_into(name: str) -> bool:
    return name == CHECKPOINTS or not (name.startswith(".") or name in _SKIPPED_DIRS)


# ---------------------------------------------------------------- zips


def _zip_files(path: Path, target: Path | None, folders: set[str]) -> list[_File]:
    """The members of a zip as files; with ``target``, what grading needs is unpacked there;
    ``folders`` gets the folders it lists (empty ones too)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise GdkitError(f"{path} is not a readable zip archive ({exc}); download it again") from None
    with archive:
        return _members(archive, path, target, folders=folders)


def _members(archive: zipfile.ZipFile, label, target: Path | None, prefix: str = "",
             folders: set[str] | None = None) -> list[_File]:
    """The archive's members as files (what grading needs unpacked into ``target``), after every
    refusal: too many members, a member outside the folder or a link, a password, a zip bomb,
    too little space."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise GdkitError(f"{label} holds {len(infos)} files, more than the {MAX_MEMBERS} gdkit unpacks; "
                         "unpack it yourself and grade the folder")
    wanted = [member for info in infos if (member := _wanted_member(info, label, folders)) is not None]
    sizes = [_unpacked_size(info, name) for info, name in wanted]
    _room_checked(label, target, sum(sizes))
    files = []
    for number, ((info, name), size) in enumerate(zip(wanted, sizes, strict=True)):
        file = _File(rel=prefix + name, path=None, mtime=_zip_time(info), size=info.file_size,
                     shown=f"{label}:{name}", when=_zip_when(info), zipped=True)
        if size == 0 and _is_notebook(name) and info.file_size > notebooks.MAX_BYTES:
            file.too_big = True
        elif size and target is not None:
            file.path = target / f"{number}{_suffix(name)}"
            _unpack(archive, info, file.path, label, name)
        files.append(file)
    return files


def _wanted_member(info: zipfile.ZipInfo, label, folders: set[str] | None) -> tuple[zipfile.ZipInfo, str] | None:
    """(the member, its name) when grading may need it; None for a folder (recorded in ``folders``),
    a hidden file or one in a folder gdkit does not read. Refused: a member outside the archive's
    folder, a link, a password."""
    name = _member_name(info)
    parts = PurePosixPath(name).parts
    if name.startswith("/") or re.match(r"[A-Za-z]:", name) or ".." in parts:
        raise GdkitError(f"{label} holds a file outside its own folder ({name!r}); it was not made by an LMS: "
                         "check where it came from")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise GdkitError(f"{label} holds a symbolic link ({name!r}), which gdkit does not unpack; "
                         "unpack it yourself and grade the folder")
    if info.is_dir() and folders is not None and parts and all(_walk_into(p) for p in parts):
        folders.add("/".join(parts))
    if info.is_dir() or not parts or not all(_walk_into(p) for p in parts[:-1]) or parts[-1].startswith("."):
        return None
    if info.flag_bits & 0x1:
        raise GdkitError(f"{label} is password-protected ({name!r}); unpack it yourself and grade the folder")
    return info, name


def _room_checked(label, target: Path | None, total: int) -> None:
    """Refused when the members would unpack to more than MAX_UNPACKED (a zip bomb) or more than
    ``target``'s disk has free."""
    if total > MAX_UNPACKED:
        raise GdkitError(f"{label} would unpack to {total / 1024 ** 3:.1f} GB, more than the "
                         f"{MAX_UNPACKED / 1024 ** 3:.0f} GB gdkit unpacks (a zip bomb, or a very large class): "
                         "unpack it yourself and grade the folder")
    if target is not None and total:
        target.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(target).free
        if total > free:
            raise GdkitError(f"{label} needs {total >> 20} MB unpacked but {target.parent} has {free >> 20} MB free; "
                             "free some space or point TMPDIR elsewhere")


def _member_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:  # not flagged UTF-8: often UTF-8 anyway (read as cp437 by zipfile)
        try:
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name.replace("\\", "/")


def _unpacked_size(info: zipfile.ZipInfo, name: str) -> int:
    """Bytes this member will take unpacked (0: it stays packed)."""
    lower = name.lower()
    if _is_notebook(lower):
        return info.file_size if info.file_size <= notebooks.MAX_BYTES else 0
    if lower.endswith(".txt") and _BLACKBOARD.fullmatch(PurePosixPath(name).name):
        return min(info.file_size, MAX_RECEIPT)
    if lower.endswith(".zip"):
        return info.file_size if info.file_size <= MAX_NESTED_ZIP else 0
    if PurePosixPath(lower).name in SIDECARS:
        return info.file_size if info.file_size <= MAX_SIDECAR else 0
    return 0


def _is_notebook(name: str) -> bool:
    return name.lower().endswith(".ipynb")


def _suffix(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return suffix if suffix in (".ipynb", ".txt", ".zip", ".json") else ""


def _zip_time(info: zipfile.ZipInfo) -> float:
    try:
        return dt.datetime(*info.date_time).timestamp()
    except (ValueError, OverflowError):
        return 0.0


_EXTENDED_TIMESTAMP = 0x5455  # Info-ZIP's "UT" extra field: the modification time in UTC seconds


def _zip_when(info: zipfile.ZipInfo) -> str:
    """A member's date, ISO 8601: the extended timestamp (UTC) when the zip has one, else the
    entry's DOS date, which is the zipping machine's local time (no offset)."""
    extra, at = info.extra, 0
    while at + 4 <= len(extra):
        kind, size = struct.unpack_from("<HH", extra, at)
        body = extra[at + 4:at + 4 + size]
        if kind == _EXTENDED_TIMESTAMP and len(body) >= 5 and body[0] & 1:
            seconds = struct.unpack_from("<i", body, 1)[0]
            return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).isoformat(timespec="seconds")
        at += 4 + size
    try:
        return dt.datetime(*info.date_time).isoformat(timespec="seconds")
    except ValueError:
        return ""


def _unpack(archive: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, label, name: str) -> None:
    """One member, counted as it is written: never more than it declared."""
    limit = min(info.file_size, MAX_RECEIPT) if dest.suffix == ".txt" else info.file_size
    written = 0
    try:
        with archive.open(info) as source, open(dest, "xb") as out:
            while True:
                chunk = source.read(1024 * 1024)
                if not chunk:
                    break
                written += len(chunk)
                if written > limit:
                    if dest.suffix == ".txt":
                        out.write(chunk[:len(chunk) - (written - limit)])
                        break
                    raise GdkitError(f"{label} member {name!r} unpacks to more than it declares (a zip bomb); "
                                     "it was not made by an LMS: check where it came from")
                out.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, RuntimeError) as exc:
        raise GdkitError(f"{label} cannot be unpacked ({name!r}: {exc}); download it again or unpack it "
                         "yourself and grade the folder") from None


def _unwrap(files: list[_File], folders: set[str], assignment) -> list[_File]:
    """A zipped folder is read as that folder, unless it is a student's own (a Moodle
    participant's, or an nbgrader student's: it holds the assignment's folder)."""
    tops = {f.rel.split("/", 1)[0] for f in files} | {d.split("/", 1)[0] for d in folders}
    if len(tops) != 1 or not all("/" in f.rel for f in files):
        return files
    top = next(iter(tops))
    if _MOODLE_DIR.fullmatch(top) or f"{top}/{assignment.name}" in folders:
        return files
    for f in files:
        f.rel = f.rel.split("/", 1)[1]
    stripped = {d.split("/", 1)[1] for d in folders if "/" in d}
    folders.clear()
    folders.update(stripped)
    return files


def _expand_nested(files: list[_File], target: Path, notes: list[str], student: str) -> list[_File]:
    """A student's own zip (one level, same caps): its notebooks join the student's files. A
    zip that cannot be unpacked stays a file that is not graded (and a note says why): the
    student's archive is theirs, it never stops the class's grading."""
    out = []
    for number, f in enumerate(files):
        if f.path is None or not f.rel.lower().endswith(".zip"):
            out.append(f)
            continue
        try:
            with zipfile.ZipFile(f.path) as archive:
                inner = _members(archive, f.shown, target / str(number), prefix=f.rel + "/")
        except (zipfile.BadZipFile, OSError, GdkitError) as exc:
            notes.append(f"not unpacked ({student}): {_clip(str(exc))}" if isinstance(exc, GdkitError)
                         else f"not unpacked ({student}): {_clip(f.shown)} is not a readable zip")
            out.append(f)
            continue
        for g in inner:
            if g.rel.lower().endswith(".zip"):
                g.path = None  # one level only: listed, not opened
            g.order = f.order
        if not inner:
            out.append(f)
        out += inner
    return out


# ---------------------------------------------------------------- layouts


def _folders(files: list[_File], also: set[str]) -> set[str]:
    """Every folder holding a file, and ``also``."""
    folders = set(also)
    for f in files:
        parts = f.rel.split("/")[:-1]
        folders.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return folders


def _students(files: list[_File], folders: set[str], assignment, notes: list[str], root: Path) -> dict[str, _Student]:
    """Group the files of one folder (or zip) by student, following the module's table."""
    students: dict[str, _Student] = {}
    by_top: dict[str, list[_File]] = {top: [] for top in folders if "/" not in top}
    top_files = []
    for f in files:
        top, _, rest = f.rel.partition("/")
        if rest:
            by_top.setdefault(top, []).append(f)
        else:
            top_files.append(f)
    receipts = _blackboard_receipts(top_files)
    for f in top_files:
        _top_file(f, students, notes, root, receipts)
    for top, inside in sorted(by_top.items()):
        moodle = _MOODLE_DIR.fullmatch(top)
        if top == CHECKPOINTS:  # checkpoints of top-level notebooks: ignored, but listed
            for f in inside:
                owner = _stem_id(f.name[:-len("-checkpoint.ipynb")]) if _CHECKPOINT_NAME.fullmatch(f.name) else None
                if owner in students:
                    students[owner].files.append(f)
        elif moodle:
            student = students.setdefault(moodle["id"], _Student())
            student.extra.update(lms="moodle", lms_name=_clip(moodle["name"].strip()))
            student.files += inside
        elif f"{top}/{assignment.name}" in folders:
            # nbgrader: only this assignment's folder (the student's other assignments sit beside it)
            students.setdefault(top, _Student()).files += [
                f for f in inside if f.rel.startswith(f"{top}/{assignment.name}/")]
        elif any(_is_notebook(f.name) and not _is_checkpoint(f) for f in inside):
            students.setdefault(top, _Student()).files += inside
        else:
            notes.append(f"skipped {_clip(str(root / top))}: no notebook in it")
    return students


_LMS_NAMES = ((_BLACKBOARD, "blackboard"), (_MOODLE_FILE, "moodle"), (_CANVAS_ANON, "canvas"),
              (_CANVAS_TEXT, "canvas"), (_CANVAS, "canvas"))


def _top_file(f: _File, students: dict, notes: list[str], root: Path, receipts: dict) -> None:
    """A file at the top of the folder: an LMS's name, a plain notebook, or something else."""
    name = f.rel
    for pattern, lms in _LMS_NAMES:
        match = pattern.fullmatch(name)
        if match is None:
            continue
        groups = match.groupdict()
        if lms == "blackboard":
            before = groups["before"]
            student_id, person = receipts.get((before, groups["order"])) or (before.rsplit("_", 1)[-1], None)
            f.receipt = bool(groups["receipt"])
        else:
            student_id, person = groups["id"], groups.get("name")
        student = students.setdefault(student_id, _Student())
        student.extra.setdefault("lms", lms)
        if person:
            student.extra.setdefault("lms_name", _clip(person.strip()))
        if groups.get("late"):
            student.extra["lms_late"] = True  # Canvas marked it late (gdkit.late applies a course policy)
        f.name = groups.get("file") or f.name
        if lms == "canvas":  # Canvas renames a re-uploaded "x.ipynb" to "x-1.ipynb"
            f.plain_name = _CANVAS_RENAME.sub(r"\g<base>\g<ext>", f.name)
        order = groups.get("order") or ""
        f.order = order.zfill(20) if order.isdigit() else order
        student.files.append(f)
        return
    if f.given:  # named on the command line: the id is its name as given
        students.setdefault(Path(name).stem, _Student()).files.append(f)
    elif _is_notebook(name) and not _CHECKPOINT_NAME.fullmatch(name):
        students.setdefault(_stem_id(Path(name).stem), _Student()).files.append(f)
    elif name.lower().endswith(".zip"):
        notes.append(f"skipped {_clip(str(root / name))}: give a zip on the command line to grade what it holds")
    elif not _is_notebook(name):
        notes.append(f"skipped {_clip(str(root / name))}: not a notebook")


def _blackboard_receipts(files: list[_File]) -> dict:
    """{(text before '_attempt_', attempt time): (username, name)} from Blackboard's receipts.

    A receipt starts ``Name: First Last (username)``. It settles the username where the file
    name cannot (a username may hold '_'); without one, the last '_'-free word before
    ``_attempt_`` is the username.
    """
    found = {}
    for f in files:
        match = _BLACKBOARD.fullmatch(f.rel)
        if match is None or not match["receipt"] or f.path is None:
            continue
        try:
            with open(f.path, "rb") as handle:
                text = handle.read(MAX_RECEIPT).decode("utf-8", "replace")
        except OSError:
            continue
        person = _BLACKBOARD_NAME.search(text)
        before = match["before"]
        if person and (before == person["user"] or before.endswith("_" + person["user"])):
            found[(before, match["order"])] = (person["user"], person["name"])
    return found


def _stem_id(stem: str) -> str:
    """A plain notebook's student id: its name without a copy's marker ("x (1)" -> "x")."""
    match = _COPY.fullmatch(stem)
    return match["base"] if match else stem


def _is_checkpoint(f: _File) -> bool:
    return CHECKPOINTS in f.rel.split("/") or bool(_CHECKPOINT_NAME.fullmatch(f.name))


# ---------------------------------------------------------------- choosing the notebook


def choose(files: list[_File], assignment) -> tuple[_File | None, list[_File], str]:
    """(the notebook to grade, the other notebooks not graded, the rule that chose) for one student
    (without a notebook: every file handed in, to say what came instead).

    The one rule, for ``gdkit grade`` and the Gradescope bundle alike: checkpoints and files
    that are not notebooks are never graded. Of the rest: the one named like the assignment's
    notebook, in any case (``GRADIENT_DESCENT.ipynb`` too; an LMS's renaming undone); else the
    newest, by the LMS's submission order where the names carry one, else by modification
    time; ties by path.
    """
    candidates = [f for f in files if f.gradable]
    listed = [f for f in files if not f.receipt]
    if not candidates:
        return None, listed, "no notebook handed in"
    named = [f for f in candidates if f.graded_name.casefold() == assignment.notebook.casefold()]
    pool = named or candidates
    chosen = max(pool, key=lambda f: (f.order, f.mtime, f.rel))
    if len(candidates) == 1:
        rule = "the only notebook handed in"
    elif named:
        rule = f"the notebook named {assignment.notebook}" + (", the newest of those" if len(named) > 1 else "")
    else:
        by = "submission time" if chosen.order else "modification time"
        rule = f"the newest notebook (by {by}); none is named {assignment.notebook}"
    # Only other notebooks are worth naming (a late copy, a checkpoint); the rest of a folder
    # (nbgrader's timestamp.txt, data files) was never a candidate.
    ignored = [f for f in listed if f is not chosen and (f.given or _is_notebook(f.name))]
    return chosen, ignored, rule


def choose_in_folder(folder: Path, assignment, student: str = "") -> Found:
    """One student's submission folder (Gradescope's ``submission/``): every file under it, read
    as :func:`collect` reads a student's folder, and :func:`choose`'s notebook. ``Found.problem``
    says why there is nothing to grade; links are not followed."""
    files = _folder_files(Path(folder), [], set(), [])
    return _found(student, _Student(files), assignment)


def handed_in(chosen: _File, files: list[_File], lms: str = "") -> dict[str, str]:
    """What the submission holds about when ``chosen`` was handed in, ``{kind: text}`` (see the
    module docstring; :mod:`gdkit.late` reads the text): sidecar files beside the notebook in
    its folder or zip, the LMS's time in the name, the notebook's own date."""
    times = {}
    for kind, name, ups in (("nbgrader", "timestamp.txt", 0), ("gradescope", "submission_metadata.json", 1)):
        text = _sidecar(chosen, files, name, ups)
        if text is None:
            continue
        if kind == "gradescope":
            text = _created_at(text)
        if text:
            times[kind] = _clip(text.strip()[:100])
    stamp = re.fullmatch(r"(\d{4}-\d\d-\d\d)-(\d\d)-(\d\d)-(\d\d)", chosen.order) if lms == "blackboard" else None
    if stamp:
        times["lms"] = f"{stamp[1]}T{stamp[2]}:{stamp[3]}:{stamp[4]}"
    if chosen.when:
        times["file"] = chosen.when
    return times


def times_beside(notebook: Path) -> dict[str, str]:
    """:func:`handed_in` for a notebook on disk alone, as it is now (for :func:`gdkit.late.handed_in`)."""
    try:
        return handed_in(_disk_file(Path(notebook), Path(notebook).name), [])
    except OSError:
        return {}


def _sidecar(chosen: _File, files: list[_File], name: str, ups: int) -> str | None:
    """The text of the file ``name`` beside ``chosen`` (or, ``ups`` = 1, one folder up): in its
    zip for a zipped notebook, else on disk; None when there is none."""
    if chosen.zipped:
        folder = PurePosixPath(chosen.rel).parent
        wanted = [folder / name] + ([folder.parent / name] if ups and folder != folder.parent else [])
        by_rel = {PurePosixPath(f.rel): f.path for f in files if f.path is not None}
        paths = [by_rel[w] for w in wanted if w in by_rel]
    elif chosen.path is not None:
        paths = [chosen.path.parent / name] + [chosen.path.parent.parent / name] * min(ups, 1)
    else:
        paths = []
    for path in paths:
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_SIDECAR + 1)
        except OSError:
            continue
        if len(data) <= MAX_SIDECAR:
            return data.decode("utf-8", "replace")
    return None


def _created_at(text: str) -> str:
    """Gradescope's ``created_at`` in its submission_metadata.json ('' when it has none)."""
    import json

    try:
        created = json.loads(text).get("created_at")
    except (ValueError, AttributeError):
        return ""
    return created if isinstance(created, str) else ""


def _found(student_id: str, student: _Student, assignment) -> Found:
    chosen, ignored, rule = choose(student.files, assignment)
    names = [_clip(f.rel) for f in ignored[:_IGNORED_SHOWN]]
    if len(ignored) > _IGNORED_SHOWN:
        names.append(f"... and {len(ignored) - _IGNORED_SHOWN} more")
    record = {"graded": _clip(chosen.rel) if chosen else None, "ignored": names, "rule": rule}
    extra = dict(student.extra)
    nowhere = Path(os.devnull + "-missing") / assignment.notebook  # never read: the problem says why
    if chosen is None:
        handed = ", ".join(names[:5]) or "nothing"
        return Found(student_id, nowhere, record, extra,
                     ("missing-file", f"no notebook (.ipynb) among the files handed in ({handed}): "
                                      f"submit {assignment.notebook}"), shown=ignored[0].shown if ignored else "")
    if chosen.too_big:
        return Found(student_id, nowhere, record, extra,
                     ("too-large", f"{_clip(chosen.name)}: larger than {notebooks.MAX_BYTES >> 20} MB: clear the "
                                   "outputs (Kernel > Restart & Clear Output), save and submit again"),
                     shown=chosen.shown)
    times = handed_in(chosen, student.files, str(extra.get("lms", "")))
    if times:
        extra["handed_in"] = times
    # a zip listed, not unpacked (find_submissions without unpack_to): the ids are right, the path is not
    return Found(student_id, chosen.path or Path(chosen.shown), record, extra, shown=chosen.shown)


def _clip(text: str) -> str:
    text = "".join(ch if ch.isprintable() else "\ufffd" for ch in text)
    return text if len(text) <= _NAME_CHARS else text[:_NAME_CHARS - 3] + "..."
