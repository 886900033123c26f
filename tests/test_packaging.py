"""The kit as users install it: a wheel (and sdist) that `python -m build` makes and
`twine check` accepts, installed (not editable) into a fresh venv, where a new course is made,
released, validated and graded in a folder that has nothing to do with this checkout, the
bundled example course is copied and graded, and a Gradescope bundle is exported and run.

The venv sees the system's site-packages (numpy, nbgrader: no downloads), but the kit itself
comes from the wheel: the test checks which gdkit the venv imports."""
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from test_authoring import walk

REPO = Path(__file__).resolve().parents[1]


def tracked_copy(target: Path) -> Path:
    """The repository's tracked files (what a clean clone holds), so the build writes nothing here."""
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, timeout=60)
    names = [n for n in listed.stdout.decode().split("\0") if n] if listed.returncode == 0 else None
    if not names:  # not a git checkout (an unpacked sdist): everything but build leftovers
        shutil.copytree(REPO, target, ignore=shutil.ignore_patterns(".git", "build", "dist", "*.egg-info",
                                                                     "__pycache__"))
        return target
    for name in names:
        if (REPO / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target / name)
    return target


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    source = tracked_copy(tmp_path_factory.mktemp("source") / "gdkit")
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(source)],
                           capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    wheels, sdists = list(out.glob("gdkit-*.whl")), list(out.glob("gdkit-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1
    return wheels[0], sdists[0]


@pytest.fixture(scope="module")
def kit_venv(dist, tmp_path_factory):
    folder = tmp_path_factory.mktemp("venv") / "v"
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(folder)
    python = folder / "bin" / "python"
    _see_running_packages(python)
    env = clean_env(folder)
    done = subprocess.run([str(python), "-m", "pip", "install", "--no-index", "--disable-pip-version-check",
                           str(dist[0])], capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    where = subprocess.run([str(python), "-c", "import gdkit; print(gdkit.__file__)"], capture_output=True,
                           text=True, env=env, cwd=folder, timeout=60)
    assert Path(where.stdout.strip()).is_relative_to(folder), f"the venv imports {where.stdout}"
    return folder


def _see_running_packages(python: Path) -> None:
    """Let the new venv see the packages of the Python running the tests (``--no-index``: the
    wheel's dependencies come from here). ``system_site_packages`` alone reaches the base
    installation's, not those of a venv the tests run in (a contributor's usual set-up)."""
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib, "_running_tests.pth").write_text("".join(f"{p}\n" for p in sorted(ours)))


def clean_env(folder: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "GDKIT_COURSE", "GDKIT_ROOT", "GDKIT_SEED", "VIRTUAL_ENV")}
    env["PATH"] = f"{folder / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.mark.slow
def test_build_and_twine_check(dist):
    done = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, dist)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    with zipfile.ZipFile(dist[0]) as zf:
        names = zf.namelist()
        metadata = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: BSD-3-Clause" in metadata
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "Requires-Dist: nbgrader>=0.9; extra == \"instructor\"" in metadata
    core = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert not [line for line in core if any(heavy in line for heavy in ("nbgrader", "jupyter", "matplotlib"))]
    for rel in ("gdkit.toml", "solutions/gradient_descent/gradient_descent.master.py",
                "assignments/tuning/tuning.ipynb", "autograder/gradient_descent/bugzoo.py",
                "examples/submissions/alice.ipynb", "examples/make_examples.py"):
        assert f"gdkit/bundled_course/{rel}" in names, rel
    assert "gdkit/templates/scaffold/assignment/master.py.j2" in names
    assert not [n for n in names if "__pycache__" in n or n.startswith("tests/")]


