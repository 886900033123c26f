"""The grader's memory and time reading a notebook that is large only because of its outputs.

    python3 benchmarks/large_notebook.py               # a 199 MB notebook of plots, and one of printed logs
    python3 benchmarks/large_notebook.py --mb 50

Writes the master answers of gradient_descent with outputs appended until the file has the
size asked for: once as 20 MB base64 images (a student who kept every figure), once as a
printed log (millions of short output lines). Each is read in a fresh process by
``gdkit.notebook.read_submission`` and, for comparison, by a whole-file parse (``json.loads``
of the file, what the reader did before outputs were dropped while reading); the peak resident
memory each process gained while reading (``VmHWM``) and the wall time are printed, with the
ratios of the two in one run.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

PROBE = """
import json, sys, time
import nbformat  # loaded before measuring: a grader process has it already
from gdkit import notebook
def peak_kb():  # this process's own peak (ru_maxrss would include the parent's, from before exec)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
before = peak_kb()
start = time.perf_counter()
if sys.argv[2] == "gdkit":
    nb = notebook.read_submission(sys.argv[1])
    cells = len(nb.cells)
else:
    with open(sys.argv[1], "rb") as handle:
        cells = len(json.loads(handle.read().decode("utf-8"))["cells"])
seconds = time.perf_counter() - start
grown = peak_kb() - before
print(json.dumps({"cells": cells, "seconds": seconds, "grown_mb": grown / 1024}))
"""


def build(path: Path, mb: int, kind: str) -> int:
    from gdkit.submissions import fill_solutions, master_answers, release_path

    release = nbformat.read(release_path("gradient_descent"), as_version=4)
    nb = fill_solutions(release, master_answers("gradient_descent"))
    cell = next(c for c in nb.cells if c.cell_type == "code")
    target = mb << 20
    base = len(nbformat.writes(nb)) + 4096
    if kind == "plots":
        image = base64.b64encode(os.urandom(15 << 20)).decode()  # 20 MB of base64, like a big PNG
        while base < target:
            piece = image[: target - base]
            cell.outputs.append(nbformat.v4.new_output("display_data", data={"image/png": piece}))
            base += len(piece) + 200
        path.write_text(nbformat.v4.nbjson.JSONWriter().writes(nb, split_lines=True))
    else:
        line = "Error after {} iterations:0.4964100319027255\n"
        count = (target - base) // len(line.format(10 ** 6))
        output = nbformat.v4.new_output("stream", name="stdout")
        cell.outputs.append(output)
        while True:  # as a JSON list of lines each line costs more than its text: shrink to fit
            output.text = "".join(line.format(i) for i in range(count))
            text = nbformat.v4.nbjson.JSONWriter().writes(nb, split_lines=True)
            if len(text) <= target:
                break
            count = int(count * target / len(text) * 0.999)
        path.write_text(text)
    return path.stat().st_size


def measure(path: Path, how: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, str(path), how], check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=199, help="size of each notebook (the limit is 200 MB)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gdkit-large-") as tmp:
        for kind in ("plots", "log"):
            path = Path(tmp) / f"{kind}.ipynb"
            size = build(path, args.mb, kind)
            ours, whole = measure(path, "gdkit"), measure(path, "json")
            print(f"{kind}: {size / 2 ** 20:.0f} MB file, {ours['cells']} cells")
            print(f"  read_submission (outputs dropped while reading): +{ours['grown_mb']:.0f} MB, "
                  f"{ours['seconds']:.2f} s")
            print(f"  whole-file json.loads (for comparison):          +{whole['grown_mb']:.0f} MB, "
                  f"{whole['seconds']:.2f} s")
            print(f"  memory ratio {whole['grown_mb'] / max(ours['grown_mb'], 1):.0f}x less, "
                  f"time ratio {whole['seconds'] / ours['seconds']:.1f}x")
            path.unlink()


if __name__ == "__main__":
    main()
