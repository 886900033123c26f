"""Hidden tests for `tuning`: each of the five functions against the reference (gdkit.network).

Inputs are random (drawn per run seed and test), with non-square shapes, exact zeros where a
`>` against `>=` matters, NaN/inf where they must be ignored, and ties where the order matters.
Feedback only shows the small public examples below. The questions are independent: no
function of this assignment calls another, so nothing cascades.
"""
from pathlib import Path

import numpy as np
import pytest

from gdkit import network as ref
from gdkit.grading.randomness import rng  # reproducible per student
from gdkit.grading.checks import (Fail, describe, example_of, expect_close, expect_equal, expect_number,
                                  expect_pair, expect_unmodified, safe_exception_name)
from gdkit.grading.diagnose import Diagnoser

ZOO = Diagnoser.from_file(Path(__file__).with_name("bugzoo.py"))
NAN, INF = float("nan"), float("inf")

EX_ERRORS = {0.1: 0.2, 1: NAN, 10: INF, 0.5: 0.05, 0.01: 0.05}
EX_PREV, EX_UPDATE = np.array([[0.1, -0.2], [0.0, 0.3]]), np.array([[0.2, 0.1], [-0.1, -0.3]])
EX_X, EX_Y = np.array([[1, 0], [0, 1], [1, 1]]), np.array([1, 0, 1])
EX_W0, EX_W1 = [0.0, 2.0], [0.0, -2.0, 1.0]
EX_MOMENTUM = (np.array([[1.0, -1.0]]), np.array([[0.5, 0.5]]), np.array([[0.1, -0.2]]), 0.1, 0.9)


def two_sizes():
    a, b = rng.choice(np.arange(2, 9), size=2, replace=False)
    return int(a), int(b)


# ---- q1: best_alpha ---------------------------------------------------------------------------

def q1_example(student):
    return example_of(student, "best_alpha", (EX_ERRORS,), ref.best_alpha(EX_ERRORS), names=("final_errors",))


def judge_best_alpha(student, final_errors, description):
    expected = ref.best_alpha(final_errors)
    got = ZOO.call(student, "best_alpha", final_errors, example=q1_example(student))
    value = expect_number(got, what=f"best_alpha on {description}", example=q1_example(student))
    if value != expected:
        found = ZOO.match("best_alpha", (final_errors,), got)
        # Neither value is quoted: both come from hidden inputs (the example shows a public case).
        raise Fail(f"best_alpha picked the wrong alpha on {description}; the contract asks for "
                   "the key with the smallest finite error.",
                   example=q1_example(student), **({"mistake": found[0], "hint": found[1]} if found else {}))


def sweep(size):
    """A dict {alpha: error}: distinct alphas on a log scale, in shuffled order."""
    alphas = np.round(10.0 ** rng.uniform(-3, 3, size=size), 4)
    alphas = list(dict.fromkeys(float(a) for a in alphas if a > 0))
    rng.shuffle(alphas)
    return {a: float(rng.uniform(0.001, 0.5)) for a in alphas}


@pytest.mark.question("q1_best_alpha", weight=1)
def test_q1_picks_the_smallest_error(student):
    """Returns the alpha (the key) with the smallest final error."""
    judge_best_alpha(student, sweep(7), "a sweep of seven alphas")
    errors = sweep(5)
    errors[min(errors)] = 0.0  # a perfect run is still a finite error, the best one
    judge_best_alpha(student, errors, "a sweep where one run reached error 0.0")


@pytest.mark.question("q1_best_alpha", weight=1)
def test_q1_ignores_nan_and_inf(student):
    """NaN and inf errors (diverged runs) are ignored."""
    errors = sweep(5)
    judge_best_alpha(student, {float(rng.uniform(20, 99)): NAN, **errors, 1000.0: INF},
                     "a sweep with a NaN error listed first and an inf error")


@pytest.mark.question("q1_best_alpha", weight=1)
def test_q1_ties_go_to_the_smaller_alpha(student):
    """A tie on the error goes to the smaller alpha, whatever the dict's order."""
    errors = sweep(6)
    alphas = sorted(errors)
    tie = float(rng.uniform(0.0001, 0.001))
    # The larger of the tied alphas is listed first, so "first one found" is not enough.
    tied = {alphas[-2]: tie, **{a: e for a, e in errors.items() if a not in (alphas[-2], alphas[1])},
            alphas[1]: tie}
    judge_best_alpha(student, tied, "a sweep where two alphas tie on the smallest error")


