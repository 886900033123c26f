"""The class report on a big class: its size and the time to make it, measured in one run.

    python3 benchmarks/report.py              # grade 1,000 submissions, then time gdkit report
    python3 benchmarks/report.py --n 200      # a smaller class

Builds N submissions from the gradient_descent release the way benchmarks/grading.py does
(master answers, other correct styles, every bug-zoo mistake in turn), grades them for real
with `gdkit grade --jobs 2`, then times `gdkit report` on the folder (the command, in its own
process, start-up included) and prints the size of report.html and report.md, the named
mistakes found and the curves drawn.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grading import build_class  # noqa: E402 - the same class the grading benchmark builds

from gdkit import report  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="submissions in the class")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="gdkit-report-bench-") as tmp:
        tmp = Path(tmp)
        subs, out = tmp / "subs", tmp / "out"
        subs.mkdir()
        build_class(subs, args.n)
        start = time.perf_counter()
        done = subprocess.run(["gdkit", "grade", str(subs), "--out", str(out), "--jobs", str(args.jobs), "--quiet"],
                              capture_output=True, text=True)
        graded = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"gdkit grade failed: {done.stderr.strip()}")
        start = time.perf_counter()
        done = subprocess.run(["gdkit", "report", str(out)], capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"gdkit report failed: {done.stderr.strip()}")
        start = time.perf_counter()
        summary = report.summarize(report.load(out, progress=False))
        inside = time.perf_counter() - start
        html, md = out / report.HTML, out / report.MARKDOWN
        records = sum(p.stat().st_size for p in out.glob("*/record.json"))
        print(f"  {args.n} submissions graded in {graded:.1f} s (--jobs {args.jobs}); records {records / 1e6:.1f} MB")
        print(f"  gdkit report: {seconds:.2f} s wall (command start-up included); "
              f"reading + aggregating alone {inside:.2f} s")
        print(f"  report.html {html.stat().st_size / 1024:.0f} KB, report.md {md.stat().st_size / 1024:.0f} KB")
        print(f"  {len(summary.mistakes)} named mistakes, {len(summary.failures)} other failed checks, "
              f"{len(summary.attention)} need a person; curves: {len(summary.curves.drawn)} of "
              f"{sum(summary.curves.counts.values())} drawn {dict(summary.curves.counts)}")
        print(f"  {done.stdout.strip().splitlines()[0]}")


if __name__ == "__main__":
    main()
