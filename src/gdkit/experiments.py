"""The tutorial's experiments: the alpha sweep (and hidden size), direction changes, error surface.

The math is :mod:`gdkit.network`'s; this module only runs it many ways at once and formats the
tutorial's printouts. Errors in the arguments raise ``ValueError`` (the command turns them into
one line).
"""
from __future__ import annotations

from dataclasses import dataclass
import math
from numbers import Integral

import numpy as np

from gdkit import network

TUTORIAL_ALPHAS = (0.001, 0.01, 0.1, 1, 10, 100, 1000)
TUTORIAL_ITERATIONS = 60000
PRINT_EVERY = 10000

# The tutorial's 2-weight network whose error surface it draws.
SURFACE_X = np.array([[0, 1], [0, 1], [1, 0], [1, 0]])
SURFACE_y = np.array([0, 0, 1, 1])


@dataclass
class SweepResult:
    """Several alphas trained side by side from the same initial weights.

    ``errors[a, m]`` is the mean absolute error of alpha ``alphas[a]`` *before* update
    ``recorded_at[m]`` (``network.train``'s convention, so ``recorded_at`` 0 is the initial
    weights). ``last_errors[a]`` is the error before the final update, and ``diverged[a]`` is
    what ``network.train(...).diverged`` would say. Synapses are stacked: (A, i, h), (A, h, k).
    """

    alphas: tuple
    hidden: int
    iterations: int
    recorded_at: np.ndarray
    errors: np.ndarray
    last_errors: np.ndarray
    diverged: np.ndarray
    synapse_0: np.ndarray
    synapse_1: np.ndarray
    direction_changes: tuple[np.ndarray, np.ndarray] | None = None


