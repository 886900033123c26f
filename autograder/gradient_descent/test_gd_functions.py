"""Hidden tests for q1-q4: each function against the reference and against the mathematics.

Inputs are random (drawn per run seed and test: see gdkit.grading.randomness), with
sizes that are all different from each other so a transpose or a hard-coded shape cannot pass.
Arguments travel as the notebook passes them: arrays for the layers and synapses, a plain
Python number for ``alpha`` (an int, as ``train(X, y, 10)`` passes it, or a float).
Feedback only ever shows the small public examples below, never these inputs; sizes and
alpha values go to a failure's ``detail`` (shown only with full feedback).

Judged against the reference only: q2 and q3 run with the reference
``sigmoid_output_to_derivative`` swapped in for the student's (``substitute=``), so a q1
mistake is paid for by q1 alone, and q4 is given the reference's deltas. A worker that was sent
the reference's code answers nothing else afterwards (``student.call`` restarts it first), so
those tests are marked ``substitutes`` and run last.

The contract's clauses, and the test that tells each apart:

q1 ``sigmoid_output_to_derivative(output)``
  - returns ``output * (1 - output)`` elementwise ........ test_q1_matches_contract_for_any_shape
  - any shape, same shape back (1-D, 2-D, 3-D) .......... test_q1_matches_contract_for_any_shape
  - values anywhere in [0, 1], the ends included (slope 0) and a single number, as the
    notebook's ``sigmoid_output_to_derivative(sigmoid(0.0))`` ... test_q1_ends_and_single_numbers
  - the argument is already a sigmoid output (no second sigmoid) ... test_q1_is_the_slope_of_the_sigmoid
  - ``output`` is not modified (the worker's trusted watcher compares the very array it passed)
    ...................................................... test_q1_leaves_its_input_untouched
q2 ``compute_layer_2_delta(layer_2, y)``
  - ``(layer_2 - y) * slope(layer_2)``, (n, k) -> (n, k), k > 1 ... test_q2_matches_contract_with_several_outputs
  - y of integers, as the notebook's ``y`` ............... test_q2_matches_contract_with_several_outputs
  - sign: positive where the output is too high; exactly 0 for a perfect guess; one output
    (k = 1) .............................................. test_q2_one_output_and_perfect_guesses
  - it is the gradient of 0.5 * sum((layer_2 - y)**2), for targets anywhere in [0, 1] (the
    contract does not make them 0 or 1: no rounding or casting y) ... test_q2_is_the_gradient_of_the_loss
q3 ``compute_layer_1_delta(layer_2_delta, synapse_1, layer_1)``
  - ``layer_2_delta.dot(synapse_1.T) * slope(layer_1)``, (n, h) back, several outputs and one
    output ............................................... test_q3_matches_contract_with_other_shapes
  - it is the gradient with respect to the hidden layer's input ... test_q3_is_the_gradient_of_the_loss
q4 ``update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha)``
  - the pair ``(synapse_0 - alpha * layer_0.T.dot(layer_1_delta), synapse_1 - alpha *
    layer_1.T.dot(layer_2_delta))`` in that order ...... test_q4_matches_contract_with_other_shapes_and_alphas
  - any alpha > 0: below 1, above 1, an int; a plain Python number ... test_q4_matches_contract_with_other_shapes_and_alphas
  - ``layer_0`` of integers (the notebook's ``X``) ....... test_q4_matches_contract_with_other_shapes_and_alphas
  - synapses may be updated in place (copies are sent), the pair is always returned ... both q4 tests
  - the step goes downhill along the measured gradient .. test_q4_steps_against_the_measured_gradient
"""
import inspect
from pathlib import Path

import numpy as np
import pytest

from gdkit import network as ref
from gdkit.grading.randomness import rng  # reproducible per student
from gdkit.grading.checks import as_array, expect_close, expect_pair, expect_unmodified
from gdkit.grading.diagnose import Diagnoser, load_module

