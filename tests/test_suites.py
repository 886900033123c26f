"""The hidden suites' verdicts on hand-made namespaces, through the in-kernel path
(`gdkit.grading.inkernel`: the real suites, the real training loop, the wire's copies).

Each test writes a small notebook namespace (the reference's functions with one part changed)
and asks for one question's points, so a clause of a contract is pinned to its verdict.
"""
from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

from gdkit import network as ref
from gdkit.grading.inkernel import grade_question


def namespace(assignment: str, **changes) -> dict:
    """The master's functions (the reference's) with ``changes`` (name -> source) in place."""
    names = {"gradient_descent": ["sigmoid_output_to_derivative", "compute_layer_2_delta",
                                  "compute_layer_1_delta", "update_synapses", "detect_divergence"],
             "tuning": ["best_alpha", "count_direction_changes", "init_synapses", "error_surface",
                        "momentum_update"]}[assignment]
    space = {"np": np, "math": math, "sigmoid": ref.sigmoid, "X": ref.X, "y": ref.y,
             "__builtins__": __builtins__}
    for name in names + ["weight_gradients"]:
        exec(inspect.getsource(getattr(ref, name)), space)
    for name, source in changes.items():
        exec(source, space)
    return space


UNCHANGED = """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    return synapse_0, synapse_1
"""
ZERO_SLOPE = "def sigmoid_output_to_derivative(output):\n    return np.zeros_like(output)\n"


def test_master_namespace_gets_full_marks_on_q5():
    assert grade_question("gradient_descent", "q5_convergence", namespace("gradient_descent")) == 20


@pytest.mark.parametrize("changes", [{"update_synapses": UNCHANGED},
                                     {"sigmoid_output_to_derivative": ZERO_SLOPE}])
def test_weights_that_never_change_score_zero_on_q5(changes):
    # Either the update returns the synapses it was given, or every delta is zero: the error
    # stays at its start on every run, and the q5 metric (a mean of absolute errors) sees it.
    assert grade_question("gradient_descent", "q5_convergence", namespace("gradient_descent", **changes)) == 0


def test_q2_and_q3_are_judged_against_the_reference_only():
    # All-zero functions are consistent with an all-zero q1, but not with the contract.
    zeros = namespace("gradient_descent",
                      sigmoid_output_to_derivative=ZERO_SLOPE,
                      compute_layer_2_delta="def compute_layer_2_delta(layer_2, y):\n    return np.zeros_like(layer_2)\n",
                      compute_layer_1_delta="def compute_layer_1_delta(d, s, l):\n    return np.zeros_like(l)\n")
    assert grade_question("gradient_descent", "q2_layer_2_delta", zeros) == 0
    assert grade_question("gradient_descent", "q3_layer_1_delta", zeros) == 0
    # A q2 that leans on its own (wrong) q1 is still graded with the reference slope: no cascade.
    wrong_q1 = namespace("gradient_descent", sigmoid_output_to_derivative=ZERO_SLOPE)
    assert grade_question("gradient_descent", "q2_layer_2_delta", wrong_q1) == 15
    assert grade_question("gradient_descent", "q3_layer_1_delta", wrong_q1) == 15


@pytest.mark.slow
def test_complex_answers_earn_nothing():
    sly = namespace("gradient_descent", sigmoid_output_to_derivative=(
        "def sigmoid_output_to_derivative(output):\n    return output * (1 - output) + 1e-12j\n"))
    assert grade_question("gradient_descent", "q1_sigmoid_derivative", sly) == 0
    sly = namespace("tuning", momentum_update=(
        "def momentum_update(synapse, gradient, velocity, alpha, momentum):\n"
        "    new_velocity = momentum * velocity + alpha * gradient\n"
        "    return synapse - new_velocity + 1e-12j, new_velocity\n"))
    assert grade_question("tuning", "q5_momentum_update", sly) == 0
    # A complex number is not an alpha: only the clause that needs no answer (raising
    # ValueError when nothing is finite) still holds.
    sly = namespace("tuning", best_alpha=(
        "def best_alpha(final_errors):\n"
        "    finite = [(e, a) for a, e in final_errors.items() if np.isfinite(e)]\n"
        "    if not finite:\n        raise ValueError('none')\n"
        "    return complex(min(finite)[1], 1e-9)\n"))
    assert grade_question("tuning", "q1_best_alpha", sly) == 4


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ["gradient_descent", "tuning"])
def test_master_namespace_gets_full_marks_everywhere(assignment):
    from gdkit import assignments
    space = namespace(assignment)
    for question in assignments.load(assignment).questions:
        assert grade_question(assignment, question.id, space) == question.points, question.id


TWO_FACED = """
import sys

def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    # Right inside the kit's training loop, uphill when called on its own.
    sign = 1 if sys._getframe(1).f_code.co_name == "train" else -1
    return (synapse_0 - sign * alpha * layer_0.T.dot(layer_1_delta),
            synapse_1 - sign * alpha * layer_1.T.dot(layer_2_delta))
"""


@pytest.mark.slow
def test_a_function_that_answers_the_loop_differently_gains_nothing():
    # The loop's run is confirmed by calling the functions directly on the inputs of two of its
    # steps: a two-faced update loses q4 (its direct answers) and q5 (the unconfirmed run).
    space = namespace("gradient_descent", update_synapses=TWO_FACED)
    assert grade_question("gradient_descent", "q4_update_synapses", space) == 0
    assert grade_question("gradient_descent", "q5_convergence", space) == 0
    # The same update, honest everywhere, passes both: the confirmation itself costs nothing.
    honest = namespace("gradient_descent", update_synapses=TWO_FACED.replace('== "train" else -1', 'else 1'))
    assert grade_question("gradient_descent", "q4_update_synapses", honest) == 20
    assert grade_question("gradient_descent", "q5_convergence", honest) == 20


