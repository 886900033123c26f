# %% [markdown]
# # Tuning gradient descent
#
# The second half of *A Neural Network in 13 lines of Python (Part 2 – Gradient Descent)*: once
# the network trains, how do we choose the step size, the number of hidden units and the
# starting weights, and how can we tell from the inside that training overshoots?
#
# **How to work.** As in `gradient_descent`: replace each `raise NotImplementedError()` with your
# code, keep names and arguments, run the test cell under each function. The grader runs more
# tests of the same contracts. Cells marked *experiment* are for exploring; the grader skips
# them, and they only work once all five functions are written.
#
# | question | you write | points |
# |---|---|---|
# | `q1_best_alpha` | `best_alpha(final_errors)` | 20 |
# | `q2_direction_changes` | `count_direction_changes(prev_update, update)` | 20 |
# | `q3_init_synapses` | `init_synapses(n_inputs, hidden, n_outputs, seed)` | 20 |
# | `q4_error_surface` | `error_surface(X, y, w0_values, w1_values)` | 20 |
# | `q5_momentum_update` | `momentum_update(synapse, gradient, velocity, alpha, momentum)` | 20 |

# %% deletable=false editable=false nbgrader={"grade": false, "grade_id": "setup_imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np


# %% deletable=false editable=false nbgrader={"grade": false, "grade_id": "given_sigmoid_and_data", "locked": true, "schema_version": 3, "solution": false, "task": false}
def sigmoid(x):
    """Squash every entry of x (any shape) into (0, 1)."""
    return 1 / (1 + np.exp(-x))


# The same toy data as in gradient_descent: XOR of the first two columns, third column a bias.
X = np.array([[0, 0, 1],
              [0, 1, 1],
              [1, 0, 1],
              [1, 1, 1]])
y = np.array([[0],
              [1],
              [1],
              [0]])


# %% deletable=false editable=false nbgrader={"grade": false, "grade_id": "given_training_loop", "locked": true, "schema_version": 3, "solution": false, "task": false}
def train(X, y, alpha, hidden=4, iterations=10000, seed=1, momentum=0.0, stop_on_divergence=True):
    """The training loop of gradient_descent, built from this notebook's functions.

    X (n, i), y (n, k). Starts from init_synapses, steps with momentum_update (momentum 0 is
    plain gradient descent) and counts, per weight, how often its update changed direction.
    With stop_on_divergence it stops as soon as the error is not finite or exceeds the first
    error (the divergence rule of gradient_descent).
    Returns a dict: synapse_0 (i, hidden), synapse_1 (hidden, k), errors (list, one per
    iteration run), stopped_at (iteration or None), direction_changes (pair of int arrays
    shaped like the synapses).
    """
    synapse_0, synapse_1 = init_synapses(X.shape[1], hidden, y.shape[1], seed)
    velocity_0, velocity_1 = np.zeros_like(synapse_0), np.zeros_like(synapse_1)
    changes_0, changes_1 = np.zeros(synapse_0.shape, dtype=int), np.zeros(synapse_1.shape, dtype=int)
    errors, stopped_at = [], None
    for j in range(iterations):
        layer_0 = X
        layer_1 = sigmoid(np.dot(layer_0, synapse_0))
        layer_2 = sigmoid(np.dot(layer_1, synapse_1))
        errors.append(float(np.mean(np.abs(layer_2 - y))))
        # The loop stops at the first bad value, so checking the newest one is enough here.
        if stop_on_divergence and (not np.isfinite(errors[-1]) or errors[-1] > errors[0]):
            stopped_at = j
            break
        layer_2_delta = (layer_2 - y) * layer_2 * (1 - layer_2)
        layer_1_delta = layer_2_delta.dot(synapse_1.T) * layer_1 * (1 - layer_1)
        gradient_0, gradient_1 = layer_0.T.dot(layer_1_delta), layer_1.T.dot(layer_2_delta)
        synapse_0, new_velocity_0 = momentum_update(synapse_0, gradient_0, velocity_0, alpha, momentum)
        synapse_1, new_velocity_1 = momentum_update(synapse_1, gradient_1, velocity_1, alpha, momentum)
        # The step actually taken is -velocity; the first step has no previous one to compare with.
        if j > 0:
            changes_0 += count_direction_changes(-velocity_0, -new_velocity_0)
            changes_1 += count_direction_changes(-velocity_1, -new_velocity_1)
        velocity_0, velocity_1 = new_velocity_0, new_velocity_1
    return {"synapse_0": synapse_0, "synapse_1": synapse_1, "errors": errors,
            "stopped_at": stopped_at, "direction_changes": (changes_0, changes_1)}