ZOO = Diagnoser.from_file(Path(__file__).with_name("bugzoo.py"))
# q2 and q3 are judged with the reference slope standing in for the student's q1, so a q1
# mistake (even one that crashes) is charged to q1 only.
REFERENCE_SLOPE = {"sigmoid_output_to_derivative": inspect.getsource(ref.sigmoid_output_to_derivative)}
STEP = 1e-6  # central differences: truncation ~STEP**2, rounding ~1e-16/STEP, both far below atol

# The public examples (the notebook's worked examples), shown when a check fails.
PUBLIC = load_module(Path(__file__).with_name("public.py"), "public")
q1_example, q2_example, q3_example, q4_example = (PUBLIC.q1_example, PUBLIC.q2_example,
                                                  PUBLIC.q3_example, PUBLIC.q4_example)


def sizes():
    """(n, i, h, k): rows, inputs, hidden units, outputs, all different, k >= 2."""
    n, i, h, k = rng.choice(np.arange(2, 10), size=4, replace=False)
    return int(n), int(i), int(h), int(k)


def outputs(*shape):
    """Sigmoid outputs strictly inside (0, 1)."""
    return ref.sigmoid(rng.normal(0, 2, size=shape))


def targets(n, k):
    return rng.integers(0, 2, size=(n, k))


# ---- q1: sigmoid_output_to_derivative -------------------------------------------------------

def check_slope(student, values, expected, *, context="", detail="", **tolerance):
    example = q1_example(student)
    got = ZOO.call(student, "sigmoid_output_to_derivative", values, example=example)
    expect_close(got, expected, what="sigmoid_output_to_derivative(output)", example=example,
                 diagnose=ZOO.for_call("sigmoid_output_to_derivative", values, example=example),
                 context=context, detail=detail, shape_name="the shape of `output`", **tolerance)


@pytest.mark.question("q1_sigmoid_derivative", weight=2)
def test_q1_matches_contract_for_any_shape(student):
    """Returns output * (1 - output), elementwise, for arrays of any shape."""
    n, i, h, k = sizes()
    for shape in [(n, k), (n,), (h, i, k)]:
        values = outputs(*shape)
        check_slope(student, values, ref.sigmoid_output_to_derivative(values),
                    context=f"for a {len(shape)}-D input", detail=f"input of shape {shape}")


@pytest.mark.question("q1_sigmoid_derivative", weight=1)
def test_q1_ends_and_single_numbers(student):
    """Is 0 at outputs of exactly 0 and 1, 0.25 at 0.5, and works on a single number."""
    ends = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.5]])
    check_slope(student, ends, ref.sigmoid_output_to_derivative(ends), context="at outputs 0, 1 and 0.5")
    # A single number, as the notebook's own check `sigmoid_output_to_derivative(sigmoid(0.0))`.
    single = ref.sigmoid(np.float64(rng.normal(0, 2)))  # a numpy float, as sigmoid(0.0) gives
    check_slope(student, single, ref.sigmoid_output_to_derivative(single), context="for a single number")


@pytest.mark.question("q1_sigmoid_derivative", weight=1)
def test_q1_is_the_slope_of_the_sigmoid(student):
    """Equals the measured slope of the sigmoid at x, given sigmoid(x)."""
    x = rng.uniform(-6, 6, size=(7, 3))
    numeric = (ref.sigmoid(x + STEP) - ref.sigmoid(x - STEP)) / (2 * STEP)
    check_slope(student, ref.sigmoid(x), numeric, atol=1e-7, rtol=1e-5,
                context="compared with the measured slope of the sigmoid")


