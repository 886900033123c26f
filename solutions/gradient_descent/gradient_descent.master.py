# %% [markdown]
# # Gradient descent on a 13-line network
#
# This assignment follows *A Neural Network in 13 lines of Python (Part 2 – Gradient Descent)*.
# You will write the pieces of the training step of a tiny network (3 inputs, 4 hidden units,
# 1 output, sigmoid everywhere) and watch it learn the toy data below.
#
# **How to work.** Fill in each function where it says `# YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line). Keep the function names and arguments exactly as given.
# Run the test cell under each function: it checks your work on small examples. The grader runs
# more tests of the same contract, so read each contract carefully. Cells marked *experiment* are
# for you to explore; the grader skips them.
#
# | question | you write | points |
# |---|---|---|
# | `q1_sigmoid_derivative` | `sigmoid_output_to_derivative` | 10 |
# | `q2_layer_2_delta` | `compute_layer_2_delta` | 15 |
# | `q3_layer_1_delta` | `compute_layer_1_delta` | 15 |
# | `q4_update_synapses` | `update_synapses` | 20 |
# | `q6_detect_divergence` | `detect_divergence` | 20 |
# | `q5_convergence` | nothing new: your functions inside the training loop must learn the data | 20 |

# %% deletable=false editable=false nbgrader={"grade": false, "grade_id": "setup_imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np


# %% deletable=false editable=false nbgrader={"grade": false, "grade_id": "given_sigmoid_and_data", "locked": true, "schema_version": 3, "solution": false, "task": false}
def sigmoid(x):
    """Squash every entry of x (any shape) into (0, 1)."""
    return 1 / (1 + np.exp(-x))


# The toy data: the answer is the XOR of the first two columns; the third column is always 1,
# which gives every hidden unit an adjustable offset (a bias).
X = np.array([[0, 0, 1],
              [0, 1, 1],
              [1, 0, 1],
              [1, 1, 1]])
y = np.array([[0],
              [1],
              [1],
              [0]])

# %% [markdown]
# ## 1. A ball in a bucket
#
# Picture the error of the network as the inside of a bucket and the current weights as the
# position of a ball in it. The ball does not see the bottom; it only feels which way the floor
# tilts under it. Gradient descent moves the ball a little way *downhill*, feels the tilt again,
# and repeats. The tilt is the derivative (the slope) of the error with respect to a weight:
#
# * slope positive: the error grows when the weight grows, so **decrease** the weight;
# * slope negative: **increase** the weight;
# * slope near zero: we are close to a flat spot, so the steps become small by themselves.
#
# One rule covers all three cases: `weight -= alpha * slope`, where `alpha` (the *learning rate*)
# scales how far each step goes. The experiment below rolls a ball down a one-weight bucket.

# %% tags=["experiment"]
# %matplotlib inline
import matplotlib.pyplot as plt


def bucket(w):
    return (w - 1.5) ** 2 + 0.2


def bucket_slope(w):
    return 2 * (w - 1.5)


def roll(start, alpha, steps):
    positions = [start]
    for _ in range(steps):
        positions.append(positions[-1] - alpha * bucket_slope(positions[-1]))
    return np.array(positions)


w = np.linspace(-1.5, 4.5, 200)
path = roll(start=-1.0, alpha=0.15, steps=12)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(w, bucket(w), color="0.6", label="error(weight)")
ax.plot(path, bucket(path), "o-", color="tab:red", markersize=4, label="the ball, alpha = 0.15")
ax.set_xlabel("weight")
ax.set_ylabel("error")
ax.set_title("Each step goes downhill; steps shrink as the floor flattens")
ax.legend()
plt.show()


