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


# From an independent review written from the notebook's contracts alone: each answer is
# correct by its contract, in a way a student may well write it. Styles group one answer per
# function (in the order written), so each notebook exercises five of them.
REVIEW = {
    'best_alpha': [
        ('min over items keyed (error, alpha)', '''
import math
def best_alpha(final_errors):
    finite = {a: e for a, e in final_errors.items() if math.isfinite(e)}
    if not finite:
        raise ValueError("every run diverged")
    return min(finite.items(), key=lambda kv: (kv[1], kv[0]))[0]
'''),
        ('sorted items, self-equality NaN test', '''
def best_alpha(final_errors):
    inf = float("inf")
    ranked = sorted((e, a) for a, e in final_errors.items() if e == e and abs(e) != inf)
    if len(ranked) == 0:
        raise ValueError("no finite error")
    return ranked[0][1]
'''),
        ('nanargmin on sorted keys (numpy raises ValueError)', '''
def best_alpha(final_errors):
    alphas = np.array(sorted(final_errors), dtype=float)
    errors = np.array([final_errors[a] for a in sorted(final_errors)], dtype=float)
    errors[~np.isfinite(errors)] = np.nan
    return alphas[np.nanargmin(errors)]
'''),
        ('ValueError subclass', '''
class NoFiniteError(ValueError):
    """Every run in the sweep diverged."""

def best_alpha(final_errors):
    finite = {a: e for a, e in final_errors.items() if np.isfinite(e)}
    if not finite:
        raise NoFiniteError("every run diverged")
    smallest = min(finite.values())
    return min(a for a in finite if finite[a] == smallest)
'''),
        ('functools.reduce', '''
from functools import reduce
import math
def best_alpha(final_errors):
    pairs = [(a, e) for a, e in final_errors.items() if not (math.isnan(e) or math.isinf(e))]
    if not pairs:
        raise ValueError("no finite error")
    def better(p, q):
        return q if (q[1], q[0]) < (p[1], p[0]) else p
    return reduce(better, pairs)[0]
'''),
        ('loop with explicit tie rule, dict order', '''
def best_alpha(final_errors):
    best, best_error = None, None
    for alpha, error in final_errors.items():
        if not np.isfinite(error):
            continue
        if best is None or error < best_error or (error == best_error and alpha < best):
            best, best_error = alpha, error
    if best is None:
        raise ValueError("no finite final error")
    return best
'''),
        ('returns float(alpha)', '''
def best_alpha(final_errors):
    finite = sorted((float(e), float(a)) for a, e in final_errors.items() if np.isfinite(e))
    if not finite:
        raise ValueError("no finite error")
    return finite[0][1]
'''),
        ('lexsort', '''
def best_alpha(final_errors):
    alphas = np.array(list(final_errors.keys()), dtype=float)
    errors = np.array(list(final_errors.values()), dtype=float)
    keep = np.isfinite(errors)
    if not keep.any():
        raise ValueError("no finite error in the sweep")
    order = np.lexsort((alphas[keep], errors[keep]))
    return list(np.array(list(final_errors.keys()), dtype=object)[keep])[order[0]]
'''),
        ('min over alpha-sorted items keyed by error, try/except', '''
import math
def best_alpha(final_errors):
    candidates = []
    for alpha, error in sorted(final_errors.items()):
        try:
            if math.isfinite(error):
                candidates.append((alpha, error))
        except TypeError:
            continue
    if not candidates:
        raise ValueError("no alpha has a finite error")
    return min(candidates, key=lambda pair: pair[1])[0]
'''),
        ('heapq.nsmallest', '''
import heapq
def best_alpha(final_errors):
    best = heapq.nsmallest(1, ((e, a) for a, e in final_errors.items() if np.isfinite(e)))
    if not best:
        raise ValueError("no finite error")
    return best[0][1]
'''),
        ('max with negated keys', '''
def best_alpha(final_errors):
    finite = {alpha: error for alpha, error in final_errors.items() if np.isfinite(error)}
    if not finite:
        raise ValueError("nothing finite")
    return max(finite, key=lambda alpha: (-finite[alpha], -alpha))
'''),
        ('mutates its dict (contract silent)', '''
def best_alpha(final_errors):
    for alpha in list(final_errors):
        if not np.isfinite(final_errors[alpha]):
            del final_errors[alpha]
    if not final_errors:
        raise ValueError("every run diverged")
    return min(sorted(final_errors), key=final_errors.get)
'''),
        ('0-d array of the key', '''
def best_alpha(final_errors):
    finite = sorted((e, a) for a, e in final_errors.items() if np.isfinite(e))
    if not finite:
        raise ValueError("no finite error")
    return np.array(finite[0][1])
'''),
        ('helper function in the cell, from-import', '''
from math import isfinite

def _usable(pair):
    alpha, error = pair
    return isfinite(error)

def best_alpha(final_errors):
    usable = list(filter(_usable, final_errors.items()))
    if not usable:
        raise ValueError("every run diverged")
    return sorted(usable, key=lambda pair: (pair[1], pair[0]))[0][0]
'''),
    ],
    'count_direction_changes': [
        ('view as int8', '''
def count_direction_changes(prev_update, update):
    return np.not_equal(update > 0, prev_update > 0).view(np.int8)
'''),
        ('xor as uint8', '''
def count_direction_changes(prev_update, update):
    return ((update > 0) ^ (prev_update > 0)).astype(np.uint8)
'''),
        ('ndindex loop', '''
def count_direction_changes(prev_update, update):
    flips = np.zeros(np.shape(update), dtype=int)
    for index in np.ndindex(*np.shape(update)):
        flips[index] = int((update[index] > 0) != (prev_update[index] > 0))
    return flips
'''),
        ('heaviside', '''
def count_direction_changes(prev_update, update):
    return np.abs(np.heaviside(update, 0) - np.heaviside(prev_update, 0)).astype(int)
'''),
        ('clip of sign', '''
def count_direction_changes(prev_update, update):
    up_now = np.clip(np.sign(update), 0, 1)
    up_before = np.clip(np.sign(prev_update), 0, 1)
    return (up_now != up_before).astype(int)
'''),
        ('where equal 0 else 1', '''
def count_direction_changes(prev_update, update):
    return np.where((update > 0) == (prev_update > 0), 0, 1)
'''),
        ('one minus equality', '''
def count_direction_changes(prev_update, update):
    return 1 - ((update > 0) == (prev_update > 0))
'''),
        ('fromiter over ravel', '''
def count_direction_changes(prev_update, update):
    pairs = zip(np.ravel(prev_update), np.ravel(update))
    flat = np.fromiter((int((u > 0) != (p > 0)) for p, u in pairs), dtype=int, count=np.size(update))
    return flat.reshape(np.shape(update))
'''),
        ('copies then thresholds in place', '''
def count_direction_changes(prev_update, update):
    before = np.array(prev_update, dtype=float, copy=True)
    now = np.array(update, dtype=float, copy=True)
    before[before <= 0] = 0
    before[before > 0] = 1
    now[now <= 0] = 0
    now[now > 0] = 1
    return np.abs(now - before).astype(int)
'''),
    ],
    'init_synapses': [
        ('random_sample and sample', '''
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(seed)
    synapse_0 = np.random.random_sample((n_inputs, hidden)) * 2 - 1
    synapse_1 = np.random.sample((hidden, n_outputs)) * 2 - 1
    return synapse_0, synapse_1
'''),
        ('flat rand then reshape', '''
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(seed)
    synapse_0 = (2 * np.random.rand(n_inputs * hidden) - 1).reshape(n_inputs, hidden)
    synapse_1 = (2 * np.random.rand(hidden * n_outputs) - 1).reshape(hidden, n_outputs)
    return synapse_0, synapse_1
'''),
        ('uint32 seed, 2*(r - 0.5)', '''
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(np.uint32(seed))
    synapse_0 = 2.0 * (np.random.random((n_inputs, hidden)) - 0.5)
    synapse_1 = 2.0 * (np.random.random((hidden, n_outputs)) - 0.5)
    return synapse_0, synapse_1
'''),
        ('comprehension over shapes', '''
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(seed)
    shapes = [(n_inputs, hidden), (hidden, n_outputs)]
    return tuple(2 * np.random.random(shape) - 1 for shape in shapes)
'''),
        ('seed asserted, int sizes', '''
def init_synapses(n_inputs, hidden, n_outputs, seed):
    assert seed is not None, "a seed is needed"
    np.random.seed(seed)
    n_inputs, hidden, n_outputs = int(n_inputs), int(hidden), int(n_outputs)
    synapse_0 = 2 * np.random.random(size=(n_inputs, hidden)) - 1
    synapse_1 = 2 * np.random.random(size=(hidden, n_outputs)) - 1
    return synapse_0, synapse_1
'''),
    ],
    'error_surface': [
        ('einsum over a stacked grid', '''
def error_surface(X, y, w0_values, w1_values):
    W = np.stack(np.meshgrid(np.asarray(w0_values, float), np.asarray(w1_values, float), indexing="ij"), axis=-1)
    z = np.einsum("nk,abk->abn", np.asarray(X, float), W)
    return np.mean(np.abs(sigmoid(z) - np.ravel(y)), axis=2)
'''),
        ('tanh sigmoid', '''
def error_surface(X, y, w0_values, w1_values):
    t = np.asarray(y, dtype=float).flatten()
    out = np.empty((len(w0_values), len(w1_values)))
    for i, a in enumerate(w0_values):
        for j, b in enumerate(w1_values):
            z = X @ np.array([a, b], dtype=float)
            out[i, j] = np.mean(np.abs(0.5 * (1 + np.tanh(z / 2)) - t))
    return out
'''),
        ('outer products', '''
def error_surface(X, y, w0_values, w1_values):
    X = np.asarray(X, dtype=float)
    z = np.outer(w0_values, X[:, 0])[:, None, :] + np.outer(w1_values, X[:, 1])[None, :, :]
    return np.abs(sigmoid(z) - np.squeeze(np.asarray(y, dtype=float))).mean(axis=-1)
'''),
        ('output as a column against a column y', '''
def error_surface(X, y, w0_values, w1_values):
    targets = np.reshape(y, (-1, 1))
    grid = np.zeros((len(w0_values), len(w1_values)))
    for i in range(len(w0_values)):
        for j in range(len(w1_values)):
            layer_1 = sigmoid(np.dot(X, np.array([[w0_values[i]], [w1_values[j]]])))
            grid[i][j] = np.mean(np.abs(layer_1 - targets))
    return grid
'''),
        ('np.vectorize', '''
def error_surface(X, y, w0_values, w1_values):
    target = np.asarray(y).reshape(-1)
    def one(w0, w1):
        return np.mean(np.abs(sigmoid(X[:, 0] * w0 + X[:, 1] * w1) - target))
    W0, W1 = np.meshgrid(w0_values, w1_values, indexing="ij")
    return np.vectorize(one)(W0, W1)
'''),
        ('longdouble result', '''
def error_surface(X, y, w0_values, w1_values):
    X = np.asarray(X, dtype=np.longdouble)
    t = np.asarray(y, dtype=np.longdouble).reshape(-1)
    out = np.zeros((len(w0_values), len(w1_values)), dtype=np.longdouble)
    for i, w0 in enumerate(w0_values):
        for j, w1 in enumerate(w1_values):
            z = X[:, 0] * w0 + X[:, 1] * w1
            out[i, j] = np.mean(np.abs(1 / (1 + np.exp(-z)) - t))
    return out
'''),
        ('renamed parameters', '''
def error_surface(inputs, targets, first_weights, second_weights):
    goal = np.asarray(targets, dtype=float).reshape(-1)
    grid = np.empty((len(first_weights), len(second_weights)))
    for r, a in enumerate(first_weights):
        for c, b in enumerate(second_weights):
            grid[r, c] = np.abs(sigmoid(inputs @ np.array([a, b])) - goal).mean()
    return grid
'''),
    ],
    'momentum_update': [
        ('terms commuted', '''
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = gradient * alpha + velocity * momentum
    return synapse - new_velocity, new_velocity
'''),
        ('synapse minus both terms', '''
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = momentum * velocity + alpha * gradient
    new_synapse = synapse - momentum * velocity - alpha * gradient
    return new_synapse, new_velocity
'''),
        ('np.add with out', '''
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = np.add(momentum * velocity, alpha * gradient, out=np.empty_like(velocity, dtype=float))
    return np.subtract(synapse, new_velocity), new_velocity
'''),
        ('asserts the ranges', '''
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    assert alpha > 0, "alpha must be positive"
    assert 0 <= momentum < 1, "momentum must be in [0, 1)"
    velocity = momentum * velocity + alpha * gradient
    synapse = synapse - velocity
    return synapse, velocity
'''),
        ('in-place on copies', '''
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = np.multiply(velocity, momentum)
    new_velocity += gradient * alpha
    new_synapse = np.copy(synapse)
    new_synapse -= new_velocity
    return new_synapse, new_velocity
'''),
        ('float() of the numbers, asarray', '''
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    a, m = float(alpha), float(momentum)
    v = m * np.asarray(velocity, dtype=float) + a * np.asarray(gradient, dtype=float)
    return tuple(map(np.asarray, (np.asarray(synapse, dtype=float) - v, v)))
'''),
        ('longdouble pair', '''
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    v = np.longdouble(momentum) * velocity + np.longdouble(alpha) * gradient
    return synapse - v, v
'''),
        ('default momentum, keyword-only style', '''
def momentum_update(synapse, gradient, velocity, alpha=1.0, momentum=0.9):
    new_velocity = momentum * velocity + alpha * gradient
    return (synapse - new_velocity, new_velocity)
'''),
    ],
}

for _index in range(max(len(answers) for answers in REVIEW.values())):
    _chosen = {function: answers[_index] for function, answers in REVIEW.items() if _index < len(answers)}
    STYLES.append(Style("review: " + "; ".join(name for name, _ in _chosen.values()),
                        {function: source for function, (_, source) in _chosen.items()}))
