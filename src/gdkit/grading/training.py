"""The kit's training loop driven by a student's functions: trusted *driver* code.

Both grading paths train exactly the same way. ``gdkit grade`` hands this module's source to
the sandbox worker (:mod:`gdkit.grading.student`), which compiles it before any student code
and runs :func:`run` on request; the in-kernel grader (``nbgrader autograde``,
:mod:`gdkit.grading.inkernel`) imports it. It runs in the student's process, so it imports
nothing but numpy (not the kit's reference mathematics), and whatever it returns is re-checked
by the grader.
"""
from __future__ import annotations

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

    Returns plain values: synapse_0, synapse_1 (float arrays), errors (list of float),
    stopped_at (iteration where the detector said stop, or None) and trajectory: the synapses
    before every update and after the last one, stacked, ``(synapses_0, synapses_1)`` of shapes
    (steps + 1, i, h) and (steps + 1, h, k) (entry j is what update j started from), or None
    when a step changed their shape. The grader recomputes steps of its choice with the
    student's functions called directly, and so confirms the run. The student's exceptions
    propagate to the caller, which reports them as the student's.
    """
    step_2 = lookup(namespace, "compute_layer_2_delta")
    step_1 = lookup(namespace, "compute_layer_1_delta")
    update = lookup(namespace, "update_synapses")
    detect = lookup(namespace, DETECTOR) if stop_on_divergence else None
    layer_0 = X
    errors, stopped_at = [], None
    # Copies: a student's update may change the synapses it is given in place (the contract allows it).
    trajectory = [(np.array(synapse_0, dtype=float), np.array(synapse_1, dtype=float))]
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
        trajectory.append((np.array(synapse_0, dtype=float), np.array(synapse_1, dtype=float)))
    return {"synapse_0": np.asarray(synapse_0, dtype=float), "synapse_1": np.asarray(synapse_1, dtype=float),
            "errors": errors, "stopped_at": stopped_at, "trajectory": _stacked(trajectory)}


def _stacked(trajectory: list):
    """Every step's synapses stacked into two arrays (two values to send, not hundreds), or None
    when their shapes changed on the way."""
    try:
        return np.stack([pair[0] for pair in trajectory]), np.stack([pair[1] for pair in trajectory])
    except ValueError:
        return None


def run(namespace: dict, X, y, alpha, synapse_0, synapse_1, iterations, stop_on_divergence) -> dict:
    """The driver's entry point in the worker: :func:`train`, or ``{"missing": [names]}``."""
    missing = missing_functions(namespace, stop_on_divergence)
    if missing:
        return {"missing": missing}
    return train(namespace, X, y, alpha, synapse_0, synapse_1, iterations, stop_on_divergence)