# %% [markdown]
# ## 2. The slope of the sigmoid, from its output — `q1_sigmoid_derivative` (10 points)
#
# Every layer of our network ends in a sigmoid. To know how the error changes with a weight we
# need how much the sigmoid's output changes when its input changes: its slope. A neat fact
# saves work here: if `s = sigmoid(x)`, the slope at `x` is `s * (1 - s)`. We already have `s`
# (it is the layer's output), so we never need `x` again.
#
# **Contract.** `sigmoid_output_to_derivative(output)` takes an array of sigmoid *outputs*
# (values in [0, 1], any shape) and returns the array `output * (1 - output)`, elementwise, same
# shape. Do not modify `output` itself. Note: the argument is already a sigmoid output; do not
# apply `sigmoid` to it again.

# %% nbgrader={"grade": false, "grade_id": "sigmoid_output_to_derivative", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sigmoid_output_to_derivative(output):
    """Slope of the sigmoid from its output s: s * (1 - s). Any shape -> same shape."""
    ### BEGIN SOLUTION
    return output * (1 - output)
    ### END SOLUTION


# %% deletable=false editable=false nbgrader={"grade": true, "grade_id": "q1_sigmoid_derivative", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
# nbgrader: the visible checks are quoted, not run; the hidden suite alone decides the points.
r'''
### END HIDDEN TESTS
# Worked example: an output of 0.5 (the middle of the S) has the steepest slope, 0.25;
# outputs near 0 or 1 sit on the flat tails.
outputs = np.array([[0.5, 0.9],
                    [0.1, 0.0]])
before = outputs.copy()
slopes = sigmoid_output_to_derivative(outputs)
assert np.shape(slopes) == (2, 2), f"expected shape (2, 2), got {np.shape(slopes)}"
assert np.allclose(slopes, [[0.25, 0.09], [0.09, 0.0]]), f"expected [[0.25, 0.09], [0.09, 0.0]], got {slopes}"
assert np.array_equal(outputs, before), "your function changed its input array"
assert np.isclose(sigmoid_output_to_derivative(sigmoid(0.0)), 0.25), "the slope at sigmoid(0) should be 0.25"
### BEGIN HIDDEN TESTS
'''
from gdkit.grading.inkernel import grade_question
grade_question('gradient_descent', 'q1_sigmoid_derivative', globals())
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Where the correction starts: the output delta — `q2_layer_2_delta` (15 points)
#
# The network's guess is `layer_2`; the miss is `layer_2 - y` (positive when the guess is too
# high). How strongly the output's *input* should change is that miss times the slope of the
# sigmoid at the output. We call it the output **delta**:
#
# `layer_2_delta = (layer_2 - y) * slope at layer_2`
#
# A confident output (near 0 or 1) has a small slope, so even a big miss moves it gently; an
# undecided output (near 0.5) gets the strongest push.
#
# **Contract.** `compute_layer_2_delta(layer_2, y)`: `layer_2` and `y` have shape `(n, k)`
# (n examples, k outputs); return `(layer_2 - y) * sigmoid_output_to_derivative(layer_2)`, shape
# `(n, k)`. Sign convention: positive where the output is too high.

# %% nbgrader={"grade": false, "grade_id": "compute_layer_2_delta", "locked": false, "schema_version": 3, "solution": true, "task": false}
def compute_layer_2_delta(layer_2, y):
    """Output delta: (layer_2 - y) times the sigmoid slope at layer_2. (n, k), (n, k) -> (n, k)."""
    ### BEGIN SOLUTION
    layer_2_error = layer_2 - y
    return layer_2_error * sigmoid_output_to_derivative(layer_2)
    ### END SOLUTION


