"""What a Gradescope bundle's ``run_autograder`` runs: grade ``<root>/submission``, write results.json.

``python -m gdkit.export.gradescope_run --root /autograder --assignment NAME``, with
``GDKIT_ROOT`` pointing at the bundle's ``course/``. Grading is exactly ``gdkit grade`` on the
one notebook (same runner, sandbox, limits and seed, all from the bundle's ``bundle.json``), so
the score equals the instructor's.

Which file: :func:`gdkit.intake.choose`'s rule, the one ``gdkit grade`` follows (the notebook
named like the assignment's in any case, else the newest); the choice and the ignored notebooks
are named once in the output.
What the student sees and when follows the bundle's visibility and feedback detail (see
:mod:`gdkit.export.gradescope_results`).

Whatever happens, a results.json is written: a missing or broken notebook, a misconfigured
bundle or a crash of the grader each give score 0 with a reason the student can read, once.
Details meant for the instructor go to stdout (``stdout_visibility``, hidden by default).
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from gdkit import assignments, intake
from gdkit.errors import GdkitError
from gdkit.export import gradescope_results
from gdkit.export.settings import Visibility
from gdkit.grading import outputs, runner
from gdkit.sandbox.limits import DEFAULT, Limits

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,199}$")


def read_bundle(root: Path) -> dict:
    """``bundle.json`` of the bundle ({} when missing or unreadable: the defaults apply)."""
    try:
        data = json.loads((root / "source" / "bundle.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def bundle_seed(root: Path) -> int | None:
    """The seed `gdkit export gradescope` wrote into the bundle (None: the default)."""
    seed = read_bundle(root).get("seed")
    return seed if isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0 else None


def bundle_limits(meta: dict) -> Limits:
    try:
        return Limits.from_json(meta["limits"]) if isinstance(meta.get("limits"), dict) else DEFAULT
    except (TypeError, ValueError):
        return DEFAULT


def student_id(root: Path, field: str = "email") -> str:
    """The submitter's id from Gradescope's ``submission_metadata.json`` (``field``: the user's
    email or id; a group: the smallest of its members'); GdkitError when there is none."""
    try:
        users = json.loads((root / "submission_metadata.json").read_text())["users"]
        ids = sorted(str(u[field]).strip() for u in users if str(u.get(field, "")).strip())
    except (OSError, ValueError, KeyError, TypeError):
        ids = []
    if not ids:
        raise GdkitError("the course draws hidden inputs per student, but Gradescope's submission_metadata.json "
                         f"names no user {field}; your instructor has to check the autograder")
    if not _SAFE_ID.match(ids[0]):
        raise GdkitError(f"the student id {gradescope_results.clean(ids[0], 60)!r} is not a plain name; "
                         "your instructor has to check the autograder")
    return ids[0]


def grade(submission: Path, assignment: assignments.Assignment, limits: Limits = DEFAULT,
          seed: int | None = None, *, per_student: bool = False, student: str | None = None,
          visibility: Visibility = Visibility(), detail: str = "default") -> dict:
    """Grade the submission's notebook with the runner; the results.json dict."""
    chosen = intake.choose_in_folder(submission, assignment)
    if chosen.problem:
        raise GdkitError(chosen.problem[1])
    with tempfile.TemporaryDirectory(prefix="gdkit-gradescope-") as tmp:
        # The runner's student id is the file's stem: the Gradescope id when inputs are drawn
        # per student, else a fixed name (whatever the upload was called).
        copy = Path(tmp) / "in" / (f"{student}.ipynb" if per_student else assignment.notebook)
        copy.parent.mkdir()
        shutil.copyfile(chosen.path, copy)
        outdir = Path(tmp) / "out"
        record = runner.grade_submissions(assignment.name, [copy], outdir=outdir, jobs=1, limits=limits,
                                          quiet=True, root=assignment.root, seed=seed, per_student=per_student)[0]
        errors = outdir / "grader-errors.log"
        if errors.is_file():
            print(errors.read_text())  # instructor-only stdout
    record.notebook = chosen.notebook
    print(f"graded {chosen.notebook['graded']}: {record.status}, {record.total} / {record.max_total}")
    return gradescope_results.results_json(record, visibility, detail)


def failure(reason: str, assignment: assignments.Assignment | None, visibility: Visibility = Visibility()) -> dict:
    """A results.json for a submission that could not be graded: score 0 and why, once."""
    return gradescope_results.failure(reason, assignment.questions if assignment else (), visibility)


def run(root: Path, assignment_name: str) -> dict:
    """Grade ``root/submission`` and write ``root/results/results.json``; returns what was written."""
    started = time.monotonic()
    assignment = None
    meta = read_bundle(root)
    try:
        visibility = Visibility.from_json(meta.get("visibility"))
    except GdkitError:
        visibility = Visibility()
    detail = "full" if meta.get("feedback") == "full" else "default"
    try:
        assignment = assignments.load(assignment_name)
        per_student = meta.get("per_student") is True
        student = student_id(root, str(meta.get("gradescope_student", "email"))) if per_student else None
        result = grade(root / "submission", assignment, bundle_limits(meta), bundle_seed(root),
                       per_student=per_student, student=student, visibility=visibility, detail=detail)
    except GdkitError as exc:
        result = failure(str(exc), assignment, visibility)
    except Exception:
        traceback.print_exc(file=sys.stdout)  # for the instructor; students never see stdout
        result = failure("the autograder itself failed on it; your instructor can see why", assignment, visibility)
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