@pytest.mark.question("q1_sigmoid_derivative", weight=1)
def test_q1_leaves_its_input_untouched(student):
    """Does not modify its input array."""
    values = outputs(5, 3)
    example = q1_example(student)
    got, (changed,) = ZOO.call(student, "sigmoid_output_to_derivative", values, watch_inputs=True,
                               example=example)
    as_array(got, what="sigmoid_output_to_derivative(output)", example=example)  # an answer, not None or complex
    expect_unmodified(changed, what="`output`", example=example,
                      hint="return a new array: `return output * (1 - output)`, not `output *= ...`")


# ---- q2: compute_layer_2_delta ----------------------------------------------------------------

def check_layer_2_delta(student, layer_2, y, expected, *, context="", detail=""):
    example = q2_example(student)
    got = ZOO.call(student, "compute_layer_2_delta", layer_2, y, example=example,
                   substitute=REFERENCE_SLOPE)
    expect_close(got, expected, what="compute_layer_2_delta(layer_2, y)", context=context, detail=detail,
                 example=example, diagnose=ZOO.for_call("compute_layer_2_delta", layer_2, y, example=example),
                 atol=1e-8, rtol=1e-5, shape_name="(n, k), the shape of `layer_2`")


@pytest.mark.substitutes
@pytest.mark.question("q2_layer_2_delta", weight=2)
def test_q2_matches_contract_with_several_outputs(student):
    """Returns (layer_2 - y) * slope at layer_2, for several outputs."""
    n, _, _, k = sizes()
    layer_2, y = outputs(n, k), targets(n, k)
    check_layer_2_delta(student, layer_2, y, ref.compute_layer_2_delta(layer_2, y),
                        context="with several outputs", detail=f"{n} rows and {k} outputs")


@pytest.mark.substitutes
@pytest.mark.question("q2_layer_2_delta", weight=1)
def test_q2_one_output_and_perfect_guesses(student):
    """With one output: positive where the output is too high, 0 for a perfect guess."""
    n, _, _, _ = sizes()
    y = targets(n, 1)
    layer_2 = outputs(n, 1)
    layer_2[0], layer_2[1] = y[0], y[1]  # two perfect guesses: no correction at all
    check_layer_2_delta(student, layer_2, y, ref.compute_layer_2_delta(layer_2, y),
                        context="with one output and some perfect guesses", detail=f"{n} rows")


@pytest.mark.substitutes
@pytest.mark.question("q2_layer_2_delta", weight=1)
def test_q2_is_the_gradient_of_the_loss(student):
    """Is the gradient of the squared error with respect to the output's input, for targets
    anywhere between 0 and 1."""
    # layer_2_delta is d(0.5 * sum((sigmoid(z) - y)**2)) / dz; the loss is a sum over entries,
    # so one central difference per entry, all at once, measures it.
    n, _, _, k = sizes()
    z, y = rng.normal(0, 2, size=(n, k)), rng.uniform(0, 1, size=(n, k))  # targets need not be 0 or 1
    loss = lambda z_: 0.5 * (ref.sigmoid(z_) - y) ** 2  # noqa: E731
    numeric = (loss(z + STEP) - loss(z - STEP)) / (2 * STEP)
    check_layer_2_delta(student, ref.sigmoid(z), y, numeric,
                        context="with targets between 0 and 1, compared with the measured gradient "
                                "of the squared error")


# ---- q3: compute_layer_1_delta ----------------------------------------------------------------

def check_layer_1_delta(student, layer_2_delta, synapse_1, layer_1, expected, *, context="", detail=""):
    example = q3_example(student)
    got = ZOO.call(student, "compute_layer_1_delta", layer_2_delta, synapse_1, layer_1,
                   example=example, substitute=REFERENCE_SLOPE)
    expect_close(got, expected, what="compute_layer_1_delta(layer_2_delta, synapse_1, layer_1)",
                 context=context, detail=detail, example=example,
                 diagnose=ZOO.for_call("compute_layer_1_delta", layer_2_delta, synapse_1, layer_1,
                                       example=example),
                 atol=1e-8, rtol=1e-5, shape_name="(n, h), the shape of `layer_1`")