# %% deletable=false editable=false nbgrader={"grade": true, "grade_id": "q2_layer_2_delta", "locked": true, "points": 15, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
# nbgrader: the visible checks are quoted, not run; the hidden suite alone decides the points.
r'''
### END HIDDEN TESTS
# Worked example: the first guess is too high by 0.5 (slope 0.25), the second too low by 0.2 (slope 0.16).
layer_2_example = np.array([[0.5], [0.8]])
y_example = np.array([[0.0], [1.0]])
delta = compute_layer_2_delta(layer_2_example, y_example)
assert np.shape(delta) == (2, 1), f"expected shape (2, 1), got {np.shape(delta)}"
assert np.allclose(delta, [[0.125], [-0.032]]), f"expected [[0.125], [-0.032]], got {delta}"
assert np.allclose(compute_layer_2_delta(y_example, y_example), 0), "a perfect guess needs no correction"
### BEGIN HIDDEN TESTS
'''
from gdkit.grading.inkernel import grade_question
grade_question('gradient_descent', 'q2_layer_2_delta', globals())
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Sending the error back through the layers — `q3_layer_1_delta` (15 points)
#
# The hidden units never see `y`. How much is each one to blame? Each hidden unit fed the output
# through one weight of `synapse_1`, so it receives the output delta *weighted by that same
# weight*: `layer_2_delta.dot(synapse_1.T)`. A hidden unit joined by a large weight gets a large
# share of the blame; one joined by a weight near zero gets almost none. Then, as at the output,
# multiply by the slope of the hidden unit's own sigmoid.
#
# **Contract.** `compute_layer_1_delta(layer_2_delta, synapse_1, layer_1)`: shapes `(n, k)`,
# `(h, k)`, `(n, h)` (h hidden units); return
# `layer_2_delta.dot(synapse_1.T) * sigmoid_output_to_derivative(layer_1)`, shape `(n, h)`.

# %% nbgrader={"grade": false, "grade_id": "compute_layer_1_delta", "locked": false, "schema_version": 3, "solution": true, "task": false}
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    """Hidden delta: output delta sent back through synapse_1, times the hidden slope.

    (n, k), (h, k), (n, h) -> (n, h).
    """
    ### BEGIN SOLUTION
    layer_1_error = layer_2_delta.dot(synapse_1.T)
    return layer_1_error * sigmoid_output_to_derivative(layer_1)
    ### END SOLUTION


# %% deletable=false editable=false nbgrader={"grade": true, "grade_id": "q3_layer_1_delta", "locked": true, "points": 15, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
# nbgrader: the visible checks are quoted, not run; the hidden suite alone decides the points.
r'''
### END HIDDEN TESTS
# Worked example: 2 examples, 3 hidden units, 1 output.
layer_2_delta_example = np.array([[0.125], [-0.032]])
synapse_1_example = np.array([[1.0], [-2.0], [0.5]])
layer_1_example = np.array([[0.5, 0.5, 0.5],
                            [0.9, 0.1, 0.2]])
delta = compute_layer_1_delta(layer_2_delta_example, synapse_1_example, layer_1_example)
assert np.shape(delta) == (2, 3), f"expected shape (2, 3) = (examples, hidden units), got {np.shape(delta)}"
expected = [[0.03125, -0.0625, 0.015625],
            [-0.00288, 0.00576, -0.00256]]
assert np.allclose(delta, expected), f"expected {expected}, got {delta}"
### BEGIN HIDDEN TESTS
'''
from gdkit.grading.inkernel import grade_question
grade_question('gradient_descent', 'q3_layer_1_delta', globals())
### END HIDDEN TESTS

# %% [markdown]
# ## 5. One step downhill, scaled by alpha — `q4_update_synapses` (20 points)
#
# A weight's slope is what flows into it times the delta it leads to. For a whole layer at once:
# the slope for `synapse_1` is `layer_1.T.dot(layer_2_delta)` and for `synapse_0` it is
# `layer_0.T.dot(layer_1_delta)` (the sum over all examples: this is full-batch gradient descent).
# Each weight then steps *against* its slope, and `alpha` sets the step length: a small `alpha`
# makes many timid steps, a large one makes few bold ones.
#
# **Contract.** `update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta,
# layer_2_delta, alpha)` returns the pair
# `(synapse_0 - alpha * layer_0.T.dot(layer_1_delta), synapse_1 - alpha * layer_1.T.dot(layer_2_delta))`.
# Shapes: `synapse_0` `(i, h)`, `synapse_1` `(h, k)`, `layer_0` `(n, i)`, `layer_1` `(n, h)`,
# `layer_1_delta` `(n, h)`, `layer_2_delta` `(n, k)`. You may update the synapses in place
# (`-=`), but always return the pair. Mind the sign: we go *down* the slope.