def _check_whole(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


class _SweepBuffers:
    """Preallocated arrays for training A networks side by side, one step at a time.

    The arrays are tiny, so a step costs the number of numpy calls, not arithmetic: the
    buffers are reused (no allocation), and values that get the same elementwise treatment
    share one flat buffer (both synapses; both layers' slopes) so one call covers both.
    Stacking the alphas on a leading axis keeps every product a separate 2-D BLAS call with
    network.train's shapes, so each alpha gets the very same rounding (merging them into one
    wide matrix would not, and alpha 100 is chaotic enough to show it in the 10th digit).
    """

    def __init__(self, n_alphas, layer_0, y, hidden):
        def views(flat, *shapes):
            out, offset = [], 0
            for shape in shapes:
                size = math.prod(shape)
                out.append(flat[offset:offset + size].reshape(shape))
                offset += size
            return out

        (rows, n_inputs), n_outputs = layer_0.shape, y.shape[1]
        self.layer_0, self.y = layer_0, y
        self.layer_0_T = np.ascontiguousarray(layer_0.T)
        shape_0, shape_1 = (n_alphas, n_inputs, hidden), (n_alphas, hidden, n_outputs)
        self.synapse_shapes = (shape_0, shape_1)
        size = math.prod(shape_0) + math.prod(shape_1)
        self.synapses = np.empty(size)
        self.synapse_0, self.synapse_1 = views(self.synapses, shape_0, shape_1)
        self.alpha_gradients = np.empty(size)
        self.gradient_0, self.gradient_1 = views(self.alpha_gradients, shape_0, shape_1)
        self.alphas = np.empty(size)
        self.alpha_0, self.alpha_1 = views(self.alphas, shape_0, shape_1)

        layer_1_shape, layer_2_shape = (n_alphas, rows, hidden), (n_alphas, rows, n_outputs)
        layers_size = math.prod(layer_1_shape) + math.prod(layer_2_shape)
        self.layers = np.empty(layers_size)
        self.layer_1, self.layer_2 = views(self.layers, layer_1_shape, layer_2_shape)
        self.slopes = np.empty(layers_size)
        self.slope_1, self.slope_2 = views(self.slopes, layer_1_shape, layer_2_shape)
        self.ones = np.ones(layers_size)  # an array operand is cheaper than a Python scalar
        self.ones_1, self.ones_2 = views(self.ones, layer_1_shape, layer_2_shape)
        self.layer_2_error = np.empty(layer_2_shape)
        self.layer_2_delta = np.empty(layer_2_shape)
        self.layer_1_delta = np.empty(layer_1_shape)
        self.layer_1_T = self.layer_1.transpose(0, 2, 1)
        self.synapse_1_T = self.synapse_1.transpose(0, 2, 1)
        self.prev_update = None

    def split_like_synapses(self, flat):
        """A flat array in the synapses' layout -> copies shaped (A, i, h), (A, h, k)."""
        first = math.prod(self.synapse_shapes[0])
        return (flat[:first].reshape(self.synapse_shapes[0]).copy(),
                flat[first:].reshape(self.synapse_shapes[1]).copy())

    def errors(self):
        """Mean absolute error of every alpha's current weights -> (A,)."""
        layer_1 = network.sigmoid(np.matmul(self.layer_0, self.synapse_0))
        layer_2 = network.sigmoid(np.matmul(layer_1, self.synapse_1))
        return np.abs(layer_2 - self.y).mean(axis=(1, 2))

    def run(self, steps, changes=None):
        """``steps`` full-batch gradient-descent updates for every alpha at once.

        With ``changes`` (int array in the synapses' flat layout) it also adds, per weight,
        the flips of the update's direction (``network.count_direction_changes``); the first
        update of the whole run has no predecessor (self.prev_update is None).
        """
        # Locals, not attributes, in the hot loop: lookups cost as much as the arithmetic here.
        matmul, multiply, subtract = np.matmul, np.multiply, np.subtract
        negative, exp, add, divide = np.negative, np.exp, np.add, np.divide
        layer_0, layer_0_T, y = self.layer_0, self.layer_0_T, self.y
        layer_1, layer_2, layers = self.layer_1, self.layer_2, self.layers
        slope_1, slope_2, slopes = self.slope_1, self.slope_2, self.slopes
        ones, ones_1, ones_2 = self.ones, self.ones_1, self.ones_2
        synapse_0, synapse_1, synapses = self.synapse_0, self.synapse_1, self.synapses
        synapse_1_T, layer_1_T = self.synapse_1_T, self.layer_1_T
        layer_2_error, layer_2_delta, layer_1_delta = (
            self.layer_2_error, self.layer_2_delta, self.layer_1_delta)
        gradient_0, gradient_1, alpha_gradients = self.gradient_0, self.gradient_1, self.alpha_gradients
        alphas = self.alphas
        for _ in range(steps):
            # network.sigmoid's 1 / (1 + exp(-x)), in place: bit for bit the same values.
            matmul(layer_0, synapse_0, out=layer_1)
            negative(layer_1, out=layer_1)
            exp(layer_1, out=layer_1)
            add(layer_1, ones_1, out=layer_1)
            divide(ones_1, layer_1, out=layer_1)
            matmul(layer_1, synapse_1, out=layer_2)
            negative(layer_2, out=layer_2)
            exp(layer_2, out=layer_2)
            add(layer_2, ones_2, out=layer_2)
            divide(ones_2, layer_2, out=layer_2)
            subtract(layer_2, y, out=layer_2_error)
            # sigmoid_output_to_derivative of both layers in one call: s * (1 - s).
            subtract(ones, layers, out=slopes)
            multiply(layers, slopes, out=slopes)
            multiply(layer_2_error, slope_2, out=layer_2_delta)
            matmul(layer_2_delta, synapse_1_T, out=layer_1_delta)
            multiply(layer_1_delta, slope_1, out=layer_1_delta)
            matmul(layer_1_T, layer_2_delta, out=gradient_1)
            matmul(layer_0_T, layer_1_delta, out=gradient_0)
            multiply(alphas, alpha_gradients, out=alpha_gradients)
            subtract(synapses, alpha_gradients, out=synapses)
            if changes is not None:
                update = negative(alpha_gradients)
                if self.prev_update is not None:
                    changes += network.count_direction_changes(self.prev_update, update)
                self.prev_update = update


def train_alphas(X, y, alphas, hidden=4, iterations=TUTORIAL_ITERATIONS, seed=1, *,
                 record_every=PRINT_EVERY, count_directions=False) -> SweepResult:
    """Train one network per alpha, all at once, exactly as ``network.train`` would one by one.

    X (n, i), y (n, k) or (n,), alphas (A,) -> :class:`SweepResult` with errors (A, m).
    Every alpha starts from ``network.init_synapses(i, hidden, k, seed)``. The error is computed
    only every ``record_every`` iterations and before the last update.
    """
    alphas = tuple(alphas)
    if not alphas:
        raise ValueError("alphas must hold at least one learning rate")
    for alpha in alphas:
        network.check_alpha(alpha)
    # The reference checks shapes, hidden, iterations and alpha the same way for the sweep.
    X, y = network._check_training_args(X, y, alphas[0], hidden, iterations, 0.0)
    record_every = _check_whole("record_every", record_every, 1)
    n_alphas = len(alphas)

    synapse_0_init, synapse_1_init = network.init_synapses(X.shape[1], hidden, y.shape[1], seed)
    buffers = _SweepBuffers(n_alphas, X, y, hidden)
    synapse_0, synapse_1 = buffers.synapse_0, buffers.synapse_1
    synapse_0[...] = synapse_0_init
    synapse_1[...] = synapse_1_init
    buffers.alpha_0[...] = np.asarray(alphas, dtype=float).reshape(n_alphas, 1, 1)
    buffers.alpha_1[...] = np.asarray(alphas, dtype=float).reshape(n_alphas, 1, 1)

    recorded_at = np.arange(0, iterations, record_every)
    errors = np.empty((n_alphas, recorded_at.size))
    last_errors = np.full(n_alphas, np.nan)
    changes = np.zeros(buffers.synapses.shape, int) if count_directions else None

    # Run the updates in chunks and measure the error only between them: the error before
    # update j is the error of the weights after j updates.
    with np.errstate(over="ignore", invalid="ignore"):
        done = 0
        for m, j in enumerate(recorded_at):
            buffers.run(j - done, changes)
            errors[:, m] = buffers.errors()
            done = j
        if iterations:
            buffers.run(iterations - 1 - done, changes)
            last_errors = buffers.errors()
            buffers.run(1, changes)
    if changes is not None:
        changes = buffers.split_like_synapses(changes)

    # NaN weights stay NaN, so a non-finite error anywhere shows up in the last one too.
    diverged = np.array([
        iterations > 0 and network.detect_divergence([errors[a, 0], *errors[a, 1:], last_errors[a]])
        for a in range(n_alphas)
    ], dtype=bool)
    return SweepResult(alphas, int(hidden), int(iterations), recorded_at, errors, last_errors,
                       diverged, synapse_0.copy(), synapse_1.copy(), changes)


def format_alpha(alpha) -> str:
    """The alpha as the tutorial prints it: whole numbers without '.0' (1, 1000), else repr."""
    value = float(alpha)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def sweep_lines(result: SweepResult, print_every=PRINT_EVERY):
    """The tutorial's printout, line by line: a blank line, 'Training With Alpha:<alpha>', then
    'Error after <N> iterations:<error>' every ``print_every`` iterations (full precision)."""
    print_every = _check_whole("print_every", print_every, 1)
    step = int(result.recorded_at[1] - result.recorded_at[0]) if result.recorded_at.size > 1 else 1
    if result.recorded_at.size > 1 and print_every % step:
        raise ValueError(f"errors were recorded every {step} iterations, "
                         f"so they cannot be printed every {print_every}")
    for a, alpha in enumerate(result.alphas):
        yield ""
        yield f"Training With Alpha:{format_alpha(alpha)}"
        for m, j in enumerate(result.recorded_at):
            if j % print_every == 0:
                yield f"Error after {j} iterations:{float(result.errors[a, m])!r}"


def direction_lines(result: SweepResult):
    """The tutorial's second listing's printout: per alpha the recorded errors, the final
    synapses and, per weight, how many times its update changed direction."""
    if result.direction_changes is None:
        raise ValueError("train with count_directions=True to report direction changes")
    with np.printoptions(precision=8, suppress=True, linewidth=100):
        for a, alpha in enumerate(result.alphas):
            yield ""
            yield f"Training With Alpha:{format_alpha(alpha)}"
            for m, j in enumerate(result.recorded_at):
                yield f"Error after {j} iterations:{float(result.errors[a, m])!r}"
            yield "Synapse 0"
            yield str(result.synapse_0[a])
            yield "Synapse 0 Update Direction Changes"
            yield str(result.direction_changes[0][a])
            yield "Synapse 1"
            yield str(result.synapse_1[a])
            yield "Synapse 1 Update Direction Changes"
            yield str(result.direction_changes[1][a])


def descend_two_weights(start, alpha=1.0, iterations=200, X=SURFACE_X, y=SURFACE_y):
    """Gradient descent on the tutorial's 2-weight network layer_1 = sigmoid(X @ weights).

    start (2,) -> path (iterations + 1, 2) of the weights, path[0] == start. Uses the reference
    output delta, so the step is downhill on 0.5 * sum((layer_1 - y)^2).
    """
    alpha = network.check_alpha(alpha)
    iterations = _check_whole("iterations", iterations, 0)
    weights = np.asarray(start, dtype=float).reshape(-1)
    if weights.shape != (2,) or not np.all(np.isfinite(weights)):
        raise ValueError(f"start must be two finite weights (w0, w1), got {start!r}")
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).reshape(-1, 1)
    synapse_0 = weights.reshape(2, 1)
    path = np.empty((iterations + 1, 2))
    path[0] = weights
    for j in range(iterations):
        layer_1 = network.sigmoid(X.dot(synapse_0))
        layer_1_delta = network.compute_layer_2_delta(layer_1, y)
        synapse_0 = synapse_0 - alpha * X.T.dot(layer_1_delta)
        path[j + 1] = synapse_0[:, 0]
    return path


