"""The ``student`` fixture of the hidden suites: one submission's sandboxed code, for grading.

Built on the generic sandbox handle (:class:`gdkit.sandbox.client.Worker`). What it adds is the
grading: trusted driver code in the worker (the kit's training loop,
:mod:`gdkit.grading.training`, and the input watcher, :mod:`gdkit.grading.untouched`),
artifacts for the feedback, and a memory of functions that hung or killed their worker, so
they fail again at once instead of using up the restarts every other question needs.

One submission's code runs in up to three kinds of worker, **never two at a time**: two live
processes always share a channel (locks on the same read-only files, timing, the CPU), so a
worker that saw hidden inputs could tell them to one whose answers are shown, and one that
saw the training loop could tell its steps to the one that confirms them.

- the *main* worker answers direct calls on hidden inputs. It is stopped while a training
  worker runs, and restarted afresh (the cells loaded again) at its next call; also when it
  has been sent grader code (``substitute=``) and is then asked a call without it, so no
  reference code stays where graded code could use it later;
- a *training* worker runs the kit's training loop and nothing else (:meth:`train`); a
  ``public`` run (the toy data) is the first thing a fresh one does, so what it returns can
  only be made of public values and the student's code. The first worker of a submission is
  a training worker when its first request is a run (suites order their training tests
  first: see the ``training`` marker in :mod:`gdkit.grading.plugin`), which saves a start;
- the *public twin* answers every public input the suite declares (the small examples shown
  in feedback, their probes: :meth:`prefetch`) as the submission's **first** worker, and is
  closed before any other starts: nothing hidden exists yet anywhere it could learn it from
  (not even the page cache, which outlives the workers). :meth:`public_outcome` serves those
  answers later; an input that was not prefetched is unavailable, never asked late.

Its API is documented in docs/architecture.md.
"""
from __future__ import annotations

import itertools
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from gdkit.grading import training, untouched
from gdkit.grading.checks import Outcome, PublicTooEarly, outcome_of, outcomes_of
from gdkit.sandbox.client import (Budget, MissingFunction, SandboxFailed, StudentRaised, Worker,  # noqa: F401
                                  WorkerDied, Zygote)
from gdkit.sandbox.limits import Limits
from gdkit.sandbox.policy import Policy

# Trusted source the worker compiles before the student's cells (it imports only numpy).
DRIVERS = {"training": Path(training.__file__).read_text(), "inputs": Path(untouched.__file__).read_text()}
# The kit's tests set this (never student code, which cannot reach the grader's environment) to
# grade with the audit hook off and show that the kernel's protections hold on their own.
NO_AUDIT_HOOK_ENV = "GDKIT_TEST_NO_AUDIT_HOOK"
# Helper sources swapped in for one call run in a namespace of their own: they get numpy as np.
_SUBSTITUTE_PREAMBLE = "import numpy as np\n"
TWIN_RESTARTS = 2  # the public twin's failures never count against the submission


def sandbox_policy(uid: int | None = None, gid: int | None = None) -> Policy:
    """The kit's sandbox: the kit's own package may be neither imported nor read by student code;
    ``uid``/``gid`` (the course's ``[sandbox]``) run the workers when the grader is root."""
    ids: dict[str, Any] = {k: v for k, v in (("uid", uid), ("gid", gid)) if v is not None}
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


