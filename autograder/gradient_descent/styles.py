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
    # ---- more, from a review written from the notebook's contracts alone: other numpy
    # spellings (inner, tensordot, einsum, broadcasting, out=), in place on new arrays, a lambda,
    # asserts on shapes, alpha as a 0-d array, a Python float for a single number, loops
    # and early returns, a copy of the history popped
    Style('clip to [0,1] first; in place on the new miss; np.inner over the outputs; synapse_1 first, rebinding; any() over a generator', {
        "sigmoid_output_to_derivative": '''
def sigmoid_output_to_derivative(output):
    s = np.clip(output, 0.0, 1.0)
    return s * (1 - s)
''',
        "compute_layer_2_delta": '''
def compute_layer_2_delta(layer_2, y):
    delta = layer_2 - y
    delta *= layer_2
    delta *= 1 - layer_2
    return delta
''',
        "compute_layer_1_delta": '''
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    return np.inner(layer_2_delta, synapse_1) * sigmoid_output_to_derivative(layer_1)
''',
        "update_synapses": '''
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    synapse_1 = synapse_1 - alpha * layer_1.T.dot(layer_2_delta)
    synapse_0 = synapse_0 - alpha * layer_0.T.dot(layer_1_delta)
    return synapse_0, synapse_1
''',
        "detect_divergence": '''
import math

def detect_divergence(errors):
    if any(not math.isfinite(e) for e in errors):
        return True
    return bool(len(errors) > 1 and errors[-1] > errors[0])
''',
    }),
    Style('output - np.square(output); minus (y - layer_2); tensordot; einsum gradients; try/except IndexError', {
        "sigmoid_output_to_derivative": '''
def sigmoid_output_to_derivative(output):
    return output - np.square(output)
''',
        "compute_layer_2_delta": '''
def compute_layer_2_delta(layer_2, y):
    return -(y - layer_2) * sigmoid_output_to_derivative(layer_2)
''',
        "compute_layer_1_delta": '''
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    back = np.tensordot(layer_2_delta, synapse_1, axes=([1], [1]))
    return back * (layer_1 - layer_1 ** 2)
''',
        "update_synapses": '''
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    grad_0 = np.einsum("ni,nh->ih", layer_0, layer_1_delta)
    grad_1 = np.einsum("nh,nk->hk", layer_1, layer_2_delta)
    return synapse_0 - alpha * grad_0, synapse_1 - alpha * grad_1
''',
        "detect_divergence": '''
def detect_divergence(errors):
    values = [float(e) for e in errors]
    if any(v != v or v in (float("inf"), float("-inf")) for v in values):
        return True
    try:
        return values[-1] > values[0]
    except IndexError:
        return False
''',
    }),
    Style('in place on a new float array; shape assert and asarray; broadcast and sum; transposed products; difference is positive', {
        "sigmoid_output_to_derivative": '''
def sigmoid_output_to_derivative(output):
    slope = np.array(output, dtype=float, copy=True)
    slope *= 1 - slope
    return slope
''',
        "compute_layer_2_delta": '''
def compute_layer_2_delta(layer_2, y):
    layer_2 = np.asarray(layer_2, dtype=float)
    y = np.asarray(y, dtype=float)
    assert layer_2.shape == y.shape, "layer_2 and y must have the same shape"
    return (layer_2 - y) * (layer_2 - layer_2 ** 2)
''',
        "compute_layer_1_delta": '''
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    back = (layer_2_delta[:, None, :] * synapse_1[None, :, :]).sum(axis=2)
    return back * layer_1 * (1 - layer_1)
''',
        "update_synapses": '''
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    return (synapse_0 - alpha * (layer_1_delta.T @ layer_0).T,
            synapse_1 - alpha * (layer_2_delta.T @ layer_1).T)
''',
        "detect_divergence": '''
def detect_divergence(errors):
    e = np.asarray(errors, dtype=float)
    if not np.isfinite(e).all():
        return True
    return bool(e.size > 0 and np.diff(e[[0, -1]])[0] > 0)
''',
    }),
    Style('completing the square 0.25 - (s - 0.5)**2; column by column stack; loop over hidden units; alpha as a 0-d float array; single line and/or', {
        "sigmoid_output_to_derivative": '''
def sigmoid_output_to_derivative(output):
    return 0.25 - (output - 0.5) ** 2
''',
        "compute_layer_2_delta": '''
def compute_layer_2_delta(layer_2, y):
    columns = [(layer_2[:, c] - y[:, c]) * layer_2[:, c] * (1 - layer_2[:, c]) for c in range(layer_2.shape[1])]
    return np.column_stack(columns)
''',
        "compute_layer_1_delta": '''
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    n, h = layer_1.shape
    out = np.zeros((n, h))
    for j in range(h):
        out[:, j] = layer_2_delta @ synapse_1[j] * layer_1[:, j] * (1 - layer_1[:, j])
    return out
''',
        "update_synapses": '''
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    step = np.asarray(alpha, dtype=np.float64)
    if step.ndim != 0 or not step > 0:
        raise ValueError("alpha must be one positive number")
    return synapse_0 - step * layer_0.T.dot(layer_1_delta), synapse_1 - step * layer_1.T.dot(layer_2_delta)
''',
        "detect_divergence": '''
def detect_divergence(errors):
    e = np.asarray(errors, dtype=np.float64)
    return bool(e.size and (not np.all(np.isfinite(e)) or e[-1] > e[0]))
''',
    }),
    Style('lambda instead of def; einsum elementwise; transposes that cancel; += of the negative step, in place; enumerate with early return', {
        "sigmoid_output_to_derivative": '''
sigmoid_output_to_derivative = lambda output: output * (1 - output)
''',
        "compute_layer_2_delta": '''
def compute_layer_2_delta(layer_2, y):
    return np.einsum("nk,nk->nk", layer_2 - y, sigmoid_output_to_derivative(layer_2))
''',
        "compute_layer_1_delta": '''
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    return layer_2_delta.dot(synapse_1.T) * sigmoid_output_to_derivative(layer_1.T).T
''',
        "update_synapses": '''
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    synapse_0 += -alpha * np.dot(layer_0.T, layer_1_delta)
    synapse_1 += -alpha * np.dot(layer_1.T, layer_2_delta)
    return synapse_0, synapse_1
''',
        "detect_divergence": '''
def detect_divergence(errors):
    first = None
    for index, error in enumerate(errors):
        if np.isnan(error) or np.isinf(error):
            return True
        if index == 0:
            first = error
    if first is None:
        return False
    return bool(errors[-1] > first)
''',
    }),
    Style('np.vectorize; np.subtract with dtype float; np.dot into a preallocated array; generator of outer products; short lists first, NaN via self-comparison', {
        "sigmoid_output_to_derivative": '''
def sigmoid_output_to_derivative(output):
    return np.vectorize(lambda s: s * (1.0 - s), otypes=[float])(output)
''',
        "compute_layer_2_delta": '''
def compute_layer_2_delta(layer_2, y):
    miss = np.subtract(layer_2, y, dtype=float)
    return miss * sigmoid_output_to_derivative(layer_2)
''',
        "compute_layer_1_delta": '''
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    back = np.empty(np.shape(layer_1))
    np.dot(layer_2_delta, np.ascontiguousarray(synapse_1.T), out=back)
    back *= layer_1 * (1 - layer_1)
    return back
''',
        "update_synapses": '''
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    grad_0 = sum(np.outer(a, d) for a, d in zip(layer_0, layer_1_delta))
    grad_1 = sum(np.outer(a, d) for a, d in zip(layer_1, layer_2_delta))
    return synapse_0 - alpha * grad_0, synapse_1 - alpha * grad_1
''',
        "detect_divergence": '''
def detect_divergence(errors):
    if len(errors) == 0:
        return False
    for e in errors:
        if e != e or abs(e) == float("inf"):
            return True
    if len(errors) == 1:
        return False
    return errors[-1] > errors[0] and True or False
''',
    }),
    Style('python float for a single number; shape asserts; np.greater with np.bool_ result', {
        "sigmoid_output_to_derivative": '''
import math

def sigmoid_output_to_derivative(output):
    if np.ndim(output) == 0:
        s = float(output)
        return s * (1.0 - s)
    return output * (1 - output)
''',
        "update_synapses": '''
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    assert synapse_0.shape == (layer_0.shape[1], layer_1.shape[1])
    assert synapse_1.shape == (layer_1.shape[1], layer_2_delta.shape[1])
    assert layer_1_delta.shape == layer_1.shape
    new_0 = synapse_0 - alpha * layer_0.T.dot(layer_1_delta)
    new_1 = synapse_1 - alpha * layer_1.T.dot(layer_2_delta)
    return new_0, new_1
''',
        "detect_divergence": '''
def detect_divergence(errors):
    errors = np.array(errors, dtype=float)
    if np.isnan(errors).any() or np.isinf(errors).any():
        return np.True_
    if errors.size < 2:
        return np.False_
    return np.greater(errors[-1], errors[0])
''',
    }),
    Style('einsum with ellipsis; float matmul with dtype; pops from its own list', {
        "sigmoid_output_to_derivative": '''
def sigmoid_output_to_derivative(output):
    output = np.asarray(output, dtype=float)
    return np.einsum("...,...->...", output, 1.0 - output)
''',
        "update_synapses": '''
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    g0 = np.matmul(np.transpose(layer_0), layer_1_delta, dtype=float)
    g1 = np.matmul(np.transpose(layer_1), layer_2_delta, dtype=float)
    return (np.copy(synapse_0) - float(alpha) * g0, np.copy(synapse_1) - float(alpha) * g1)
''',
        "detect_divergence": '''
import math

def detect_divergence(errors):
    history = list(errors)
    if not all(math.isfinite(e) for e in history):
        return True
    if len(history) < 2:
        return False
    last = history.pop()
    return bool(last > history[0])
''',
    }),
    Style("extra optional argument (tutorial's deriv)", {
        "sigmoid_output_to_derivative": '''
def sigmoid_output_to_derivative(output, deriv=True):
    if deriv:
        return output * (1 - output)
    return output
''',
    }),
]
