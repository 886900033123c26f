"""The public examples of `gradient_descent` (the notebook's worked examples), shown under a
failed check and used to confirm a diagnosis. Nothing here is hidden: students see these
values in their feedback."""
import numpy as np

from gdkit import network as ref
from gdkit.grading.checks import example_of

EX_OUTPUTS = np.array([[0.5, 0.9], [0.1, 0.0]])
EX_LAYER_2, EX_Y = np.array([[0.2, 0.7], [0.6, 0.4]]), np.array([[0, 1], [1, 0]])
EX_DELTA_2 = np.array([[0.1, -0.2], [0.3, 0.05]])
EX_SYNAPSE_1 = np.array([[0.5, -1.0], [2.0, 0.25], [-0.3, 0.7]])
EX_LAYER_1 = np.array([[0.1, 0.4, 0.6], [0.5, 0.5, 0.2]])
EX_UPDATE = (np.array([[0.5, -0.5]]), np.array([[1.0], [2.0]]), np.array([[1.0]]),
             np.array([[0.6, 0.4]]), np.array([[0.1, -0.2]]), np.array([[0.3]]), 0.5)
EX_HISTORY = [0.4964, 0.5315, 0.47, 0.5]


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


def q6_example(student):
    return example_of(student, "detect_divergence", (EX_HISTORY,),
                      ref.detect_divergence(EX_HISTORY), names=("errors",))


# The functions the training loop of q5 uses, with their question and public example.
LOOP_EXAMPLES = (("q1", q1_example), ("q2", q2_example), ("q3", q3_example), ("q4", q4_example))
