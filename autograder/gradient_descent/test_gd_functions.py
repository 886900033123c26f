"""Hidden tests for q1-q4: each function against the reference and against the mathematics.

Inputs are random (drawn per run seed and test: see gdkit.grading.randomness), with
sizes that are all different from each other so a transpose or a hard-coded shape cannot pass.
Feedback only ever shows the small public examples below, never these inputs.

No cascades: q2 and q3 run with the reference ``sigmoid_output_to_derivative`` swapped in for
the student's (``substitute=``), and an answer consistent with the student's own q1 is
accepted too, so a q1 mistake is paid for by q1 alone.
"""
import inspect
from pathlib import Path

import numpy as np
import pytest

from gdkit import network as ref
from gdkit.grading.randomness import rng  # reproducible per student
from gdkit.grading.checks import example_of, expect_close, expect_pair, expect_unmodified
from gdkit.grading.diagnose import Diagnoser

ZOO = Diagnoser.from_file(Path(__file__).with_name("bugzoo.py"))
# q2 and q3 are judged with the reference slope standing in for the student's q1, so a q1
# mistake (even one that crashes) is charged to q1 only.
REFERENCE_SLOPE = {"sigmoid_output_to_derivative": inspect.getsource(ref.sigmoid_output_to_derivative)}
STEP = 1e-6  # central differences: truncation ~STEP**2, rounding ~1e-16/STEP, both far below atol

# The public examples (the notebook's worked examples), shown when a check fails.
EX_OUTPUTS = np.array([[0.5, 0.9], [0.1, 0.0]])
EX_LAYER_2, EX_Y = np.array([[0.2, 0.7], [0.6, 0.4]]), np.array([[0, 1], [1, 0]])
EX_DELTA_2 = np.array([[0.1, -0.2], [0.3, 0.05]])
EX_SYNAPSE_1 = np.array([[0.5, -1.0], [2.0, 0.25], [-0.3, 0.7]])
EX_LAYER_1 = np.array([[0.1, 0.4, 0.6], [0.5, 0.5, 0.2]])
EX_UPDATE = (np.array([[0.5, -0.5]]), np.array([[1.0], [2.0]]), np.array([[1.0]]),
             np.array([[0.6, 0.4]]), np.array([[0.1, -0.2]]), np.array([[0.3]]), 0.5)


def sizes():
    """(n, i, h, k): rows, inputs, hidden units, outputs, all different, k >= 2."""
    n, i, h, k = rng.choice(np.arange(2, 10), size=4, replace=False)
    return int(n), int(i), int(h), int(k)


def outputs(*shape):
    """Sigmoid outputs strictly inside (0, 1)."""
    return ref.sigmoid(rng.normal(0, 2, size=shape))


def targets(n, k):
    return rng.integers(0, 2, size=(n, k))


def own_slope(student, values):
    """The student's own q1 answer on ``values``, or None if it cannot be had."""
    try:
        return np.asarray(student.call("sigmoid_output_to_derivative", values), dtype=float)
    except Exception:
        return None


def q1_example(student):
    return example_of(student, "sigmoid_output_to_derivative", (EX_OUTPUTS,),
                      ref.sigmoid_output_to_derivative(EX_OUTPUTS), names=("output",))


def q2_example(student):
    return example_of(student, "compute_layer_2_delta", (EX_LAYER_2, EX_Y),
                      ref.compute_layer_2_delta(EX_LAYER_2, EX_Y), names=("layer_2", "y"))


def q3_example(student):
    args = (EX_DELTA_2, EX_SYNAPSE_1, EX_LAYER_1)
    return example_of(student, "compute_layer_1_delta", args, ref.compute_layer_1_delta(*args),
                      names=("layer_2_delta", "synapse_1", "layer_1"))


def q4_example(student):
    return example_of(student, "update_synapses", EX_UPDATE, ref.update_synapses(*EX_UPDATE),
                      names=("synapse_0", "synapse_1", "layer_0", "layer_1", "layer_1_delta",
                             "layer_2_delta", "alpha"))


# ---- q1: sigmoid_output_to_derivative -------------------------------------------------------

@pytest.mark.question("q1_sigmoid_derivative", weight=2)
def test_q1_matches_contract_for_any_shape(student):
    """Returns output * (1 - output), elementwise, for arrays of any shape."""
    n, i, h, k = sizes()
    for shape in [(n, k), (n,), (h, i, k)]:
        values = outputs(*shape)
        got = ZOO.call(student, "sigmoid_output_to_derivative", values, example=q1_example(student))
        expect_close(got, ref.sigmoid_output_to_derivative(values),
                     what="sigmoid_output_to_derivative(output)", example=q1_example(student),
                     diagnose=ZOO.for_call("sigmoid_output_to_derivative", values),
                     context=f"for an input of shape {shape}")


