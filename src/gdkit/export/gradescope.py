"""`gdkit export gradescope`: an autograder zip in the layout of Gradescope's autograder spec.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once when it builds
the image, and runs ``run_autograder`` (from ``/autograder``) for every submission, which must
leave ``/autograder/results/results.json``. The bundle carries everything grading needs and
nothing more::

    setup.sh, run_autograder           the two scripts Gradescope requires at the zip's root
    kit/                                the running kit's source (gdkit.packaging.kit_files), pip-installed
    course/autograder/<name>/           the hidden suite of this one assignment
    course/assignments/<name>/          its student release (what students were given)
    bundle.json                         which assignment and kit version the bundle grades, its
                                        seed and seed policy, limits, visibility and feedback detail

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
from gdkit.export import settings, templating
from gdkit.grading import randomness

# One fixed timestamp: building the same kit twice gives the same bytes (easy to diff/audit).
_EPOCH = (2020, 1, 1, 0, 0, 0)
_SKIP_DIRS = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints"}
_SKIP_SUFFIXES = (".pyc", ".pyo")


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


def bundle_settings(assignment, seed: int | None = None, visibility: str | None = None,
                    feedback: str | None = None, per_student: bool | None = None,
                    timeout: float | None = None) -> dict:
    """What the bundle's grader is told (bundle.json): the course's settings for this assignment
    (``[gradescope]``, ``[feedback]``, ``[seed]``, ``[limits]`` of gdkit.toml), the options over them."""
    from gdkit.course import Course

    config = settings.course_config(assignment.root)
    chosen = settings.with_overrides(settings.for_assignment(assignment.name, config), checks=visibility,
                                     feedback=feedback, per_student=per_student, timeout=timeout)
    try:
        seed = randomness.run_seed(assignment.name, seed, chosen.secret)
    except ValueError:
        seed = -1
    if seed < 0:
        raise GdkitError("the seed (--seed or $GDKIT_SEED) must be a whole number >= 0; fix or unset it")
    try:
        limits = Course.at(assignment.root, marker=False).limits.replace(timeout=chosen.timeout)
    except ValueError as exc:
        raise GdkitError(f"bad limit: {exc}; fix --timeout or the course's [gradescope]/[limits]") from None
    return {"assignment": assignment.name, "notebook": assignment.notebook, "kit_version": gdkit.__version__,
            "seed": seed, "per_student": chosen.per_student, "gradescope_student": chosen.gradescope_student,
            "limits": limits.to_json(), "visibility": chosen.visibility.to_json(), "feedback": chosen.feedback}


def bundle_bytes(assignment_name: str, root: Path | None = None, seed: int | None = None, **options) -> bytes:
    """The autograder zip for one assignment, in memory. ``seed`` (resolved as `gdkit grade`
    does) is written into the bundle so Gradescope draws the same hidden inputs; ``options``
    (visibility, feedback, per_student, timeout) override the course's settings."""
    assignment = assignments.load(assignment_name, root)
    meta = bundle_settings(assignment, seed, **options)
    release = assignment.root / "assignments" / assignment.name
    if not (release / assignment.notebook).is_file():
        raise GdkitError(f"no release {release / assignment.notebook}; run 'gdkit release {assignment.name}' first")
    from gdkit.packaging import kit_files

    kit = kit_files()  # the running kit, from a wheel or a checkout, without course content
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        _add(zf, "setup.sh", templating.render("gradescope-setup.sh.j2", assignment=assignment.name).encode(),
             executable=True)
        _add(zf, "run_autograder", templating.render("gradescope-run_autograder.j2",
                                                     assignment=assignment.name).encode(), executable=True)
        _add(zf, "bundle.json", json.dumps(meta, indent=1).encode())
        for rel, data in kit.items():
            _add(zf, f"kit/{rel}", data)
        for path, rel in _files(assignment.suite_dir):
            _add(zf, f"course/autograder/{assignment.name}/{rel.as_posix()}", path.read_bytes())
        for path, rel in _files(release):
            _add(zf, f"course/assignments/{assignment.name}/{rel.as_posix()}", path.read_bytes())
    return buffer.getvalue()


def export(assignment_name: str, out: Path, root: Path | None = None, seed: int | None = None, **options) -> Path:
    """Write the bundle to ``out`` (a .zip file) atomically; returns the path. ``options``: see
    :func:`bundle_bytes`."""
    out = Path(out)
    if out.is_dir():
        raise GdkitError(f"--out {out} is a folder; give a file name ending in .zip")
    if out.suffix.lower() != ".zip":
        raise GdkitError(f"--out {out}: Gradescope wants a .zip file; name it like {out.with_suffix('.zip').name}")
    data = bundle_bytes(assignment_name, root, seed, **options)
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