# %% nbgrader={"grade": false, "grade_id": "update_synapses", "locked": false, "schema_version": 3, "solution": true, "task": false}
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    """One alpha-scaled step against the slope; returns (synapse_0, synapse_1) with their shapes."""
    ### BEGIN SOLUTION
    new_synapse_1 = synapse_1 - alpha * layer_1.T.dot(layer_2_delta)
    new_synapse_0 = synapse_0 - alpha * layer_0.T.dot(layer_1_delta)
    return new_synapse_0, new_synapse_1
    ### END SOLUTION


# %% deletable=false editable=false nbgrader={"grade": true, "grade_id": "q4_update_synapses", "locked": true, "points": 20, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
# nbgrader: the visible checks are quoted, not run; the hidden suite alone decides the points.
r'''
### END HIDDEN TESTS
# Worked example: one example, one input, two hidden units, one output, alpha = 0.5.
result = update_synapses(np.array([[0.5, -0.5]]), np.array([[1.0], [2.0]]),
                         np.array([[1.0]]), np.array([[0.6, 0.4]]),
                         np.array([[0.1, -0.2]]), np.array([[0.3]]), 0.5)
assert isinstance(result, tuple) and len(result) == 2, "return the pair (synapse_0, synapse_1)"
new_synapse_0, new_synapse_1 = result
assert np.allclose(new_synapse_0, [[0.45, -0.4]]), f"synapse_0: expected [[0.45, -0.4]], got {new_synapse_0}"
assert np.allclose(new_synapse_1, [[0.91], [1.94]]), f"synapse_1: expected [[0.91], [1.94]], got {new_synapse_1}"

# A small step on the toy data must lower the error (this catches a step that climbs the slope).
np.random.seed(1)
synapse_0_start = 2 * np.random.random((3, 4)) - 1
synapse_1_start = 2 * np.random.random((4, 1)) - 1
layer_1_toy = sigmoid(X.dot(synapse_0_start))
layer_2_toy = sigmoid(layer_1_toy.dot(synapse_1_start))
layer_2_delta_toy = (layer_2_toy - y) * layer_2_toy * (1 - layer_2_toy)
layer_1_delta_toy = layer_2_delta_toy.dot(synapse_1_start.T) * layer_1_toy * (1 - layer_1_toy)
error_before = np.mean(np.abs(layer_2_toy - y))
stepped_0, stepped_1 = update_synapses(synapse_0_start.copy(), synapse_1_start.copy(), X, layer_1_toy,
                                       layer_1_delta_toy, layer_2_delta_toy, 0.1)
assert np.shape(stepped_0) == (3, 4) and np.shape(stepped_1) == (4, 1), "the synapses must keep their shapes"
error_after = np.mean(np.abs(sigmoid(sigmoid(X.dot(stepped_0)).dot(stepped_1)) - y))
assert error_after < error_before, f"the error went up ({error_before:.5f} -> {error_after:.5f}): step against the slope"
### BEGIN HIDDEN TESTS
'''
from gdkit.grading.inkernel import grade_question
grade_question('gradient_descent', 'q4_update_synapses', globals())
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Too big a step: overshooting and divergence — `q6_detect_divergence` (20 points)
#
# If `alpha` is too large, the ball jumps clean over the bottom of the bucket and lands higher on
# the other side. Where the other side is steeper, the next jump is longer still: the error grows
# instead of shrinking. That is **divergence**. With sigmoids it often ends with the outputs stuck
# at 0 or 1, where the slope is flat and nothing moves any more.
#
# Our training loop watches for it and stops early. The rule is deliberately simple: training
# has diverged as soon as an error is not a finite number (NaN or infinity), or the latest
# error is **above the very first one** (the error of the starting weights). Comparing with the
# previous error instead would be too jumpy: a small wobble on the way down is normal.
#
# **Contract.** `detect_divergence(errors)`: `errors` is a list (or 1-D array) of the errors so
# far, one per iteration, oldest first. Return `True` if any value is NaN or infinite, or if the
# last value is greater than the first; otherwise `False` (also for an empty list or a single
# finite value). Return a plain `bool`.

