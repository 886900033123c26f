"""Reproducible randomness for the hidden suites.

Hidden inputs are random, but a grade must not depend on luck or on which shard, platform or
run graded a submission. So every draw comes from a generator seeded by the run's seed (the
instructor's ``--seed`` / ``$GDKIT_SEED``, default derived from the assignment's name) and:

- ``rng``: reseeded for each student from (seed, student id) before their first test, so a
  student's inputs are the same in any run with that seed, whatever else is graded with them;
- ``session_rng``: seeded once per run from the seed alone, for draws a whole session shares
  (other hidden sizes, seeds for reference runs that are then cached).

Suites import them: ``from gdkit.grading.randomness import rng, session_rng``.
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


def student_entropy(seed: int, student: str) -> list[int]:
    return [seed, zlib.crc32(student.encode("utf-8"))]


rng = Reseedable(None)
session_rng = Reseedable(None)


def start_run(seed: int) -> None:
    """Called once per grading session, before the suites are imported."""
    session_rng.reseed([seed, 0])
    rng.reseed([seed, 1])


def start_student(seed: int, student: str) -> None:
    """Called before a student's first test."""
    rng.reseed(student_entropy(seed, student))
