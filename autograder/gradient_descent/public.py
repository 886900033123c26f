"""The public examples of `gradient_descent` (the notebook's worked examples), shown under a
failed check and used to confirm a diagnosis. Nothing here is hidden: students see these
values in their feedback."""
import numpy as np

from gdkit import network as ref
from gdkit.grading.checks import example_inputs, example_of

EX_OUTPUTS = np.array([[0.5, 0.9], [0.1, 0.0]])
EX_LAYER_2, EX_Y = np.array([[0.2, 0.7], [0.6, 0.4]]), np.array([[0, 1], [1, 0]])
EX_DELTA_2 = np.array([[0.1, -0.2], [0.3, 0.05]])
EX_SYNAPSE_1 = np.array([[0.5, -1.0], [2.0, 0.25], [-0.3, 0.7]])
EX_LAYER_1 = np.array([[0.1, 0.4, 0.6], [0.5, 0.5, 0.2]])
EX_UPDATE = (np.array([[0.5, -0.5]]), np.array([[1.0], [2.0]]), np.array([[1.0]]),
             np.array([[0.6, 0.4]]), np.array([[0.1, -0.2]]), np.array([[0.3]]), 0.5)
EX_HISTORY = [0.4964, 0.5315, 0.47, 0.5]

# Probes: more public inputs, never shown, on which a named mistake must behave like the
# student's code too, so that a mistake is named only when it explains the answers, not one
# answer that several mistakes share (all zeros, False). Each varies what the examples above
# keep fixed: a single number, 1-D and 3-D shapes, targets between 0 and 1, one output, more
# rows than one, an int alpha and one above 1, and every clause of the divergence rule.
Q1_PROBES = ((np.float64(0.3),), (np.array([0.0, 0.2, 0.7, 1.0]),),
             (np.array([[[0.35, 0.8]], [[0.05, 0.6]]]),))
Q2_PROBES = ((np.array([[0.3], [0.9], [0.6]]), np.array([[0.5], [1.0], [0.0]])),
             (np.array([[0.6, 0.1, 0.8], [0.45, 0.7, 0.2]]), np.array([[1, 0, 1], [0, 0, 1]])))
Q3_PROBES = ((np.array([[0.2], [-0.1], [0.05]]), np.array([[0.7], [-1.5]]), np.array([[0.3, 0.8], [0.6, 0.1], [0.5, 0.9]])),
             (np.array([[0.1, -0.3], [0.2, 0.4], [-0.2, 0.1], [0.05, 0.0]]),
              np.array([[1.5, -0.5], [-1.0, 0.25], [0.3, 0.6]]),
              np.array([[0.2, 0.6, 0.9], [0.5, 0.3, 0.7], [0.8, 0.4, 0.1], [0.35, 0.65, 0.5]])))


def _update(alpha):
    """A public step of the network with three rows (2 inputs, 4 hidden units, 1 output)."""
    layer_0 = np.array([[0, 1], [1, 1], [1, 0]])
    synapse_0 = np.array([[0.2, -0.4, 0.6, -0.1], [-0.3, 0.5, 0.1, 0.7]])
    synapse_1 = np.array([[0.3], [-0.6], [0.9], [-0.2]])
    layer_1, layer_2 = ref.forward(layer_0, synapse_0, synapse_1)
    layer_2_delta = ref.compute_layer_2_delta(layer_2, np.array([[1], [0], [1]]))
    layer_1_delta = ref.compute_layer_1_delta(layer_2_delta, synapse_1, layer_1)
    return (synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha)


Q4_PROBES = (_update(3), _update(2.7), _update(0.3))
Q6_PROBES = tuple((history,) for history in (
    [], [0.3], [float("nan")], [0.3, 0.3], [0.3, 0.30001], [0.3, 0.3000001], [0.3, 0.29], [0.5, 0.4, 0.6], [0.5, 0.6, 0.55],
    [0.5, 0.4, 0.45], [0.5, 0.6, 0.7, 0.4], [0.5, float("nan"), 0.4], [float("nan"), 0.3], [0.5, 0.3, float("inf")], [0.5, float("inf"), 0.3],
    [0.5, float("-inf"), 0.3], [0.3, 0.2, 0.1], [0.25, 0.5, 0.5, 0.5], np.array([0.5, 0.4, 0.45]),
    np.array([0.5, 0.4, 0.6])))