# %% nbgrader={"grade": false, "grade_id": "detect_divergence", "locked": false, "schema_version": 3, "solution": true, "task": false}
def detect_divergence(errors):
    """True iff an error is not finite or the latest error is above the first. (m,) -> bool."""
    ### BEGIN SOLUTION
    values = np.asarray(errors, dtype=float)
    if not np.all(np.isfinite(values)):
        return True
    return bool(values.size >= 2 and values[-1] > values[0])
    ### END SOLUTION


# %% deletable=false editable=false nbgrader={"grade": true, "grade_id": "q6_detect_divergence", "locked": true, "points": 20, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
# nbgrader: the visible checks are quoted, not run; the hidden suite alone decides the points.
r'''
### END HIDDEN TESTS
assert isinstance(detect_divergence([0.5, 0.4]), (bool, np.bool_)), "return True or False"
assert not detect_divergence([0.5, 0.4, 0.3]), "a falling error is not divergence"
assert detect_divergence([0.5, 0.4, 0.6]), "the latest error (0.6) is above the first (0.5)"
# The two cases that tell the first error from the previous one:
assert detect_divergence([0.5, 0.6, 0.55]), "0.55 is below the previous error but above the first: divergence"
assert not detect_divergence([0.5, 0.4, 0.45]), "0.45 is above the previous error but below the first: not divergence"
assert detect_divergence([0.5, float("nan")]), "NaN means the numbers blew up"
assert detect_divergence([0.5, 0.3, float("inf")]), "infinity means the numbers blew up"
assert not detect_divergence([0.5]), "one error shows no trend"
assert not detect_divergence([]), "no errors yet: nothing diverged"
### BEGIN HIDDEN TESTS
'''
from gdkit.grading.inkernel import grade_question
grade_question('gradient_descent', 'q6_detect_divergence', globals())
### END HIDDEN TESTS

# %% [markdown]
# ## 7. The training loop — `q5_convergence` (20 points)
#
# This loop is given. It is the tutorial's loop with your functions plugged in: feed forward,
# measure the error, stop if training diverged (unless `stop_on_divergence=False`), compute the
# deltas, step. `errors[j]` is the
# error *before* update `j`, so `errors[0]` is the error of the random starting weights.
# The weights start uniformly in [-1, 1) from `np.random.seed(seed)`, as in the tutorial.
#
# There is nothing new to write for `q5_convergence`: the test below trains on the toy data with
# your four functions and expects a low error. If it fails, go back to the questions above.

# %% deletable=false editable=false nbgrader={"grade": false, "grade_id": "given_training_loop", "locked": true, "schema_version": 3, "solution": false, "task": false}
def train(X, y, alpha, hidden=4, iterations=10000, seed=1, stop_on_divergence=True):
    """Full-batch gradient descent on the 3-layer network, using your functions.

    X (n, i), y (n, k). Returns a dict: synapse_0 (i, hidden), synapse_1 (hidden, k),
    errors (one mean absolute error per iteration run), stopped_at (iteration where
    divergence was detected, or None). With stop_on_divergence=False the loop never stops
    early: it is then exactly the tutorial's loop.
    """
    np.random.seed(seed)
    synapse_0 = 2 * np.random.random((X.shape[1], hidden)) - 1
    synapse_1 = 2 * np.random.random((hidden, y.shape[1])) - 1
    errors = []
    for j in range(iterations):
        layer_0 = X
        layer_1 = sigmoid(np.dot(layer_0, synapse_0))
        layer_2 = sigmoid(np.dot(layer_1, synapse_1))
        errors.append(float(np.mean(np.abs(layer_2 - y))))
        if stop_on_divergence and detect_divergence(errors):
            return {"synapse_0": synapse_0, "synapse_1": synapse_1, "errors": errors, "stopped_at": j}
        layer_2_delta = compute_layer_2_delta(layer_2, y)
        layer_1_delta = compute_layer_1_delta(layer_2_delta, synapse_1, layer_1)
        synapse_0, synapse_1 = update_synapses(synapse_0, synapse_1, layer_0, layer_1,
                                               layer_1_delta, layer_2_delta, alpha)
    return {"synapse_0": synapse_0, "synapse_1": synapse_1, "errors": errors, "stopped_at": None}


