"""The ``student`` fixture of the hidden suites: one submission's sandboxed code, for grading.

Built on the generic sandbox handle (:class:`gdkit.sandbox.client.Worker`). What it adds is the
grading: the kit's training loop as trusted driver code in the worker (:mod:`gdkit.grading.training`),
a twin worker for public examples, artifacts for the feedback, and a memory of functions that
hung or killed their worker, so they fail again at once instead of using up the restarts
every other question needs. Its API is documented in docs/architecture.md.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from gdkit.grading import training
from gdkit.sandbox.client import (Budget, MissingFunction, SandboxFailed, StudentRaised, Worker,  # noqa: F401
                                  WorkerDied, Zygote)
from gdkit.sandbox.limits import Limits
from gdkit.sandbox.policy import Policy

# Trusted source the worker compiles before the student's cells (it imports only numpy).
DRIVERS = {"training": Path(training.__file__).read_text()}
# The kit's tests set this (never student code, which cannot reach the grader's environment) to
# grade with the audit hook off and show that the kernel's protections hold on their own.
NO_AUDIT_HOOK_ENV = "GDKIT_TEST_NO_AUDIT_HOOK"
# Helper sources swapped in for one call run in a namespace of their own: they get numpy as np.
_SUBSTITUTE_PREAMBLE = "import numpy as np\n"


def sandbox_policy(uid: int | None = None, gid: int | None = None) -> Policy:
    """The kit's sandbox: the kit's own package may be neither imported nor read by student code;
    ``uid``/``gid`` (the course's ``[sandbox]``) run the workers when the grader is root."""
    ids = {k: v for k, v in (("uid", uid), ("gid", gid)) if v is not None}
    return Policy(banned_packages=("gdkit",), audit_hook=os.environ.get(NO_AUDIT_HOOK_ENV) != "1", **ids)


def start_zygote(uid: int | None = None, gid: int | None = None) -> Zygote:
    """A zygote with the kit's policy (start it early: it imports numpy while the caller works)."""
    return Zygote(sandbox_policy(uid, gid))


def training_start(X, y, hidden, seed, synapse_0=None, synapse_1=None):
    """Trusted inputs of a training run: X (n, i) and y (n, k) as floats, and the starting
    weights made here from ``seed`` (the tutorial's initialisation) unless given."""
    from gdkit.network import init_synapses

    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y.reshape(-1, 1)
    if synapse_0 is None or synapse_1 is None:
        synapse_0, synapse_1 = init_synapses(X.shape[1], hidden, y.shape[1], seed)
    return X, y, synapse_0, synapse_1


class Student(Worker):
    """A handle on one submission's worker (see docs/architecture.md for the API)."""

    def __init__(self, zygote: Zygote, cells: list, *, limits: Limits | None = None, max_restarts: int = 10,
                 skip=(), budget: Budget | None = None):
        super().__init__(zygote, cells, limits=limits, drivers=DRIVERS, max_restarts=max_restarts, skip=skip,
                         budget=budget)
        self.artifacts: dict = {}
        self.timed_out: set[str] = set()  # functions that hung once are not waited on again
        # Functions that killed their worker once fail the same way again without a restart,
        # so one crashing function cannot use up the restarts every other question needs.
        self.died: dict[str, WorkerDied] = {}
        self._public: Student | None = None

    def close(self) -> None:
        """Kill the worker (and the public-example twin) and everything they started; keep what
        the student's code printed."""
        super().close()
        if self._public is not None and self._public is not self:
            self._public.close()

    def public(self) -> "Student":
        """A twin worker for the small public examples shown in feedback.

        It loads the same notebook but is never sent a hidden input, so whatever the student's
        code answers there (a worker keeps state between calls: it could replay hidden inputs
        it saw earlier) can only be made of public values. Its failures do not count against
        the submission, and it has a time budget of its own. Started on first use.
        """
        if self._public is None:
            self._public = Student(self.zygote, self.cells, limits=self.limits, max_restarts=2,
                                   skip=tuple(self.skipped))
            self._public._public = self._public  # a twin's examples go to itself
        return self._public

    def _request(self, message: dict) -> dict:
        if message["op"] == "has":  # runs no student code: nothing to remember
            return self._exchange(message)
        key = message.get("name", message["op"])
        if key in self.timed_out:
            raise WorkerDied("timeout", f"`{key}` already ran out of time on an earlier check")
        if key in self.died:
            earlier = self.died[key]
            raise WorkerDied(earlier.reason, f"{earlier.detail} (on an earlier check; not run again)".strip())
        try:
            return self._exchange(message)
        except WorkerDied as died:
            if died.reason == "timeout":
                self.timed_out.add(key)
            elif died.reason not in ("gave-up", "budget"):
                self.died[key] = died
            raise

    def call(self, name: str, *args, return_args: bool = False, substitute: dict | None = None, **kwargs):
        """Call the student's function ``name``; see docs/architecture.md.

        ``substitute`` maps other function names to source code (a complete ``def``, which may
        use ``np``) used in their place during this call only, so a mistake elsewhere does not
        cascade.
        """
        sources = {k: _SUBSTITUTE_PREAMBLE + v for k, v in (substitute or {}).items()}
        return super().call(name, *args, return_args=return_args, substitute=sources, **kwargs)

    def train(self, X, y, alpha, hidden=4, iterations=1000, seed=1, *, stop_on_divergence=False,
              synapse_0=None, synapse_1=None) -> dict:
        """Run the kit's training loop in the worker with the student's functions.

        The initial weights are made here (trusted) from ``seed`` unless given. Nothing
        returned is trusted: suites recompute what they judge.
        """
        X, y, synapse_0, synapse_1 = training_start(X, y, hidden, seed, synapse_0, synapse_1)
        result = self.drive("training", "run", key="train", X=X, y=y, alpha=float(alpha), synapse_0=synapse_0,
                            synapse_1=synapse_1, iterations=int(iterations),
                            stop_on_divergence=bool(stop_on_divergence))
        if not isinstance(result, dict):
            raise WorkerDied("crashed", "the worker answered something unexpected")
        missing = result.get("missing")
        if missing is not None:
            names = [m for m in missing if isinstance(m, str)] if isinstance(missing, list) else []
            raise MissingFunction(", ".join(n[:100] for n in names[:10]) or "?")
        return result
