"""`gdkit export student-kit`: the wheel a student installs, without any course's answers.

The instructor's installation carries the bundled example course (masters and hidden suites,
for ``gdkit init --example``), the scaffolding templates, the reference network (the answer to
every graded function) and the grading machinery. A student needs none of it: ``gdkit check``
runs the notebook's own visible tests. This export builds a wheel of the modules ``gdkit
check`` imports (:func:`gdkit.packaging.kit_files` with ``student=True``), with the lean core's
dependencies, so an instructor can hand it to the class (or attach it to the starter
repository) and nothing of the course's solutions, hidden tests or the reference goes with it.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from gdkit import packaging
from gdkit.errors import GdkitError

# Paths inside a student wheel that would mean course content, the reference answers or the
# hidden suites' helpers leaked into it.
FORBIDDEN = ("gdkit/bundled_course/", "gdkit/templates/scaffold/", "autograder/", "solutions/",
             "gdkit/network.py", "gdkit/experiments.py", "gdkit/grading/randomness.py", "gdkit/grading/diagnose.py")


def build(out_dir: Path) -> Path:
    """Build the student wheel into ``out_dir``; returns its path. GdkitError when it cannot."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise GdkitError(f"--out {out_dir} is a file; give a folder for the wheel")
    with tempfile.TemporaryDirectory(prefix="gdkit-student-kit-") as tmp:
        source, built = Path(tmp) / "kit", Path(tmp) / "dist"
        for rel, data in packaging.kit_files(student=True).items():
            path = source / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        # pip builds it as it builds any source tree (setuptools in an isolated build
        # environment); no dependency is resolved here (the student's pip does that on install).
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                               "--wheel-dir", str(built), str(source)], capture_output=True, text=True)
        wheels = sorted(built.glob("*.whl")) if built.is_dir() else []
        if done.returncode != 0 or len(wheels) != 1:
            tail = " ".join((done.stderr or done.stdout).strip().splitlines()[-2:])
            raise GdkitError(f"could not build the student wheel ({tail or 'no wheel came out'}); "
                             "pip needs to reach a package index for setuptools: check the network")
        check(wheels[0])
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            target = out_dir / wheels[0].name
            shutil.copyfile(wheels[0], target)
        except OSError as exc:
            raise GdkitError(f"cannot write to {out_dir} ({exc.strerror}); choose a writable --out") from None
    return target


def check(wheel: Path) -> None:
    """Refuse a wheel that holds any course content or reference code (a guard on
    :func:`packaging.kit_files`)."""
    with zipfile.ZipFile(wheel) as zf:
        leaked = [n for n in zf.namelist() if n.startswith(FORBIDDEN)]
    if leaked:
        raise GdkitError(f"the student wheel would hold course content or reference code ({leaked[0]}); "
                         "this is a bug in gdkit.packaging: report it")
