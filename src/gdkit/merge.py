"""`gdkit merge`: join the output folders of sharded `gdkit grade --shard K/N` runs into one.

Each shard folder holds one ``<student>/`` folder per graded student (``record.json`` last,
see :mod:`gdkit.grading.outputs`) plus its own ``grades.csv``. Merging copies the student
folders into ``--out`` and rebuilds ``grades.csv`` and ``junit.xml`` from the records, so the
result is the table one unsharded run would have written.

Refused, with one line saying what to do: a folder that is not a grading output, shards of
different assignments (or differently defined ones), a student in two shards, a student a
shard lists in its grades.csv without a record (the grader failed there), a student expected
from ``--expect`` with no record anywhere, and an ``--out`` holding other grading results.
Nothing is written until every check has passed.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from gdkit import assignments
from gdkit.errors import GdkitError
from gdkit.grading import outputs, runner
from gdkit.record import Record


# What the shards of one grading run share, in the order a difference is reported.
_SIGNATURE = ("assignment", "assignment definition (questions or points)", "seed (other hidden inputs)",
              "input policy (other hidden inputs)", "set of limits (--timeout, --memory-mb, ...)")


def _shard_records(folder: Path) -> tuple[dict[str, Record], set[str]]:
    """({student: record}, students listed in the shard's grades.csv) of one shard folder."""
    if not folder.is_dir():
        raise GdkitError(f"{folder} is not a folder; give the --out folders of the shard runs")
    records = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        record = outputs.read_record(folder, sub.name)
        if record is not None:
            records[sub.name] = record
    listed = set()
    grades = folder / "grades.csv"
    if grades.is_file():
        listed = set(outputs.grades_students(grades))
    elif not records:
        raise GdkitError(f"{folder} holds no grades.csv and no student records; is it a 'gdkit grade --out' folder?")
    return records, listed


def collect(shards: list[Path], expect: list[Path] | None = None,
            root: Path | None = None) -> tuple[dict[str, tuple[Path, Record]], str, list[str]]:
    """Check the shards and gather ({student: (shard, record)}, assignment name, question ids)."""
    if not shards:
        raise GdkitError("give the shard folders to merge")
    if len({p.resolve() for p in shards}) != len(shards):
        raise GdkitError("the same shard folder is given twice; give each once")
    merged: dict[str, tuple[Path, Record]] = {}
    signature = None  # (assignment, questions and points, seed, input policy, limits): shards agree on all
    for shard in shards:
        records, listed = _shard_records(shard)
        for student, record in records.items():
            key = record.regrade_key()
            mine = (record.assignment, tuple((q.id, q.points) for q in record.questions), record.seed,
                    key["inputs"], key["limits"])
            if signature is None:
                signature, first = mine, (shard, student)
            elif mine != signature:
                what = next(name for name, a, b in zip(_SIGNATURE, mine, signature, strict=True) if a != b)
                raise GdkitError(f"{shard / student} was graded with a different {what} ({mine[0]}) than "
                                 f"{first[0] / first[1]} ({signature[0]}); merge shards of one grading run only")
            if student in merged:
                raise GdkitError(f"student {student!r} is in two shards ({merged[student][0]} and {shard}); "
                                 "shards must not overlap: regrade with the same N for every shard")
            merged[student] = (shard, record)
        unrecorded = sorted(listed - set(records))
        if unrecorded:
            raise GdkitError(f"{shard}/grades.csv lists {len(unrecorded)} student(s) with no record "
                             f"({', '.join(unrecorded[:5])}): the grader failed on them "
                             f"(see {shard}/grader-errors.log); "
                             "rerun that shard, then merge")
    if signature is None:
        raise GdkitError("the shards hold no graded students; nothing to merge")
    name, questions = signature[0], signature[1]
    if expect:
        assignment = assignments.load(name, root)
        wanted = {f.student for f in runner.find_submissions(list(expect), assignment)}
        missing = sorted(wanted - set(merged))
        if missing:
            raise GdkitError(f"{len(missing)} expected student(s) have no record in any shard "
                             f"({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}): "
                             "was a shard left out or did one fail? Grade the missing shard, then merge")
    return merged, name, [qid for qid, _ in questions]


def _check_out(out: Path, shards: list[Path], students: set[str], force: bool) -> None:
    if any(out.resolve() == s.resolve() for s in shards):
        raise GdkitError(f"--out {out} is one of the shards; merge into a new folder")
    if out.exists() and not out.is_dir():
        raise GdkitError(f"--out {out} is a file; give a folder")
    if not out.is_dir():
        return
    existing = {p.name for p in out.iterdir() if p.is_dir() and outputs.read_record(out, p.name) is not None}
    others = sorted(existing - students)
    if others:
        raise GdkitError(f"--out {out} already holds results of students in no shard ({', '.join(others[:5])}); "
                         "merge into an empty folder")
    if existing and not force:
        raise GdkitError(f"--out {out} already holds merged results; pass --force to replace them")


def merge(shards: list[Path], out: Path, expect: list[Path] | None = None, force: bool = False,
          root: Path | None = None) -> list[Record]:
    """Merge shard folders into ``out``; returns the records (sorted by student)."""
    shards = [Path(s) for s in shards]
    out = Path(out)
    merged, name, question_ids = collect(shards, expect, root)
    _check_out(out, shards, set(merged), force)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GdkitError(f"cannot write to {out} ({exc.strerror}); choose a writable --out") from None
    with runner._Lock(out):
        errors = []
        for student, (shard, _) in sorted(merged.items()):
            _copy_student(shard / student, out / student)
            log = shard / "grader-errors.log"
            if log.is_file() and log not in errors:
                errors.append(log)
        if errors:
            outputs.write_atomic(out / "grader-errors.log",
                                 "".join(f"# from {log}\n{log.read_text()}" for log in errors))
        records = [record for _, (_, record) in sorted(merged.items())]
        outputs.write_atomic(out / "grades.csv", outputs.grades_csv(records, question_ids))
        outputs.write_atomic(out / "junit.xml", outputs.junit_xml(records, name))
    return records


def _copy_student(source: Path, target: Path) -> None:
    """Copy a student folder so ``target`` is either the old folder or the whole new one."""
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        shutil.copytree(source, staging, dirs_exist_ok=True)
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
            os.replace(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
