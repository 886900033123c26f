"""The running kit as a pip-installable source tree, for bundles that install it elsewhere.

A Gradescope bundle (and any other export that installs the kit on another machine) carries
the kit that runs here, whether it was installed from a wheel or from a checkout: its package
files, and a ``pyproject.toml`` made from the installed distribution's own metadata (name,
version, the lean core's dependencies), so ``pip install kit/`` gives the same kit. The
bundled example course and the scaffolding templates hold master answers, so they are left out.
"""
from __future__ import annotations

import json
from pathlib import Path

import gdkit
from gdkit.errors import GdkitError

# Course content shipped inside the package (see gdkit.course.bundled_course, gdkit.scaffold):
# never part of a bundle that graders or students could read.
EXCLUDED = ("bundled_course", "templates/scaffold")
_SKIP_PARTS = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints"}
_SKIP_SUFFIXES = (".pyc", ".pyo")

_PYPROJECT = """\
# Made by gdkit.packaging from the installed kit's metadata: the kit as it runs where the bundle
# was made, with its lean dependencies (what grading needs).
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = {name}
version = {version}
requires-python = {python}
dependencies = {dependencies}

[project.scripts]
gdkit = "gdkit.cli:run"

[tool.setuptools.packages.find]
where = ["src"]

[tool.setuptools.package-data]
gdkit = ["**/*"]
"""


def package_dir() -> Path:
    """The folder of the running ``gdkit`` package (in site-packages, or a checkout's src/)."""
    return Path(gdkit.__file__).resolve().parent


def _metadata():
    from importlib import metadata

    try:
        return metadata.metadata("gdkit"), metadata.requires("gdkit") or []
    except metadata.PackageNotFoundError:
        raise GdkitError("the running gdkit has no installed metadata (it was imported from a folder); "
                         "install it with 'pip install .' or 'pip install -e .' first") from None


def core_requirements(requires: list[str]) -> list[str]:
    """The requirements that hold without any extra (``... ; extra == "x"`` left out)."""
    return [r for r in requires if "extra ==" not in r.replace("extra==", "extra ==")]


def pyproject() -> str:
    """The ``pyproject.toml`` of the running kit, from its installed metadata."""
    meta, requires = _metadata()
    return _PYPROJECT.format(name=json.dumps(meta["Name"]), version=json.dumps(meta["Version"]),
                             python=json.dumps(meta.get("Requires-Python") or ">=3.10"),
                             dependencies=json.dumps(core_requirements(requires)))


def kit_files() -> dict[str, bytes]:
    """{path inside the kit's source tree: bytes}: ``pyproject.toml``, ``LICENSE`` when the
    installation has one, and ``src/gdkit/...`` (caches and :data:`EXCLUDED` left out).
    Symlinks are refused, not followed."""
    package = package_dir()
    files = {"pyproject.toml": pyproject().encode()}
    licence = _licence(package)
    if licence is not None:
        files["LICENSE"] = licence
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package)
        if any(part in _SKIP_PARTS for part in rel.parts) or path.name.endswith(_SKIP_SUFFIXES):
            continue
        if any(rel.as_posix() == e or rel.as_posix().startswith(e + "/") for e in EXCLUDED):
            continue
        if path.is_symlink():
            raise GdkitError(f"{path} is a symlink; the kit's files must be plain files to be bundled")
        if path.is_file():
            files[f"src/gdkit/{rel.as_posix()}"] = path.read_bytes()
    return files


def _licence(package: Path) -> bytes | None:
    for candidate in (package.parents[1] / "LICENSE",):  # a checkout
        if candidate.is_file():
            return candidate.read_bytes()
    from importlib import metadata

    try:
        for entry in metadata.files("gdkit") or ():  # a wheel: dist-info/licenses/LICENSE
            if entry.name == "LICENSE":
                return entry.read_binary() if hasattr(entry, "read_binary") else Path(entry.locate()).read_bytes()
    except metadata.PackageNotFoundError:
        return None
    return None
