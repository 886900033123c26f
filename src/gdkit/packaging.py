"""The running kit as a pip-installable source tree, for bundles that install it elsewhere.

A Gradescope bundle (and any other export that installs the kit on another machine) carries
the kit that runs here, whether it was installed from a wheel or from a checkout: its package
files, and a ``pyproject.toml`` made from the installed distribution's own metadata (name,
version, the lean core's dependencies), so ``pip install kit/`` gives the same kit. The
bundled example course and the scaffolding templates hold master answers, so they are left out.

The student kit (``student=True``, ``gdkit export student-kit``) carries less: only the modules
``gdkit check`` imports (:func:`student_modules`), never the reference network (every graded
function's answer), the experiments, the hidden suites' helpers (their random draws, the bug-zoo
matcher) or the grading machinery; and a marker file (:data:`STUDENT_KIT`) so a command that
is not part of it says so in one line.
"""
from __future__ import annotations

import ast
import json
from pathlib import Path

import gdkit
from gdkit.errors import GdkitError

# Course content shipped inside the package (see gdkit.course.bundled_course, gdkit.scaffold):
# never part of a bundle that graders or students could read.
EXCLUDED = ("bundled_course", "templates/scaffold")
# What `gdkit check` runs: the command line (its top level only: each command imports what it
# needs when it runs; and this module, which tells a student kit's missing command), the check,
# its plain child off Linux and the sandbox worker.
STUDENT_ENTRY = ("gdkit.check", "gdkit.check_child", "gdkit.sandbox.worker")
STUDENT_TOP_LEVEL = ("gdkit.cli", "gdkit.packaging")
# Never in a student's kit, even where `gdkit check` would import them on a path a student does
# not take (a course checkout's bug zoo, a training run): the reference answers and the hidden
# suites' helpers (with the seeding scheme and a default seed, hidden inputs could be redrawn).
STUDENT_DENIED = ("gdkit.network", "gdkit.experiments", "gdkit.plots", "gdkit.grading.randomness",
                  "gdkit.grading.diagnose")
STUDENT_KIT = "STUDENT_KIT"  # a file in the student kit's package: its commands are `gdkit check` only
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


def kit_files(*, student: bool = False) -> dict[str, bytes]:
    """{path inside the kit's source tree: bytes}: ``pyproject.toml``, ``LICENSE`` when the
    installation has one, and ``src/gdkit/...`` (caches and :data:`EXCLUDED` left out; with
    ``student``, only :func:`student_modules` and the :data:`STUDENT_KIT` marker).
    Symlinks are refused, not followed."""
    package = package_dir()
    files = {"pyproject.toml": pyproject().encode()}
    licence = _licence(package)
    if licence is not None:
        files["LICENSE"] = licence
    kept = {_module_file(package, m) for m in student_modules(package)} if student else None
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package)
        if any(part in _SKIP_PARTS for part in rel.parts) or path.name.endswith(_SKIP_SUFFIXES):
            continue
        if any(rel.as_posix() == e or rel.as_posix().startswith(e + "/") for e in EXCLUDED):
            continue
        if kept is not None and path not in kept:
            continue
        if path.is_symlink():
            raise GdkitError(f"{path} is a symlink; the kit's files must be plain files to be bundled")
        if path.is_file():
            files[f"src/gdkit/{rel.as_posix()}"] = path.read_bytes()
    if student:
        files[f"src/gdkit/{STUDENT_KIT}"] = (b"This is the student kit of gdkit: `gdkit check` only. "
                                             b"Instructors install the full kit.\n")
    return files


def student_modules(package: Path | None = None) -> list[str]:
    """The kit's modules `gdkit check` imports, read from their source (every ``import`` of a
    ``gdkit`` module, also inside functions, from :data:`STUDENT_ENTRY`; the top level only of
    :data:`STUDENT_TOP_LEVEL`), the packages holding them, and never :data:`STUDENT_DENIED`."""
    package = package or package_dir()
    seen: set[str] = set()
    todo = [(m, False) for m in STUDENT_ENTRY] + [(m, True) for m in STUDENT_TOP_LEVEL]
    while todo:
        module, top_only = todo.pop()
        if module in seen or module in STUDENT_DENIED or (path := _module_file(package, module)) is None:
            continue
        seen.add(module)
        parts = module.split(".")
        todo += [(".".join(parts[:i]), True) for i in range(1, len(parts))]
        todo += [(m, False) for m in _imports(path, top_only)]
    return sorted(seen)


def _module_file(package: Path, module: str) -> Path | None:
    """The file of ``gdkit.x.y`` in ``package`` (a module or a package's ``__init__.py``)."""
    base = package.joinpath(*module.split(".")[1:])
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def _imports(path: Path, top_only: bool) -> list[str]:
    """The ``gdkit`` modules a source file names in its imports (``from gdkit.x import y`` may
    name the module ``gdkit.x.y``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in (tree.body if top_only else ast.walk(tree)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return [name for name in found if name.split(".")[0] == "gdkit"]


def is_student_kit() -> bool:
    """Whether the running kit is a student kit (``gdkit check`` only)."""
    return (package_dir() / STUDENT_KIT).is_file()


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
