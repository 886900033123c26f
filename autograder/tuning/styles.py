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
]