# %% [markdown]
# ## 1. Reading an alpha sweep — `q1_best_alpha` (20 points)
#
# The tutorial trains the same network, from the same starting weights, with
# `alpha` = 0.001, 0.01, 0.1, 1, 10, 100 and 1000 and prints the error after 10,000 iterations:
#
# | alpha | 0.001 | 0.01 | 0.1 | 1 | 10 | 100 | 1000 |
# |---|---|---|---|---|---|---|---|
# | error | 0.4952 | 0.4574 | 0.0429 | 0.0086 | 0.0031 | 0.1255 | 0.5 |
#
# Reading it: the tiny alphas barely moved (the ball took 10,000 steps of almost nothing).
# Errors fall as alpha grows, up to 10. At 100 the error is worse again and at 1000 it is stuck
# at 0.5: the steps overshoot, the sigmoids saturate at 0 or 1 where the slope is flat, and the
# network stops learning. A run that blew up entirely would give NaN or infinity; such runs
# cannot be "best".
#
# **Contract.** `best_alpha(final_errors)`: `final_errors` is a dict `{alpha: final error}`.
# Return the alpha (the key) whose error is smallest, ignoring entries whose error is NaN or
# infinite. If two alphas tie on the error, return the smaller alpha (the safer step). If no
# error is finite, raise `ValueError`.

# %% nbgrader={"grade": false, "grade_id": "best_alpha", "locked": false, "schema_version": 3, "solution": true, "task": false}
def best_alpha(final_errors):
    """The alpha with the smallest finite final error. dict {alpha: error} -> alpha."""
    ### BEGIN SOLUTION
    finite = [(error, alpha) for alpha, error in final_errors.items() if np.isfinite(error)]
    if not finite:
        raise ValueError("no alpha has a finite final error: every run diverged")
    smallest_error, alpha = min(finite)
    return alpha
    ### END SOLUTION


# %% deletable=false editable=false nbgrader={"grade": true, "grade_id": "q1_best_alpha", "locked": true, "points": 20, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
# nbgrader: the visible checks are quoted, not run; the hidden suite alone decides the points.
r'''
### END HIDDEN TESTS
published = {0.001: 0.495164025493, 0.01: 0.457431074442, 0.1: 0.0428880170001, 1: 0.00858452565325,
             10: 0.00312938876301, 100: 0.125476983855, 1000: 0.5}
assert best_alpha(published) == 10, f"the smallest error in the tutorial's table is at alpha 10, got {best_alpha(published)}"
assert best_alpha({0.1: 0.2, 1: float("nan"), 10: float("inf")}) == 0.1, "NaN and inf errors must be ignored"
assert best_alpha({0.5: 0.01, 0.1: 0.01, 2: 0.3}) == 0.1, "a tie goes to the smaller alpha"
try:
    best_alpha({1: float("nan"), 10: float("inf")})
except ValueError:
    pass
else:
    raise AssertionError("with no finite error, best_alpha must raise ValueError")
### BEGIN HIDDEN TESTS
'''
from gdkit.grading.inkernel import grade_question
grade_question('tuning', 'q1_best_alpha', globals())
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Counting direction changes — `q2_direction_changes` (20 points)
#
# How can we see overshooting without plotting the error? Watch each weight's update. A ball
# rolling down one side of the bucket is pushed the same way step after step. A ball that jumps
# across the bottom is pushed one way, then back, then the first way again. So we count, for
# every weight, how often the direction of its update flipped between two consecutive steps.
# Many flips mean the steps are too large for that part of the surface.
#
# The tutorial's second listing computes this with booleans: an update "goes up" where
# `update > 0`. A weight changed direction when that boolean differs from the previous step's.
#
# **Contract.** `count_direction_changes(prev_update, update)`: two arrays of the same shape
# (the previous and the current update of a synapse). Return an integer array of that shape with
# 1 where `(update > 0)` differs from `(prev_update > 0)` and 0 elsewhere. An update of exactly 0
# counts as "not up". Do not modify the inputs.