# %% deletable=false editable=false nbgrader={"grade": true, "grade_id": "q5_convergence", "locked": true, "points": 20, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
# nbgrader: the visible checks are quoted, not run; the hidden suite alone decides the points.
r'''
### END HIDDEN TESTS
run = train(X, y, alpha=10, hidden=4, iterations=1000, seed=1)
assert run["stopped_at"] is None, f"training was stopped as diverging at iteration {run['stopped_at']}: check the sign of your update"
final_error = run["errors"][-1]
print(f"error after {len(run['errors'])} iterations: {final_error:.5f}")
assert final_error < 0.05, f"the network did not learn the toy data: final error {final_error:.4f}, expected below 0.05"
### BEGIN HIDDEN TESTS
'''
from gdkit.grading.inkernel import grade_question
grade_question('gradient_descent', 'q5_convergence', globals())
### END HIDDEN TESTS

# %% [markdown]
# ## 8. Experiment: sweeping alpha, with and without the divergence rule
#
# The tutorial trains with seven learning rates, from 0.001 to 1000, and compares the errors.
# Our loop adds one thing the tutorial's does not have: it stops a run as soon as
# `detect_divergence` finds the error above the first one. Below, every alpha trains twice with
# your functions, side by side: with that rule (`train`'s default) and without it
# (`stop_on_divergence=False`, the tutorial's own loop). Each run is 10,001 iterations, so the
# last error is the tutorial's "Error after 10000 iterations" (about ten seconds in all: the
# rule looks at the whole error list at every step).
#
# Look for three regimes: steps so small that the ball hardly moves, a good range where the error
# falls fast, and steps so large that training diverges. Then look at alpha = 100. With the rule
# it is stopped after three iterations, while the tutorial shows it reaching an error of about
# 0.125. Both are right: its error rises above the first for a few iterations and then
# recovers. The same happens in the tutorial's hidden-size experiment (32 hidden units,
# alpha = 10): the error stays above the first for hundreds of iterations, then ends among the
# lowest of all. A divergence rule is a **heuristic**: it saves the time of runs that truly
# blow up (alpha = 1000 never recovers), and its price is that it also stops some runs that
# would have recovered. `q6_detect_divergence` grades the rule exactly as its contract states
# it; this experiment shows what the rule costs.

# %% tags=["experiment"]
# %matplotlib inline
import matplotlib.pyplot as plt


def times_above_first(errors):
    """How many errors are above the first one: each would have stopped the run."""
    return int(np.sum(np.asarray(errors) > errors[0]))


def sweep_line(label, stopped, free):
    if stopped["stopped_at"] is not None:
        left = f"stopped at iteration {stopped['stopped_at']}"
    else:
        left = f"error {stopped['errors'][-1]:.6f}"
    right = f"error {free['errors'][-1]:.6f}, above the first error {times_above_first(free['errors'])} times"
    return f"{label:>16} | {left:<28} | {right}"


alphas = [0.001, 0.01, 0.1, 1, 10, 100, 1000]
with_rule = {alpha: train(X, y, alpha, iterations=10001) for alpha in alphas}
without_rule = {alpha: train(X, y, alpha, iterations=10001, stop_on_divergence=False) for alpha in alphas}
print(f"{'':>16} | {'with the divergence rule':<28} | without it (the tutorial's loop)")
for alpha in alphas:
    print(sweep_line(f"alpha {alpha}", with_rule[alpha], without_rule[alpha]))
