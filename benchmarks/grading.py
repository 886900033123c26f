"""Grading speed, measured side by side with nbgrader in one run.

    python3 benchmarks/grading.py                    # N=30 vs nbgrader, then 100 and 1,000 with gdkit
    python3 benchmarks/grading.py --n 30 --scale ""  # the small configuration CI can afford

Builds N submissions from the gradient_descent release (a realistic mix: master answers,
other correct styles, bug-zoo mistakes; no hangs), sets up an nbgrader course from the kit in
a temporary folder, times `nbgrader autograde` and `gdkit grade` on the same submissions with
the same per-cell / per-call timeout, checks both give the same per-question points, and
prints wall time, CPU time, per-submission p50/p95, peak memory and the ratio. Then it times
`gdkit grade --jobs 2` on larger classes to show how the cost grows.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from gdkit import assignments
from gdkit.grading.diagnose import load_styles, load_zoo
from gdkit.record import Record
from gdkit.submissions import fill_solutions, master_answers, release_path

ASSIGNMENT = "gradient_descent"


def build_class(folder: Path, n: int) -> dict[str, str]:
    """n notebooks: half master answers, a fifth other styles, the rest bug-zoo mistakes.

    Returns {student: kind} so honest (correct) submissions can be picked out for p50.
    """
    assignment = assignments.load(ASSIGNMENT)
    release = nbformat.read(release_path(ASSIGNMENT), as_version=4)
    master = master_answers(ASSIGNMENT)
    styles = load_styles(assignment.suite_dir / "styles.py")
    zoo = load_zoo(assignment.suite_dir / "bugzoo.py")
    kinds = {}
    for i in range(n):
        student = f"s{i:04d}"
        slot = i % 10
        if slot < 5:
            answers, kind = master, "correct"
        elif slot < 7:
            answers, kind = {**master, **styles[i % len(styles)].answers}, "correct"
        else:
            bug = zoo[i % len(zoo)]
            answers, kind = {**master, bug.function: bug.source}, "bug"
        nbformat.write(fill_solutions(release, answers), folder / f"{student}.ipynb")
        kinds[student] = kind
    return kinds


def children_usage() -> tuple[float, int]:
    """CPU seconds and peak RSS (KB) of all finished descendants so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def time_gdkit(subs: Path, out: Path, jobs: int, timeout: float) -> dict:
    cpu0, _ = children_usage()
    start = time.perf_counter()
    done = subprocess.run(["gdkit", "grade", str(subs), "--out", str(out), "--jobs", str(jobs),
                           "--timeout", str(timeout), "--force", "--quiet"], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"gdkit grade failed: {done.stderr.strip()}")
    cpu1, _ = children_usage()
    records = {p.parent.name: Record.from_json(json.loads(p.read_text())) for p in out.glob("*/record.json")}
    return {"wall": wall, "cpu": cpu1 - cpu0, "records": records}


def points(records: dict) -> dict:
    return {s: {qid: round(score, 3) for qid, score in r.scores().items()} for s, r in records.items()}


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def line(label: str, wall: float, cpu: float, n: int) -> str:
    return f"  {label:<28} wall {wall:7.2f} s   cpu {cpu:7.2f} s   {1000 * wall / n:7.1f} ms/submission"


