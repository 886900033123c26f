"""Other correct ways to write the `gradient_descent` answers: each must score 100.

They guard the hidden suites against judging style instead of the contract (in-place updates,
inlined slopes, matmul written differently, pure-Python divergence checks, ``alpha`` used as
the plain number the notebook passes: ``float(alpha)``, ``alpha > 1000``, ``f"{alpha:.3g}"``).
"""
from gdkit.grading.diagnose import Style

STYLES = [
    Style("inlined slopes and in-place updates", {
        "sigmoid_output_to_derivative": '''
def sigmoid_output_to_derivative(output):
    return output - output ** 2
''',
        "compute_layer_2_delta": '''
def compute_layer_2_delta(layer_2, y):
    return (layer_2 - y) * layer_2 * (1 - layer_2)
''',
        "compute_layer_1_delta": '''
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    return (synapse_1 @ layer_2_delta.T).T * layer_1 * (1 - layer_1)
''',
        "update_synapses": '''
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    synapse_1 -= alpha * layer_1.T.dot(layer_2_delta)
    synapse_0 -= alpha * layer_0.T.dot(layer_1_delta)
    return synapse_0, synapse_1
''',
        "detect_divergence": '''
import math

def detect_divergence(errors):
    for error in errors:
        if math.isnan(error) or math.isinf(error):
            return True
    return len(errors) > 1 and bool(errors[-1] > errors[0])
''',
    }),
    Style("numpy function calls", {
        "sigmoid_output_to_derivative": '''
def sigmoid_output_to_derivative(output):
    return np.multiply(output, np.subtract(1.0, output))
''',
        "compute_layer_2_delta": '''
def compute_layer_2_delta(layer_2, y):
    layer_2_error = np.subtract(layer_2, y)
    return np.multiply(layer_2_error, sigmoid_output_to_derivative(layer_2))
''',
        "compute_layer_1_delta": '''
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    layer_1_error = np.matmul(layer_2_delta, np.transpose(synapse_1))
    return layer_1_error * sigmoid_output_to_derivative(layer_1)
''',
        "update_synapses": '''
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    gradient_0 = np.dot(layer_0.T, layer_1_delta)
    gradient_1 = np.dot(layer_1.T, layer_2_delta)
    return np.subtract(synapse_0, alpha * gradient_0), np.subtract(synapse_1, alpha * gradient_1)
''',
        "detect_divergence": '''
def detect_divergence(errors):
    values = np.array(errors, dtype=float).ravel()
    if np.isnan(values).any() or np.isinf(values).any():
        return True
    if len(values) < 2:
        return False
    return bool(values[-1] > values[0])
''',
    }),
    Style("loops and early returns", {
        "sigmoid_output_to_derivative": '''
def sigmoid_output_to_derivative(output):
    output = np.asarray(output, dtype=float)
    slope = np.empty_like(output)
    for index, value in np.ndenumerate(output):
        slope[index] = value * (1 - value)
    return slope
''',
        "update_synapses": '''
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    new_synapse_0 = synapse_0.copy()
    for row in range(layer_0.shape[0]):
        new_synapse_0 -= alpha * np.outer(layer_0[row], layer_1_delta[row])
    new_synapse_1 = synapse_1 - alpha * (layer_1.T @ layer_2_delta)
    return (new_synapse_0, new_synapse_1)
''',
        "detect_divergence": '''
def detect_divergence(errors):
    if not np.isfinite(np.asarray(errors, dtype=float)).all():
        return True
    if len(errors) == 0:
        return False
    first, last = errors[0], errors[-1]
    return True if last > first else False
''',
    }),
    Style("alpha as a plain number: float(alpha), compared, formatted", {
        "compute_layer_1_delta": '''
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    return np.multiply(layer_2_delta @ synapse_1.T, np.multiply(layer_1, 1 - layer_1))
''',
        "update_synapses": '''
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    if not isinstance(alpha, (int, float)) or alpha <= 0:
        raise ValueError(f"alpha must be a positive number, got {alpha!r}")
    step = float(alpha)
    label = f"alpha = {alpha:.3g}"
    if alpha > 1000:
        raise ValueError(f"{label} is far too large to converge")
    return synapse_0 - step * (layer_0.T @ layer_1_delta), synapse_1 - step * (layer_1.T @ layer_2_delta)
''',
        "detect_divergence": '''
import math

def detect_divergence(errors):
    errors = list(errors)
    if any(not math.isfinite(e) for e in errors):
        return True
    if len(errors) < 2:
        return False
    return np.bool_(errors[-1] > errors[0])
''',
    }),
    Style("in place on copies, row loops, einsum", {
        "compute_layer_2_delta": '''
def compute_layer_2_delta(layer_2, y):
    delta = np.empty(np.shape(layer_2))
    for row in range(len(layer_2)):
        miss = layer_2[row] - y[row]
        delta[row] = miss * layer_2[row] * (1 - layer_2[row])
    return delta
''',
        "compute_layer_1_delta": '''
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    back = np.einsum("nk,hk->nh", layer_2_delta, synapse_1)
    back *= sigmoid_output_to_derivative(layer_1)
    return back
''',
        "update_synapses": '''
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    np.subtract(synapse_0, alpha * np.dot(layer_0.T, layer_1_delta), out=synapse_0)
    np.subtract(synapse_1, alpha * np.dot(layer_1.T, layer_2_delta), out=synapse_1)
    return synapse_0, synapse_1
''',
        "detect_divergence": '''
def detect_divergence(errors):
    first = None
    for error in errors:
        if not np.isfinite(error):
            return True
        if first is None:
            first = error
    return bool(first is not None and errors[len(errors) - 1] > first)
''',
    }),
    Style("numpy values back: 0-d arrays and numpy bools", {
        "sigmoid_output_to_derivative": '''
def sigmoid_output_to_derivative(output):
    values = np.asarray(output, dtype=float)
    return values * (1.0 - values)
''',
        "detect_divergence": '''
def detect_divergence(errors):
    values = np.asarray(errors, dtype=float)
    if values.size == 0:
        return np.array(False)
    return np.array(~np.isfinite(values).all() | (values[-1] > values[0]))
''',
    }),
]

