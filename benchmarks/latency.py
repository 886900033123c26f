"""Cold latency of the two commands people wait for: `gdkit check` of a filled release (a
student before hand-in) and `gdkit grade` of one submission (an instructor, a Gradescope run).

    python3 benchmarks/latency.py [--runs 7]

Each run is a fresh `gdkit` process (nothing warm but the OS's file cache), from the course
root; the figure is the median wall time, with the CPU time of the command and its children
beside it. Target: <= 1 s wall each on 2 cores. With --importtime, the heaviest imports of the
command's own process are listed too.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = 1.0


def timed(args: list[str], cwd: Path, env: dict) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def heaviest_imports(args: list[str], cwd: Path, env: dict, count: int = 8) -> list[str]:
    done = subprocess.run([sys.executable, "-X", "importtime", *args], cwd=cwd, env=env, capture_output=True,
                          text=True)
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|")
            try:
                rows.append((int(cumulative), name.rstrip()))
            except ValueError:
                continue
    top_level = [(us, name.strip()) for us, name in rows if not name.startswith("   ")]
    return [f"{us / 1e3:7.1f} ms  {name}" for us, name in sorted(top_level, reverse=True)[:count]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--importtime", action="store_true", help="also list the heaviest imports")
    options = parser.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    import nbformat

    from gdkit.submissions import fill_solutions, master_answers, release_path

    env = {k: v for k, v in os.environ.items() if k not in ("GDKIT_COURSE", "GDKIT_ROOT")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))  # this checkout
    gdkit = [sys.executable, "-m", "gdkit.cli"]
    with tempfile.TemporaryDirectory(prefix="gdkit-latency-") as tmp:
        tmp = Path(tmp)
        filled = tmp / "gradient_descent.ipynb"
        release = nbformat.read(release_path("gradient_descent", REPO), as_version=4)
        nbformat.write(fill_solutions(release, master_answers("gradient_descent", REPO)), filled)
        submission = REPO / "examples" / "submissions" / "bob.ipynb"
        commands = {
            "gdkit check (filled release)": [*gdkit, "check", str(filled)],
            "gdkit grade (one submission)": [*gdkit, "grade", str(submission), "--out", str(tmp / "out"),
                                             "--force", "--quiet", "--jobs", "1"],
        }
        print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, load {os.getloadavg()[0]:.1f}; "
              f"{options.runs} cold runs each")
        for label, args in commands.items():
            timed(args, REPO, env)  # the OS file cache, as after any earlier command
            runs = [timed(args, REPO, env) for _ in range(options.runs)]
            codes = {code for _, _, code in runs}
            wall = statistics.median(w for w, _, _ in runs)
            cpu = statistics.median(c for _, c, _ in runs)
            print(f"{label:<30} median {wall:5.2f} s wall (min {min(w for w, _, _ in runs):.2f}), "
                  f"{cpu:5.2f} s CPU; target {TARGET:.1f} s: {TARGET / wall:.2f}x; exit {sorted(codes)}")
            if options.importtime:
                for line in heaviest_imports(args[1:], REPO, env):
                    print("    " + line)
            shutil.rmtree(tmp / "out", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