@pytest.mark.question("q1_best_alpha", weight=1)
def test_q1_raises_value_error_when_nothing_is_finite(student):
    """Raises ValueError when no error is finite."""
    final_errors = {float(rng.uniform(0.1, 9)): INF, float(rng.uniform(10, 99)): NAN}
    try:
        got = student.call("best_alpha", final_errors)
    except Exception as exc:
        if getattr(exc, "exc_type", None) == "ValueError":
            return
        if getattr(exc, "exc_type", None) is None:
            raise
        raise Fail(f"best_alpha raised {safe_exception_name(exc.exc_type)} when every error is NaN or inf; the contract "
                   "asks for ValueError.", example=q1_example(student),
                   hint="`raise ValueError(\"...\")` when no finite error is left") from None
    found = ZOO.match("best_alpha", (final_errors,), got)
    raise Fail(f"best_alpha returned {describe(got)} when every error is NaN or inf; it should raise "
               "ValueError.", example=q1_example(student),
               **({"mistake": found[0], "hint": found[1]} if found else
                  {"hint": "check that some finite error is left, else `raise ValueError(...)`"}))


# ---- q2: count_direction_changes -------------------------------------------------------------

def q2_example(student):
    return example_of(student, "count_direction_changes", (EX_PREV, EX_UPDATE),
                      ref.count_direction_changes(EX_PREV, EX_UPDATE), names=("prev_update", "update"))


def updates(*shape):
    """Updates with both signs and some exact zeros (a zero update counts as "not up")."""
    values = rng.normal(0, 1, size=shape)
    values[rng.random(shape) < 0.25] = 0.0
    return values


def check_changes(student, prev_update, update, context):
    got = ZOO.call(student, "count_direction_changes", prev_update, update, example=q2_example(student))
    expect_equal(got, ref.count_direction_changes(prev_update, update), integer=True,
                 what="count_direction_changes(prev_update, update)", context=context,
                 example=q2_example(student),
                 diagnose=ZOO.for_call("count_direction_changes", prev_update, update))


@pytest.mark.question("q2_direction_changes", weight=2)
def test_q2_flags_flips_with_zeros(student):
    """1 where (update > 0) differs from (prev_update > 0); an update of 0 is not up."""
    a, b = two_sizes()
    check_changes(student, updates(a, b), updates(a, b), f"on arrays of shape {(a, b)} with some zeros")
    # Every combination of up / zero / down once, so each rule about zeros shows.
    prev = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0, -1.0, -1.0, -1.0]) * rng.uniform(0.1, 2)
    now = np.array([1.0, 0.0, -1.0, 1.0, 0.0, -1.0, 1.0, 0.0, -1.0]) * rng.uniform(0.1, 2)
    check_changes(student, prev, now, "on all nine combinations of up, zero and down")


@pytest.mark.question("q2_direction_changes", weight=1)
def test_q2_keeps_any_shape(student):
    """Works for any shape and returns that shape."""
    a, b = two_sizes()
    for shape in [(a,), (b, a, 2)]:
        check_changes(student, updates(*shape), updates(*shape), f"on arrays of shape {shape}")


@pytest.mark.question("q2_direction_changes", weight=1)
def test_q2_leaves_inputs_untouched(student):
    """Does not modify prev_update or update."""
    a, b = two_sizes()
    prev, now = updates(a, b), updates(a, b)
    _, after = ZOO.call(student, "count_direction_changes", prev.copy(), now.copy(), return_args=True,
                        example=q2_example(student))
    expect_unmodified(prev, after[0], what="`prev_update`", example=q2_example(student))
    expect_unmodified(now, after[1], what="`update`", example=q2_example(student))


# ---- q3: init_synapses ------------------------------------------------------------------------

def q3_example(student):
    return example_of(student, "init_synapses", (2, 3, 1, 0), ref.init_synapses(2, 3, 1, 0),
                      names=("n_inputs", "hidden", "n_outputs", "seed"))


def check_init(student, n_inputs, hidden, n_outputs, seed, context):
    args = (n_inputs, hidden, n_outputs, seed)
    expected = ref.init_synapses(*args)
    got = expect_pair(ZOO.call(student, "init_synapses", *args, example=q3_example(student)),
                      what="init_synapses(...)", example=q3_example(student),
                      diagnose=ZOO.for_call("init_synapses", *args))
    for index, name in enumerate(("synapse_0", "synapse_1")):
        expect_close(got[index], expected[index], what=f"{name} (item {index} of the pair)",
                     context=context, example=q3_example(student), rtol=0, atol=1e-12,
                     diagnose=ZOO.for_call("init_synapses", *args, project=lambda pair, i=index: pair[i]))


@pytest.mark.question("q3_init_synapses", weight=2)
def test_q3_reproduces_the_seeded_draws(student):
    """Seeds the legacy generator, then draws synapse_0 and synapse_1 as 2*random - 1, in that order."""
    n_inputs, hidden = two_sizes()
    # Two or more outputs, so these sizes can never be the toy network's (3, 4, 1).
    n_outputs = int(rng.choice([k for k in range(2, 9) if k not in (n_inputs, hidden)]))
    check_init(student, n_inputs, hidden, n_outputs, int(rng.integers(2, 10**6)),
               f"with {n_inputs} inputs, {hidden} hidden units, {n_outputs} outputs and a fresh seed")


