"""The reference network: the tutorial's mathematics, trusted by everything else in the kit.

Conventions (the tutorial's, and the assignments' contracts):
- ``layer_0`` is the input, ``layer_1`` the hidden layer, ``layer_2`` the output;
- ``synapse_0`` has shape (n_inputs, hidden), ``synapse_1`` shape (hidden, n_outputs);
- ``layer_2_error = layer_2 - y`` and weights move *against* the gradient:
  ``synapse -= alpha * gradient``.

The deltas are exactly the gradient of ``0.5 * sum((layer_2 - y) ** 2)`` with respect to the
pre-activations, so ``layer_0.T.dot(layer_1_delta)`` is that loss's gradient for ``synapse_0``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import math
from numbers import Real

import numpy as np

# The tutorial's toy data: the output is the XOR of the first two columns; the third is a bias.
X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
y = np.array([[0], [1], [1], [0]])


def sigmoid(x):
    """Logistic function, elementwise; any shape."""
    return 1 / (1 + np.exp(-x))


def sigmoid_output_to_derivative(output):
    """Slope of the sigmoid, computed from its *output* s: s * (1 - s); any shape."""
    return output * (1 - output)


def forward(layer_0, synapse_0, synapse_1):
    """Feed forward. (n, i), (i, h), (h, k) -> layer_1 (n, h), layer_2 (n, k)."""
    layer_1 = sigmoid(np.dot(layer_0, synapse_0))
    layer_2 = sigmoid(np.dot(layer_1, synapse_1))
    return layer_1, layer_2


def compute_layer_2_delta(layer_2, y):
    """Output delta: (layer_2 - y) * slope at layer_2. (n, k), (n, k) -> (n, k)."""
    return (layer_2 - y) * sigmoid_output_to_derivative(layer_2)


def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    """Hidden delta: the output delta sent back through synapse_1, times the hidden slope.

    (n, k), (h, k), (n, h) -> (n, h).
    """
    return layer_2_delta.dot(synapse_1.T) * sigmoid_output_to_derivative(layer_1)


def weight_gradients(layer_0, layer_1, layer_1_delta, layer_2_delta):
    """Gradients for (synapse_0, synapse_1): layer_0.T @ layer_1_delta, layer_1.T @ layer_2_delta."""
    return layer_0.T.dot(layer_1_delta), layer_1.T.dot(layer_2_delta)


def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    """One alpha-scaled step downhill; returns new (synapse_0, synapse_1), inputs untouched."""
    gradient_0, gradient_1 = weight_gradients(layer_0, layer_1, layer_1_delta, layer_2_delta)
    return synapse_0 - alpha * gradient_0, synapse_1 - alpha * gradient_1


def detect_divergence(errors) -> bool:
    """True iff an error is not finite or the latest error is above the first one.

    ``errors`` is a sequence of per-iteration errors (any length); fewer than two values
    cannot show a trend, so they are never divergence unless one is NaN/inf.
    """
    values = np.asarray(errors, dtype=float).ravel()
    if not np.all(np.isfinite(values)):
        return True
    return bool(values.size >= 2 and values[-1] > values[0])


def count_direction_changes(prev_update, update):
    """Per weight, 1 where the update's direction (update > 0) flipped since the previous one.

    The tutorial's second listing counts exactly this: ``abs((update > 0) - (prev > 0))``.
    Any shape -> int array of the same shape.
    """
    return np.abs((np.asarray(update) > 0).astype(int) - (np.asarray(prev_update) > 0).astype(int))


def momentum_update(synapse, gradient, velocity, alpha, momentum):
    """Gradient descent with momentum: v' = momentum * v + alpha * gradient; synapse' = synapse - v'.

    Returns (new_synapse, new_velocity); inputs untouched. With momentum 0 it is the plain step.
    """
    new_velocity = momentum * velocity + alpha * gradient
    return synapse - new_velocity, new_velocity


def init_synapses(n_inputs, hidden, n_outputs, seed=1):
    """The tutorial's initialisation: legacy ``np.random.seed`` then ``2*random(shape) - 1``.

    Returns synapse_0 (n_inputs, hidden) and synapse_1 (hidden, n_outputs), uniform in [-1, 1).
    The global legacy generator is used on purpose: it is what reproduces the published figures.
    """
    np.random.seed(seed)
    synapse_0 = 2 * np.random.random((n_inputs, hidden)) - 1
    synapse_1 = 2 * np.random.random((hidden, n_outputs)) - 1
    return synapse_0, synapse_1


def mean_abs_error(layer_2, y) -> float:
    """The tutorial's printed error: mean(|layer_2 - y|)."""
    return float(np.mean(np.abs(layer_2 - y)))


@dataclass
class TrainResult:
    """What a training run leaves behind.

    ``errors[j]`` is the mean absolute error *before* update j (so ``errors[0]`` is the error of
    the initial weights, as the tutorial prints it). ``direction_changes`` holds per-weight flip
    counts for (synapse_0, synapse_1) when they were asked for.
    """

    synapse_0: np.ndarray
    synapse_1: np.ndarray
    errors: np.ndarray
    diverged: bool = False
    stopped_at: int | None = None
    direction_changes: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)


