"""The bug zoo for `gradient_descent`: realistic wrong answers, each costing its own question.

Used twice: ``gdkit validate`` grades a notebook with each bug in place (master answers
everywhere else) and checks the loss lands on the bug's question only; the hidden suites name
the mistake and show the hint when a student's output matches a bug's output. None of these
is mathematically equivalent to the contract (checked by ``tests/test_checks.py``), and no two
entries of one function behave alike on the public example and its probes (``public.py``), or
neither could ever be named. A bug in q1-q4 may also cost q5, the convergence run with the
student's functions together; one costs q5 alone (a right answer that changes an array the
loop uses again: its own contract is met, the training run is not).
The entries after the original ones come from the contracts' clauses (listed in the suites'
docstrings): a single number, outputs of exactly 0 and 1, one output, an int alpha, -inf,
a plain list or a numpy array, a rise by a hair.
"""
from gdkit.grading.diagnose import Bug

Q1, Q2, Q3, Q4, Q5, Q6 = ("q1_sigmoid_derivative", "q2_layer_2_delta", "q3_layer_1_delta",
                          "q4_update_synapses", "q5_convergence", "q6_detect_divergence")
CONVERGENCE = (Q5,)

BUGS = [
    # ---- q1: sigmoid_output_to_derivative ----
    Bug("slope of the pre-activation", Q1, "sigmoid_output_to_derivative", """
def sigmoid_output_to_derivative(output):
    return sigmoid(output) * (1 - sigmoid(output))
""", "the argument is already a sigmoid output s: the slope is s * (1 - s), do not apply sigmoid again",
        CONVERGENCE),
    Bug("only 1 - output", Q1, "sigmoid_output_to_derivative", """
def sigmoid_output_to_derivative(output):
    return 1 - output
""", "the slope is output times (1 - output); a factor is missing", CONVERGENCE),
    Bug("plus instead of minus", Q1, "sigmoid_output_to_derivative", """
def sigmoid_output_to_derivative(output):
    return output * (1 + output)
""", "the slope is output * (1 - output): it is largest (0.25) at output 0.5 and vanishes at 0 and 1",
        CONVERGENCE),
    Bug("matrix product instead of elementwise", Q1, "sigmoid_output_to_derivative", """
def sigmoid_output_to_derivative(output):
    return np.dot(output, (1 - output).T)
""", "use the elementwise `*`, not np.dot: each output has its own slope, same shape as the input",
        # q2/q3 are judged with the reference slope swapped in, so only the run that uses the
        # student's functions together (q5) may lose as well.
        CONVERGENCE),
    Bug("modifies output in place", Q1, "sigmoid_output_to_derivative", """
def sigmoid_output_to_derivative(output):
    output *= 1 - output
    return output
""", "`output *= ...` overwrites the layer's values that the update step still needs; return a new array",
        CONVERGENCE),
    Bug("rounded to two decimals", Q1, "sigmoid_output_to_derivative", """
def sigmoid_output_to_derivative(output):
    return np.round(output * (1 - output), 2)
""", "return the exact slope; rounding belongs to printing, not to the math", CONVERGENCE),
    Bug("tanh's slope (1 - output**2)", Q1, "sigmoid_output_to_derivative", """
def sigmoid_output_to_derivative(output):
    return 1 - output ** 2
""", "1 - s**2 is the slope of tanh; the sigmoid's slope from its output s is s * (1 - s)", CONVERGENCE),
    Bug("sign flipped (output * (output - 1))", Q1, "sigmoid_output_to_derivative", """
def sigmoid_output_to_derivative(output):
    return output * (output - 1)
""", "the sigmoid rises everywhere, so its slope is positive: output * (1 - output)", CONVERGENCE),
    Bug("loops over the rows (fails on a single number)", Q1, "sigmoid_output_to_derivative", """
def sigmoid_output_to_derivative(output):
    return np.array([row * (1 - row) for row in output])
""", "a single number has no rows: the elementwise `output * (1 - output)` works for every shape",
        CONVERGENCE),
    Bug("clipped away from 0 and 1", Q1, "sigmoid_output_to_derivative", """
def sigmoid_output_to_derivative(output):
    output = np.clip(output, 1e-6, 1 - 1e-6)
    return output * (1 - output)
""", "outputs of exactly 0 or 1 have slope 0; return output * (1 - output) without clipping",
        CONVERGENCE),
    Bug("flattened to one dimension", Q1, "sigmoid_output_to_derivative", """
def sigmoid_output_to_derivative(output):
    flat = np.ravel(output)
    return flat * (1 - flat)
""", "return the slopes in the shape of `output`: no ravel or flatten", CONVERGENCE),
    # ---- q2: compute_layer_2_delta ----
    Bug("error sign reversed (y - layer_2)", Q2, "compute_layer_2_delta", """
def compute_layer_2_delta(layer_2, y):
    return (y - layer_2) * sigmoid_output_to_derivative(layer_2)
""", "the contract's error is layer_2 - y (positive when the guess is too high)", CONVERGENCE),
    Bug("missing the slope factor", Q2, "compute_layer_2_delta", """
def compute_layer_2_delta(layer_2, y):
    return layer_2 - y
""", "multiply the error by the sigmoid's slope at the output, sigmoid_output_to_derivative(layer_2)",
        CONVERGENCE),
    Bug("slope taken at the targets", Q2, "compute_layer_2_delta", """
def compute_layer_2_delta(layer_2, y):
    return (layer_2 - y) * sigmoid_output_to_derivative(y)
""", "the slope belongs to the output the network produced: sigmoid_output_to_derivative(layer_2)",
        CONVERGENCE),
    Bug("absolute error times slope", Q2, "compute_layer_2_delta", """
def compute_layer_2_delta(layer_2, y):
    return np.abs(layer_2 - y) * sigmoid_output_to_derivative(layer_2)
""", "keep the sign of layer_2 - y: it says which way the output must move", CONVERGENCE),
    Bug("averaged over the rows", Q2, "compute_layer_2_delta", """
def compute_layer_2_delta(layer_2, y):
    return (layer_2 - y) * sigmoid_output_to_derivative(layer_2) / len(y)
""", "no averaging in the delta: the contract is exactly (layer_2 - y) * slope", CONVERGENCE),
    Bug("targets reshaped to one column", Q2, "compute_layer_2_delta", """
def compute_layer_2_delta(layer_2, y):
    return (layer_2 - y.reshape(-1, 1)) * sigmoid_output_to_derivative(layer_2)
""", "y already has shape (n, k); reshaping it to one column breaks several outputs (k > 1)",
        CONVERGENCE),
    Bug("slope of the pre-activation at the output", Q2, "compute_layer_2_delta", """
def compute_layer_2_delta(layer_2, y):
    return (layer_2 - y) * sigmoid_output_to_derivative(sigmoid(layer_2))
""", "layer_2 is already a sigmoid output: pass it to sigmoid_output_to_derivative as it is",
        CONVERGENCE),
    Bug("slope taken at the error", Q2, "compute_layer_2_delta", """
def compute_layer_2_delta(layer_2, y):
    layer_2_error = layer_2 - y
    return layer_2_error * sigmoid_output_to_derivative(layer_2_error)
""", "the slope is the sigmoid's at the output it produced: sigmoid_output_to_derivative(layer_2)",
        CONVERGENCE),
    Bug("twice the error (the derivative of the squared error)", Q2, "compute_layer_2_delta", """
def compute_layer_2_delta(layer_2, y):
    return 2 * (layer_2 - y) * sigmoid_output_to_derivative(layer_2)
""", "the contract's error term is (layer_2 - y), with no factor 2", CONVERGENCE),
    Bug("error of the rounded prediction", Q2, "compute_layer_2_delta", """
def compute_layer_2_delta(layer_2, y):
    return (np.round(layer_2) - y) * sigmoid_output_to_derivative(layer_2)
""", "use the output itself, not its rounded 0/1 guess: (layer_2 - y)", CONVERGENCE),
    Bug("averaged over the outputs", Q2, "compute_layer_2_delta", """
def compute_layer_2_delta(layer_2, y):
    delta = (layer_2 - y) * sigmoid_output_to_derivative(layer_2)
    return delta.mean(axis=1, keepdims=True)
""", "each output has its own delta: keep the shape (n, k)", CONVERGENCE),
    # ---- q3: compute_layer_1_delta ----
    Bug("synapse_1 not transposed", Q3, "compute_layer_1_delta", """
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    return layer_2_delta.dot(synapse_1) * sigmoid_output_to_derivative(layer_1)
""", "(n, k) must meet (h, k): send the delta back with synapse_1.T to get (n, h)", CONVERGENCE),
    Bug("elementwise instead of dot", Q3, "compute_layer_1_delta", """
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    return layer_2_delta * synapse_1.T * sigmoid_output_to_derivative(layer_1)
""", "with several outputs each hidden unit collects the deltas of all outputs: use layer_2_delta.dot(synapse_1.T)",
        CONVERGENCE),
    Bug("missing the hidden slope", Q3, "compute_layer_1_delta", """
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    return layer_2_delta.dot(synapse_1.T)
""", "multiply by the hidden layer's own slope, sigmoid_output_to_derivative(layer_1)", CONVERGENCE),
    Bug("times the hidden output, not its slope", Q3, "compute_layer_1_delta", """
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    return layer_2_delta.dot(synapse_1.T) * layer_1
""", "the factor is the slope s * (1 - s) of the hidden layer, not its output s", CONVERGENCE),
    Bug("sign flipped on the way back", Q3, "compute_layer_1_delta", """
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    return -layer_2_delta.dot(synapse_1.T) * sigmoid_output_to_derivative(layer_1)
""", "the delta goes back through synapse_1 unchanged in sign; the minus belongs to the update step",
        CONVERGENCE),
    Bug("only the first output sent back", Q3, "compute_layer_1_delta", """
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    return layer_2_delta[:, :1].dot(synapse_1[:, :1].T) * sigmoid_output_to_derivative(layer_1)
""", "every output column sends blame back: use the whole layer_2_delta and synapse_1", CONVERGENCE),
    Bug("hidden slope taken at the output delta", Q3, "compute_layer_1_delta", """
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    return layer_2_delta.dot(synapse_1.T) * sigmoid_output_to_derivative(layer_2_delta)
""", "the slope belongs to the hidden layer: sigmoid_output_to_derivative(layer_1)", CONVERGENCE),
    Bug("returned transposed (h, n)", Q3, "compute_layer_1_delta", """
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    return synapse_1.dot(layer_2_delta.T) * sigmoid_output_to_derivative(layer_1).T
""", "the hidden delta has one row per example, shape (n, h): layer_2_delta.dot(synapse_1.T)", CONVERGENCE),
    Bug("divided by the number of rows", Q3, "compute_layer_1_delta", """
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    return layer_2_delta.dot(synapse_1.T) * sigmoid_output_to_derivative(layer_1) / len(layer_1)
""", "no averaging in the delta: the contract is exactly layer_2_delta.dot(synapse_1.T) * slope", CONVERGENCE),
    # ---- q4: update_synapses ----
    Bug("climbs the slope", Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    return (synapse_0 + alpha * layer_0.T.dot(layer_1_delta),
            synapse_1 + alpha * layer_1.T.dot(layer_2_delta))
""", "the update climbs the slope: subtract alpha times the gradient", CONVERGENCE),
    Bug("forgets alpha", Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    return synapse_0 - layer_0.T.dot(layer_1_delta), synapse_1 - layer_1.T.dot(layer_2_delta)
""", "scale each step by alpha: synapse - alpha * gradient", CONVERGENCE),
    Bug("alpha applied twice", Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    step_0 = alpha * layer_0.T.dot(alpha * layer_1_delta)
    step_1 = alpha * layer_1.T.dot(alpha * layer_2_delta)
    return synapse_0 - step_0, synapse_1 - step_1
""", "alpha appears once per step: synapse - alpha * layer.T.dot(delta)", CONVERGENCE),
    Bug("deltas swapped between the synapses", Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    return synapse_0 - alpha * layer_0.T.dot(layer_2_delta), synapse_1 - alpha * layer_1.T.dot(layer_1_delta)
""", "synapse_0 feeds layer_1, so it moves with layer_0.T.dot(layer_1_delta); synapse_1 with layer_1.T.dot(layer_2_delta)",
        CONVERGENCE),
    Bug("synapse_1 stepped with layer_0", Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    return synapse_0 - alpha * layer_0.T.dot(layer_1_delta), synapse_1 - alpha * layer_0.T.dot(layer_2_delta)
""", "the gradient of a synapse uses the layer that feeds it: layer_1.T.dot(layer_2_delta) for synapse_1",
        CONVERGENCE),
    Bug("pair returned in the wrong order", Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    return synapse_1 - alpha * layer_1.T.dot(layer_2_delta), synapse_0 - alpha * layer_0.T.dot(layer_1_delta)
""", "return (synapse_0, synapse_1) in that order", CONVERGENCE),
    Bug("updates in place but returns nothing", Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    synapse_1 -= alpha * layer_1.T.dot(layer_2_delta)
    synapse_0 -= alpha * layer_0.T.dot(layer_1_delta)
""", "in-place updates are fine, but the contract also asks you to `return synapse_0, synapse_1`",
        CONVERGENCE),
    Bug("alpha truncated to a whole number", Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    alpha = int(alpha)
    return synapse_0 - alpha * layer_0.T.dot(layer_1_delta), synapse_1 - alpha * layer_1.T.dot(layer_2_delta)
""", "alpha can be any positive number such as 0.5: do not convert it to int", CONVERGENCE),
    Bug("only synapse_1 updated", Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    return synapse_0, synapse_1 - alpha * layer_1.T.dot(layer_2_delta)
""", "both synapses take a step: synapse_0 moves by alpha * layer_0.T.dot(layer_1_delta)", CONVERGENCE),
    Bug("gradient averaged over the rows", Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    n = len(layer_0)
    return (synapse_0 - alpha * layer_0.T.dot(layer_1_delta) / n,
            synapse_1 - alpha * layer_1.T.dot(layer_2_delta) / n)
""", "full-batch gradient descent sums over the examples: no division by the number of rows", CONVERGENCE),
    Bug("alpha on synapse_1 only", Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    return synapse_0 - layer_0.T.dot(layer_1_delta), synapse_1 - alpha * layer_1.T.dot(layer_2_delta)
""", "both steps are scaled by alpha: synapse_0 - alpha * layer_0.T.dot(layer_1_delta)", CONVERGENCE),
    Bug("gradient transposed (delta.T.dot(layer))", Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    return (synapse_0 - alpha * layer_1_delta.T.dot(layer_0),
            synapse_1 - alpha * layer_2_delta.T.dot(layer_1))
""", "the gradient has the synapse's shape: layer_0.T.dot(layer_1_delta) is (i, h)", CONVERGENCE),
    Bug("large alpha capped at 1", Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    alpha = min(alpha, 1.0)
    return synapse_0 - alpha * layer_0.T.dot(layer_1_delta), synapse_1 - alpha * layer_1.T.dot(layer_2_delta)
""", "use alpha as given, large ones too: choosing it is the caller's job", CONVERGENCE),
    Bug("returns the synapses unchanged", Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    new_synapse_0 = synapse_0 - alpha * layer_0.T.dot(layer_1_delta)
    new_synapse_1 = synapse_1 - alpha * layer_1.T.dot(layer_2_delta)
    return synapse_0, synapse_1
""", "return the new synapses you computed, not the ones you were given", CONVERGENCE),
    # ---- q6: detect_divergence ----
    Bug("compared with the previous error", Q6, "detect_divergence", """
def detect_divergence(errors):
    values = np.asarray(errors, dtype=float)
    if not np.all(np.isfinite(values)):
        return True
    return bool(values.size >= 2 and values[-1] > values[-2])
""", "compare the latest error with the FIRST one; a small wobble up from the previous step is normal"),
    Bug(">= instead of >", Q6, "detect_divergence", """
def detect_divergence(errors):
    values = np.asarray(errors, dtype=float)
    if not np.all(np.isfinite(values)):
        return True
    return bool(values.size >= 2 and values[-1] >= values[0])
""", "an error equal to the first is not divergence: use a strict `>`"),
    Bug("ignores NaN and inf", Q6, "detect_divergence", """
def detect_divergence(errors):
    return len(errors) >= 2 and bool(errors[-1] > errors[0])
""", "a NaN compares False with everything: check np.isfinite on all values first"),
    Bug("only checks errors[-1] > 0.5", Q6, "detect_divergence", """
def detect_divergence(errors):
    values = np.asarray(errors, dtype=float)
    if not np.all(np.isfinite(values)):
        return True
    return bool(values.size >= 1 and values[-1] > 0.5)
""", "the rule is relative to the first error, not a fixed 0.5: a run saturating at 0.5 never exceeds it"),
    Bug("crashes on short lists", Q6, "detect_divergence", """
def detect_divergence(errors):
    values = np.asarray(errors, dtype=float)
    return bool(not np.all(np.isfinite(values)) or values[-1] > values[0])
""", "an empty list has no last element: return False when there are fewer than two errors"),
    Bug("any error above the first", Q6, "detect_divergence", """
def detect_divergence(errors):
    values = np.asarray(errors, dtype=float)
    if not np.all(np.isfinite(values)):
        return True
    return bool(values.size >= 2 and values.max() > values[0])
""", "only the LATEST error counts: an early bump above the first one that has since come down is fine"),
    Bug("NaN checked in the last value only", Q6, "detect_divergence", """
def detect_divergence(errors):
    if len(errors) == 0:
        return False
    if not np.isfinite(errors[-1]):
        return True
    return bool(errors[-1] > errors[0])
""", "a NaN or inf anywhere in the history means divergence, not only in the latest value"),
    Bug("forgets to return False", Q6, "detect_divergence", """
def detect_divergence(errors):
    values = np.asarray(errors, dtype=float)
    if not np.all(np.isfinite(values)) or (values.size >= 2 and values[-1] > values[0]):
        return True
""", "return False explicitly when there is no divergence; falling off the end returns None"),
    Bug("error must double", Q6, "detect_divergence", """
def detect_divergence(errors):
    values = np.asarray(errors, dtype=float)
    if not np.all(np.isfinite(values)):
        return True
    return bool(values.size >= 2 and values[-1] > 2 * values[0])
""", "any rise above the first error counts; at alpha = 1000 the error only creeps from 0.496 to 0.5"),
    Bug("above the best error so far", Q6, "detect_divergence", """
def detect_divergence(errors):
    values = np.asarray(errors, dtype=float)
    if not np.all(np.isfinite(values)):
        return True
    return bool(values.size >= 2 and values[-1] > values.min())
""", "compare with the FIRST error, not the best one: noisy descent often rises a little above its best"),
    Bug("-inf not caught", Q6, "detect_divergence", """
def detect_divergence(errors):
    for error in errors:
        if np.isnan(error) or error == float("inf"):
            return True
    return len(errors) >= 2 and bool(errors[-1] > errors[0])
""", "minus infinity is not finite either: np.isfinite catches NaN, inf and -inf at once"),
    Bug("only NaN checked, not inf", Q6, "detect_divergence", """
def detect_divergence(errors):
    values = np.asarray(errors, dtype=float)
    if np.any(np.isnan(values)):
        return True
    return bool(values.size >= 2 and values[-1] > values[0])
""", "an infinite error is a blow-up too: test with np.isfinite, which catches NaN and +-inf"),
    Bug("assumes a numpy array (.size of a list)", Q6, "detect_divergence", """
def detect_divergence(errors):
    if errors.size == 0:
        return False
    values = np.asarray(errors, dtype=float)
    if not np.all(np.isfinite(values)):
        return True
    return bool(values[-1] > values[0])
""", "the training loop passes a plain list, which has no .size: convert first with np.asarray(errors)"),
    Bug("`if not errors` on an array", Q6, "detect_divergence", """
def detect_divergence(errors):
    if not errors:
        return False
    values = np.asarray(errors, dtype=float)
    if not np.all(np.isfinite(values)):
        return True
    return bool(values[-1] > values[0])
""", "`not array` is ambiguous for a numpy array of several values: test len(errors) == 0 instead"),
    Bug("rises by more than a tolerance", Q6, "detect_divergence", """
def detect_divergence(errors):
    values = np.asarray(errors, dtype=float)
    if not np.all(np.isfinite(values)):
        return True
    return bool(values.size >= 2 and values[-1] > values[0] + 1e-6)
""", "any rise above the first error counts, however small: a strict `>` with no tolerance"),
    Bug("None on short histories", Q6, "detect_divergence", """
def detect_divergence(errors):
    values = np.asarray(errors, dtype=float)
    if not np.all(np.isfinite(values)):
        return True
    if values.size < 2:
        return
    return bool(values[-1] > values[0])
""", "return False for fewer than two finite errors: a bare `return` gives None"),
    Bug("rising at every step", Q6, "detect_divergence", """
def detect_divergence(errors):
    values = np.asarray(errors, dtype=float)
    if not np.all(np.isfinite(values)):
        return True
    return bool(values.size >= 2 and np.all(np.diff(values) > 0))
""", "one rule only: the latest error above the first; the errors need not rise at every step"),
    # ---- more, from a review written from the notebook's contracts alone: each function's
    # other slips (a wrong factor, layer, index or comparison; a shape that only works when
    # square or with one row; targets between 0 and 1; an input changed in place)
    Bug('slope floored at a minimum', Q1, "sigmoid_output_to_derivative", """
def sigmoid_output_to_derivative(output):
    return np.maximum(output * (1 - output), 1e-3)
""", 'the slope is exactly output * (1 - output), 0 at outputs of 0 and 1: no floor (np.maximum) under it', CONVERGENCE),
    Bug('averaged to one number', Q1, "sigmoid_output_to_derivative", """
def sigmoid_output_to_derivative(output):
    return np.mean(output * (1 - output))
""", 'return one slope per entry, in the shape of `output`: no mean over the entries', CONVERGENCE),
    Bug('written into `output` with out=', Q1, "sigmoid_output_to_derivative", """
def sigmoid_output_to_derivative(output):
    return np.multiply(output, 1 - output, out=output)
""", '`out=output` overwrites the input (and fails on a single number): return `output * (1 - output)`', CONVERGENCE),
    Bug('second factor transposed', Q1, "sigmoid_output_to_derivative", """
def sigmoid_output_to_derivative(output):
    return output * (1 - output).T
""", 'both factors are `output` as it is, elementwise: no `.T`', CONVERGENCE),
    Bug('slope squared', Q1, "sigmoid_output_to_derivative", """
def sigmoid_output_to_derivative(output):
    return (output * (1 - output)) ** 2
""", 'the slope is output * (1 - output), not its square', CONVERGENCE),
    Bug('slope mixes layer_2 and y', Q2, "compute_layer_2_delta", """
def compute_layer_2_delta(layer_2, y):
    return (layer_2 - y) * layer_2 * (1 - y)
""", 'the slope is taken at the output alone: layer_2 * (1 - layer_2); y only enters the miss', CONVERGENCE),
    Bug('missing parentheses around 1 - layer_2', Q2, "compute_layer_2_delta", """
def compute_layer_2_delta(layer_2, y):
    return (layer_2 - y) * layer_2 * 1 - layer_2
""", 'mind the parentheses: (layer_2 - y) * layer_2 * (1 - layer_2)', CONVERGENCE),
    Bug('missing parentheses around the miss', Q2, "compute_layer_2_delta", """
def compute_layer_2_delta(layer_2, y):
    return layer_2 - y * sigmoid_output_to_derivative(layer_2)
""", 'the whole miss is scaled: (layer_2 - y) * slope, not layer_2 - y * slope', CONVERGENCE),
    Bug('squared miss', Q2, "compute_layer_2_delta", """
def compute_layer_2_delta(layer_2, y):
    return (layer_2 - y) ** 2 * sigmoid_output_to_derivative(layer_2)
""", 'the miss enters as it is, with its sign: (layer_2 - y) * slope', CONVERGENCE),
    Bug('returns the miss and the delta', Q2, "compute_layer_2_delta", """
def compute_layer_2_delta(layer_2, y):
    layer_2_error = layer_2 - y
    return layer_2_error, layer_2_error * sigmoid_output_to_derivative(layer_2)
""", 'return the delta alone, one array of shape (n, k)', CONVERGENCE),
    Bug('dot product instead of elementwise', Q2, "compute_layer_2_delta", """
def compute_layer_2_delta(layer_2, y):
    return (layer_2 - y).dot(sigmoid_output_to_derivative(layer_2).T)
""", 'the miss and the slope are multiplied entry by entry (`*`), not with `.dot`', CONVERGENCE),
    Bug('hidden slope of sigmoid(layer_1)', Q3, "compute_layer_1_delta", """
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    return layer_2_delta.dot(synapse_1.T) * sigmoid_output_to_derivative(sigmoid(layer_1))
""", 'layer_1 is already a sigmoid output: its slope is sigmoid_output_to_derivative(layer_1)', CONVERGENCE),
    Bug('hidden slope added, not multiplied', Q3, "compute_layer_1_delta", """
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    return layer_2_delta.dot(synapse_1.T) + sigmoid_output_to_derivative(layer_1)
""", 'multiply the sent-back error by the hidden slope: `* sigmoid_output_to_derivative(layer_1)`', CONVERGENCE),
    Bug('hidden slope is only 1 - layer_1', Q3, "compute_layer_1_delta", """
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    return layer_2_delta.dot(synapse_1.T) * (1 - layer_1)
""", 'the hidden slope is layer_1 * (1 - layer_1): a factor is missing', CONVERGENCE),
    Bug('absolute values of synapse_1', Q3, "compute_layer_1_delta", """
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    return layer_2_delta.dot(np.abs(synapse_1).T) * sigmoid_output_to_derivative(layer_1)
""", 'send the error back through the weights as they are, signs included', CONVERGENCE),
    Bug('only synapse_0 updated', Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    synapse_0 = synapse_0 - alpha * layer_0.T.dot(layer_1_delta)
    return synapse_0, synapse_1
""", 'step both synapses: synapse_1 - alpha * layer_1.T.dot(layer_2_delta) too', CONVERGENCE),
    Bug('synapse_0 stepped with layer_1', Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    return synapse_0 - alpha * layer_1.T.dot(layer_1_delta), synapse_1 - alpha * layer_1.T.dot(layer_2_delta)
""", "synapse_0's gradient uses what flows into it: layer_0.T.dot(layer_1_delta)", CONVERGENCE),
    Bug('alpha on synapse_0 only', Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    return synapse_0 - alpha * layer_0.T.dot(layer_1_delta), synapse_1 - layer_1.T.dot(layer_2_delta)
""", "scale both steps by alpha, synapse_1's too", CONVERGENCE),
    Bug('synapse_0 climbs the slope', Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    return synapse_0 + alpha * layer_0.T.dot(layer_1_delta), synapse_1 - alpha * layer_1.T.dot(layer_2_delta)
""", 'both synapses step against the slope: synapse_0 - alpha * gradient', CONVERGENCE),
    Bug('divides by alpha', Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    return synapse_0 - layer_0.T.dot(layer_1_delta) / alpha, synapse_1 - layer_1.T.dot(layer_2_delta) / alpha
""", 'alpha multiplies the gradient: synapse - alpha * gradient', CONVERGENCE),
    Bug('gradient summed to one number', Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    return synapse_0 - alpha * np.sum(layer_0.T.dot(layer_1_delta)), synapse_1 - alpha * np.sum(layer_1.T.dot(layer_2_delta))
""", 'each weight has its own slope: keep the matrix layer.T.dot(delta), do not sum it', CONVERGENCE),
    Bug('alpha rounded', Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    alpha = round(alpha)
    return synapse_0 - alpha * layer_0.T.dot(layer_1_delta), synapse_1 - alpha * layer_1.T.dot(layer_2_delta)
""", 'use alpha as given: round() turns 0.3 into 0', CONVERGENCE),
    Bug('compared with the second error', Q6, "detect_divergence", """
def detect_divergence(errors):
    if not np.all(np.isfinite(np.asarray(errors, dtype=float))):
        return True
    if len(errors) < 2:
        return False
    return bool(errors[-1] > errors[1])
""", 'compare the last error with the first one, errors[0]'),
    Bug('second-to-last error compared', Q6, "detect_divergence", """
def detect_divergence(errors):
    if not np.all(np.isfinite(np.asarray(errors, dtype=float))):
        return True
    if len(errors) < 2:
        return False
    return bool(errors[-2] > errors[0])
""", 'the latest error is errors[-1]'),
    Bug('comparison reversed', Q6, "detect_divergence", """
def detect_divergence(errors):
    if not np.all(np.isfinite(np.asarray(errors, dtype=float))):
        return True
    if len(errors) < 2:
        return False
    return bool(errors[0] > errors[-1])
""", 'divergence is the last error above the first: errors[-1] > errors[0]'),
    Bug('only inf checked, not NaN', Q6, "detect_divergence", """
def detect_divergence(errors):
    if np.isinf(np.asarray(errors, dtype=float)).any():
        return True
    if len(errors) < 2:
        return False
    return bool(errors[-1] > errors[0])
""", 'a NaN is not infinite and equals nothing (so `np.nan in errors` misses it too): check np.isfinite or math.isfinite on every value, which catches both'),
    Bug('mean compared with the first', Q6, "detect_divergence", """
def detect_divergence(errors):
    values = np.asarray(errors, dtype=float)
    if not np.all(np.isfinite(values)):
        return True
    if len(values) < 2:
        return False
    return bool(values.mean() > values[0])
""", 'compare the latest error with the first, not their average'),
    Bug('NaN checked at the ends only', Q6, "detect_divergence", """
import math

def detect_divergence(errors):
    if len(errors) == 0:
        return False
    if not math.isfinite(errors[0]) or not math.isfinite(errors[-1]):
        return True
    return bool(errors[-1] > errors[0])
""", 'a NaN or inf anywhere in the history means divergence, in the middle too'),
    Bug('short histories returned before the NaN check', Q6, "detect_divergence", """
def detect_divergence(errors):
    if len(errors) < 2:
        return False
    if not np.all(np.isfinite(np.asarray(errors, dtype=float))):
        return True
    return bool(errors[-1] > errors[0])
""", 'check NaN and inf first: a single NaN is divergence too'),
    Bug('a margin above the first error required', Q6, "detect_divergence", """
def detect_divergence(errors):
    if not np.all(np.isfinite(np.asarray(errors, dtype=float))):
        return True
    if len(errors) < 2:
        return False
    return bool(errors[-1] > 1.01 * errors[0])
""", 'any rise above the first error counts: a strict `>` with no margin'),
    Bug('last two errors above the first', Q6, "detect_divergence", """
def detect_divergence(errors):
    if not np.all(np.isfinite(np.asarray(errors, dtype=float))):
        return True
    if len(errors) < 3:
        return False
    return bool(errors[-1] > errors[0] and errors[-2] > errors[0])
""", 'only the latest error is compared with the first'),
    Bug('returns a string', Q6, "detect_divergence", """
def detect_divergence(errors):
    if not np.all(np.isfinite(np.asarray(errors, dtype=float))):
        return "True"
    if len(errors) < 2:
        return "False"
    return str(errors[-1] > errors[0])
""", 'return the bool itself, True or False, not str(...)'),
    Bug('targets cast to integers', Q2, "compute_layer_2_delta", """
def compute_layer_2_delta(layer_2, y):
    y = np.asarray(y).astype(int)
    return (layer_2 - y) * sigmoid_output_to_derivative(layer_2)
""", 'use y as it is given: targets may lie anywhere between 0 and 1, so no astype(int) or rounding', CONVERGENCE),
    Bug('reshape instead of transpose', Q3, "compute_layer_1_delta", """
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    return layer_2_delta.dot(synapse_1.reshape(1, -1)) * sigmoid_output_to_derivative(layer_1)
""", '`synapse_1.reshape(1, -1)` is `synapse_1.T` for one output only: use `.T`', CONVERGENCE),
    Bug('outer product of summed columns', Q4, "update_synapses", """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    grad_0 = np.outer(layer_0.sum(axis=0), layer_1_delta.sum(axis=0))
    grad_1 = np.outer(layer_1.sum(axis=0), layer_2_delta.sum(axis=0))
    return synapse_0 - alpha * grad_0, synapse_1 - alpha * grad_1
""", 'the gradient sums one outer product per row: layer.T.dot(delta), not the outer product of the column sums', CONVERGENCE),
    Bug("pops the loop's list", Q6, "detect_divergence", """
import math

def detect_divergence(errors):
    if not isinstance(errors, list):
        errors = list(errors)
    if not all(math.isfinite(e) for e in errors):
        return True
    if len(errors) < 2:
        return False
    last = errors.pop()
    return bool(last > errors[0])
""", "read the errors without changing the list: it is the training loop's own history"),
    Bug('needs three errors', Q6, "detect_divergence", """
def detect_divergence(errors):
    if not np.all(np.isfinite(np.asarray(errors, dtype=float))):
        return True
    if len(errors) <= 2:
        return False
    return bool(errors[-1] > errors[0])
""", 'two errors are enough: the second above the first is divergence'),
    Bug('hidden slope kept in layer_1 (in place)', Q5, "compute_layer_1_delta", """
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    layer_1 *= 1 - layer_1
    return layer_2_delta.dot(synapse_1.T) * layer_1
""", 'the training loop uses layer_1 again after this call: compute the slope into a new array'),
]