@pytest.mark.slow
def test_the_installed_wheel_makes_releases_validates_and_grades_a_new_course(kit_venv, tmp_path):
    env = clean_env(kit_venv)

    def gdkit(*args, cwd, ok=(0,)):
        done = subprocess.run([str(kit_venv / "bin" / "gdkit"), *args], cwd=cwd, capture_output=True, text=True,
                              env=env, timeout=900)
        assert done.returncode in ok, f"gdkit {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        return done

    seconds = walk(tmp_path, gdkit)
    print("\nfrom the wheel: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))


@pytest.mark.slow
def test_the_installed_wheel_copies_grades_and_exports_the_example_course(kit_venv, tmp_path):
    env = clean_env(kit_venv)
    gdkit = str(kit_venv / "bin" / "gdkit")

    def run(*args, cwd, extra_env=None):
        return subprocess.run(args, cwd=cwd, capture_output=True, text=True, env={**env, **(extra_env or {})},
                              timeout=900)

    done = run(gdkit, "init", "example", "--example", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    course = tmp_path / "example"
    done = run(gdkit, "grade", "--out", "grades", "--quiet", cwd=course)
    assert done.returncode == 0, done.stderr
    text = (course / "grades" / "grades.csv").read_text()
    assert "\nalice,10,15,15,20,20,20,100,100,ok," in text and "\nfrank,0,0,0,0,0,0,0,100,ok," in text
    done = run(gdkit, "release", "--check", cwd=course)
    assert done.returncode == 0, done.stderr
    # The Gradescope bundle of a wheel install: the kit without course content, the course's settings.
    done = run(gdkit, "export", "gradescope", "--assignment", "gradient_descent", "--out", "ag.zip", cwd=course)
    assert done.returncode == 0, done.stderr
    autograder = tmp_path / "autograder"
    with zipfile.ZipFile(course / "ag.zip") as zf:
        names = zf.namelist()
        assert "kit/pyproject.toml" in names and "kit/src/gdkit/grading/runner.py" in names
        assert "kit/LICENSE" in names
        assert not [n for n in names if "bundled_course" in n or "templates/scaffold" in n or "solutions" in n]
        assert b"### BEGIN SOLUTION" not in b"".join(zf.read(n) for n in names)
        zf.extractall(autograder / "source")
    (autograder / "submission").mkdir()
    shutil.copy(course / "examples" / "submissions" / "carol.ipynb", autograder / "submission")
    os.chmod(autograder / "source" / "run_autograder", 0o755)
    done = run("bash", str(autograder / "source" / "run_autograder"), cwd=autograder,
               extra_env={"GDKIT_AUTOGRADER_ROOT": str(autograder), "GDKIT_AUTOGRADER_PYTHON": sys.executable,
                          "PYTHONPATH": str(autograder / "source" / "kit" / "src")})
    assert done.returncode == 0, done.stderr
    import json

    results = json.loads((autograder / "results" / "results.json").read_text())
    graded = {row.split(",")[0]: row.split(",")[7] for row in text.splitlines()[1:]}
    assert results["score"] == pytest.approx(float(graded["carol"]))


INSTRUCTOR_ONLY = ("nbgrader", "matplotlib", "jupytext", "nbclient", "yaml", "notebook", "jupyterlab",
                   "ipykernel", "IPython")


def lean_env(tmp_path: Path) -> dict:
    """An environment where the instructor extra's packages refuse to import (stand-in packages
    first on the path), as in `pip install gdkit` without [instructor]."""
    blocked = tmp_path / "blocked"
    for name in INSTRUCTOR_ONLY:
        (blocked / name).mkdir(parents=True)
        (blocked / name / "__init__.py").write_text(f"raise ImportError('{name} is not in the lean install')\n")
    env = {k: v for k, v in os.environ.items() if k not in ("GDKIT_COURSE", "GDKIT_ROOT")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(blocked), env.get("PYTHONPATH", "")]))
    return env


@pytest.mark.slow  # builds a lean venv-like environment and runs gdkit in it
def test_grade_and_check_need_only_the_lean_core(tmp_path):
    env = lean_env(tmp_path)
    probe = subprocess.run([sys.executable, "-c", "import nbgrader"], capture_output=True, text=True, env=env)
    assert "not in the lean install" in probe.stderr  # the stand-ins work
    notebook = REPO / "examples" / "submissions" / "carol.ipynb"
    done = subprocess.run([sys.executable, "-m", "gdkit.cli", "grade", str(notebook), "--out", str(tmp_path / "g"),
                           "--course", str(REPO)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "carol" in done.stdout and (tmp_path / "g" / "carol" / "feedback.html").is_file()
    done = subprocess.run([sys.executable, "-m", "gdkit.cli", "check", str(notebook)], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=300)
    assert done.returncode == 1 and "4 of 6 questions pass" in done.stdout, done.stdout + done.stderr
    done = subprocess.run([sys.executable, "-m", "gdkit.cli", "release", "--check"], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=300)
    assert done.returncode == 2 and done.stderr.count("\n") == 1  # instructor commands: a one-line error
    assert "pip install 'gdkit[instructor]'" in done.stderr