def _check_training_args(X, y, alpha, hidden, iterations, momentum):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y.reshape(-1, 1)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-dimensional (rows, inputs), got shape {X.shape}")
    if y.ndim != 2:
        raise ValueError(f"y must be 1- or 2-dimensional (rows, outputs), got shape {y.shape}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}: they must match")
    if X.shape[0] == 0 or X.shape[1] == 0 or y.shape[1] == 0:
        raise ValueError(f"X {X.shape} and y {y.shape} must not be empty")
    check_alpha(alpha)
    if isinstance(hidden, bool) or not isinstance(hidden, (int, np.integer)) or hidden < 1:
        raise ValueError(f"hidden must be a positive whole number, got {hidden!r}")
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations < 0:
        raise ValueError(f"iterations must be a whole number >= 0, got {iterations!r}")
    if not isinstance(momentum, Real) or not math.isfinite(momentum) or not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
    return X, y


def check_alpha(alpha) -> float:
    """Return alpha as a float, or raise ValueError unless it is finite and > 0."""
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not math.isfinite(alpha) or alpha <= 0:
        raise ValueError(f"alpha must be a finite number > 0, got {alpha!r}")
    return float(alpha)


def train(X, y, alpha, hidden=4, iterations=60000, seed=1, *, stop_on_divergence=False,
          momentum=0.0, count_directions=False) -> TrainResult:
    """Train the 2-layer sigmoid network by full-batch gradient descent, the tutorial's loop.

    X (n, i), y (n, k) or (n,). Records the error at every iteration; with
    ``stop_on_divergence`` it stops as soon as :func:`detect_divergence` says so.
    ``momentum`` > 0 uses :func:`momentum_update` for both synapses (0 is the tutorial).
    """
    X, y = _check_training_args(X, y, alpha, hidden, iterations, momentum)
    synapse_0, synapse_1 = init_synapses(X.shape[1], hidden, y.shape[1], seed)
    velocity_0, velocity_1 = np.zeros_like(synapse_0), np.zeros_like(synapse_1)
    errors = np.empty(iterations)
    changes = (np.zeros(synapse_0.shape, int), np.zeros(synapse_1.shape, int)) if count_directions else None
    prev_updates = None
    diverged, stopped_at = False, None
    layer_0 = X
    for j in range(iterations):
        layer_1, layer_2 = forward(layer_0, synapse_0, synapse_1)
        errors[j] = np.mean(np.abs(layer_2 - y))
        if stop_on_divergence and detect_divergence(errors[: j + 1]):
            diverged, stopped_at = True, j
            errors = errors[: j + 1]
            break
        layer_2_delta = compute_layer_2_delta(layer_2, y)
        layer_1_delta = compute_layer_1_delta(layer_2_delta, synapse_1, layer_1)
        gradient_0, gradient_1 = weight_gradients(layer_0, layer_1, layer_1_delta, layer_2_delta)
        if momentum:
            synapse_0, velocity_0 = momentum_update(synapse_0, gradient_0, velocity_0, alpha, momentum)
            synapse_1, velocity_1 = momentum_update(synapse_1, gradient_1, velocity_1, alpha, momentum)
            updates = (-velocity_0, -velocity_1)
        else:
            updates = (-alpha * gradient_0, -alpha * gradient_1)
            synapse_0 = synapse_0 + updates[0]
            synapse_1 = synapse_1 + updates[1]
        if changes is not None:
            if prev_updates is not None:
                changes[0][...] += count_direction_changes(prev_updates[0], updates[0])
                changes[1][...] += count_direction_changes(prev_updates[1], updates[1])
            prev_updates = updates
    if not diverged and not stop_on_divergence:
        diverged = detect_divergence(errors)
    return TrainResult(synapse_0, synapse_1, errors, diverged, stopped_at, changes)


def error_surface(X, y, w0_values, w1_values):
    """Error of the 2-weight network sigmoid(X @ [w0, w1]) for every weight pair.

    X (n, 2), y (n,) or (n, 1), w0_values (a,), w1_values (b,) -> (a, b) array whose [i, j]
    entry is mean(|sigmoid(X @ [w0_values[i], w1_values[j]]) - y|).
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).reshape(-1)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (rows, 2) for the 2-weight network, got {X.shape}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}: they must match")
    w0 = np.asarray(w0_values, dtype=float).reshape(-1, 1, 1)
    w1 = np.asarray(w1_values, dtype=float).reshape(1, -1, 1)
    # Broadcast over the whole grid at once: (a, 1, 1)*(n,) + (1, b, 1)*(n,) -> (a, b, n).
    outputs = sigmoid(w0 * X[:, 0] + w1 * X[:, 1])
    return np.mean(np.abs(outputs - y), axis=-1)


def best_alpha(final_errors):
    """The alpha with the smallest finite final error: dict {alpha: error} -> alpha (a key).

    NaN/inf errors (diverged runs) are ignored; a tie goes to the smaller alpha, the safer
    step. Raises ValueError when no run ended with a finite error.
    """
    finite = [(float(error), alpha) for alpha, error in final_errors.items()
              if error is not None and math.isfinite(error)]
    if not finite:
        raise ValueError("no alpha has a finite final error (every run diverged): try smaller alphas")
    return min(finite, key=lambda pair: (pair[0], pair[1]))[1]
