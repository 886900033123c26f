"""Reproducible randomness for the hidden suites.

Hidden inputs are random, but a grade must not depend on luck or on which shard, platform or
path (``gdkit grade``, the Gradescope bundle, nbgrader's kernel) graded a submission. So every
draw comes from a generator seeded by the run's seed (the instructor's ``--seed`` /
``$GDKIT_SEED``, default derived from the assignment's name):

- ``rng``: reseeded before every test from (seed, test), so a test's inputs never depend on
  which tests or students ran before it, nor on what a platform calls the student (Gradescope
  knows no file name, nbgrader a folder): every student gets the same inputs in a run;
- ``keyed(*key)``: a generator for one shared, cached draw (another hidden size, the seed of a
  reference run), seeded from (seed, key) so it does not depend on the order of the tests.

Suites import them: ``from gdkit.grading.randomness import rng, keyed``.
"""
from __future__ import annotations

import os
import zlib

import numpy as np


class Reseedable:
    """A numpy Generator whose state the grading plugin can reset; use it like a Generator."""

    def __init__(self, entropy):
        self._generator = np.random.default_rng(entropy)

    def reseed(self, entropy) -> None:
        self._generator = np.random.default_rng(entropy)

    def __getattr__(self, name):
        return getattr(self._generator, name)


def run_seed(assignment: str, given: int | None = None) -> int:
    """The seed of a grading run: ``given``, else ``$GDKIT_SEED``, else one from the name."""
    if given is not None:
        return int(given)
    env = os.environ.get("GDKIT_SEED", "").strip()
    if env:
        return int(env)
    return zlib.crc32(assignment.encode("utf-8"))


rng = Reseedable(None)
_run = {"seed": 0}


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def start_run(seed: int) -> None:
    """Called once per grading session, before the suites are imported."""
    _run["seed"] = int(seed)
    rng.reseed([int(seed), 0])


def start_test(test: str) -> None:
    """Called before each test: its inputs depend on the run's seed and the test only."""
    rng.reseed([_run["seed"], _crc(test)])


def keyed(*key) -> np.random.Generator:
    """A generator for one shared draw, identified by ``key`` (any reprs-stable values)."""
    return np.random.default_rng([_run["seed"], _crc(repr(key))])