@pytest.mark.substitutes
@pytest.mark.question("q3_layer_1_delta", weight=2)
def test_q3_matches_contract_with_other_shapes(student):
    """Returns layer_2_delta.dot(synapse_1.T) * slope at layer_1, for other shapes."""
    n, _, h, k = sizes()
    for outputs_count, words in ((k, "several outputs"), (1, "one output")):
        layer_2_delta = rng.normal(0, 0.3, (n, outputs_count))
        synapse_1, layer_1 = rng.uniform(-1, 1, (h, outputs_count)), outputs(n, h)
        check_layer_1_delta(student, layer_2_delta, synapse_1, layer_1,
                            ref.compute_layer_1_delta(layer_2_delta, synapse_1, layer_1),
                            context=f"with {words}",
                            detail=f"{n} rows, {h} hidden units and {outputs_count} outputs")


@pytest.mark.substitutes
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
    """One step's arguments as the notebook's loop passes them: ``layer_0`` is the integer ``X``
    (0/1 entries), the rest float arrays, ``alpha`` a plain Python number."""
    n, i, h, k = sizes()
    layer_0 = rng.integers(0, 2, (n, i))
    synapse_0, synapse_1 = rng.uniform(-1, 1, (i, h)), rng.uniform(-1, 1, (h, k))
    layer_1, layer_2 = ref.forward(layer_0, synapse_0, synapse_1)
    y = targets(n, k)
    layer_2_delta = ref.compute_layer_2_delta(layer_2, y)
    layer_1_delta = ref.compute_layer_1_delta(layer_2_delta, synapse_1, layer_1)
    args = (synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha)
    return args, y, f"{n} rows, {i} inputs, {h} hidden units, {k} outputs and alpha = {alpha!r}"


def check_update(student, args, expected_pair, *, context="", detail=""):
    example = q4_example(student)
    # Copies of the arrays (updating the synapses in place is allowed by the contract); alpha
    # goes as the plain number it is, never as an array.
    sent = tuple(np.copy(a) if isinstance(a, np.ndarray) else a for a in args)
    whole = ZOO.for_call("update_synapses", *args, example=example)
    got = expect_pair(ZOO.call(student, "update_synapses", *sent, example=example),
                      what="update_synapses(...)", example=example, diagnose=whole)
    for index, name in enumerate(("synapse_0", "synapse_1")):
        # A mistake is named from the whole pair, not from the item that failed: a student who
        # forgot alpha on synapse_1 alone did not "forget alpha" on both.
        expect_close(got[index], expected_pair[index], what=f"the new {name} (item {index} of the pair)",
                     context=context, detail=detail, example=example, atol=1e-8, rtol=1e-5,
                     shape_name=f"the shape of `{name}`", diagnose=lambda _item, pair=got: whole(pair))


@pytest.mark.question("q4_update_synapses", weight=2)
def test_q4_matches_contract_with_other_shapes_and_alphas(student):
    """Returns the pair of synapses stepped by alpha against their gradients, for any alpha > 0."""
    cases = [(float(rng.uniform(0.05, 0.95)), "an alpha below 1"),
             (float(rng.uniform(1.5, 12.0)), "an alpha above 1"),
             (int(rng.choice([2, 3, 10, 20])), "a whole-number alpha (an int, as `train(X, y, 10)` passes it)")]
    for alpha, words in cases:
        args, _, detail = random_step(alpha)
        check_update(student, args, ref.update_synapses(*args), context=f"with {words}", detail=detail)


@pytest.mark.question("q4_update_synapses", weight=1)
def test_q4_steps_against_the_measured_gradient(student):
    """Steps each synapse by alpha times the measured gradient, downhill."""
    alpha = float(rng.uniform(0.2, 3.0))
    args, y, detail = random_step(alpha)
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
    check_update(student, args, expected, detail=detail,
                 context="compared with a step of alpha times the measured gradient, downhill")