@dataclass
class Surface:
    """The 2-weight network's error on a grid: ``errors[i, j]`` is at (w0[i], w1[j])."""

    w0: np.ndarray
    w1: np.ndarray
    errors: np.ndarray

    def argmin(self):
        """(w0, w1, error) of the grid's lowest point."""
        i, j = np.unravel_index(np.argmin(self.errors), self.errors.shape)
        return float(self.w0[i]), float(self.w1[j]), float(self.errors[i, j])


def surface_grid(points=101, limit=10.0) -> Surface:
    """``network.error_surface`` of the tutorial's 2-weight data on a points x points grid
    over [-limit, limit]^2."""
    points = _check_whole("grid points", points, 2)
    if not isinstance(limit, (int, float)) or isinstance(limit, bool) \
            or not math.isfinite(limit) or limit <= 0:
        raise ValueError(f"limit must be a finite number > 0, got {limit!r}")
    w0 = np.linspace(-limit, limit, points)
    w1 = np.linspace(-limit, limit, points)
    return Surface(w0, w1, network.error_surface(SURFACE_X, SURFACE_y, w0, w1))


def path_errors(path):
    """Error of the 2-weight network at each point of a path (m, 2) -> (m,)."""
    path = np.asarray(path, dtype=float)
    outputs = network.sigmoid(path.dot(np.asarray(SURFACE_X, dtype=float).T))
    return np.mean(np.abs(outputs - SURFACE_y), axis=1)