# %% nbgrader={"grade": false, "grade_id": "count_direction_changes", "locked": false, "schema_version": 3, "solution": true, "task": false}
def count_direction_changes(prev_update, update):
    """1 where the update's direction (update > 0) flipped since prev_update, else 0. Same shape, int."""
    ### BEGIN SOLUTION
    went_up = np.asarray(update) > 0
    went_up_before = np.asarray(prev_update) > 0
    return (went_up != went_up_before).astype(int)
    ### END SOLUTION


# %% deletable=false editable=false nbgrader={"grade": true, "grade_id": "q2_direction_changes", "locked": true, "points": 20, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
# nbgrader: the visible checks are quoted, not run; the hidden suite alone decides the points.
r'''
### END HIDDEN TESTS
# Worked example: the first weight kept going up, the second turned from down to up,
# the third went from 0 ("not up") to down (no flip), the fourth from up to down.
prev_update = np.array([[0.1, -0.2], [0.0, 0.3]])
update = np.array([[0.2, 0.1], [-0.1, -0.3]])
flips = count_direction_changes(prev_update, update)
assert np.shape(flips) == (2, 2), f"expected shape (2, 2), got {np.shape(flips)}"
assert np.array_equal(flips, [[0, 1], [0, 1]]), f"expected [[0, 1], [0, 1]], got {flips}"
assert np.issubdtype(np.asarray(flips).dtype, np.integer), "return integers (0 or 1), not booleans or floats"
assert np.array_equal(count_direction_changes(update, prev_update), flips), "flipping is symmetric"
assert np.array_equal(prev_update, [[0.1, -0.2], [0.0, 0.3]]), "your function changed its input"
### BEGIN HIDDEN TESTS
'''
from gdkit.grading.inkernel import grade_question
grade_question('tuning', 'q2_direction_changes', globals())
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Where the ball starts — `q3_init_synapses` (20 points)
#
# Gradient descent only ever looks at the slope under the ball, so the starting point matters:
# two starts can end in different hollows (local minima). The tutorial starts every weight
# uniformly at random in [-1, 1) and fixes the random seed so that every run, and every alpha in
# a sweep, starts from the *same* weights. Then differences between runs come from alpha or the
# hidden size alone.
#
# **Contract.** `init_synapses(n_inputs, hidden, n_outputs, seed)` returns the pair
# `(synapse_0, synapse_1)` made exactly as the tutorial does: call `np.random.seed(seed)`, then
# `synapse_0 = 2*np.random.random((n_inputs, hidden)) - 1`, then
# `synapse_1 = 2*np.random.random((hidden, n_outputs)) - 1`, in that order. Shapes
# `(n_inputs, hidden)` and `(hidden, n_outputs)`.

# %% nbgrader={"grade": false, "grade_id": "init_synapses", "locked": false, "schema_version": 3, "solution": true, "task": false}
def init_synapses(n_inputs, hidden, n_outputs, seed):
    """The tutorial's start: synapse_0 (n_inputs, hidden), synapse_1 (hidden, n_outputs) in [-1, 1)."""
    ### BEGIN SOLUTION
    np.random.seed(seed)
    synapse_0 = 2 * np.random.random((n_inputs, hidden)) - 1
    synapse_1 = 2 * np.random.random((hidden, n_outputs)) - 1
    return synapse_0, synapse_1
    ### END SOLUTION