# The tutorial's hidden-size experiment: 32 hidden units, alpha = 10.
wide_stopped = train(X, y, 10, hidden=32, iterations=10001)
wide_free = train(X, y, 10, hidden=32, iterations=10001, stop_on_divergence=False)
print(sweep_line("32 hidden, 10", wide_stopped, wide_free))

fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for ax, runs, title in [(axes[0], with_rule, "with the divergence rule"),
                        (axes[1], without_rule, "without it (the tutorial's loop)")]:
    for alpha, run in runs.items():
        ax.plot(np.arange(1, len(run["errors"]) + 1), run["errors"], label=f"alpha = {alpha}")
    ax.set_xscale("log")
    ax.set_xlabel("iteration")
    ax.set_title(title)
axes[0].set_ylabel("mean absolute error")
axes[1].legend(fontsize=8)
fig.suptitle("Too small crawls, too large diverges, and some runs recover from a bad start")
plt.show()

# %% [markdown]
# ## 9. Experiment: overshooting in one dimension
#
# Back in the one-weight bucket (`error = (w - 1.5)**2 + 0.2`, slope `2 * (w - 1.5)`), three
# step sizes. With a small alpha the ball walks down one side. With a larger one it crosses the
# bottom at every step but each crossing is shorter: it still settles. Past a limit (here
# alpha = 1) every crossing is *longer* than the last, and the ball climbs out of the bucket.

# %% tags=["experiment"]
# %matplotlib inline
import matplotlib.pyplot as plt


def bowl_path(alpha, start=-0.5, steps=10):
    positions = [start]
    for _ in range(steps):
        positions.append(positions[-1] - alpha * 2 * (positions[-1] - 1.5))
    return np.array(positions)


w = np.linspace(-3, 6, 300)
fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), sharey=True)
for ax, alpha in zip(axes, [0.1, 0.8, 1.05]):
    path = bowl_path(alpha)
    ax.plot(w, (w - 1.5) ** 2 + 0.2, color="0.6")
    ax.plot(path, (path - 1.5) ** 2 + 0.2, "o-", color="tab:red", markersize=3)
    ax.set_title(f"alpha = {alpha}")
    ax.set_xlabel("weight")
axes[0].set_ylabel("error")
axes[0].set_ylim(0, 25)
plt.show()

# %% [markdown]
# ## 10. Experiment: local minima
#
# Real error surfaces are not one round bucket. They have several hollows, and a ball that only
# follows the local slope stops in whichever hollow it reaches first, a *local minimum*, even if a
# deeper one exists elsewhere. The starting point decides. On the toy data this shows up as
# well: some random starting weights leave the network stuck near an error of 0.5 for a long
# time (try `train(X, y, alpha=1, iterations=2000, seed=2)`), while others learn quickly.

# %% tags=["experiment"]
# %matplotlib inline
import matplotlib.pyplot as plt


def two_hollows(w):
    return 0.05 * w ** 4 - 0.5 * w ** 2 + 0.3 * w + 2


def two_hollows_slope(w):
    return 0.2 * w ** 3 - 1.0 * w + 0.3


w = np.linspace(-3.6, 3.6, 300)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(w, two_hollows(w), color="0.6")
for start, colour in [(-3.2, "tab:blue"), (3.2, "tab:red")]:
    path = [start]
    for _ in range(40):
        path.append(path[-1] - 0.1 * two_hollows_slope(path[-1]))
    path = np.array(path)
    ax.plot(path, two_hollows(path), "o-", color=colour, markersize=3, label=f"start at {start}")
ax.set_xlabel("weight")
ax.set_ylabel("error")
ax.set_title("Same rule, different starts, different hollows")
ax.legend()
plt.show()

for seed in range(1, 6):
    print(f"seed {seed}: error after 2000 iterations at alpha 1 = {train(X, y, 1, iterations=2000, seed=seed)['errors'][-1]:.4f}")
