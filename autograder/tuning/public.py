"""The public examples of `tuning`, shown under a failed check and used to confirm a diagnosis.
Nothing here is hidden: students see the examples' values in their feedback. The probes are
public inputs too (never shown, since only the example is): a known mistake is named only when
the student's code also behaves like it on each probe, and some public input shows it wrong
(see ``Diagnoser.identify``). They hold what the example cannot show at once: ties listed both
ways, a near-tie, -inf and 0.0 errors, nothing finite; zeros of both signs and other shapes;
several outputs and a large seed; y as a column and fractional weights; momentum 0.
"""
import numpy as np

from gdkit import network as ref
from gdkit.grading.checks import example_inputs, example_of

NAN, INF = float("nan"), float("inf")
EX_ERRORS = {0.1: 0.2, 1: NAN, 10: INF, 0.5: 0.05, 0.01: 0.05}
EX_PREV, EX_UPDATE = np.array([[0.1, -0.2], [0.0, 0.3]]), np.array([[0.2, 0.1], [-0.1, -0.3]])
EX_X, EX_Y = np.array([[1, 0], [0, 1], [1, 1]]), np.array([1, 0, 1])
EX_W0, EX_W1 = [0.0, 2.0], [0.0, -2.0, 1.0]
EX_MOMENTUM = (np.array([[1.0, -1.0]]), np.array([[0.5, 0.5]]), np.array([[0.1, -0.2]]), 0.1, 0.9)

# The tied alphas are neither the smallest alpha nor the first or last listed.
NEAR = float(np.nextafter(0.02, 0.0))
Q1_PROBES = (({10: 0.3, 1: 0.02, 0.05: 0.4, 0.1: 0.02, 0.001: 0.45},),   # tie, larger listed first
             ({0.001: 0.45, 0.1: 0.02, 0.05: 0.4, 1: 0.02, 10: 0.3},),   # tie, smaller listed first
             ({0.001: 0.45, 0.1: 0.02, 1: NEAR, 10: 0.3},),              # the larger alpha wins by a hair
             ({0.001: 0.3, 0.01: -INF, 0.1: 0.0, 1: 0.2, 100: INF},),    # -inf and inf ignored, 0.0 is best
             ({0.1: 0.0, 1: NAN, 10: 0.3},),                             # NaN is no error of 0.0
             ({0.1: INF, 1: NAN},),                                      # inf alone is not finite either
             ({1: INF, 10: NAN, 100: -INF},),                            # nothing finite: ValueError
             ({},))
UP_ZERO_DOWN = np.array([1.0, 1.0, 1.0, 0.0, 0.0, -0.0, -1.0, -1.0, -1.0])
Q2_PROBES = ((0.5 * UP_ZERO_DOWN, 0.3 * np.array([1.0, 0.0, -1.0, 1.0, -0.0, -1.0, 1.0, 0.0, -1.0])),
             (np.array([[[0.2], [-0.1]], [[0.0], [0.4]]]), np.array([[[-0.3], [-0.2]], [[0.1], [0.0]]])),
             (np.array([[2, 0, -1], [1, -2, 0]]), np.array([[0, 1, 1], [-1, -1, 0]])))
Q3_PROBES = ((3, 2, 2, 7), (2, 2, 1, 2**32 - 5))
Q4_PROBES = ((EX_X, EX_Y.reshape(-1, 1), EX_W0, EX_W1),
             (EX_X, EX_Y, [0.5, -1.5], [0.25, 3.0]))
Q5_PROBES = ((*EX_MOMENTUM[:4], 0.0),
             (EX_MOMENTUM[0], EX_MOMENTUM[1], np.zeros((1, 2)), 1, 0.5),
             (np.array([0.5, -0.5, 2.0]), np.array([1.0, -2.0, 0.5]), np.array([0.2, 0.0, -0.1]), 0.3, 0.6))


def q1_example(student):
    return example_of(student, "best_alpha", (EX_ERRORS,), ref.best_alpha(EX_ERRORS), names=("final_errors",),
                      probes=Q1_PROBES, reference=ref.best_alpha)


def q2_example(student):
    return example_of(student, "count_direction_changes", (EX_PREV, EX_UPDATE),
                      ref.count_direction_changes(EX_PREV, EX_UPDATE), names=("prev_update", "update"),
                      probes=Q2_PROBES, reference=ref.count_direction_changes)


def q3_example(student):
    return example_of(student, "init_synapses", (2, 3, 1, 0), ref.init_synapses(2, 3, 1, 0),
                      names=("n_inputs", "hidden", "n_outputs", "seed"),
                      probes=Q3_PROBES, reference=ref.init_synapses)


def q4_example(student):
    return example_of(student, "error_surface", (EX_X, EX_Y, EX_W0, EX_W1),
                      ref.error_surface(EX_X, EX_Y, EX_W0, EX_W1), names=("X", "y", "w0_values", "w1_values"),
                      probes=Q4_PROBES, reference=ref.error_surface)


def q5_example(student):
    return example_of(student, "momentum_update", EX_MOMENTUM, ref.momentum_update(*EX_MOMENTUM),
                      names=("synapse", "gradient", "velocity", "alpha", "momentum"),
                      probes=Q5_PROBES, reference=ref.momentum_update)


def public_inputs() -> list[tuple]:
    """Every public input the suite may ask the student's code, (function, args, return_args):
    answered before any hidden input exists (``gdkit grade`` prefetches :data:`PUBLIC_INPUTS`;
    one not listed is left out of the feedback)."""
    return example_inputs(q1_example, q2_example, q3_example, q4_example, q5_example)


PUBLIC_INPUTS = public_inputs()
