"""`gdkit grade`: find submissions, grade them in parallel grader processes, write the outputs.

The pipeline:
1. :mod:`gdkit.intake` — notebooks, folders, nbgrader ``submitted/`` trees, LMS downloads, zips;
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
from pathlib import Path
from typing import IO, cast

from gdkit import assignments, intake, late
from gdkit.course import Course
from gdkit.errors import GdkitError
from gdkit.grading import outputs, randomness
from gdkit.intake import Found, find_submissions  # noqa: F401 - where callers found them
from gdkit.record import GRADER_ERROR, QuestionResult, Record
from gdkit.sandbox import cleanup
from gdkit.sandbox.limits import DEFAULT, Limits

CHUNK = 50
LOCK = ".gdkit.lock"
SCRATCH_PREFIX = "gdkit-grade-"


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
    # The chunk specs name students' files: a folder only we can enter, locked while this run
    # lives, so that a later run sweeps it if this one is killed.
    with cleanup.RunFolder(prefix=SCRATCH_PREFIX, mode=0o700) as scratch:
        tmp = scratch.path
        def launch(index: int, chunk) -> None:
            read_fd, write_fd = os.pipe()
            spec = {"assignment": assignment.name, "root": str(assignment.root), "outdir": str(outdir),
                    "limits": limits.to_json(), "progress_fd": write_fd, "seed": seed,
                    "worker_ids": worker_ids,
                    "feedback": options.feedback if options else "default",
                    "visibility": options.visibility.to_json() if options else None,
                    "per_student": bool(options and options.per_student),
                    "submissions": [f.spec() for f in chunk]}
            spec_path = Path(tmp) / f"chunk-{index}.json"
            spec_path.write_text(json.dumps(spec))
            log = open(Path(tmp) / f"chunk-{index}.log", "w+")  # noqa: SIM115 - closed when the session ends, below
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
                reader = cast(IO[bytes], key.fileobj)  # the pipe launch() registered
                line = reader.readline()
                proc = key.data
                if line:
                    if bar is not None:
                        student = line.decode(errors="replace").split(" ", 1)[-1].strip()
                        bar.update(student) if isinstance(bar, _PlainProgress) else bar.update(1)
                    continue
                selector.unregister(reader)
                reader.close()
                _, log, chunk = running.pop(proc)
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
                      per_student: bool | None = None, students: list[str] | None = None) -> list[Record]:
    """Grade submissions and write every output; returns one record per submission.

    ``paths`` defaults to the bundled ``examples/submissions``. Students already graded in
    ``outdir`` with the same assignment, seed, notebook and ``limits`` are skipped unless
    ``force``. ``seed`` fixes the hidden suites' random inputs (default ``$GDKIT_SEED``, else
    derived from the assignment), so a submission gets the same points in any run, shard or
    platform. ``timeout``/``memory_mb`` are shorthands for the same fields of ``limits``.
    ``per_student`` (default: the course's ``[seed] per_student``) draws the hidden inputs per
    (seed, student id). ``students`` (``--student``): regrade only these, in an ``outdir``
    already graded, and keep every other student's row of grades.csv/junit.xml as it is (their
    records are read back, not regraded). Raises GdkitError for bad input.
    """
    assignment = assignments.load(assignment_name, root)
    from gdkit.export import settings as course_settings  # feedback detail, visibility, seed policy
    options = course_settings.for_assignment(assignment.name, root=assignment.root)
    try:
        seed = randomness.run_seed(assignment.name, seed, options.secret)
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
    if students and shard:
        raise GdkitError("--student regrades named students of the whole class: leave out --shard")
    late_policy = late.policy(late.course_config(assignment.root), assignment.name, assignment.root)
    if per_student is not None:
        options = course_settings.with_overrides(options, per_student=per_student)
    outdir = Path(outdir).resolve()
    with intake.submissions(paths, assignment, exclude=[outdir]) as collected:
        if not quiet:
            for note in collected.notes:
                print(f"gdkit: note: {note}", file=sys.stderr)
        found = [f for f in collected.found if in_shard(f.student, shard)]
        only = _only(students, found, paths, outdir)
        _prepare_outdir(outdir)
        try:
            return _grade_locked(assignment, found, outdir, jobs, limits, force, quiet, seed, late_policy, options,
                                 only)
        except OSError as exc:  # e.g. the disk filled up mid-run: files already written are whole
            raise GdkitError(f"cannot write to {outdir} ({exc.strerror or exc}); free some space or "
                             "choose another --out, then run again to finish") from None


def _only(students, found: list[Found], paths, outdir: Path) -> list[str] | None:
    """The students named by --student, checked against what was found and the output folder."""
    if not students:
        return None
    only = list(dict.fromkeys(students))
    ids = {f.student for f in found}
    for student in only:
        if student not in ids:
            near = sorted(ids, key=lambda i: (student.lower() not in i.lower(), i))[:3]
            raise GdkitError(f"--student {student}: no submission with that id in {', '.join(map(str, paths))} "
                             f"(ids look like: {', '.join(near)}); check the id")
    if not (outdir / "grades.csv").is_file():
        raise GdkitError(f"--student regrades students in an existing grading folder, and {outdir} has no "
                         "grades.csv; grade the class first (without --student)")
    return only


def _grade_locked(assignment, found, outdir, jobs, limits, force, quiet, seed, late_policy=None,
                  options=None, only=None) -> list[Record]:
    inputs = "per-student" if options is not None and options.per_student else "per-course"
    with _Lock(outdir):
        kept = []
        if only is not None:  # --student: these are regraded, every other row is kept as it is
            kept = _kept_records(outdir, assignment, set(only))
            found = [f for f in found if f.student in only]
        # A record is current for this notebook, assignment, seed, seed policy and limits only.
        expect = {f.student: {"assignment": assignment.name, "seed": seed, "limits": limits.to_json(),
                              "sha256": outputs.file_digest(f.path), "inputs": inputs} for f in found}
        regrade = force or only is not None
        todo = [f for f in found if regrade or _needs_grading(outdir, f.student, expect[f.student])]
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
        records += kept  # as they are: not even the late policy is applied to them again
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


def _kept_records(outdir: Path, assignment, regraded: set[str]) -> list[Record]:
    """Every other student's row, read back as it is (stale or a grader error: not regraded).

    A student listed in grades.csv without a record (the grader failed on them) keeps a
    grader-error row; a record that cannot be read, or one of another assignment, stops the
    run before anything is written.
    """
    kept = []
    listed = outputs.grades_students(outdir / "grades.csv")
    names = {p.parent.name for p in outdir.glob(f"*/{outputs.RECORD}")} | set(listed)
    for student in sorted(names - regraded):
        if not (outputs.student_dir(outdir, student) / outputs.RECORD).exists():
            kept.append(_missing_record(assignment, Found(student, Path(student), shown=" ")))
            continue
        record = outputs.read_record(outdir, student)
        if record is None:
            raise GdkitError(f"cannot keep {student}'s row: {outdir / student / outputs.RECORD} is unreadable; "
                             f"regrade them too (--student {student}) or the whole class (no --student)")
        if record.assignment != assignment.name:
            raise GdkitError(f"{outdir} holds grades of {record.assignment!r} ({student}), not {assignment.name!r}; "
                             "give the --out folder of this assignment")
        kept.append(record)
    return kept


def _needs_grading(outdir: Path, student: str, expect: dict) -> bool:
    """No current record (absent, stale, or one the grader itself failed on)."""
    record = outputs.read_record(outdir, student, expect=expect)
    return record is None or not record.graded


def _missing_record(assignment, found: Found) -> Record:
    """A row for a student the grader itself failed on (see grader-errors.log); not saved, so a rerun retries."""
    return Record(student=found.student, assignment=assignment.name, path=found.shown or str(found.path),
                  notebook=found.notebook, extra=dict(found.extra),
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
