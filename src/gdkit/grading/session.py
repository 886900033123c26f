"""One grader process: runs the hidden suite over a chunk of submissions in one pytest session.

Started by :mod:`gdkit.grading.runner` as ``python -m gdkit.grading.session SPEC.json``. The
spec names the assignment, the submissions, the output folder and the limits. For each
finished student it writes their files and reports ``done <student>`` on the progress
descriptor. This process is trusted: student code only ever runs in sandbox workers.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

# jsonschema (under nbformat) imports every optional format library it finds (rfc3987_syntax
# alone builds a parser grammar: about a second per grader process) for format checks that
# notebook reading never uses: marked absent before nbformat is imported (gdkit.startup).
from gdkit import startup  # noqa: E402

startup.skip_unused_imports()


def run(spec: dict, zygote=None) -> int:
    """Grade ``spec['submissions']``; returns pytest's exit code."""
    import pytest

    from gdkit import assignments
    from gdkit.feedback import render
    from gdkit.grading import outputs
    from gdkit.grading.plugin import pytest_args
    from gdkit.grading.sandboxed import GradingPlugin, Submission
    from gdkit.record import Record
    from gdkit.sandbox.limits import Limits

    assignment = assignments.load(spec["assignment"], Path(spec["root"]))
    outdir = Path(spec["outdir"])
    progress_fd = spec.get("progress_fd")

    from gdkit.export.settings import Visibility

    detail = spec.get("feedback", "default")  # the course's feedback detail (hidden-input specifics or not)
    visibility = Visibility.from_json(spec.get("visibility"))

    def on_done(record: Record) -> None:
        outputs.write_student(outdir, record, lambda r: render(r, detail), detail=detail, visibility=visibility)
        if progress_fd is not None:
            os.write(progress_fd, f"done {record.student}\n".encode())

    plugin = GradingPlugin(
        assignment, [Submission(s[0], s[1], **(s[2] if len(s) > 2 else {})) for s in spec["submissions"]],
        limits=Limits.from_json(spec["limits"]), on_done=on_done, zygote=zygote, seed=spec.get("seed"),
        per_student=bool(spec.get("per_student")))
    with tempfile.TemporaryDirectory(prefix="gdkit-session-") as tmp:
        ini = Path(tmp) / "pytest.ini"
        ini.write_text("[pytest]\n")
        code = pytest.main(pytest_args(assignment.suite_dir, ini), plugins=[plugin])
    if plugin.grader_errors:
        log = outdir / "grader-errors.log"
        with open(log, "a") as f:
            f.write("\n".join(plugin.grader_errors) + "\n")
    if plugin.worker_failures:  # the details students are not shown (exit statuses, signals)
        with open(outdir / "worker-failures.log", "a") as f:
            f.write("\n".join(plugin.worker_failures) + "\n")
    return int(code)


def main() -> None:
    from gdkit.grading.student import start_zygote
    from gdkit.sandbox import lifetime, privileges

    lifetime.die_with_parent(int(os.environ.get("GDKIT_PARENT_PID", "0")) or None)
    # This process holds the hidden suite and every student's results: not dumpable, so no process
    # of our user (a worker, where the kernel offers no user namespaces and no Landlock) may open
    # its /proc/PID/mem, environ or maps.
    privileges.set_dumpable(False)

    # Start the worker first: it imports numpy while we import pytest.
    spec = json.loads(Path(sys.argv[1]).read_text())
    zygote = start_zygote(**spec.get("worker_ids", {}))
    code = run(spec, zygote)
    # pytest's "tests failed" is the normal case here: students fail tests. Only a usage or
    # internal error (exit 2-4) means the grader itself is broken.
    sys.exit(0 if code in (0, 1) else code)


if __name__ == "__main__":
    main()