def q1_example(student):
    return example_of(student, "sigmoid_output_to_derivative", (EX_OUTPUTS,),
                      ref.sigmoid_output_to_derivative(EX_OUTPUTS), names=("output",), probes=Q1_PROBES)


def q2_example(student):
    return example_of(student, "compute_layer_2_delta", (EX_LAYER_2, EX_Y),
                      ref.compute_layer_2_delta(EX_LAYER_2, EX_Y), names=("layer_2", "y"), probes=Q2_PROBES)


def q3_example(student):
    args = (EX_DELTA_2, EX_SYNAPSE_1, EX_LAYER_1)
    return example_of(student, "compute_layer_1_delta", args, ref.compute_layer_1_delta(*args),
                      names=("layer_2_delta", "synapse_1", "layer_1"), probes=Q3_PROBES)


def q4_example(student):
    return example_of(student, "update_synapses", EX_UPDATE, ref.update_synapses(*EX_UPDATE),
                      names=("synapse_0", "synapse_1", "layer_0", "layer_1", "layer_1_delta",
                             "layer_2_delta", "alpha"), probes=Q4_PROBES)


def q6_example(student):
    return example_of(student, "detect_divergence", (EX_HISTORY,),
                      ref.detect_divergence(EX_HISTORY), names=("errors",), probes=Q6_PROBES)


# The functions the training loop of q5 uses, with their question and public example.
LOOP_EXAMPLES = (("q1", q1_example), ("q2", q2_example), ("q3", q3_example), ("q4", q4_example))

LOOP_STEPS = 60  # prefixes of the notebook's own run asked of the student's detector


def notebook_run_errors(steps: int = LOOP_STEPS) -> list[float]:
    """The errors of the notebook's own run (the toy data, alpha 10, 4 hidden units, seed 1)."""
    return [float(e) for e in ref.train(ref.X, ref.y, 10, 4, steps, 1).errors]


def toy_first_step() -> tuple:
    """The loop's calls on the first step of the notebook's own run: (function, args) each."""
    from gdkit.grading.student import training_start

    X, y, synapse_0, synapse_1 = training_start(ref.X, ref.y, 4, 1)
    layer_1, layer_2 = ref.forward(X, synapse_0, synapse_1)
    layer_2_delta = ref.compute_layer_2_delta(layer_2, y)
    layer_1_delta = ref.compute_layer_1_delta(layer_2_delta, synapse_1, layer_1)
    return (("compute_layer_2_delta", (layer_2, y)),
            ("compute_layer_1_delta", (layer_2_delta, synapse_1, layer_1)),
            ("update_synapses", (synapse_0, synapse_1, X, layer_1, layer_1_delta, layer_2_delta, 10)))


def public_inputs() -> list[tuple]:
    """Every public input the suite may ask the student's code, (function, args, return_args):
    answered before any hidden input exists (``gdkit grade`` prefetches :data:`PUBLIC_INPUTS`;
    one not listed is left out of the feedback). The examples and their probes; the loop's examples with
    their arguments back (changed in place?); the first step of the notebook's run; every
    prefix of its errors for the detector."""
    found = example_inputs(*(make for _, make in LOOP_EXAMPLES), q6_example)
    found += [(make(None).function, make(None).args, True) for _, make in LOOP_EXAMPLES]
    found += [(name, args, False) for name, args in toy_first_step()]
    errors = notebook_run_errors()
    return found + [("detect_divergence", (errors[: j + 1],), False) for j in range(len(errors))]


PUBLIC_INPUTS = public_inputs()