@pytest.mark.question("q1_sigmoid_derivative", weight=1)
def test_q1_is_the_slope_of_the_sigmoid(student):
    """Equals the measured slope of the sigmoid at x, given sigmoid(x)."""
    x = rng.uniform(-6, 6, size=(7, 3))
    numeric = (ref.sigmoid(x + STEP) - ref.sigmoid(x - STEP)) / (2 * STEP)
    got = ZOO.call(student, "sigmoid_output_to_derivative", ref.sigmoid(x), example=q1_example(student))
    expect_close(got, numeric, what="the slope computed from sigmoid(x)", atol=1e-7, rtol=1e-5,
                 example=q1_example(student),
                 diagnose=ZOO.for_call("sigmoid_output_to_derivative", ref.sigmoid(x)),
                 context="compared with the measured slope of the sigmoid")


@pytest.mark.question("q1_sigmoid_derivative", weight=1)
def test_q1_leaves_its_input_untouched(student):
    """Does not modify its input array."""
    values = outputs(5, 3)
    _, (after,) = student.call("sigmoid_output_to_derivative", values.copy(), return_args=True)
    expect_unmodified(values, after, what="`output`", example=q1_example(student),
                      hint="return a new array: `return output * (1 - output)`, not `output *= ...`")


# ---- q2: compute_layer_2_delta ----------------------------------------------------------------

def check_layer_2_delta(student, layer_2, y, expected, *, context):
    got = ZOO.call(student, "compute_layer_2_delta", layer_2, y, example=q2_example(student),
                   substitute=REFERENCE_SLOPE)

    def consistent_with_own_q1():
        slope = own_slope(student, layer_2)
        return [] if slope is None else [(layer_2 - y) * slope]

    expect_close(got, expected, what="compute_layer_2_delta(layer_2, y)", context=context,
                 example=q2_example(student), alternatives=consistent_with_own_q1,
                 diagnose=ZOO.for_call("compute_layer_2_delta", layer_2, y), atol=1e-8, rtol=1e-5)


@pytest.mark.question("q2_layer_2_delta", weight=2)
def test_q2_matches_contract_with_several_outputs(student):
    """Returns (layer_2 - y) * slope at layer_2, for several outputs."""
    n, _, _, k = sizes()
    layer_2, y = outputs(n, k), targets(n, k)
    check_layer_2_delta(student, layer_2, y, ref.compute_layer_2_delta(layer_2, y),
                        context=f"with {n} rows and {k} outputs")


@pytest.mark.question("q2_layer_2_delta", weight=1)
def test_q2_is_the_gradient_of_the_loss(student):
    """Is the gradient of the squared error with respect to the output's input."""
    # layer_2_delta is d(0.5 * sum((sigmoid(z) - y)**2)) / dz; the loss is a sum over entries,
    # so one central difference per entry, all at once, measures it.
    n, _, _, k = sizes()
    z, y = rng.normal(0, 2, size=(n, k)), targets(n, k)
    loss = lambda z_: 0.5 * (ref.sigmoid(z_) - y) ** 2  # noqa: E731
    numeric = (loss(z + STEP) - loss(z - STEP)) / (2 * STEP)
    check_layer_2_delta(student, ref.sigmoid(z), y, numeric,
                        context="compared with the measured gradient of the squared error")


# ---- q3: compute_layer_1_delta ----------------------------------------------------------------

def check_layer_1_delta(student, layer_2_delta, synapse_1, layer_1, expected, *, context):
    got = ZOO.call(student, "compute_layer_1_delta", layer_2_delta, synapse_1, layer_1,
                   example=q3_example(student), substitute=REFERENCE_SLOPE)

    def consistent_with_own_q1():
        slope = own_slope(student, layer_1)
        return [] if slope is None else [layer_2_delta.dot(synapse_1.T) * slope]

    expect_close(got, expected, what="compute_layer_1_delta(layer_2_delta, synapse_1, layer_1)",
                 context=context, example=q3_example(student), alternatives=consistent_with_own_q1,
                 diagnose=ZOO.for_call("compute_layer_1_delta", layer_2_delta, synapse_1, layer_1),
                 atol=1e-8, rtol=1e-5)


@pytest.mark.question("q3_layer_1_delta", weight=2)
def test_q3_matches_contract_with_other_shapes(student):
    """Returns layer_2_delta.dot(synapse_1.T) * slope at layer_1, for other shapes."""
    n, _, h, k = sizes()
    layer_2_delta, synapse_1, layer_1 = rng.normal(0, 0.3, (n, k)), rng.uniform(-1, 1, (h, k)), outputs(n, h)
    check_layer_1_delta(student, layer_2_delta, synapse_1, layer_1,
                        ref.compute_layer_1_delta(layer_2_delta, synapse_1, layer_1),
                        context=f"with {n} rows, {h} hidden units and {k} outputs")


