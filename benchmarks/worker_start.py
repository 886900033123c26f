"""What one sandbox worker costs: start, load a trivial notebook, answer one call, clean up.

    python3 benchmarks/worker_start.py                   # this tree vs the kit before the kernel sandbox
    python3 benchmarks/worker_start.py --baseline REF    # vs another git revision
    python3 benchmarks/worker_start.py --baseline ""     # this tree only

Both figures are measured in one run, in alternating rounds (so a busy machine slows both the
same): the baseline's sources are exported from git into a temporary folder and timed in a
child process exactly like this tree's. The default baseline is the last commit before the
workers got their own namespaces, user, capabilities and pristine zygote.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]
BEFORE_KERNEL_SANDBOX = "055d80b"  # main just before "sandbox: a generic layer under a pristine zygote"

# Run in a child process against one source tree: prints the per-worker seconds as JSON.
TIMER = r"""
import json, sys, time
from gdkit.sandbox.limits import Limits
try:
    from gdkit.grading.student import Student, start_zygote
except ImportError:  # before grading/student.py existed
    from gdkit.sandbox.client import Student, Zygote as start_zygote
n = int(sys.argv[1])
zygote = start_zygote()
zygote.protections  # started and ready
cells = [(0, "import numpy as np\ndef f(x):\n    return x + 1\n")]
times = []
for i in range(n + 5):
    started = time.perf_counter()
    student = Student(zygote, cells, limits=Limits(timeout=10.0))
    assert student.call("f", 1) == 2
    student.close()
    times.append(time.perf_counter() - started)
zygote.close()
print(json.dumps(times[5:]))  # the first few warm caches up
"""


def _export(revision: str, dest: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(KIT), "archive", revision, "src"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest / "src"


def _time(src: Path, n: int) -> list[float]:
    done = subprocess.run([sys.executable, "-c", TIMER, str(n)], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"}, timeout=600)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _line(label: str, times: list[float]) -> str:
    times = sorted(times)
    p95 = times[int(0.95 * (len(times) - 1))]
    return (f"{label:<28} p50 {1000 * statistics.median(times):6.2f} ms   mean {1000 * statistics.mean(times):6.2f} ms"
            f"   p95 {1000 * p95:6.2f} ms   (n={len(times)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="workers per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", default=BEFORE_KERNEL_SANDBOX, help="git revision to compare with ('' for none)")
    args = parser.parse_args()
    trees = {"this tree": KIT / "src"}
    with tempfile.TemporaryDirectory(prefix="gdkit-bench-") as tmp:
        if args.baseline:
            try:
                trees = {f"baseline {args.baseline}": _export(args.baseline, Path(tmp)), **trees}
            except (subprocess.CalledProcessError, FileNotFoundError) as exc:
                print(f"baseline {args.baseline} not available ({exc}); timing this tree only", file=sys.stderr)
        results: dict[str, list[float]] = {label: [] for label in trees}
        for _ in range(args.rounds):
            for label, src in trees.items():
                results[label] += _time(src, args.n)
    print("per worker: start from the zygote, load a one-cell notebook, one call, stop and clean up")
    for label, times in results.items():
        print(_line(label, times))
    if len(results) == 2:
        (old, new) = (statistics.median(t) for t in results.values())
        print(f"ratio (this tree / baseline, p50): {new / old:.2f}")


if __name__ == "__main__":
    main()
