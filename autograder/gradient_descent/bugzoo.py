"""The bug zoo for `gradient_descent`: realistic wrong answers, each costing its own question.

Used twice: ``gdkit validate`` grades a notebook with each bug in place (master answers
everywhere else) and checks the loss lands on the bug's question only; the hidden suites name
the mistake and show the hint when a student's output matches a bug's output. None of these
is mathematically equivalent to the contract (checked by ``tests/test_checks.py``).
A bug in q1-q4 may also cost q5, the convergence run with the student's functions together.
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
]