@pytest.mark.question("q3_layer_1_delta", weight=1)
def test_q3_is_the_gradient_of_the_loss(student):
    """Is the gradient of the squared error with respect to the hidden layer's input."""
    # layer_1_delta is d(0.5 * sum((layer_2 - y)**2)) / d(layer_0 @ synapse_0), measured entry by
    # entry on a whole network; layer_2_delta comes from the reference, so q2 is not involved.
    n, _, h, k = sizes()
    z_1, synapse_1, y = rng.normal(0, 1.5, (n, h)), rng.uniform(-1, 1, (h, k)), targets(n, k)

    def loss(z):
        return 0.5 * np.sum((ref.sigmoid(ref.sigmoid(z).dot(synapse_1)) - y) ** 2)

    numeric = np.zeros_like(z_1)
    for index in np.ndindex(*z_1.shape):
        bump = np.zeros_like(z_1)
        bump[index] = STEP
        numeric[index] = (loss(z_1 + bump) - loss(z_1 - bump)) / (2 * STEP)
    layer_1 = ref.sigmoid(z_1)
    layer_2_delta = ref.compute_layer_2_delta(ref.sigmoid(layer_1.dot(synapse_1)), y)
    check_layer_1_delta(student, layer_2_delta, synapse_1, layer_1, numeric,
                        context="compared with the measured gradient of the squared error")


# ---- q4: update_synapses ----------------------------------------------------------------------

def random_step(alpha):
    n, i, h, k = sizes()
    layer_0 = rng.integers(0, 2, (n, i)).astype(float)
    synapse_0, synapse_1 = rng.uniform(-1, 1, (i, h)), rng.uniform(-1, 1, (h, k))
    layer_1, layer_2 = ref.forward(layer_0, synapse_0, synapse_1)
    y = targets(n, k)
    layer_2_delta = ref.compute_layer_2_delta(layer_2, y)
    layer_1_delta = ref.compute_layer_1_delta(layer_2_delta, synapse_1, layer_1)
    args = (synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha)
    return args, y, f"with {n} rows, {i} inputs, {h} hidden units, {k} outputs and alpha = {alpha:.3g}"


def check_update(student, args, expected_pair, *, context):
    # The synapses are sent as copies: updating them in place is allowed by the contract.
    got = expect_pair(ZOO.call(student, "update_synapses", *[np.copy(a) for a in args],
                               example=q4_example(student)),
                      what="update_synapses(...)", example=q4_example(student),
                      diagnose=ZOO.for_call("update_synapses", *args))
    for index, name in enumerate(("synapse_0", "synapse_1")):
        expect_close(got[index], expected_pair[index], what=f"the new {name} (item {index} of the pair)",
                     context=context, example=q4_example(student), atol=1e-8, rtol=1e-5,
                     diagnose=ZOO.for_call("update_synapses", *args, project=lambda pair, i=index: pair[i]))


@pytest.mark.question("q4_update_synapses", weight=2)
def test_q4_matches_contract_with_other_shapes_and_alphas(student):
    """Returns the pair of synapses stepped by alpha against their gradients."""
    for alpha in (float(rng.uniform(0.05, 0.95)), float(rng.uniform(1.5, 12.0))):
        args, _, context = random_step(alpha)
        check_update(student, args, ref.update_synapses(*args), context=context)


@pytest.mark.question("q4_update_synapses", weight=1)
def test_q4_steps_against_the_measured_gradient(student):
    """Steps each synapse by alpha times the measured gradient, downhill."""
    alpha = float(rng.uniform(0.2, 3.0))
    args, y, _ = random_step(alpha)
    synapse_0, synapse_1, layer_0 = args[:3]

    def loss(s0, s1):
        return 0.5 * np.sum((ref.forward(layer_0, s0, s1)[1] - y) ** 2)

    gradients = []
    for which in (0, 1):
        weights = (synapse_0, synapse_1)[which]
        gradient = np.zeros_like(weights)
        for index in np.ndindex(*weights.shape):
            bump = np.zeros_like(weights)
            bump[index] = STEP
            pair_up = [synapse_0, synapse_1]
            pair_down = [synapse_0, synapse_1]
            pair_up[which], pair_down[which] = weights + bump, weights - bump
            gradient[index] = (loss(*pair_up) - loss(*pair_down)) / (2 * STEP)
        gradients.append(gradient)
    expected = (synapse_0 - alpha * gradients[0], synapse_1 - alpha * gradients[1])
    check_update(student, args, expected,
                 context="compared with a step of alpha times the measured gradient, downhill")