# %% deletable=false editable=false nbgrader={"grade": true, "grade_id": "q3_init_synapses", "locked": true, "points": 20, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
# nbgrader: the visible checks are quoted, not run; the hidden suite alone decides the points.
r'''
### END HIDDEN TESTS
result = init_synapses(3, 4, 1, 1)
assert isinstance(result, tuple) and len(result) == 2, "return the pair (synapse_0, synapse_1)"
synapse_0, synapse_1 = result
assert np.shape(synapse_0) == (3, 4) and np.shape(synapse_1) == (4, 1), \
    f"expected shapes (3, 4) and (4, 1), got {np.shape(synapse_0)} and {np.shape(synapse_1)}"
assert np.all((-1 <= synapse_0) & (synapse_0 < 1)) and np.all((-1 <= synapse_1) & (synapse_1 < 1)), "weights must be in [-1, 1)"
# Worked example: these weights give the tutorial's first printed error, 0.496410031903.
start_error = np.mean(np.abs(sigmoid(sigmoid(X.dot(synapse_0)).dot(synapse_1)) - y))
assert np.isclose(start_error, 0.496410031903, atol=1e-9), f"expected the tutorial's starting error 0.496410031903, got {start_error}"
again_0, again_1 = init_synapses(3, 4, 1, 1)
assert np.array_equal(again_0, synapse_0) and np.array_equal(again_1, synapse_1), "the same seed must give the same weights"
### BEGIN HIDDEN TESTS
'''
from gdkit.grading.inkernel import grade_question
grade_question('tuning', 'q3_init_synapses', globals())
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Seeing the whole surface — `q4_error_surface` (20 points)
#
# With two weights we can do what gradient descent never does: try every pair of weights on a
# grid and draw the error as a landscape. Take the smallest network there is: two inputs, no
# hidden layer, one sigmoid output, `layer_1 = sigmoid(X @ [w0, w1])`. The landscape shows the
# flat plateaus where the slope is almost zero (the ball barely moves) and the valley that leads
# to low error.
#
# **Contract.** `error_surface(X, y, w0_values, w1_values)`: `X` has shape `(n, 2)`, `y` shape
# `(n,)` or `(n, 1)`, `w0_values` and `w1_values` are 1-D sequences of candidate weights.
# Return an array of shape `(len(w0_values), len(w1_values))` whose entry `[i, j]` is
# `mean(abs(sigmoid(X @ [w0_values[i], w1_values[j]]) - y))`: the mean absolute error of the
# 2-weight network with weights `w0_values[i]` (for column 0) and `w1_values[j]` (for column 1).

# %% nbgrader={"grade": false, "grade_id": "error_surface", "locked": false, "schema_version": 3, "solution": true, "task": false}
def error_surface(X, y, w0_values, w1_values):
    """Error of sigmoid(X @ [w0, w1]) on a grid. X (n, 2), y (n,) or (n, 1) -> (len(w0_values), len(w1_values))."""
    ### BEGIN SOLUTION
    targets = np.asarray(y, dtype=float).reshape(-1)
    surface = np.zeros((len(w0_values), len(w1_values)))
    for i, w0 in enumerate(w0_values):
        for j, w1 in enumerate(w1_values):
            layer_1 = sigmoid(np.dot(X, np.array([w0, w1])))
            surface[i, j] = np.mean(np.abs(layer_1 - targets))
    return surface
    ### END SOLUTION


# %% deletable=false editable=false nbgrader={"grade": true, "grade_id": "q4_error_surface", "locked": true, "points": 20, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
# nbgrader: the visible checks are quoted, not run; the hidden suite alone decides the points.
r'''
### END HIDDEN TESTS
# Worked example: two examples, two candidate values per weight.
X_two = np.array([[1, 0], [0, 1]])
y_two = np.array([1, 0])
surface = error_surface(X_two, y_two, [0, 2], [0, -2])
assert np.shape(surface) == (2, 2), f"expected shape (2, 2), got {np.shape(surface)}"
# [0, 0]: both outputs are sigmoid(0) = 0.5, each half wrong.
assert np.isclose(surface[0, 0], 0.5), f"entry [0, 0] should be 0.5, got {surface[0, 0]}"
expected = [[0.5, 0.30960146], [0.30960146, 0.11920292]]
assert np.allclose(surface, expected), f"expected {expected}, got {surface}"
assert np.allclose(error_surface(X_two, y_two.reshape(-1, 1), [0, 2], [0, -2]), expected), "y of shape (n, 1) must work too"
assert np.shape(error_surface(X_two, y_two, [0, 1, 2], [0, 1, 2, 3, 4])) == (3, 5), "rows follow w0_values, columns w1_values"
### BEGIN HIDDEN TESTS
'''
from gdkit.grading.inkernel import grade_question
grade_question('tuning', 'q4_error_surface', globals())
### END HIDDEN TESTS

