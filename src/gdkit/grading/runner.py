"""`gdkit grade`: find submissions, grade them in parallel grader processes, write the outputs.

The pipeline:
1. :func:`find_submissions` — notebooks, folders of notebooks, or an nbgrader ``submitted/`` tree;
2. skip students whose ``record.json`` exists (unless ``force``), pick this shard's students;
3. split the rest into chunks; up to ``jobs`` grader processes (:mod:`gdkit.grading.session`)
   each grade a chunk in one pytest session, each with its own sandbox zygote;
4. rebuild ``grades.csv`` and ``junit.xml`` from every student's record.

A lock on the output folder keeps two runs from writing it at once. Every file is written
atomically, so killing a run at any point loses only the students being graded at that moment.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import selectors
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gdkit import assignments, late
from gdkit.course import Course
from gdkit.errors import GdkitError
from gdkit.grading import outputs, randomness
from gdkit.record import GRADER_ERROR, QuestionResult, Record
from gdkit.sandbox.limits import DEFAULT, Limits

CHUNK = 50
LOCK = ".gdkit.lock"


@dataclass(frozen=True)
class Found:
    student: str
    path: Path


def find_submissions(paths: list[Path], assignment: assignments.Assignment) -> list[Found]:
    """Submissions under ``paths``: a notebook (id = file stem), a folder of notebooks, or an
    nbgrader ``submitted/`` tree (``<student>/<assignment>/*.ipynb``, id = the student folder)."""
    found: list[Found] = []
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise GdkitError(f"{path} does not exist; give notebooks or folders of notebooks")
        if path.is_file():
            found.append(Found(path.stem, path))
            continue
        direct = sorted(p for p in path.glob("*.ipynb") if p.is_file())
        found.extend(Found(p.stem, p) for p in direct)
        for student_dir in sorted(p for p in path.iterdir() if p.is_dir()):
            folder = student_dir / assignment.name
            if folder.is_dir():
                notebooks = sorted(folder.glob("*.ipynb"))
                preferred = [p for p in notebooks if p.name == assignment.notebook]
                # A folder without its notebook still gets a row (status missing-file).
                found.append(Found(student_dir.name, (preferred or notebooks or [folder / assignment.notebook])[0]))
    if not found:
        raise GdkitError(f"no notebooks found in {', '.join(map(str, paths))}; give .ipynb files or folders")
    seen: dict[str, Path] = {}
    for f in found:
        if f.student in seen:
            raise GdkitError(f"two submissions for student {f.student!r} ({seen[f.student]} and {f.path}); "
                             "keep one per student")
        if not _safe_id(f.student):
            raise GdkitError(f"student id {f.student!r} (from {f.path}) is not a plain file name; rename it")
        seen[f.student] = f.path
    return found


def _safe_id(student: str) -> bool:
    return bool(student) and student not in (".", "..") and "/" not in student and not student.startswith(".")


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """'K/N' -> (K, N) with 1 <= K <= N; None passes through."""
    if text is None:
        return None
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise GdkitError(f"--shard must look like K/N (e.g. 1/4), got {text!r}") from None
    if not 1 <= k <= n:
        raise GdkitError(f"--shard {text}: K must be between 1 and N")
    return k, n


def in_shard(student: str, shard: tuple[int, int] | None) -> bool:
    """Deterministic: the same student always lands in the same shard, on any machine."""
    if shard is None:
        return True
    k, n = shard
    digest = hashlib.sha256(student.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n == k - 1


class _Lock:
    def __init__(self, outdir: Path):
        self.path = outdir / LOCK
        self.fd = None

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise GdkitError(f"another gdkit grade is writing to {self.path.parent}; "
                             "wait for it to finish or use another --out") from None
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def _prepare_outdir(outdir: Path) -> None:
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        probe = outdir / ".gdkit-write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise GdkitError(f"cannot write to {outdir} ({exc.strerror}); choose a writable --out") from None


def _progress_bar(total: int, quiet: bool):
    if quiet or total == 0:
        return None
    if sys.stderr.isatty():
        from tqdm import tqdm
        return tqdm(total=total, unit="student", desc="grading", file=sys.stderr)
    return _PlainProgress(total)


class _PlainProgress:
    """CI logs get one plain line per student instead of a redrawn bar."""

    def __init__(self, total: int):
        self.total, self.n = total, 0

    def update(self, student: str) -> None:
        self.n += 1
        print(f"graded {student} ({self.n}/{self.total})", file=sys.stderr, flush=True)

    def close(self) -> None:
        pass


def _run_chunks(assignment, chunks, outdir: Path, limits: Limits, jobs: int, bar,
                seed: int | None = None, options=None) -> None:
    """Run the grader processes, at most ``jobs`` at a time, feeding the progress bar."""
    worker_ids = Course.at(assignment.root, marker=False).worker_ids  # who runs student code as root
    pending = list(chunks)
    selector = selectors.DefaultSelector()
    running = {}
    with tempfile.TemporaryDirectory(prefix="gdkit-grade-") as tmp:
        def launch(index: int, chunk) -> None:
            read_fd, write_fd = os.pipe()
            spec = {"assignment": assignment.name, "root": str(assignment.root), "outdir": str(outdir),
                    "limits": limits.to_json(), "progress_fd": write_fd, "seed": seed,
                    "worker_ids": worker_ids,
                    "feedback": options.feedback if options else "default",
                    "visibility": options.visibility.to_json() if options else None,
                    "per_student": bool(options and options.per_student),
                    "submissions": [[f.student, str(f.path)] for f in chunk]}
            spec_path = Path(tmp) / f"chunk-{index}.json"
            spec_path.write_text(json.dumps(spec))
            log = open(Path(tmp) / f"chunk-{index}.log", "w+")
            proc = subprocess.Popen([sys.executable, "-m", "gdkit.grading.session", str(spec_path)],
                                    pass_fds=[write_fd], stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT,
                                    env={**os.environ, "GDKIT_PARENT_PID": str(os.getpid())})
            os.close(write_fd)
            reader = os.fdopen(read_fd, "rb")
            selector.register(reader, selectors.EVENT_READ, proc)
            running[proc] = (reader, log, chunk)

        index = 0
        while pending or running:
            while pending and len(running) < jobs:
                launch(index, pending.pop(0))
                index += 1
            for key, _ in selector.select(timeout=1.0):
                line = key.fileobj.readline()
                proc = key.data
                if line:
                    if bar is not None:
                        student = line.decode(errors="replace").split(" ", 1)[-1].strip()
                        bar.update(student) if isinstance(bar, _PlainProgress) else bar.update(1)
                    continue
                selector.unregister(key.fileobj)
                key.fileobj.close()
                reader, log, chunk = running.pop(proc)
                if proc.wait() != 0:
                    log.seek(0)
                    tail = log.read()[-3000:]
                    with open(outdir / "grader-errors.log", "a") as f:
                        f.write(f"grader process for {[c.student for c in chunk]} exited {proc.returncode}:\n{tail}\n")
                log.close()


def grade_submissions(assignment_name: str, paths: list[Path] | None = None, *, outdir: Path,
                      jobs: int = 1, limits: Limits = DEFAULT, force: bool = False,
                      shard: tuple[int, int] | None = None, quiet: bool = False,
                      root: Path | None = None, seed: int | None = None,
                      timeout: float | None = None, memory_mb: int | None = None,
                      per_student: bool | None = None) -> list[Record]:
    """Grade submissions and write every output; returns one record per submission.

    ``paths`` defaults to the bundled ``examples/submissions``. Students already graded in
    ``outdir`` with the same assignment, seed, notebook and ``limits`` are skipped unless
    ``force``. ``seed`` fixes the hidden suites' random inputs (default ``$GDKIT_SEED``, else
    derived from the assignment), so a submission gets the same points in any run, shard or
    platform. ``timeout``/``memory_mb`` are shorthands for the same fields of ``limits``.
    ``per_student`` (default: the course's ``[seed] per_student``) draws the hidden inputs per
    (seed, student id).
    Raises GdkitError for bad input.
    """
    assignment = assignments.load(assignment_name, root)
    try:
        seed = randomness.run_seed(assignment.name, seed)
    except ValueError:
        raise GdkitError("$GDKIT_SEED must be a whole number >= 0; fix or unset it") from None
    if not (isinstance(seed, int) and seed >= 0):
        raise GdkitError(f"the seed (--seed or $GDKIT_SEED) must be a whole number >= 0, got {seed}")
    if jobs < 1:
        raise GdkitError(f"--jobs must be at least 1, got {jobs}")
    try:
        limits = limits.replace(timeout=timeout, memory_mb=memory_mb)
    except ValueError as exc:
        raise GdkitError(f"bad limit: {exc}; fix the option or the course's [limits]") from None
    if not paths:
        paths = [assignment.root / "examples" / "submissions"]
    found = [f for f in find_submissions(paths, assignment) if in_shard(f.student, shard)]
    late_policy = late.policy(late.course_config(assignment.root), assignment.name, assignment.root)
    from gdkit.export import settings as course_settings  # feedback detail, visibility, seed policy
    options = course_settings.for_assignment(assignment.name, root=assignment.root)
    if per_student is not None:
        options = course_settings.with_overrides(options, per_student=per_student)
    outdir = Path(outdir).resolve()
    _prepare_outdir(outdir)
    try:
        return _grade_locked(assignment, found, outdir, jobs, limits, force, quiet, seed, late_policy, options)
    except OSError as exc:  # e.g. the disk filled up mid-run: files already written are whole
        raise GdkitError(f"cannot write to {outdir} ({exc.strerror or exc}); free some space or "
                         "choose another --out, then run again to finish") from None


def _grade_locked(assignment, found, outdir, jobs, limits, force, quiet, seed, late_policy=None,
                  options=None) -> list[Record]:
    inputs = "per-student" if options is not None and options.per_student else "per-course"
    with _Lock(outdir):
        # A record is current for this notebook, assignment, seed, seed policy and limits only.
        expect = {f.student: {"assignment": assignment.name, "seed": seed, "limits": limits.to_json(),
                              "sha256": outputs.file_digest(f.path), "inputs": inputs} for f in found}
        todo = [f for f in found if force or _needs_grading(outdir, f.student, expect[f.student])]
        if todo:
            from gdkit.sandbox import protections
            protections.warn()  # one stderr line if this kernel lacks seccomp or Landlock
            size = max(1, min(CHUNK, math.ceil(len(todo) / jobs)))
            chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
            bar = _progress_bar(len(todo), quiet)
            try:
                _run_chunks(assignment, chunks, outdir, limits, jobs, bar, seed, options)
            finally:
                if bar is not None:
                    bar.close()
        records = [outputs.read_record(outdir, f.student, expect=expect[f.student]) or _missing_record(assignment, f)
                   for f in found]
        _apply_late(records, late_policy, outdir, options)
        ids = [q.id for q in assignment.questions]
        outputs.write_atomic(outdir / "grades.csv", outputs.grades_csv(records, ids))
        outputs.write_atomic(outdir / "junit.xml", outputs.junit_xml(records, assignment.name))
    return records


def _apply_late(records: list[Record], policy, outdir: Path, options=None) -> None:
    """The course's late policy on the finished records: the one place a penalty is applied
    (see gdkit.late); a record it changes is written again with what the student reads
    (results.json, feedback), so they show the raw score, the penalty and the final score."""
    from gdkit.feedback import render

    before = {r.student: (r.total, dict(r.extra)) for r in records}
    late.apply(records, policy)
    detail = options.feedback if options else "default"
    for r in records:
        if r.graded and (r.total, r.extra) != before[r.student]:
            outputs.write_student(outdir, r, lambda rec: render(rec, detail), detail=detail,
                                  visibility=options.visibility if options else None)


def _needs_grading(outdir: Path, student: str, expect: dict) -> bool:
    """No current record (absent, stale, or one the grader itself failed on)."""
    record = outputs.read_record(outdir, student, expect=expect)
    return record is None or not record.graded


def _missing_record(assignment, found: Found) -> Record:
    """A row for a student the grader itself failed on (see grader-errors.log); not saved, so a rerun retries."""
    return Record(student=found.student, assignment=assignment.name, path=str(found.path),
                  status=GRADER_ERROR, reason="the grader failed on this submission; see grader-errors.log",
                  questions=[QuestionResult(q.id, q.points) for q in assignment.questions],
                  max_total=assignment.max_total)


def summary_table(records: list[Record], question_ids: list[str]) -> str:
    """A plain-text table of the grades for the terminal."""
    short = [q.split("_", 1)[0] for q in question_ids]
    width = max([7] + [len(r.student) for r in records])
    lines = [f"{'student':<{width}}  " + "  ".join(f"{s:>5}" for s in short) + "  total  status"]
    for r in sorted(records, key=lambda r: r.student):
        scores = r.scores()
        cells = "  ".join(f"{outputs._num(scores.get(q, 0)):>5}" for q in question_ids)
        lines.append(f"{r.student:<{width}}  {cells}  {outputs._num(r.total):>5}  {r.status}")
    return "\n".join(lines)
