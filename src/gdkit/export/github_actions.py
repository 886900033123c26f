"""`gdkit export github-actions`: the grading workflow for a student's repository.

The workflow installs the kit with pip (``GDKIT_SPEC``, default ``gdkit``), clones the course
repository that holds the hidden suite (``GDKIT_COURSE_URL``), runs ``gdkit grade`` on the
repository's notebook and then ``gdkit ci-report`` (see :mod:`gdkit.export.ci_report`), which
writes the job summary and the annotations. The shell in the workflow stays short on purpose:
the logic lives in commands that tests run directly.

The workflow runs in the student's own repository, so a student who edits it can read what it
fetches: use it for feedback while students work, and grade for marks with ``gdkit grade`` or
Gradescope.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from gdkit import assignments
from gdkit.errors import GdkitError
from gdkit.grading import outputs

OUT = "gdkit-feedback"   # the grading output folder inside the checkout, uploaded as the artifact

WORKFLOW = r"""# Grades this repository's notebook with gdkit on every push, for feedback while you work.
# Written by `gdkit export github-actions --assignment __ASSIGNMENT__`.
# The score table is in the run's summary, failed questions are annotated on the notebook and
# the full feedback (feedback.html, feedback.md) is the run's "__OUT__" artifact.
# Instructors: this runs in the student's repository, so a student can read what it fetches;
# it is for feedback, not for marks (grade for marks with `gdkit grade` or Gradescope).
name: grade

on:
  push:
  workflow_dispatch:

permissions:
  contents: read

env:
  # What pip installs the kit from: a version ("gdkit==0.1.0"), a git URL, a wheel URL.
  # Change it here, or set the repository/organisation variable GDKIT_SPEC.
  GDKIT_SPEC: ${{ vars.GDKIT_SPEC || '__SPEC__' }}
  # The course repository holding autograder/__ASSIGNMENT__/ (the hidden tests). A private one
  # also needs a secret GDKIT_COURSE_TOKEN that can read it.
  GDKIT_COURSE_URL: ${{ vars.GDKIT_COURSE_URL || '__COURSE_URL__' }}
  GDKIT_COURSE_REF: ${{ vars.GDKIT_COURSE_REF || '__COURSE_REF__' }}
  GDKIT_ASSIGNMENT: __ASSIGNMENT__
  GDKIT_NOTEBOOK: __NOTEBOOK__
  GDKIT_OUT: __OUT__

jobs:
  grade:
    runs-on: ubuntu-latest
    timeout-minutes: 20
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install gdkit
        run: python -m pip install --disable-pip-version-check "$GDKIT_SPEC"
      - name: Fetch the course's tests
        env:
          GDKIT_COURSE_TOKEN: ${{ secrets.GDKIT_COURSE_TOKEN }}
        run: |
          dest="$RUNNER_TEMP/gdkit-course"
          rm -rf "$dest"
          args=(clone --quiet --depth 1)
          if [ -n "$GDKIT_COURSE_REF" ]; then args+=(--branch "$GDKIT_COURSE_REF"); fi
          if [ -n "${GDKIT_COURSE_TOKEN:-}" ]; then
            # The same header actions/checkout sends: the token stays out of .git/config.
            basic="$(printf 'x-access-token:%s' "$GDKIT_COURSE_TOKEN" | base64 | tr -d '\n')"
            git -c "http.extraHeader=AUTHORIZATION: basic $basic" "${args[@]}" "$GDKIT_COURSE_URL" "$dest"
          else
            git "${args[@]}" "$GDKIT_COURSE_URL" "$dest"
          fi
      - name: Grade
        run: GDKIT_ROOT="$RUNNER_TEMP/gdkit-course" gdkit grade "$GDKIT_NOTEBOOK" --assignment "$GDKIT_ASSIGNMENT" --out "$GDKIT_OUT" --quiet
      - name: Report
        if: always()
        run: gdkit ci-report "$GDKIT_OUT"
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: __OUT__
          path: __OUT__/
          if-no-files-found: warn
"""

def _origin_url(root: Path) -> str | None:
    try:
        result = subprocess.run(["git", "-C", str(root), "remote", "get-url", "origin"],
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def _yaml_literal(value: str, what: str) -> str:
    # The value sits inside a single-quoted YAML string inside a ${{ }} expression.
    if "'" in value or "\n" in value or "}}" in value:
        raise GdkitError(f"{what} {value!r} may not contain quotes, newlines or '}}}}'")
    return value


def workflow_text(assignment_name: str, course_url: str | None = None, spec: str = "gdkit",
                  course_ref: str = "", root: Path | None = None) -> str:
    """The student repository's grade.yml for one assignment."""
    assignment = assignments.load(assignment_name, root)
    course_url = course_url or _origin_url(assignment.root)
    if not course_url:
        raise GdkitError("the workflow clones the course repository for the hidden tests: give --course-url "
                         "(e.g. https://github.com/your-org/your-course.git)")
    text = (WORKFLOW.replace("__ASSIGNMENT__", assignment.name).replace("__NOTEBOOK__", assignment.notebook)
            .replace("__OUT__", OUT).replace("__SPEC__", _yaml_literal(spec, "--kit-spec"))
            .replace("__COURSE_URL__", _yaml_literal(course_url, "--course-url"))
            .replace("__COURSE_REF__", _yaml_literal(course_ref, "--course-ref")))
    yaml.safe_load(text)  # a template bug must fail here, not in a student's repository
    return text


def export(assignment_name: str, outdir: Path, course_url: str | None = None, spec: str = "gdkit",
           course_ref: str = "", root: Path | None = None) -> Path:
    """Write ``outdir/.github/workflows/grade.yml``; returns its path."""
    text = workflow_text(assignment_name, course_url, spec, course_ref, root)
    path = Path(outdir) / ".github" / "workflows" / "grade.yml"
    if Path(outdir).exists() and not Path(outdir).is_dir():
        raise GdkitError(f"--out {outdir} is a file; give the student repository's folder")
    try:
        outputs.write_atomic(path, text)
    except OSError as exc:
        raise GdkitError(f"cannot write {path} ({exc.strerror}); choose a writable --out") from None
    return path
