"""Other correct ways to write the `tuning` answers: each must score 100."""
from gdkit.grading.diagnose import Style

STYLES = [
    Style("plain Python loops", {
        "best_alpha": '''
import math

def best_alpha(final_errors):
    best = None
    for alpha in sorted(final_errors):
        error = final_errors[alpha]
        if math.isfinite(error) and (best is None or error < final_errors[best]):
            best = alpha
    if best is None:
        raise ValueError("every run diverged")
    return best
''',
        "count_direction_changes": '''
def count_direction_changes(prev_update, update):
    return np.abs((update > 0).astype(int) - (prev_update > 0).astype(int))
''',
        "init_synapses": '''
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(seed)
    synapse_0 = np.random.uniform(-1, 1, size=(n_inputs, hidden))
    synapse_1 = np.random.uniform(-1, 1, size=(hidden, n_outputs))
    return (synapse_0, synapse_1)
''',
        "error_surface": '''
def error_surface(X, y, w0_values, w1_values):
    targets = np.ravel(y)
    rows = []
    for w0 in w0_values:
        rows.append([np.abs(sigmoid(X[:, 0] * w0 + X[:, 1] * w1) - targets).mean() for w1 in w1_values])
    return np.array(rows)
''',
        "momentum_update": '''
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = velocity.copy()
    new_velocity *= momentum
    new_velocity += alpha * gradient
    return synapse - new_velocity, new_velocity
''',
    }),
    Style("vectorised numpy", {
        "best_alpha": '''
def best_alpha(final_errors):
    alphas = np.array(sorted(final_errors), dtype=float)
    errors = np.array([final_errors[a] for a in sorted(final_errors)], dtype=float)
    usable = np.isfinite(errors)
    if not usable.any():
        raise ValueError("no finite final error")
    errors = np.where(usable, errors, np.inf)
    return sorted(final_errors)[int(np.argmin(errors))]
''',
        "count_direction_changes": '''
def count_direction_changes(prev_update, update):
    return np.not_equal(np.greater(update, 0), np.greater(prev_update, 0)).astype(np.int64)
''',
        "init_synapses": '''
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(seed)
    return 2 * np.random.rand(n_inputs, hidden) - 1, 2 * np.random.rand(hidden, n_outputs) - 1
''',
        "error_surface": '''
def error_surface(X, y, w0_values, w1_values):
    W0, W1 = np.meshgrid(np.asarray(w0_values, float), np.asarray(w1_values, float), indexing="ij")
    outputs = sigmoid(W0[..., None] * X[:, 0] + W1[..., None] * X[:, 1])
    return np.abs(outputs - np.reshape(y, -1)).mean(axis=-1)
''',
        "momentum_update": '''
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = np.add(np.multiply(momentum, velocity), np.multiply(alpha, gradient))
    return np.subtract(synapse, new_velocity), new_velocity
''',
    }),
    Style("sorted keys, xor, one draw split, tensordot, branches on momentum", {
        "best_alpha": '''
import math

def best_alpha(final_errors):
    usable = {alpha: error for alpha, error in final_errors.items() if math.isfinite(error)}
    if not usable:
        raise ValueError(f"no finite error among {len(final_errors)} runs")
    # min keeps the first of equal errors, and sorted puts the smaller alpha first
    return min(sorted(usable), key=lambda alpha: usable[alpha])
''',
        "count_direction_changes": '''
def count_direction_changes(prev_update, update):
    return np.logical_xor(np.asarray(update) > 0, np.asarray(prev_update) > 0).astype(np.int32)
''',
        "init_synapses": '''
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(int(seed))
    size_0 = n_inputs * hidden
    draws = 2 * np.random.random(size_0 + hidden * n_outputs) - 1
    return draws[:size_0].reshape(n_inputs, hidden), draws[size_0:].reshape(hidden, n_outputs)
''',
        "error_surface": '''
def error_surface(X, y, w0_values, w1_values):
    weights = np.array(np.meshgrid(w0_values, w1_values, indexing="ij"), dtype=float)
    z = np.tensordot(np.asarray(X, dtype=float), weights, axes=([1], [0]))
    return np.abs(sigmoid(z) - np.reshape(y, (-1, 1, 1))).mean(axis=0)
''',
        "momentum_update": '''
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")
    alpha, momentum = float(alpha), float(momentum)
    if momentum > 0:
        new_velocity = momentum * velocity + alpha * gradient
    else:
        new_velocity = alpha * gradient
    return synapse - new_velocity, new_velocity
''',
    }),
    Style("RandomState, sign tests, dict comprehension", {
        "best_alpha": '''
def best_alpha(final_errors):
    finite = {a: e for a, e in final_errors.items() if not (np.isnan(e) or np.isinf(e))}
    if len(finite) == 0:
        raise ValueError("all errors are NaN or infinite")
    smallest = min(finite.values())
    return min(a for a, e in finite.items() if e == smallest)
''',
        "count_direction_changes": '''
def count_direction_changes(prev_update, update):
    up_now = np.where(update > 0, 1, 0)
    up_before = np.where(prev_update > 0, 1, 0)
    return (up_now + up_before) % 2
''',
        "init_synapses": '''
def init_synapses(n_inputs, hidden, n_outputs, seed):
    state = np.random.RandomState(seed)
    synapse_0 = 2 * state.random_sample((n_inputs, hidden)) - 1
    synapse_1 = 2 * state.random_sample((hidden, n_outputs)) - 1
    return synapse_0, synapse_1
''',
        "error_surface": '''
def error_surface(X, y, w0_values, w1_values):
    X = np.asarray(X, dtype=float)
    targets = np.asarray(y, dtype=float).ravel()
    surface = np.empty((len(w0_values), len(w1_values)))
    for i in range(len(w0_values)):
        for j in range(len(w1_values)):
            z = X[:, 0] * float(w0_values[i]) + X[:, 1] * float(w1_values[j])
            surface[i, j] = np.mean(np.abs(1 / (1 + np.exp(-z)) - targets))
    return surface
''',
        "momentum_update": '''
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = np.copy(velocity)
    new_velocity *= momentum
    new_velocity += np.multiply(alpha, gradient)
    new_synapse = np.array(synapse, copy=True)
    new_synapse -= new_velocity
    return new_synapse, new_velocity
''',
    }),
]

