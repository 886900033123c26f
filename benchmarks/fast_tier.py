"""The contributors' fast test tier, timed: `python3 -m pytest -q -m "not slow"`.

    python3 benchmarks/fast_tier.py [--slowest 15]

Runs the tier once from the repository root and prints how many tests it ran out of how many
the full suite has, its wall time, the CPU time of pytest and every process it waited for (the
figure that does not depend on what else the machine runs), the load average before and after,
and the slowest tests. Target: under a minute of wall time on 2 cores; a test or a fixture that
costs seconds belongs to the full suite (`@pytest.mark.slow`).
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = 60.0
COMMAND = [sys.executable, "-m", "pytest", "-q", "-m", "not slow", "-p", "no:cacheprovider"]


def collected(marker: str | None) -> int:
    """How many tests pytest collects (all of them, or those of ``-m marker``)."""
    args = [sys.executable, "-m", "pytest", "-q", "--collect-only", "-p", "no:cacheprovider"]
    done = subprocess.run(args + (["-m", marker] if marker else []), cwd=REPO, capture_output=True, text=True)
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    found = re.match(r"(\d+)(?:/(\d+))? tests? collected", last)
    if not found:
        sys.exit(f"fast_tier: cannot read pytest's collection summary: {last!r}")
    return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slowest", type=int, default=15, help="list this many of the slowest tests")
    options = parser.parse_args()
    total, fast = collected(None), collected("not slow")
    load_before = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(COMMAND + [f"--durations={options.slowest}"], cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = done.stdout.splitlines()
    slowest = [line for line in lines if re.match(r"\d+\.\d+s (call|setup|teardown) ", line)]
    print(f"fast tier: {fast} of {total} tests, `{shlex.join(['python3'] + COMMAND[1:])}`")
    print(f"wall {wall:.1f} s (target < {TARGET:.0f} s), CPU {cpu:.1f} s (pytest and the processes it waited for), "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(lines[-1] if lines else "(no output)")
    for line in slowest:
        print("  " + line[:160])
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