# %% tags=["experiment"]
# %matplotlib inline
import matplotlib.pyplot as plt

# The 2-weight data: the output copies the first input; the second input is a distraction.
X_surface = np.array([[0, 1], [0, 1], [1, 0], [1, 0]])
y_surface = np.array([0, 0, 1, 1])
w0_grid = np.linspace(-10, 10, 81)
w1_grid = np.linspace(-10, 10, 81)
surface = error_surface(X_surface, y_surface, w0_grid, w1_grid)
fig, ax = plt.subplots(figsize=(5.5, 4.5))
picture = ax.contourf(w1_grid, w0_grid, surface, levels=20, cmap="viridis")
fig.colorbar(picture, label="mean absolute error")
ax.set_xlabel("w1 (weight of the distracting input)")
ax.set_ylabel("w0 (weight of the useful input)")
ax.set_title("Error of the 2-weight network")
plt.show()
i, j = np.unravel_index(np.argmin(surface), surface.shape)
print(f"lowest error on the grid: {surface[i, j]:.4f} at w0 = {w0_grid[i]}, w1 = {w1_grid[j]}")


# %% [markdown]
# ## 5. Momentum — `q5_momentum_update` (20 points)
#
# A real ball has inertia: it keeps part of its speed from one moment to the next. Momentum
# gives gradient descent the same memory. Instead of stepping by `alpha * gradient` alone, we
# keep a *velocity*, a running blend of past steps, and step by that. Where the slope keeps its
# sign, the velocity builds up and the ball speeds across flat stretches. Where the slope flips
# sign at every step (overshooting), the pushes cancel and the zig-zag is damped.
#
# **Contract.** `momentum_update(synapse, gradient, velocity, alpha, momentum)`: `synapse`,
# `gradient` and `velocity` are arrays of the same shape; `alpha` > 0 and `momentum` in [0, 1)
# are numbers. Return the pair `(new_synapse, new_velocity)` where
# `new_velocity = momentum * velocity + alpha * gradient` and
# `new_synapse = synapse - new_velocity`. Do not modify the input arrays. With `momentum = 0`
# this is exactly the plain gradient-descent step.

# %% nbgrader={"grade": false, "grade_id": "momentum_update", "locked": false, "schema_version": 3, "solution": true, "task": false}
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    """One step with momentum: returns (new_synapse, new_velocity), both shaped like synapse."""
    ### BEGIN SOLUTION
    new_velocity = momentum * velocity + alpha * gradient
    new_synapse = synapse - new_velocity
    return new_synapse, new_velocity
    ### END SOLUTION


# %% deletable=false editable=false nbgrader={"grade": true, "grade_id": "q5_momentum_update", "locked": true, "points": 20, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
# nbgrader: the visible checks are quoted, not run; the hidden suite alone decides the points.
r'''
### END HIDDEN TESTS
synapse = np.array([[1.0, -1.0]])
gradient = np.array([[0.5, 0.5]])
velocity = np.array([[0.1, -0.2]])
result = momentum_update(synapse, gradient, velocity, 0.1, 0.9)
assert isinstance(result, tuple) and len(result) == 2, "return the pair (new_synapse, new_velocity)"
new_synapse, new_velocity = result
# Worked example: velocity 0.9 * [0.1, -0.2] + 0.1 * [0.5, 0.5] = [0.14, -0.13].
assert np.allclose(new_velocity, [[0.14, -0.13]]), f"new_velocity: expected [[0.14, -0.13]], got {new_velocity}"
assert np.allclose(new_synapse, [[0.86, -0.87]]), f"new_synapse: expected [[0.86, -0.87]], got {new_synapse}"
assert np.array_equal(synapse, [[1.0, -1.0]]) and np.array_equal(velocity, [[0.1, -0.2]]), "do not modify the inputs"
plain_synapse, plain_velocity = momentum_update(synapse, gradient, velocity, 0.1, 0.0)
assert np.allclose(plain_synapse, synapse - 0.1 * gradient), "with momentum 0 the step is synapse - alpha * gradient"
### BEGIN HIDDEN TESTS
'''
from gdkit.grading.inkernel import grade_question
grade_question('tuning', 'q5_momentum_update', globals())
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Experiments
#
# With all five functions written, `train` works. The experiments below repeat the tutorial's
# observations with your code (a few seconds each).
#
# **The alpha sweep.** Which alpha does your `best_alpha` pick after 10,000 iterations? Compare
# with the table in section 1. (Our loop stops runs that diverge, so the large alphas end early.)