def _training_suite():
    from pathlib import Path

    from gdkit.grading.diagnose import load_module
    return load_module(Path(__file__).resolve().parents[1] / "autograder" / "gradient_descent" / "test_gd_training.py",
                       "suite")


def test_the_q5_metric_is_the_mean_absolute_error_of_every_step():
    suite = _training_suite()
    rng = np.random.default_rng(5)
    X, y = ref.X.astype(float), ref.y.astype(float)
    path = (rng.normal(size=(6, 3, 4)), rng.normal(size=(6, 4, 1)))
    errors = suite.trusted_errors(path, X, y)
    expected = [ref.mean_abs_error(ref.forward(X, path[0][j], path[1][j])[1], y) for j in range(6)]
    np.testing.assert_allclose(errors, expected, rtol=1e-12)
    # Untrained weights that output 0.5 everywhere against targets 0, 1, 1, 0: the misses cancel
    # in a signed mean (0), not in the metric (0.5), so weights that never move never pass.
    s0, s1 = np.zeros((1, 3, 4)), np.zeros((1, 4, 1))
    assert np.mean(ref.forward(X, s0[0], s1[0])[1] - y) == 0
    assert suite.trusted_errors((s0, s1), X, y)[0] == 0.5


PLAIN_NUMBER = """
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    label = f"alpha = {alpha}"
    assert isinstance(alpha, (int, float)) and not isinstance(alpha, bool), label
    step = float(alpha)
    if alpha > 1:
        step = float(label.split(" = ")[1])
    return synapse_0 - step * (layer_0.T @ layer_1_delta), synapse_1 - step * (layer_1.T @ layer_2_delta)
"""


def test_alpha_arrives_as_the_plain_number_the_notebook_passes():
    # float(alpha), alpha > 1 and f"{alpha}" all need a Python number, as train(X, y, 10) gives.
    space = namespace("gradient_descent", update_synapses=PLAIN_NUMBER)
    assert grade_question("gradient_descent", "q4_update_synapses", space) == 20
    assert grade_question("gradient_descent", "q5_convergence", space) == 20


POPPING = """
import math

def detect_divergence(errors):
    # Right on every copy it is sent, but it takes the latest error off the loop's own list.
    if not isinstance(errors, list):
        errors = list(errors)
    if not all(math.isfinite(e) for e in errors):
        return True
    if len(errors) < 2:
        return False
    last = errors.pop()
    return bool(last > errors[0])
"""
SLOPE_KEPT_IN_LAYER_1 = """
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    layer_1 *= 1 - layer_1
    return layer_2_delta.dot(synapse_1.T) * layer_1
"""


def test_an_input_changed_in_place_costs_what_it_breaks_in_the_kernel_too():
    # The detector's list is the loop's history (run["errors"]): popping it loses the
    # in-the-loop part of q6 (2 of 9), every answer being right.
    popping = namespace("gradient_descent", detect_divergence=POPPING)
    assert grade_question("gradient_descent", "q6_detect_divergence", popping) == pytest.approx(20 * 7 / 9, abs=1e-3)
    # A hidden delta kept in layer_1 is q3's right answer, but the loop uses layer_1 again in the
    # update: q3 keeps its points, q5 (the loop) loses them.
    in_place = namespace("gradient_descent", compute_layer_1_delta=SLOPE_KEPT_IN_LAYER_1)
    assert grade_question("gradient_descent", "q3_layer_1_delta", in_place) == 15
    assert grade_question("gradient_descent", "q5_convergence", in_place) == 0


def test_targets_between_0_and_1_are_part_of_q2():
    # The contract does not make y 0 or 1: a delta that casts the targets to integers is wrong.
    cast = namespace("gradient_descent", compute_layer_2_delta=(
        "def compute_layer_2_delta(layer_2, y):\n"
        "    return (layer_2 - np.asarray(y).astype(int)) * sigmoid_output_to_derivative(layer_2)\n"))
    assert grade_question("gradient_descent", "q2_layer_2_delta", cast) < 15


def test_raise_value_error_means_any_value_error():
    # "raise ValueError" is met by a subclass of ValueError, and not by a class that only
    # bears the name: the verdict reads the builtin classes of the exception's MRO.
    subclass = namespace("tuning", best_alpha=(
        "class NoFiniteError(ValueError):\n    pass\n"
        "def best_alpha(final_errors):\n"
        "    finite = [(e, a) for a, e in final_errors.items() if np.isfinite(e)]\n"
        "    if not finite:\n        raise NoFiniteError('every run diverged')\n"
        "    return min(finite)[1]\n"))
    assert grade_question("tuning", "q1_best_alpha", subclass) == 20
    impostor = namespace("tuning", best_alpha=(
        "class ValueError(Exception):\n    pass\n"
        "def best_alpha(final_errors):\n"
        "    finite = [(e, a) for a, e in final_errors.items() if np.isfinite(e)]\n"
        "    if not finite:\n        raise ValueError('every run diverged')\n"
        "    return min(finite)[1]\n"))
    assert grade_question("tuning", "q1_best_alpha", impostor) == 16


def test_a_workers_exception_classes_are_read_as_builtin_names_only():
    from gdkit.sandbox.calls import builtin_bases
    from gdkit.sandbox.client import _bases

    class NoFiniteError(ValueError):
        pass

    assert builtin_bases(NoFiniteError()) == ["ValueError", "Exception", "BaseException"]
    # A reply is hostile data: only names of real builtin exception classes are kept.
    assert _bases(["ValueError", "NotAThing", 3, "print", "x" * 100, "KeyError"]) == ("ValueError", "KeyError")
    assert _bases("ValueError") == ()