class _Remembering(Worker):
    """A worker that remembers which functions hung or killed a worker, so they fail again at
    once; the memory (``timed_out``, ``died``) may be shared by the workers of one submission."""

    def __init__(self, *args, timed_out: set | None = None, died: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.timed_out: set[str] = timed_out if timed_out is not None else set()
        self.died: dict[str, WorkerDied] = died if died is not None else {}

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


class Student(_Remembering):
    """A handle on one submission's workers (see the module docstring and docs/architecture.md).

    The handle itself is the main worker; the training worker and the public twin are made on
    first use. ``failures``, ``max_rss_kb`` and ``cpu_seconds`` of the training worker are
    counted in :attr:`all_failures`, :attr:`worker_max_rss_kb` and :attr:`worker_cpu_seconds`.
    """

    def __init__(self, zygote: Zygote, cells: list, *, limits: Limits | None = None, max_restarts: int = 10,
                 skip=(), trimmed: dict | None = None, budget: Budget | None = None):
        super().__init__(zygote, cells, limits=limits, drivers=DRIVERS, max_restarts=max_restarts, skip=skip,
                         trimmed=trimmed, budget=budget)
        self.artifacts: dict = {}
        self._trainer: _Remembering | None = None
        self._trainer_fresh = False   # the training worker has run nothing since it started
        self._twin: _Remembering | None = None
        self._public_answers: dict = {}   # (function, pickled args, return_args) -> Outcome
        self.public_missed: list[str] = []  # functions asked on a public input never prefetched
        self._resume = False          # the main worker was stopped on purpose: start it afresh when needed
        # What the main worker's current process has done: None (nothing yet), "loop" (training
        # runs only: it is a training worker) or "calls" (direct calls).
        self._role: str | None = None
        self._holds_grader_code = False
        self._sealed = False          # closed: only the public twin may run from now on
        self._helpers: list[Worker] = []

    # -- accounts over every worker of the submission
    @property
    def all_failures(self) -> list[WorkerDied]:
        """Worker failures of the main and training workers (the twin's never count)."""
        return self.failures + (self._trainer.failures if self._trainer is not None else [])

    @property
    def worker_max_rss_kb(self) -> int:
        return max([self.max_rss_kb] + [w.max_rss_kb for w in self._helpers])

    @property
    def worker_cpu_seconds(self) -> float:
        return self.cpu_seconds + sum(w.cpu_seconds for w in self._helpers)

    # -- lifetimes: one worker at a time
    def close(self) -> None:
        """Kill every worker of the submission and what they started; keep what the student's
        code printed. From now on no worker starts (public answers come from :meth:`prefetch`)."""
        self._sealed = True
        self._resume = False
        super().close()
        for worker in (self._trainer, self._twin):
            if worker is not None:
                worker.close()

    def start(self) -> None:
        super().start()
        self._role = None

    def _suspend(self) -> None:
        """Stop the main worker now; its next request starts a fresh one (not counted as a restart)."""
        if self._sock is not None:
            self._stop()
            self._resume = True
        self._holds_grader_code = False
        self._role = None

    def _stop_trainer(self) -> None:
        if self._trainer is not None:
            self._trainer.close()

    def _exchange(self, message: dict) -> dict:
        if self._sealed:
            raise PublicTooEarly("the submission's workers are closed: nothing but public examples may run")
        training = message.get("driver") == "training"
        if not training:
            self._stop_trainer()
            if message["op"] != "has" and (self._role == "loop" or
                                           (self._holds_grader_code and not message.get("substitute"))):
                self._suspend()
        if self._sock is None and self._resume:
            self._resume = False
            self.start()
        reply = super()._exchange(message)
        if message["op"] != "has":
            self._role = "loop" if training else "calls"
        if message.get("substitute"):
            self._holds_grader_code = True
        return reply

    # -- the API
    def call(self, name: str, *args, return_args: bool = False, substitute: dict | None = None,
             watch_inputs: bool = False, **kwargs):
        """Call the student's function ``name``; see docs/architecture.md.

        ``substitute`` maps other function names to source code (a complete ``def``, which may
        use ``np``) used in their place during this call only, so a mistake elsewhere does not
        cascade. ``watch_inputs``: returns ``(value, changed)``, ``changed`` a list of bools
        saying which positional arguments the function changed in place, as the trusted
        watcher in the worker saw them (:mod:`gdkit.grading.untouched`).
        """
        if watch_inputs:
            if substitute or kwargs or return_args:
                raise TypeError("watch_inputs takes positional arguments only")
            return self._watched(name, args)
        sources = {k: _SUBSTITUTE_PREAMBLE + v for k, v in (substitute or {}).items()}
        return super().call(name, *args, return_args=return_args, substitute=sources, **kwargs)

    def _watched(self, name: str, args: tuple):
        result = self.drive("inputs", "call", key=name, name=name, args=list(args))
        if isinstance(result, dict) and isinstance(result.get("missing"), str):
            raise self.missing(result["missing"][:100])
        changed = result.get("changed") if isinstance(result, dict) else None
        if not (isinstance(changed, list) and len(changed) == len(args) and all(type(c) is bool for c in changed)):
            raise WorkerDied("crashed", "the worker answered something unexpected")
        return result.get("value"), changed

    def train(self, X, y, alpha, hidden=4, iterations=1000, seed=1, *, stop_on_divergence=False,
              synapse_0=None, synapse_1=None, public: bool = False) -> dict:
        """Run the kit's training loop with the student's functions, in the training worker
        (the main worker is stopped first).

        The initial weights are made here (trusted) from ``seed`` unless given. ``public``: the
        run's inputs are public (the toy data) and it is the first thing a fresh training worker
        does, so what it returns is made of public values only (a feedback picture may show it).
        Nothing returned is trusted: suites recompute what they judge.
        """
        if self._sealed:
            raise PublicTooEarly("the submission's workers are closed")
        X, y, synapse_0, synapse_1 = training_start(X, y, hidden, seed, synapse_0, synapse_1)
        if self._sock is not None and (self._role is None or (self._role == "loop" and not public)):
            trainer: Worker = self  # the main worker has answered no direct call: it may run the loop
        else:
            self._suspend()
            trainer = self._training_worker(fresh=public)
            self._trainer_fresh = False
        result = trainer.drive("training", "run", key="train", X=X, y=y, alpha=float(alpha), synapse_0=synapse_0,
                               synapse_1=synapse_1, iterations=int(iterations),
                               stop_on_divergence=bool(stop_on_divergence))
        if not isinstance(result, dict):
            raise WorkerDied("crashed", "the worker answered something unexpected")
        missing = result.get("missing")
        if missing is not None:
            names = [m for m in missing if isinstance(m, str)] if isinstance(missing, list) else []
            raise trainer.missing(", ".join(n[:100] for n in names[:10]) or "?")
        return result

    def _training_worker(self, *, fresh: bool) -> _Remembering:
        """The training worker, started if it is not running (afresh when ``fresh`` and it has
        run anything)."""
        trainer = self._trainer
        if trainer is None:
            trainer = self._trainer = _Remembering(
                self.zygote, self.cells, limits=self.limits, drivers={"training": DRIVERS["training"]},
                max_restarts=self.max_restarts, skip=tuple(self.skipped), trimmed=self.trimmed, budget=self.budget,
                timed_out=self.timed_out, died=self.died)
            self._helpers.append(trainer)
        if fresh and trainer._sock is not None and not self._trainer_fresh:
            trainer.close()
        if trainer._sock is None:
            trainer.skipped.update({k: v for k, v in self.skipped.items() if k not in trainer.skipped})
            trainer.trimmed.update({k: v for k, v in self.trimmed.items() if k not in trainer.skipped})
            trainer.start()
            self._trainer_fresh = True
        return trainer

    # -- public inputs, before everything else
    def prefetch(self, requests) -> None:
        """Answer the public ``requests`` ([(function, args, return_args)]) in a public twin that
        starts now, as the submission's first worker, and is closed before any other starts.

        The twin loads the same notebook and is never sent a hidden input; since no worker of the
        submission has seen one yet, whatever it answers (a value, an exception's text) can only
        be made of public values, however the student's code reads shared state (the page cache
        of files every worker may read outlives its writer: ``tests/hostile/page_cache_channel.py``).
        Its failures do not count against the submission. They are asked in the order given;
        consecutive calls of one function go in one round trip where they need no arguments back."""
        if self._twin is not None or self._sock is not None or self._trainer is not None or self._sealed:
            raise RuntimeError("public inputs are prefetched once, before any other worker of the submission")
        twin = self._twin = _Remembering(self.zygote, self.cells, limits=self.limits, max_restarts=TWIN_RESTARTS,
                                         skip=tuple(self.skipped), trimmed=self.trimmed)
        self._helpers.append(twin)
        try:
            # In the order given; consecutive inputs of one function in one round trip.
            for (function, back), group in itertools.groupby(requests, key=lambda r: (r[0], bool(r[2]))):
                todo = {}
                for _, args, _ in group:
                    key = _public_key(function, args, back)
                    if key not in self._public_answers:
                        todo[key] = tuple(args)
                if back:  # one by one: each brings its arguments back
                    for key, args in todo.items():
                        self._public_answers[key] = outcome_of(twin, function, args, return_args=True)
                elif todo:
                    self._public_answers.update(zip(todo, outcomes_of(twin, function, list(todo.values())),
                                                    strict=True))
        finally:
            twin.close()
        # A cell that ran past the limit in the twin is skipped (or run trimmed) by the others
        # without waiting again.
        self.skipped.update({k: v for k, v in twin.skipped.items() if k not in self.skipped})
        self.trimmed.update({k: v for k, v in twin.trimmed.items() if k not in self.trimmed})

    def public_outcome(self, function: str, args: tuple, *, return_args: bool = False) -> Outcome:
        """What the student's ``function`` did on the public ``args`` in the twin (with
        ``return_args``: the value is (value, the arguments after the call)). An input that was
        not prefetched is not available: it is never asked after a hidden input exists. Asked
        once the submission is closed, as checks settle (:class:`gdkit.grading.checks.Fail`)."""
        if not self._sealed:
            raise PublicTooEarly("public outcomes are read once the submission's workers are closed; "
                                 "settle the check's Fail after the student's tests")
        answer = self._public_answers.get(_public_key(function, args, return_args))
        if answer is None:
            self.public_missed.append(function)
            return Outcome(available=False, asked=False)
        return answer

    @property
    def public_ran(self) -> bool:
        """Whether a public twin was started."""
        return self._twin is not None


def _public_key(function: str, args, return_args: bool) -> tuple:
    return function, pickle.dumps(tuple(args)), bool(return_args)