@pytest.mark.question("q3_init_synapses", weight=1)
def test_q3_tutorial_sizes_other_seeds(student):
    """The tutorial's sizes (3, 4, 1) with seeds other than 1 give the seeded weights."""
    for seed in rng.choice(np.arange(2, 10**5), size=2, replace=False):
        check_init(student, 3, 4, 1, int(seed), "with the tutorial's sizes and another seed")


# ---- q4: error_surface ------------------------------------------------------------------------

def q4_example(student):
    return example_of(student, "error_surface", (EX_X, EX_Y, EX_W0, EX_W1),
                      ref.error_surface(EX_X, EX_Y, EX_W0, EX_W1), names=("X", "y", "w0_values", "w1_values"))


def surface_case():
    n = int(rng.choice([3, 5, 6, 7]))
    # Real-valued inputs: a 0/1 design can be symmetric in its two columns, and then swapping
    # the weights would go unnoticed.
    X = np.round(rng.uniform(-2, 2, size=(n, 2)), 2)
    y = rng.integers(0, 2, size=n)
    a, b = two_sizes()
    return X, y, list(np.round(rng.uniform(-4, 4, a), 3)), list(np.round(rng.uniform(-4, 4, b), 3))


def check_surface(student, X, y, w0, w1, context):
    got = ZOO.call(student, "error_surface", X, y, w0, w1, example=q4_example(student))
    expect_close(got, ref.error_surface(X, y, w0, w1), what="error_surface(X, y, w0_values, w1_values)",
                 context=context, example=q4_example(student), rtol=1e-7, atol=1e-10,
                 diagnose=ZOO.for_call("error_surface", X, y, w0, w1))


@pytest.mark.question("q4_error_surface", weight=2)
def test_q4_matches_contract_on_a_rectangular_grid(student):
    """Entry [i, j] is mean(|sigmoid(X @ [w0[i], w1[j]]) - y|), shape (len(w0), len(w1))."""
    X, y, w0, w1 = surface_case()
    check_surface(student, X, y, w0, w1, f"with {len(X)} rows, y of shape (n,) and a {len(w0)}x{len(w1)} grid")


@pytest.mark.question("q4_error_surface", weight=1)
def test_q4_accepts_y_as_a_column(student):
    """y of shape (n, 1) gives the same surface as y of shape (n,)."""
    X, y, w0, w1 = surface_case()
    check_surface(student, X, y.reshape(-1, 1), w0, w1, "with y of shape (n, 1)")


# ---- q5: momentum_update ----------------------------------------------------------------------

def q5_example(student):
    return example_of(student, "momentum_update", EX_MOMENTUM, ref.momentum_update(*EX_MOMENTUM),
                      names=("synapse", "gradient", "velocity", "alpha", "momentum"))


def check_momentum(student, args, context):
    expected = ref.momentum_update(*args)
    got = expect_pair(ZOO.call(student, "momentum_update", *args, example=q5_example(student)),
                      what="momentum_update(...)", example=q5_example(student),
                      diagnose=ZOO.for_call("momentum_update", *args))
    for index, name in enumerate(("new_synapse", "new_velocity")):
        expect_close(got[index], expected[index], what=f"{name} (item {index} of the pair)", context=context,
                     example=q5_example(student), rtol=1e-7, atol=1e-10,
                     diagnose=ZOO.for_call("momentum_update", *args, project=lambda pair, i=index: pair[i]))


def momentum_args(momentum):
    a, b = two_sizes()
    synapse, gradient, velocity = (rng.normal(0, 1, (a, b)) for _ in range(3))
    return (synapse, gradient, velocity, float(rng.uniform(0.05, 0.95)), momentum), f"on {a}x{b} arrays"


@pytest.mark.question("q5_momentum_update", weight=2)
def test_q5_matches_contract(student):
    """new_velocity = momentum * velocity + alpha * gradient; new_synapse = synapse - new_velocity."""
    args, context = momentum_args(float(rng.uniform(0.5, 0.95)))
    check_momentum(student, args, context)


@pytest.mark.question("q5_momentum_update", weight=1)
def test_q5_without_momentum_is_the_plain_step(student):
    """With momentum 0 the step is synapse - alpha * gradient."""
    args, context = momentum_args(0.0)
    check_momentum(student, args, context + " with momentum 0")


@pytest.mark.question("q5_momentum_update", weight=1)
def test_q5_leaves_inputs_untouched(student):
    """Does not modify synapse, gradient or velocity."""
    args, _ = momentum_args(float(rng.uniform(0.5, 0.95)))
    copies = [np.copy(a) for a in args[:3]] + list(args[3:])
    _, after = ZOO.call(student, "momentum_update", *copies, return_args=True, example=q5_example(student))
    for index, name in enumerate(("`synapse`", "`gradient`", "`velocity`")):
        expect_unmodified(args[index], after[index], what=name, example=q5_example(student),
                          hint="build new arrays (`v = momentum * velocity + ...`) instead of `-=` / `*=`")
