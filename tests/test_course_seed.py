"""A course's own secret seed (`[seed] secret` of gdkit.toml, drawn by `gdkit init`).

Without it every course's hidden inputs come from the assignment's name alone, so anyone with
the kit's code could redraw them offline. With it they differ per course, and every grading
path draws the same ones: `gdkit grade`, the Gradescope bundle and nbgrader's kernel.
"""
import os
import subprocess
import sys
import tomllib
import zlib

import pytest

from gdkit import assignments, scaffold
from gdkit.errors import GdkitError
from gdkit.export import gradescope, settings
from gdkit.grading import plugin, randomness
from gdkit.grading.inkernel import grade_question
from minicourse import notebook, write_course

SECRET = 6021023197310225409
SUITE = '''import pytest
from gdkit.grading.randomness import rng


@pytest.mark.question("q1", weight=1)
def test_draw(student):
    """f() returns the number drawn."""
    assert student.call("f") == int(rng.integers(0, 10**9))
'''
TOML = 'name = "mini"\nnotebook = "mini.ipynb"\n[[questions]]\nid = "q1"\npoints = 1\nfunctions = ["f"]\n'


def drawn(seed: int) -> int:
    """The number the mini suite draws under a run seed: its own seeding, replayed."""
    randomness.start_run(seed)
    randomness.start_test(plugin.test_key("test_mini.py", "test_draw"))
    number = int(randomness.rng.integers(0, 10**9))
    randomness.start_run(0)
    return number


def test_the_run_seed_is_the_option_then_the_environment_then_the_course_then_the_name(monkeypatch):
    monkeypatch.delenv("GDKIT_SEED", raising=False)
    name_only = zlib.crc32(b"mini")
    assert randomness.run_seed("mini") == name_only
    assert randomness.run_seed("mini", secret=SECRET) == SECRET ^ name_only
    assert randomness.run_seed("other", secret=SECRET) != randomness.run_seed("mini", secret=SECRET)
    assert randomness.run_seed("mini", 7, secret=SECRET) == 7
    monkeypatch.setenv("GDKIT_SEED", "9")
    assert randomness.run_seed("mini", secret=SECRET) == 9


@pytest.mark.parametrize("value", ["12", -1, True, 1.5])
def test_a_bad_secret_is_a_one_line_error(value):
    with pytest.raises(GdkitError, match=r"\[seed\] secret = .*whole number"):
        settings.for_assignment("mini", {"seed": {"secret": value}})
    assert settings.for_assignment("mini", {"seed": {"secret": 0}}).secret == 0
    assert settings.for_assignment("mini", {}).secret is None


def test_init_draws_a_secret_of_the_courses_own(tmp_path):
    secrets = []
    for name in ("a", "b"):
        scaffold.init(tmp_path / name)
        secret = tomllib.loads((tmp_path / name / "gdkit.toml").read_text())["seed"]["secret"]
        assert isinstance(secret, int) and 0 <= secret < 2**63
        secrets.append(secret)
    assert secrets[0] != secrets[1]
    # the course's settings read it
    assert settings.for_assignment("x", root=tmp_path / "a").secret == secrets[0]


@pytest.fixture()
def course(tmp_path):
    root = write_course(tmp_path / "course", TOML, SUITE)
    (root / "gdkit.toml").write_text(f'[course]\nname = "mini"\n\n[seed]\nsecret = {SECRET}\n')
    return root


def _env(root):
    env = {k: v for k, v in os.environ.items() if k not in ("GDKIT_ROOT", "GDKIT_COURSE", "GDKIT_SEED")}
    return {**env, "GDKIT_COURSE": str(root)}


@pytest.mark.slow  # a gdkit grade subprocess
def test_every_grading_path_draws_the_courses_inputs(course, tmp_path, monkeypatch):
    seed = SECRET ^ zlib.crc32(b"mini")
    right, default = drawn(seed), drawn(zlib.crc32(b"mini"))
    assert right != default
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "course_seed.ipynb").write_text(notebook(f"def f():\n    return {right}"))
    (subs / "kit_seed.ipynb").write_text(notebook(f"def f():\n    return {default}"))
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "gdkit.cli", "grade", str(subs), "-a", "mini", "--out", str(out),
                           "--quiet"], capture_output=True, text=True, env=_env(course), timeout=300)
    assert done.returncode == 0, done.stderr
    assert "course_seed,1,1,1,ok" in (out / "grades.csv").read_text()
    assert "kit_seed,0,0,1,ok" in (out / "grades.csv").read_text()
    # the Gradescope bundle carries the course's seed
    monkeypatch.delenv("GDKIT_SEED", raising=False)
    assert gradescope.bundle_settings(assignments.load("mini", course))["seed"] == seed
    # nbgrader's kernel finds the course (GDKIT_COURSE) and draws the same inputs
    monkeypatch.setenv("GDKIT_COURSE", str(course))
    namespace = {}
    exec(f"def f():\n    return {right}", namespace)
    assert grade_question("mini", "q1", namespace) == 1.0
    exec(f"def f():\n    return {default}", namespace)
    assert grade_question("mini", "q1", namespace) == 0.0
