"""The cost of nbgrader's grade cells: ``grade_question`` (pytest in the kernel) per cell.

Run: python3 benchmarks/grade_cells.py [--autograde]
Each assignment is graded in a fresh process, as a kernel would: its master's code cells run,
then one ``grade_question`` per question in order; the first cell pays for importing pytest
and the suite, the others for one pytest session each. ``--autograde`` also runs real
``nbgrader autograde`` on examples/submissions and prints which share of its CPU time the
grade cells took. Exit 1 if a master does not score full marks.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time

ONE = r'''
import json, sys, time
from gdkit import assignments
from gdkit.notebook import graded_code_cells, read_submission
from gdkit.submissions import master_path
name = sys.argv[1]
namespace = {}
for _, source in graded_code_cells(read_submission(master_path(name))):
    exec(compile(source, "<master>", "exec"), namespace)
wall, cpu = time.perf_counter(), time.process_time()
from gdkit.grading.inkernel import grade_question  # the first grade cell's import (pytest with it)
cells = [{"id": "import", "points": 0, "max": 0, "wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}]
for question in assignments.load(name).questions:
    wall, cpu = time.perf_counter(), time.process_time()
    points = grade_question(name, question.id, namespace)
    cells.append({"id": question.id, "points": points, "max": question.points,
                  "wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu})
print(json.dumps(cells))
'''


def grade_in_fresh_process(name: str) -> list[dict]:
    done = subprocess.run([sys.executable, "-c", ONE, name], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--autograde", action="store_true", help="also time nbgrader autograde of the examples")
    options = parser.parse_args()
    from gdkit.course import Course

    course = Course.find()
    ok = True
    per_notebook = {}
    for name in course.available():
        (imported, *cells) = grade_in_fresh_process(name)
        ok &= all(c["points"] == c["max"] for c in cells)
        rest = cells[1:]
        per_notebook[name] = imported["cpu"] + sum(c["cpu"] for c in cells)
        print(f"{name}: {len(cells)} grade cells, {per_notebook[name]:.3f} s CPU in all; the first "
              f"{imported['cpu'] + cells[0]['cpu']:.3f} s CPU (importing the kit's grading and pytest "
              f"{imported['cpu']:.3f} s), the others {sum(c['cpu'] for c in rest) / max(1, len(rest)):.3f} s "
              "CPU each on average")
    if options.autograde:
        from gdkit.nbgrader_course import make_course

        examples = {p.stem: p for p in sorted((course.root / "examples" / "submissions").glob("*.ipynb"))}
        with tempfile.TemporaryDirectory() as tmp:
            scratch = make_course(tmp, "gradient_descent", examples, kit_root=course.root)
            cpu, wall = children_cpu(), time.perf_counter()
            result = scratch.autograde(timeout=120)
            cpu, wall = children_cpu() - cpu, time.perf_counter() - wall
        share = per_notebook["gradient_descent"] * len(result.scores) / cpu
        print(f"nbgrader autograde of {len(examples)} examples: {wall:.1f} s wall, {cpu:.1f} s CPU; "
              f"the grade cells of the {len(result.scores)} graded notebooks ~{share:.1%} of that CPU")
    if not ok:
        print("a master did not score full marks", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