# %% tags=["experiment"]
alphas = [0.001, 0.01, 0.1, 1, 10, 100, 1000]
sweep_4 = {alpha: train(X, y, alpha, hidden=4, iterations=10000) for alpha in alphas}
for alpha, run in sweep_4.items():
    flips_0, flips_1 = run["direction_changes"]
    stop = f", stopped at {run['stopped_at']}" if run["stopped_at"] is not None else ""
    print(f"alpha {alpha:>7}: error {run['errors'][-1]:.6f}, direction changes {flips_0.sum():5d} (synapse_0) "
          f"{flips_1.sum():5d} (synapse_1){stop}")
print("best alpha:", best_alpha({alpha: run["errors"][-1] for alpha, run in sweep_4.items()}))

# %% [markdown]
# **Direction changes.** In the printout above, look at the direction-change counts. Small alphas
# creep down one side of the slope and hardly ever flip. The larger alpha, the more the weights
# zig-zag: their steps overshoot narrow valleys and come back. The tutorial reads these counts
# weight by weight: a weight that flips far more often than the others is one for which alpha is
# too large.
#
# **Hidden size: 4 against 32 units.** More hidden units give the error surface more ways down,
# but every hidden unit also adds its share to the output's step, so the same alpha moves the
# network further. Run both sweeps *without* the divergence stop and compare. Then look at
# `train(X, y, 1, hidden=32)["stopped_at"]`: with the stop, our strict rule ends that run at
# iteration 1, because the error rose by a hair before falling. A stopping rule is a heuristic.

# %% tags=["experiment"]
# %matplotlib inline
import matplotlib.pyplot as plt

full_4 = {alpha: train(X, y, alpha, hidden=4, iterations=10000, stop_on_divergence=False) for alpha in alphas}
full_32 = {alpha: train(X, y, alpha, hidden=32, iterations=10000, stop_on_divergence=False) for alpha in alphas}
fig, ax = plt.subplots(figsize=(6, 3.8))
ax.plot(alphas, [full_4[a]["errors"][-1] for a in alphas], "o-", label="4 hidden units")
ax.plot(alphas, [full_32[a]["errors"][-1] for a in alphas], "s-", label="32 hidden units")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("alpha")
ax.set_ylabel("error when training ended")
ax.set_title("Alpha sweep, 10,000 iterations, no early stop")
ax.legend()
plt.show()
for alpha in alphas:
    print(f"alpha {alpha:>7}: 4 hidden {full_4[alpha]['errors'][-1]:.6f}   32 hidden {full_32[alpha]['errors'][-1]:.6f}")

# %% [markdown]
# **Momentum.** A modest alpha with momentum against the same alpha without: the velocity
# builds up along the consistent slope and reaches a low error in far fewer iterations.

# %% tags=["experiment"]
# %matplotlib inline
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 3.8))
for momentum in [0.0, 0.5, 0.9]:
    run = train(X, y, 0.5, hidden=4, iterations=3000, momentum=momentum)
    ax.plot(run["errors"], label=f"momentum {momentum}")
    print(f"momentum {momentum}: error {run['errors'][-1]:.5f} after {len(run['errors'])} iterations")
ax.set_yscale("log")
ax.set_xlabel("iteration")
ax.set_ylabel("mean absolute error")
ax.set_title("alpha = 0.5, with and without momentum")
ax.legend()
plt.show()
