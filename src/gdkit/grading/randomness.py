"""Reproducible randomness for the hidden suites.

Hidden inputs are random, but a grade must not depend on luck or on which shard, platform or
path (``gdkit grade``, the Gradescope bundle, nbgrader's kernel) graded a submission. So every
draw comes from a generator seeded by the run's seed (the instructor's ``--seed`` /
``$GDKIT_SEED``, else the course's secret ``[seed] secret`` mixed with the assignment's name,
else one derived from the name alone):

- ``rng``: reseeded before every test from (seed, test), so a test's inputs never depend on
  which tests or students ran before it, nor on what a platform calls the student (Gradescope
  knows no file name, nbgrader a folder): every student gets the same inputs in a run;
- ``keyed(*key)``: a generator for one shared, cached draw (another hidden size, the seed of a
  reference run), seeded from (seed, key) so it does not depend on the order of the tests.

Per-student inputs (the course's ``[seed] per_student = true``): ``rng`` is reseeded from
(seed, test, student id) instead, so each student's hidden inputs differ and a classmate's
leaked values do not fit. The student id is what the platform calls the student (``gdkit
grade``: the file stem or nbgrader folder; nbgrader's kernel: its student folder; Gradescope:
the user's email or id from ``submission_metadata.json``), compared without case and outer
spaces: the same student gets the same inputs on every platform only if each one spells the id
the same way. ``keyed`` draws stay per run (they are shared and cached across the students of
a grading session).

Suites import them: ``from gdkit.grading.randomness import rng, keyed``.
"""
from __future__ import annotations

import os
import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported when a draw is made, not when a suite imports this
    import numpy as np


class Reseedable:
    """A numpy Generator whose state the grading plugin can reset; use it like a Generator.

    The generator is made at its first draw: importing this module (``gdkit grade``'s main
    process needs only :func:`run_seed`) then costs no numpy import.
    """

    def __init__(self, entropy):
        self._entropy = entropy
        self._generator = None

    def reseed(self, entropy) -> None:
        self._entropy = entropy
        self._generator = None

    def __getattr__(self, name):
        generator = self.__dict__.get("_generator")
        if generator is None:
            import numpy as np

            generator = self.__dict__["_generator"] = np.random.default_rng(self.__dict__.get("_entropy"))
        return getattr(generator, name)


def run_seed(assignment: str, given: int | None = None, secret: int | None = None) -> int:
    """The seed of a grading run: ``given``, else ``$GDKIT_SEED``, else the course's ``secret``
    (``[seed] secret`` of gdkit.toml, which ``gdkit init`` draws at random) mixed with the
    assignment's name, else one from the name alone (the same for every course: anyone with
    the kit could recompute those hidden inputs)."""
    if given is not None:
        return int(given)
    env = os.environ.get("GDKIT_SEED", "").strip()
    if env:
        return int(env)
    if secret is not None:
        return int(secret) ^ zlib.crc32(assignment.encode("utf-8"))
    return zlib.crc32(assignment.encode("utf-8"))


rng = Reseedable(None)
_run = {"seed": 0, "per_student": False}


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def student_key(student: str) -> str:
    """The form of a student id that seeds their inputs: no outer spaces, lower case."""
    return str(student).strip().lower()


def start_run(seed: int, per_student: bool = False) -> None:
    """Called once per grading session, before the suites are imported."""
    _run["seed"] = int(seed)
    _run["per_student"] = bool(per_student)
    rng.reseed([int(seed), 0])


def start_test(test: str, student: str | None = None) -> None:
    """Called before each test: its inputs depend on the run's seed and the test, and with
    per-student inputs on the student id too (ValueError when it is missing)."""
    entropy = [_run["seed"], _crc(test)]
    if _run["per_student"]:
        if not student or not student_key(student):
            raise ValueError("per-student hidden inputs need the student's id")
        entropy.append(_crc(student_key(student)))
    rng.reseed(entropy)


def keyed(*key) -> np.random.Generator:
    """A generator for one shared draw, identified by ``key`` (any reprs-stable values)."""
    import numpy as np

    return np.random.default_rng([_run["seed"], _crc(repr(key))])
