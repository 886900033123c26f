"""Nothing lost under faults: `gdkit grade` (the real CLI, as a subprocess) killed and rerun,
run twice at once, pointed at a read-only or full output folder, or at a missing assignment.

Mounts (a read-only bind mount, a small tmpfs) need root; the kit's CI runs as root. As root,
permission bits do not stop writes, which is why a mount is used rather than chmod.
"""
import csv
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from hostile import corpus  # noqa: E402

KIT = Path(__file__).resolve().parents[1]
N = 24
pytestmark = pytest.mark.slow  # the module grades 24 submissions, then kills and reruns the real CLI


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """N submissions (right, wrong, zeros, crashing, broken) and the grades.csv of an uninterrupted run."""
    base = tmp_path_factory.mktemp("faults")
    built = base / "built"
    built.mkdir()
    cases = {c.name: c for c in corpus.build(None, root=KIT, victim_notebook=base / "v", outdir=base / "o")}
    kinds = ["base_master", "base_wrong", "base_zeros", "exit_at_import", "invalid_json", "renamed_function"]
    subs = base / "subs"
    subs.mkdir()
    for i in range(N):
        (subs / f"s{i:02d}.ipynb").write_bytes(cases[kinds[i % len(kinds)]].data)
    reference = base / "reference"
    done = cli(subs, reference)
    assert done.returncode == 0, done.stderr
    return subs, (reference / "grades.csv").read_text(), base


def cli(subs, out, *extra, wait=True, env=None):
    args = [sys.executable, "-m", "gdkit.cli", "grade", str(subs), "-a", "gradient_descent", "--out", str(out),
            "--jobs", "2", "--timeout", "2", *extra]
    env = dict(os.environ, GDKIT_ROOT=str(KIT), **(env or {}))
    if not wait:
        return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)


def one_line_error(result, needle):
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in result.stderr, result.stderr[-2000:]


def tree_hashes(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file() and p.name != ".gdkit.lock"}


def test_sigkill_at_random_points_then_rerun_gives_the_same_table(course, tmp_path):
    subs, expected, _ = course
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    out = tmp_path / "out"
    delays = sorted(rng.uniform(0.3, 6.0) for _ in range(3))
    for delay in delays:
        proc = cli(subs, out, wait=False)
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)  # the whole `gdkit grade` job, as a scheduler would
        proc.communicate()
        # whatever was written before the kill is whole: every record parses, no temp file is left as a result
        for record in out.glob("*/record.json"):
            assert record.read_text().rstrip().endswith("}")
    rerun = cli(subs, out)
    assert rerun.returncode == 0, rerun.stderr
    assert (out / "grades.csv").read_text() == expected, f"kill points {delays}"
    assert len(list(out.glob("*/record.json"))) == N


def test_a_killed_runs_scratch_folders_are_swept_by_the_next(course, tmp_path):
    """SIGKILL leaves the run's folders in the temporary folder (its chunk specs name students'
    files); the next run removes those of dead runs, and its own, and nothing else."""
    subs, expected, _ = course
    scratch = Path(tempfile.mkdtemp(prefix="gdkit-faults-"))  # TMPDIR of both runs: only theirs is in it
    scratch.chmod(0o755)
    try:
        (scratch / "unrelated").mkdir()
        proc = cli(subs, tmp_path / "out", wait=False, env={"TMPDIR": str(scratch)})
        proc.stderr.readline()  # "graded ...": mid-run
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        left = sorted(p.name.split("-")[1] for p in scratch.iterdir() if p.name.startswith("gdkit-"))
        assert "grade" in left and "workers" in left, left
        rerun = cli(subs, tmp_path / "out", env={"TMPDIR": str(scratch)})
        assert rerun.returncode == 0, rerun.stderr
        assert (tmp_path / "out" / "grades.csv").read_text() == expected
        assert [p.name for p in scratch.iterdir() if p.name.startswith(("gdkit-grade-", "gdkit-workers-"))] == []
        assert (scratch / "unrelated").is_dir()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_two_runs_on_one_outdir(course, tmp_path):
    subs, expected, _ = course
    out = tmp_path / "out"
    first = cli(subs, out, wait=False)
    first.stderr.readline()  # "graded ...": the first run holds the lock and is writing
    second = cli(subs, out)
    one_line_error(second, "another gdkit grade is writing")
    assert first.wait(timeout=300) == 0
    assert (out / "grades.csv").read_text() == expected


def _graded_copy(course, dest):
    _, _, base = course
    shutil.copytree(base / "reference", dest)
    return tree_hashes(dest)


def test_read_only_outdir_is_one_line_error_and_keeps_results(as_root, course, tmp_path):
    subs, _, _ = course
    out = tmp_path / "out"
    before = _graded_copy(course, out)
    subprocess.run(["mount", "--bind", str(out), str(out)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(out)], check=True)
        result = cli(subs, out, "--force")
    finally:
        subprocess.run(["umount", str(out)], check=True)
    one_line_error(result, "cannot write")
    assert tree_hashes(out) == before


def test_full_disk_is_one_line_error_and_keeps_results(as_root, course, tmp_path):
    subs, _, _ = course
    out = tmp_path / "small"
    out.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(out)], check=True)
    try:
        # earlier results of two students, then the disk filled up to the last few kB
        for student in ("s00", "s01"):
            shutil.copytree(course[2] / "reference" / student, out / "earlier" / student)
        before = tree_hashes(out / "earlier")
        fd = os.open(out / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:  # ENOSPC: the disk is full
            pass
        finally:
            os.close(fd)
        os.truncate(out / "filler", os.path.getsize(out / "filler") - 8192)  # room for the write probe only
        result = cli(subs, out / "earlier")  # s00, s01 are done; the other students do not fit
        after = tree_hashes(out / "earlier")
    finally:
        subprocess.run(["umount", str(out)], check=True)
    one_line_error(result, "")
    assert "space" in result.stderr.lower() or "cannot write" in result.stderr
    assert {k: v for k, v in after.items() if k in before} == before
    assert not [k for k in after if k.endswith(".tmp")]  # no half-written file left behind


def test_missing_assignment_is_one_line_error_and_keeps_results(course, tmp_path):
    subs, _, _ = course
    out = tmp_path / "out"
    before = _graded_copy(course, out)
    result = subprocess.run([sys.executable, "-m", "gdkit.cli", "grade", str(subs), "-a", "no_such_assignment",
                             "--out", str(out), "--force"], env=dict(os.environ, GDKIT_ROOT=str(KIT)),
                            capture_output=True, text=True, timeout=120)
    one_line_error(result, "no_such_assignment")
    assert tree_hashes(out) == before


def test_grades_csv_of_the_reference_is_complete(course):
    _, expected, _ = course
    rows = list(csv.DictReader(expected.splitlines()))
    assert len(rows) == N and {r["status"] for r in rows} >= {"ok", "crashed", "invalid-json"}
