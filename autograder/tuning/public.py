"""The public examples of `tuning`, shown under a failed check and used to confirm a diagnosis.
Nothing here is hidden: students see these values in their feedback."""
import numpy as np

from gdkit import network as ref
from gdkit.grading.checks import example_of

NAN, INF = float("nan"), float("inf")
EX_ERRORS = {0.1: 0.2, 1: NAN, 10: INF, 0.5: 0.05, 0.01: 0.05}
EX_PREV, EX_UPDATE = np.array([[0.1, -0.2], [0.0, 0.3]]), np.array([[0.2, 0.1], [-0.1, -0.3]])
EX_X, EX_Y = np.array([[1, 0], [0, 1], [1, 1]]), np.array([1, 0, 1])
EX_W0, EX_W1 = [0.0, 2.0], [0.0, -2.0, 1.0]
EX_MOMENTUM = (np.array([[1.0, -1.0]]), np.array([[0.5, 0.5]]), np.array([[0.1, -0.2]]), 0.1, 0.9)


def q1_example(student):
    return example_of(student, "best_alpha", (EX_ERRORS,), ref.best_alpha(EX_ERRORS), names=("final_errors",))


def q2_example(student):
    return example_of(student, "count_direction_changes", (EX_PREV, EX_UPDATE),
                      ref.count_direction_changes(EX_PREV, EX_UPDATE), names=("prev_update", "update"))


def q3_example(student):
    return example_of(student, "init_synapses", (2, 3, 1, 0), ref.init_synapses(2, 3, 1, 0),
                      names=("n_inputs", "hidden", "n_outputs", "seed"))


def q4_example(student):
    return example_of(student, "error_surface", (EX_X, EX_Y, EX_W0, EX_W1),
                      ref.error_surface(EX_X, EX_Y, EX_W0, EX_W1), names=("X", "y", "w0_values", "w1_values"))


def q5_example(student):
    return example_of(student, "momentum_update", EX_MOMENTUM, ref.momentum_update(*EX_MOMENTUM),
                      names=("synapse", "gradient", "velocity", "alpha", "momentum"))
