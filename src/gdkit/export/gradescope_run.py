"""What a Gradescope bundle's ``run_autograder`` runs: grade ``<root>/submission``, write results.json.

``python -m gdkit.export.gradescope_run --root /autograder --assignment NAME``, with
``GDKIT_ROOT`` pointing at the bundle's ``course/``. Grading is exactly ``gdkit grade`` on the
one notebook (same runner, sandbox and timeouts), so the score equals the instructor's.

Whatever happens, a results.json is written: a missing or broken notebook, a misconfigured
bundle or a crash of the grader each give score 0 with a reason the student can read. Details
meant for the instructor go to stdout, which Gradescope shows only to instructors
(``stdout_visibility`` hidden).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from gdkit import assignments
from gdkit.errors import GdkitError
from gdkit.grading import outputs, runner
from gdkit.sandbox.limits import DEFAULT, Limits


def find_notebook(submission: Path, assignment: assignments.Assignment) -> Path:
    """The notebook to grade in a Gradescope submission folder; GdkitError says what to upload."""
    notebooks = sorted(p for p in submission.rglob("*.ipynb")
                       if p.is_file() and not any(part.startswith((".", "__MACOSX"))
                                                  for part in p.relative_to(submission).parts))
    if not notebooks:
        raise GdkitError(f"no notebook (.ipynb file) in your submission; upload {assignment.notebook}")
    named = [p for p in notebooks if p.name == assignment.notebook]
    if len(named) == 1:
        return named[0]
    if len(notebooks) == 1:
        return notebooks[0]
    listed = ", ".join(str(p.relative_to(submission)) for p in notebooks[:5])
    raise GdkitError(f"your submission has {len(notebooks)} notebooks ({listed}); "
                     f"upload only {assignment.notebook}")


def failure(reason: str, assignment: assignments.Assignment | None) -> dict:
    """A results.json for a submission that could not be graded: score 0 and why."""
    tests = [{"name": q.id, "score": 0.0, "max_score": q.points, "output": f"Not graded: {reason}",
              "visibility": "visible"} for q in (assignment.questions if assignment else ())]
    return {"score": 0.0, "output": f"Your submission was not graded: {reason}", "tests": tests,
            "visibility": "visible", "stdout_visibility": "hidden"}


def grade(submission: Path, assignment: assignments.Assignment, limits: Limits = DEFAULT,
          seed: int | None = None) -> dict:
    """Grade the submission's notebook with the runner; the record's results.json dict."""
    notebook = find_notebook(submission, assignment)
    with tempfile.TemporaryDirectory(prefix="gdkit-gradescope-") as tmp:
        # A fixed file name gives the runner a safe student id whatever the upload was called.
        copy = Path(tmp) / "in" / assignment.notebook
        copy.parent.mkdir()
        shutil.copyfile(notebook, copy)
        outdir = Path(tmp) / "out"
        record = runner.grade_submissions(assignment.name, [copy], outdir=outdir, jobs=1, limits=limits,
                                          quiet=True, root=assignment.root, seed=seed)[0]
        errors = outdir / "grader-errors.log"
        if errors.is_file():
            print(errors.read_text())  # instructor-only stdout
    print(f"graded {notebook.name}: {record.status}, {record.total} / {record.max_total}")
    return outputs.gradescope_results(record)


def bundle_seed(root: Path) -> int | None:
    """The seed `gdkit export gradescope` wrote into the bundle (None: the default)."""
    try:
        seed = json.loads((root / "source" / "bundle.json").read_text()).get("seed")
    except (OSError, ValueError, AttributeError):
        return None
    return seed if isinstance(seed, int) and seed >= 0 else None


def run(root: Path, assignment_name: str) -> dict:
    """Grade ``root/submission`` and write ``root/results/results.json``; returns what was written."""
    started = time.monotonic()
    assignment = None
    try:
        assignment = assignments.load(assignment_name)
        result = grade(root / "submission", assignment, seed=bundle_seed(root))
    except GdkitError as exc:
        result = failure(str(exc), assignment)
    except Exception:
        traceback.print_exc(file=sys.stdout)  # for the instructor; students never see stdout
        result = failure("the autograder itself failed on it; your instructor can see why", assignment)
    result["execution_time"] = round(time.monotonic() - started, 3)
    outputs.write_atomic(root / "results" / "results.json", json.dumps(result, indent=2))
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gdkit.export.gradescope_run", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path("/autograder"), help="Gradescope's /autograder")
    parser.add_argument("--assignment", required=True)
    args = parser.parse_args(argv)
    result = run(args.root, args.assignment)
    print(f"score {result['score']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
