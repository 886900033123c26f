"""The kit's training loop driven by a student's functions, and grader-made stand-ins for one call.

Shared by the sandbox worker (``gdkit grade``) and the in-kernel grader (``nbgrader autograde``,
:mod:`gdkit.grading.inkernel`), so both paths train exactly the same way. It runs in the
student's process, so it must not import the kit's reference mathematics: only numpy.
"""
from __future__ import annotations

import builtins

import numpy as np

# The functions the kit's training loop calls, by the names the assignment contract fixes.
LOOP_FUNCTIONS = ("compute_layer_2_delta", "compute_layer_1_delta", "update_synapses")
DETECTOR = "detect_divergence"


def lookup(namespace: dict, name: str):
    """``namespace[name]`` if it is callable, else None."""
    function = namespace.get(name)
    return function if callable(function) else None


def missing_functions(namespace: dict, stop_on_divergence: bool) -> list[str]:
    """The loop's functions the namespace does not define (the detector only when it stops)."""
    needed = LOOP_FUNCTIONS + ((DETECTOR,) if stop_on_divergence else ())
    return [name for name in needed if lookup(namespace, name) is None]


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def train(namespace: dict, X, y, alpha, synapse_0, synapse_1, iterations, stop_on_divergence) -> dict:
    """The notebook's loop with the namespace's functions; call :func:`missing_functions` first.

    Returns plain values: synapse_0, synapse_1 (float arrays), errors (list of float) and
    stopped_at (iteration where the detector said stop, or None). The student's exceptions
    propagate to the caller, which reports them as the student's.
    """
    step_2 = lookup(namespace, "compute_layer_2_delta")
    step_1 = lookup(namespace, "compute_layer_1_delta")
    update = lookup(namespace, "update_synapses")
    detect = lookup(namespace, DETECTOR) if stop_on_divergence else None
    layer_0 = X
    errors, stopped_at = [], None
    for j in range(iterations):
        layer_1 = _sigmoid(np.dot(layer_0, synapse_0))
        layer_2 = _sigmoid(np.dot(layer_1, synapse_1))
        errors.append(float(np.mean(np.abs(layer_2 - y))))
        if detect is not None and detect(errors):
            stopped_at = j
            break
        layer_2_delta = step_2(layer_2, y)
        layer_1_delta = step_1(layer_2_delta, synapse_1, layer_1)
        synapse_0, synapse_1 = update(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha)
    return {"synapse_0": np.asarray(synapse_0, dtype=float), "synapse_1": np.asarray(synapse_1, dtype=float),
            "errors": errors, "stopped_at": stopped_at}


class substituted:
    """Swap in the grader's versions of other graded functions for one call (no cascades).

    The grader sends their source (a contract's one-liners); the student's function looks its
    helpers up in the notebook's globals at call time, so it sees these until the call ends.
    """

    _MISSING = object()

    def __init__(self, namespace: dict, sources: dict):
        self.namespace, self.sources, self.saved = namespace, sources, {}

    def __enter__(self):
        for name, source in self.sources.items():
            scratch = {"np": np, "__builtins__": builtins}
            exec(compile(source, "<grader>", "exec"), scratch)  # noqa: S102 - source from the grader
            self.saved[name] = self.namespace.get(name, self._MISSING)
            self.namespace[name] = scratch[name]

    def __exit__(self, *exc):
        for name, value in self.saved.items():
            if value is self._MISSING:
                self.namespace.pop(name, None)
            else:
                self.namespace[name] = value