def compare_with_nbgrader(n: int, jobs: int, timeout: float) -> bool:
    from gdkit.nbgrader_course import make_course

    with tempfile.TemporaryDirectory(prefix="gdkit-bench-") as tmp:
        tmp = Path(tmp)
        subs = tmp / "subs"
        subs.mkdir()
        kinds = build_class(subs, n)
        print(f"{n} submissions ({sum(k == 'correct' for k in kinds.values())} correct, "
              f"{sum(k == 'bug' for k in kinds.values())} with a bug-zoo mistake), timeout {timeout:g} s")

        course = make_course(tmp / "course", ASSIGNMENT, {s: subs / f"{s}.ipynb" for s in kinds})
        cpu0, _ = children_usage()
        autograded = course.autograde(timeout=timeout)
        nb_points, nb_wall = autograded.scores, autograded.seconds
        nb_cpu = children_usage()[0] - cpu0

        one = time_gdkit(subs, tmp / "out1", 1, timeout)
        many = time_gdkit(subs, tmp / f"out{jobs}", jobs, timeout)

        print(line("nbgrader autograde", nb_wall, nb_cpu, n))
        print(line("gdkit grade --jobs 1", one["wall"], one["cpu"], n))
        print(line(f"gdkit grade --jobs {jobs}", many["wall"], many["cpu"], n))
        honest = [r.seconds for s, r in one["records"].items() if kinds[s] == "correct"]
        every = [r.seconds for r in one["records"].values()]
        print(f"  per honest submission (--jobs 1): p50 {pct(honest, .5):.3f} s, p95 {pct(honest, .95):.3f} s; "
              f"all: p50 {pct(every, .5):.3f} s, p95 {pct(every, .95):.3f} s")
        print(f"  peak memory: grader {max(r.grader_max_rss_kb for r in many['records'].values()) / 1024:.0f} MB, "
              f"largest worker {max(r.worker_max_rss_kb for r in many['records'].values()) / 1024:.0f} MB")
        same = points(one["records"]) == points(many["records"]) == {s: {q: round(p, 3) for q, p in qs.items()}
                                                                     for s, qs in nb_points.items()}
        if not same:
            for s in sorted(kinds):
                a, b = points(one["records"]).get(s), nb_points.get(s)
                if a != {q: round(p, 3) for q, p in (b or {}).items()}:
                    print(f"  DIFFERENT {s}: gdkit {a} nbgrader {b}")
        print(f"  same per-question points as nbgrader: {'yes' if same else 'NO'}")
        print(f"  ratio nbgrader / gdkit: {nb_wall / many['wall']:.1f}x with --jobs {jobs}, "
              f"{nb_wall / one['wall']:.1f}x with --jobs 1 (target >= 20x)")
        print(f"  p50 per honest submission: {pct(honest, .5):.3f} s (target <= 0.25 s)")
        return same


def scale(sizes: list[int], jobs: int, timeout: float) -> None:
    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="gdkit-scale-") as tmp:
            tmp = Path(tmp)
            subs = tmp / "subs"
            subs.mkdir()
            build_class(subs, n)
            run = time_gdkit(subs, tmp / "out", jobs, timeout)
            records = run["records"]
            grader_first = min(r.grader_max_rss_kb for r in records.values())
            grader_last = max(r.grader_max_rss_kb for r in records.values())
            worker = max(r.worker_max_rss_kb for r in records.values())
            rows.append((n, run["wall"], run["cpu"], grader_first, grader_last, worker))
            print(line(f"gdkit grade N={n} --jobs {jobs}", run["wall"], run["cpu"], n)
                  + f"   grader RSS {grader_first / 1024:.0f}-{grader_last / 1024:.0f} MB, worker max {worker / 1024:.0f} MB")
    if len(rows) >= 2:
        (n0, w0, *_), (n1, w1, *_) = rows[0], rows[-1]
        print(f"  cost per submission: {1000 * w0 / n0:.1f} ms at N={n0}, {1000 * w1 / n1:.1f} ms at N={n1} "
              f"(ratio {(w1 / n1) / (w0 / n0):.2f}; 1.0 = linear)")
    for n, wall, *_ in rows:
        if n >= 1000:
            print(f"  {n} submissions in {wall:.1f} s (target < 180 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=30, help="submissions compared with nbgrader")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=5.0, help="per cell (nbgrader) / per call (gdkit)")
    parser.add_argument("--scale", default="100,1000", help="class sizes for gdkit alone ('' to skip)")
    parser.add_argument("--skip-nbgrader", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    same = True
    if not args.skip_nbgrader:
        same = compare_with_nbgrader(args.n, args.jobs, args.timeout)
    sizes = [int(x) for x in args.scale.split(",") if x.strip()]
    if sizes:
        scale(sizes, args.jobs, args.timeout)
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
