"""`gdkit export gradescope`: an autograder zip in the layout of Gradescope's autograder spec.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once when it builds
the image, and runs ``run_autograder`` (from ``/autograder``) for every submission, which must
leave ``/autograder/results/results.json``. The bundle carries everything grading needs and
nothing more::

    setup.sh, run_autograder           the two scripts Gradescope requires at the zip's root
    kit/                                the kit's own source (pyproject.toml + src/gdkit), pip-installed
    course/autograder/<name>/           the hidden suite of this one assignment
    course/assignments/<name>/          its student release (what students were given)
    bundle.json                         which assignment and kit version the bundle grades

Never ``solutions/`` and never another assignment's suite. Students never see the bundle, but
keeping it minimal means a misconfigured Gradescope assignment cannot leak a master either.
"""
from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import gdkit
from gdkit import assignments
from gdkit.errors import GdkitError
from gdkit.grading import randomness

# One fixed timestamp: building the same kit twice gives the same bytes (easy to diff/audit).
_EPOCH = (2020, 1, 1, 0, 0, 0)
_SKIP_DIRS = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints"}
_SKIP_SUFFIXES = (".pyc", ".pyo")

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image.
# It installs the kit (shipped in kit/) and its dependencies into a venv of their own, with a
# Python >= 3.11 (the kit reads assignment.toml with tomllib); Gradescope's Ubuntu images may
# ship an older python3, in which case python3.11 comes from apt.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${GDKIT_AUTOGRADER_ROOT:-/autograder}"
VENV="$ROOT/gdkit-venv"

PYTHON=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y python3.11 python3.11-venv
    PYTHON=python3.11
fi
if ! "$PYTHON" -m venv "$VENV"; then
    # Debian and Ubuntu ship the venv module separately.
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --upgrade pip
"$VENV/bin/python" -m pip install "$HERE/kit"
# Fail the image build now, not at the first submission, if the grader cannot start.
GDKIT_ROOT="$HERE/course" "$VENV/bin/python" -c "from gdkit import assignments; assignments.load('__ASSIGNMENT__')"
echo "gdkit installed in $VENV"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission (working directory /autograder). The grading is
# done by gdkit.export.gradescope_run; this script only finds that Python and guarantees a
# results.json even when Python cannot start at all (the student then sees score 0 and why).
# GDKIT_AUTOGRADER_ROOT stands in for /autograder (tests); GDKIT_AUTOGRADER_PYTHON picks the
# interpreter (default: the venv setup.sh made).
set -u
ROOT="${GDKIT_AUTOGRADER_ROOT:-/autograder}"
PY="${GDKIT_AUTOGRADER_PYTHON:-$ROOT/gdkit-venv/bin/python}"
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
rm -f "$RESULTS"
GDKIT_ROOT="$ROOT/source/course" "$PY" -m gdkit.export.gradescope_run --root "$ROOT" --assignment '__ASSIGNMENT__'
status=$?
if [ ! -s "$RESULTS" ]; then
    echo "gdkit.export.gradescope_run exited $status without results; writing score 0" >&2
    printf '%s\n' '{"score": 0, "output": "The autograder could not start, so your submission was not graded. Your instructor can see the details in the autograder output; please tell them.", "visibility": "visible", "stdout_visibility": "hidden", "tests": []}' > "$RESULTS"
fi
exit 0
"""


def _kit_source() -> tuple[Path, Path]:
    """(package dir, checkout root holding pyproject.toml) of the running kit."""
    package = Path(gdkit.__file__).resolve().parent
    checkout = package.parents[1]
    if not (checkout / "pyproject.toml").is_file():
        raise GdkitError(f"the bundle carries the kit's source, but {package} is not inside a checkout with "
                         "pyproject.toml; run from a clone of the kit installed with 'pip install -e .'")
    return package, checkout


def _files(folder: Path):
    """Regular files under ``folder`` (sorted, caches skipped); symlinks are refused, not followed."""
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part in _SKIP_DIRS for part in rel.parts) or path.name.endswith(_SKIP_SUFFIXES):
            continue
        if path.is_symlink():
            raise GdkitError(f"{path} is a symlink; the bundle only carries plain files, replace it with a copy")
        if path.is_file():
            yield path, rel


def _add(zf: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
    zf.writestr(info, data)


def bundle_bytes(assignment_name: str, root: Path | None = None, seed: int | None = None) -> bytes:
    """The autograder zip for one assignment, in memory. ``seed`` (resolved as `gdkit grade`
    does) is written into the bundle so Gradescope draws the same hidden inputs."""
    assignment = assignments.load(assignment_name, root)
    try:
        seed = randomness.run_seed(assignment.name, seed)
    except ValueError:
        seed = -1
    if seed < 0:
        raise GdkitError("the seed (--seed or $GDKIT_SEED) must be a whole number >= 0; fix or unset it")
    release = assignment.root / "assignments" / assignment.name
    if not (release / assignment.notebook).is_file():
        raise GdkitError(f"no release {release / assignment.notebook}; run 'gdkit release {assignment.name}' first")
    package, checkout = _kit_source()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        _add(zf, "setup.sh", SETUP_SH.replace("__ASSIGNMENT__", assignment.name).encode(), executable=True)
        _add(zf, "run_autograder", RUN_AUTOGRADER.replace("__ASSIGNMENT__", assignment.name).encode(),
             executable=True)
        _add(zf, "bundle.json", json.dumps({"assignment": assignment.name, "notebook": assignment.notebook,
                                            "kit_version": gdkit.__version__, "seed": seed}, indent=1).encode())
        for name in ("pyproject.toml", "README.md"):  # setuptools needs the readme pyproject names
            if (checkout / name).is_file():
                _add(zf, f"kit/{name}", (checkout / name).read_bytes())
        for path, rel in _files(package):
            _add(zf, f"kit/src/gdkit/{rel.as_posix()}", path.read_bytes())
        for path, rel in _files(assignment.suite_dir):
            _add(zf, f"course/autograder/{assignment.name}/{rel.as_posix()}", path.read_bytes())
        for path, rel in _files(release):
            _add(zf, f"course/assignments/{assignment.name}/{rel.as_posix()}", path.read_bytes())
    return buffer.getvalue()


def export(assignment_name: str, out: Path, root: Path | None = None, seed: int | None = None) -> Path:
    """Write the bundle to ``out`` (a .zip file) atomically; returns the path."""
    out = Path(out)
    if out.is_dir():
        raise GdkitError(f"--out {out} is a folder; give a file name ending in .zip")
    if out.suffix.lower() != ".zip":
        raise GdkitError(f"--out {out}: Gradescope wants a .zip file; name it like {out.with_suffix('.zip').name}")
    data = bundle_bytes(assignment_name, root, seed)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except OSError as exc:
        raise GdkitError(f"cannot write {out} ({exc.strerror}); choose a writable --out") from None
    return out
