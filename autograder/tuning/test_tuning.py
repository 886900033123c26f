"""Hidden tests for `tuning`: each of the five functions against the reference (gdkit.network).

Inputs are random (drawn per run seed and test), with non-square shapes, exact zeros where a
`>` against `>=` matters, NaN/inf/-inf where they must be ignored, and ties where the order
matters. Arguments travel as the notebook passes them: dicts of plain numbers, arrays, lists of
weights or numpy grids, plain Python numbers for `alpha`, `momentum` and seeds.
Feedback only shows the small public examples (public.py); hidden sizes, values and seeds go
to a failure's ``detail``. The questions are independent: no function of this assignment calls
another, so nothing cascades. A failed check states the clause it tests (a tie's answer has the
smallest error too); a mistake is named from a pair's two items together, and from the public
probes in public.py as well as the example.

The contract's clauses, and the test that tells each apart:

q1 ``best_alpha(final_errors)``
  - the key (alpha) with the smallest error, ints and floats as keys; an error of 0.0 is the
    best ................................................ test_q1_picks_the_smallest_error
  - NaN, inf and -inf errors are ignored ................. test_q1_ignores_nan_and_inf
  - a tie goes to the smaller alpha, whatever the dict order (listed both ways) ... test_q1_ties_go_to_the_smaller_alpha
  - a near-tie is not a tie: the strictly smaller error wins (neither alpha the smallest, so
    "the smallest alpha" is no answer) ..................... test_q1_near_ties_are_not_ties
  - ValueError when no error is finite, an empty dict included; a subclass of ValueError is one,
    a class merely named ValueError is not ................ test_q1_raises_value_error_when_nothing_is_finite
q2 ``count_direction_changes(prev_update, update)``
  - 1 where (update > 0) differs from (prev_update > 0); 0 (and -0.0) is "not up"; all nine
    combinations of up/zero/down ........................ test_q2_flags_flips_with_zeros
  - an integer array (not bool, not float) ............... test_q2_flags_flips_with_zeros
  - any shape (1-D, 3-D), integer-valued updates ......... test_q2_keeps_any_shape
  - the inputs are not modified (each holds an up and a down entry) ... test_q2_leaves_inputs_untouched
q3 ``init_synapses(n_inputs, hidden, n_outputs, seed)``
  - np.random.seed(seed), synapse_0 then synapse_1 as 2*random - 1, shapes, pair order; sizes
    never the tutorial's 3 inputs or 4 hidden units ........ test_q3_reproduces_the_seeded_draws
  - the tutorial's sizes (3, 4, 1) with other seeds ...... test_q3_tutorial_sizes_other_seeds
  - a seed of 0 (falsy) and large seeds are used as given ... test_q3_seed_zero_and_large_seeds
q4 ``error_surface(X, y, w0_values, w1_values)``
  - [i, j] = mean(|sigmoid(X @ [w0[i], w1[j]]) - y|), shape (len(w0), len(w1)), y (n,)
    both 0 and 1 in it (an (n, 1) output broadcast against it shows) .. test_q4_matches_contract_on_a_rectangular_grid
  - y of shape (n, 1) ..................................... test_q4_accepts_y_as_a_column
  - X of integers with fractional weights (rows all different, none opposite another: the
    surface is never flat), numpy grids (np.linspace) as well as lists, a single candidate for
    a weight ............................................ test_q4_integer_inputs_and_numpy_grids
q5 ``momentum_update(synapse, gradient, velocity, alpha, momentum)``
  - new_velocity = momentum * velocity + alpha * gradient, new_synapse = synapse - new_velocity,
    pair order ........................................... test_q5_matches_contract
  - momentum 0 is the plain step (and the new velocity is alpha * gradient) ... test_q5_without_momentum_is_the_plain_step
  - the loop's first step (zero velocity), a whole-number alpha, 1-D arrays ... test_q5_first_step_and_other_shapes
  - the inputs are not modified .......................... test_q5_leaves_inputs_untouched
"""
from pathlib import Path

import numpy as np
import pytest

from gdkit import network as ref
from gdkit.grading.randomness import rng  # reproducible per student
from gdkit.grading.checks import (Fail, as_array, expect_close, expect_equal, expect_number, expect_pair,
                                  expect_unmodified, kind_of, named, raised_on_hidden)
from gdkit.grading.diagnose import Diagnoser, load_module

ZOO = Diagnoser.from_file(Path(__file__).with_name("bugzoo.py"))
PUBLIC = load_module(Path(__file__).with_name("public.py"), "public")
NAN, INF = float("nan"), float("inf")


def two_sizes():
    a, b = rng.choice(np.arange(2, 9), size=2, replace=False)
    return int(a), int(b)


def untutorial_sizes():
    """(n_inputs, hidden), distinct and neither the tutorial's 3 inputs nor its 4 hidden units:
    code that hard-codes either size cannot pass by chance."""
    n_inputs = int(rng.choice([2, 4, 5, 6, 7, 8]))
    hidden = int(rng.choice([k for k in (2, 3, 5, 6, 7, 8) if k != n_inputs]))
    return n_inputs, hidden


def whole_pair(diagnose, pair):
    """A check's ``diagnose`` for one item of a pair that matches the student's whole pair:
    code right on the other item is not the zoo entry that gets both wrong."""
    return lambda _item: diagnose(pair)


# ---- q1: best_alpha ---------------------------------------------------------------------------

SMALLEST = "the key with the smallest finite error"


def judge_best_alpha(student, final_errors, description, clause=SMALLEST):
    """``clause``: what the contract asks in this situation, as the message says it (a tie's
    clause is the smaller alpha: an answer with the smallest error can still be the wrong one)."""
    expected = ref.best_alpha(final_errors)
    example = PUBLIC.q1_example(student)
    got = ZOO.call(student, "best_alpha", final_errors, example=example)
    value = expect_number(got, what=f"best_alpha on {description}", example=example)
    if value != expected:
        # Neither value is quoted: both come from hidden inputs (the example shows a public case).
        raise Fail(f"best_alpha picked the wrong alpha on {description}; the contract asks for "
                   f"{clause}.", example=example,
                   detail=f"a sweep of {len(final_errors)} alphas; expected {expected!r}, got {value!r}",
                   later=lambda: named(ZOO.match("best_alpha", (final_errors,), got, example=example)))


def is_a(exc, builtin: str) -> bool:
    """Whether the student's exception is an instance of the builtin class ``builtin`` (from the
    classes its MRO holds, not from the name the student's class bears)."""
    bases = getattr(exc, "exc_bases", ())
    return builtin in bases if bases else getattr(exc, "exc_type", None) == builtin


def sweep(size):
    """A dict {alpha: error}: distinct alphas on a log scale, in shuffled order."""
    alphas = np.round(10.0 ** rng.uniform(-3, 3, size=size), 4)
    alphas = list(dict.fromkeys(float(a) for a in alphas if a > 0))
    rng.shuffle(alphas)
    return {a: float(rng.uniform(0.001, 0.5)) for a in alphas}


@pytest.mark.question("q1_best_alpha", weight=1)
def test_q1_picks_the_smallest_error(student):
    """Returns the alpha (the key) with the smallest final error."""
    judge_best_alpha(student, sweep(7), "a sweep of several alphas")
    errors = sweep(5)
    errors[min(errors)] = 0.0  # a perfect run is still a finite error, the best one
    judge_best_alpha(student, errors, "a sweep where one run reached error 0.0")
    # The tutorial's alphas: whole numbers (ints) next to fractions, as the notebook's table.
    tutorial = {alpha: float(rng.uniform(0.01, 0.5)) for alpha in (0.001, 0.01, 0.1, 1, 10, 100, 1000)}
    judge_best_alpha(student, tutorial, "the tutorial's alphas (ints and floats as keys)")


@pytest.mark.question("q1_best_alpha", weight=1)
def test_q1_ignores_nan_and_inf(student):
    """NaN, inf and -inf errors (diverged runs) are ignored."""
    errors = sweep(5)
    ignored = "the key with the smallest finite error, NaN, inf and -inf errors ignored"
    judge_best_alpha(student, {float(rng.uniform(20, 99)): NAN, **errors, 1000.0: INF},
                     "a sweep with a NaN error listed first and an inf error", ignored)
    errors = sweep(5)
    judge_best_alpha(student, {**errors, float(rng.uniform(0.0001, 0.0009)): -INF},
                     "a sweep with a -inf error", ignored)


@pytest.mark.question("q1_best_alpha", weight=1)
def test_q1_ties_go_to_the_smaller_alpha(student):
    """A tie on the error goes to the smaller alpha, whatever the dict's order."""
    errors = sweep(6)
    alphas = sorted(errors)
    tie = float(rng.uniform(0.0001, 0.001))
    others = {a: e for a, e in errors.items() if a not in (alphas[-2], alphas[1])}
    # Listed both ways, so neither "the first one found" nor "the last one found" passes.
    smaller = "the smaller of the tied alphas, whatever the dict's order"
    judge_best_alpha(student, {alphas[-2]: tie, **others, alphas[1]: tie},
                     "a sweep where two alphas tie on the smallest error (the larger listed first)", smaller)
    judge_best_alpha(student, {alphas[1]: tie, **others, alphas[-2]: tie},
                     "a sweep where two alphas tie on the smallest error (the smaller listed first)", smaller)


@pytest.mark.question("q1_best_alpha", weight=1)
def test_q1_near_ties_are_not_ties(student):
    """An error smaller by a hair wins, even for the larger alpha."""
    errors = sweep(6)
    alphas = sorted(errors)
    best = float(rng.uniform(0.0001, 0.001))
    hair = float(np.nextafter(best, 1.0))  # the next float above: not a tie
    # Neither of the two is the smallest alpha, so "the smallest alpha" is no answer here.
    others = {a: e for a, e in errors.items() if a not in (alphas[1], alphas[-1])}
    judge_best_alpha(student, {alphas[1]: hair, **others, alphas[-1]: best},
                     "a sweep where the larger alpha's error is smaller by a hair",
                     "the key with the smallest error: only exactly equal errors tie")


@pytest.mark.question("q1_best_alpha", weight=1)
def test_q1_raises_value_error_when_nothing_is_finite(student):
    """Raises ValueError when no error is finite (an empty dict included)."""
    for final_errors, description in (
            ({float(rng.uniform(0.1, 9)): INF, float(rng.uniform(10, 99)): NAN, float(rng.uniform(100, 999)): -INF},
             "when every error is NaN, inf or -inf"),
            ({}, "on an empty dict")):
        example = PUBLIC.q1_example(student)
        try:
            got = student.call("best_alpha", final_errors)
        except Exception as exc:
            exc_type = getattr(exc, "exc_type", None)
            if is_a(exc, "ValueError"):  # any subclass of ValueError is one
                continue
            if exc_type is None or exc_type == "NotImplementedError":
                raise
            # Which other exception it was is the student's to choose on a hidden input: not said
            # (the public example shows what the code raises there).
            message = getattr(exc, "message", "")
            raise raised_on_hidden("best_alpha", f"other than ValueError {description}", example=example,
                                   hint="`raise ValueError(\"...\")` when no finite error is left",
                                   diagnose=lambda: ZOO.match_raised("best_alpha", (final_errors,), exc_type,
                                                                     message, example=example)) from None
        shown = "None" if got is None else kind_of(got)
        raise Fail(f"best_alpha returned {shown} {description}; it should raise ValueError.", example=example,
                   hint="check that some finite error is left, else `raise ValueError(...)`",
                   later=lambda: named(ZOO.match("best_alpha", (final_errors,), got, example=example)))


# ---- q2: count_direction_changes -------------------------------------------------------------

def updates(*shape):
    """Updates with both signs and some exact zeros, of either sign (a zero update is "not up").

    One entry is planted strictly up and another strictly down (every shape here holds two or
    more): on every draw, code that clips or overwrites the negatives changes the array."""
    values = rng.normal(0, 1, size=shape)
    values[rng.random(shape) < 0.25] = 0.0
    values[rng.random(shape) < 0.1] = -0.0
    up, down = rng.choice(values.size, size=2, replace=False)
    values.flat[up] = rng.uniform(0.1, 2)
    values.flat[down] = -rng.uniform(0.1, 2)
    return values


def check_changes(student, prev_update, update, context, detail=""):
    example = PUBLIC.q2_example(student)
    got = ZOO.call(student, "count_direction_changes", prev_update, update, example=example)
    expect_equal(got, ref.count_direction_changes(prev_update, update), integer=True,
                 what="count_direction_changes(prev_update, update)", context=context, detail=detail,
                 example=example, shape_name="the shape of the inputs",
                 diagnose=ZOO.for_call("count_direction_changes", prev_update, update, example=example))


@pytest.mark.question("q2_direction_changes", weight=2)
def test_q2_flags_flips_with_zeros(student):
    """1 where (update > 0) differs from (prev_update > 0); an update of 0 is not up."""
    a, b = two_sizes()
    check_changes(student, updates(a, b), updates(a, b), "on 2-D arrays with some zeros",
                  detail=f"arrays of shape {(a, b)}")
    # Every combination of up / zero / down once, so each rule about zeros shows.
    prev = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0, -1.0, -1.0, -1.0]) * rng.uniform(0.1, 2)
    now = np.array([1.0, 0.0, -1.0, 1.0, 0.0, -1.0, 1.0, 0.0, -1.0]) * rng.uniform(0.1, 2)
    check_changes(student, prev, now, "on all nine combinations of up, zero and down")


@pytest.mark.question("q2_direction_changes", weight=1)
def test_q2_keeps_any_shape(student):
    """Works for any shape and returns that shape."""
    a, b = two_sizes()
    for shape in [(a,), (b, a, 2)]:
        check_changes(student, updates(*shape), updates(*shape), f"on {len(shape)}-D arrays",
                      detail=f"arrays of shape {shape}")
    whole = lambda: rng.integers(-2, 3, size=(a, b))  # noqa: E731
    check_changes(student, whole(), whole(), "on integer-valued updates", detail=f"arrays of shape {(a, b)}")


@pytest.mark.question("q2_direction_changes", weight=1)
def test_q2_leaves_inputs_untouched(student):
    """Does not modify prev_update or update."""
    a, b = two_sizes()
    prev, now = updates(a, b), updates(a, b)
    example = PUBLIC.q2_example(student)
    got, changed = ZOO.call(student, "count_direction_changes", prev, now, watch_inputs=True, example=example)
    as_array(got, what="count_direction_changes(prev_update, update)", example=example)
    expect_unmodified(changed[0], what="`prev_update`", example=example)
    expect_unmodified(changed[1], what="`update`", example=example)


# ---- q3: init_synapses ------------------------------------------------------------------------

def check_init(student, n_inputs, hidden, n_outputs, seed, context, detail=""):
    args = (n_inputs, hidden, n_outputs, seed)
    example = PUBLIC.q3_example(student)
    expected = ref.init_synapses(*args)
    detail = detail or f"sizes ({n_inputs}, {hidden}, {n_outputs}) and seed {seed}"
    got = expect_pair(ZOO.call(student, "init_synapses", *args, example=example),
                      what="init_synapses(...)", example=example,
                      diagnose=ZOO.for_call("init_synapses", *args, example=example))
    # A mistake is named from the whole pair: one item alike is not the same mistake.
    whole = whole_pair(ZOO.for_call("init_synapses", *args, example=example), got)
    for index, (name, shape) in enumerate((("synapse_0", "(n_inputs, hidden)"), ("synapse_1", "(hidden, n_outputs)"))):
        expect_close(got[index], expected[index], what=f"{name} (item {index} of the pair)",
                     context=context, detail=detail, example=example, rtol=0, atol=1e-12, shape_name=shape,
                     diagnose=whole)


@pytest.mark.question("q3_init_synapses", weight=2)
def test_q3_reproduces_the_seeded_draws(student):
    """Seeds the legacy generator, then draws synapse_0 and synapse_1 as 2*random - 1, in that order."""
    n_inputs, hidden = untutorial_sizes()
    # Two or more outputs, so these sizes can never be the toy network's (3, 4, 1).
    n_outputs = int(rng.choice([k for k in range(2, 9) if k not in (n_inputs, hidden)]))
    check_init(student, n_inputs, hidden, n_outputs, int(rng.integers(2, 10**6)),
               "with other sizes and a fresh seed")


@pytest.mark.question("q3_init_synapses", weight=1)
def test_q3_tutorial_sizes_other_seeds(student):
    """The tutorial's sizes (3, 4, 1) with seeds other than 1 give the seeded weights."""
    for seed in rng.choice(np.arange(2, 10**5), size=2, replace=False):
        check_init(student, 3, 4, 1, int(seed), "with the tutorial's sizes and another seed")


@pytest.mark.question("q3_init_synapses", weight=1)
def test_q3_seed_zero_and_large_seeds(student):
    """A seed of 0 and large seeds are used as given."""
    n_inputs, hidden = untutorial_sizes()
    check_init(student, n_inputs, hidden, 1, 0, "with seed 0")
    check_init(student, n_inputs, hidden, 2, int(rng.integers(2**31, 2**32)), "with a large seed (above 2**31)")


# ---- q4: error_surface ------------------------------------------------------------------------

def targets(n):
    """n >= 2 targets of 0 and 1 with both present: with all targets alike, outputs of shape
    (n, 1) against y of shape (n,) broadcast to (n, n) and still give the right mean."""
    return rng.permutation(np.concatenate([[0, 1], rng.integers(0, 2, size=n - 2)]))


def surface_case():
    n = int(rng.choice([3, 5, 6, 7]))
    # Real-valued inputs: a 0/1 design can be symmetric in its two columns, and then swapping
    # the weights would go unnoticed.
    X = np.round(rng.uniform(-2, 2, size=(n, 2)), 2)
    y = targets(n)
    a, b = two_sizes()
    return X, y, list(np.round(rng.uniform(-4, 4, a), 3)), list(np.round(rng.uniform(-4, 4, b), 3))


def check_surface(student, X, y, w0, w1, context, detail=""):
    example = PUBLIC.q4_example(student)
    detail = detail or f"{len(X)} rows, a {len(w0)}x{len(w1)} grid"
    got = ZOO.call(student, "error_surface", X, y, w0, w1, example=example)
    expect_close(got, ref.error_surface(X, y, w0, w1), what="error_surface(X, y, w0_values, w1_values)",
                 context=context, detail=detail, example=example, rtol=1e-7, atol=1e-10,
                 shape_name="(len(w0_values), len(w1_values))",
                 diagnose=ZOO.for_call("error_surface", X, y, w0, w1, example=example))


@pytest.mark.question("q4_error_surface", weight=2)
def test_q4_matches_contract_on_a_rectangular_grid(student):
    """Entry [i, j] is mean(|sigmoid(X @ [w0[i], w1[j]]) - y|), shape (len(w0), len(w1))."""
    X, y, w0, w1 = surface_case()
    check_surface(student, X, y, w0, w1, "with y of shape (n,) and a rectangular grid")


@pytest.mark.question("q4_error_surface", weight=1)
def test_q4_accepts_y_as_a_column(student):
    """y of shape (n, 1) gives the same surface as y of shape (n,)."""
    X, y, w0, w1 = surface_case()
    check_surface(student, X, y.reshape(-1, 1), w0, w1, "with y of shape (n, 1)")


def integer_rows() -> list:
    """Rows of small integers (-1 to 2): (1, 0) and (0, 1) first, then the others without
    (0, 0) and with only one of each pair of opposite rows."""
    grid = [(a, b) for a in range(-1, 3) for b in range(-1, 3) if (a, b) != (0, 0)]
    kept = [row for row in grid if (-row[0], -row[1]) not in grid or row > (-row[0], -row[1])]
    return [(1, 0), (0, 1)] + [row for row in kept if row not in ((1, 0), (0, 1))]


INTEGER_ROWS = integer_rows()


@pytest.mark.question("q4_error_surface", weight=1)
def test_q4_integer_inputs_and_numpy_grids(student):
    """X of integers with fractional weights, numpy grids as well as lists, a single candidate."""
    n = int(rng.choice([4, 5, 6]))
    # Both columns matter (rows (1, 0) and (0, 1)), and no two rows are alike or opposite: two
    # such rows can add up to an error that is the same for every weight (alike with targets 0
    # and 1, opposite with equal targets), and a surface that is flat hides what the weights did.
    others = rng.permutation(len(INTEGER_ROWS) - 2)[:n - 2] + 2
    X = np.array([INTEGER_ROWS[k] for k in (0, 1, *others)], dtype=np.int64)
    y = targets(n)
    a, b = two_sizes()
    grid_0 = np.linspace(-float(rng.uniform(1, 4)), float(rng.uniform(1, 4)), a)
    grid_1 = np.linspace(-float(rng.uniform(1, 4)), float(rng.uniform(1, 4)), b)
    check_surface(student, X, y, grid_0, grid_1, "with an X of integers and numpy arrays (np.linspace) as grids",
                  detail=f"{n} rows, a {a}x{b} grid")
    check_surface(student, X, y.reshape(-1, 1), [float(rng.uniform(-3, 3))], list(grid_1),
                  "with a single candidate for w0", detail=f"{n} rows, a 1x{b} grid")


# ---- q5: momentum_update ----------------------------------------------------------------------

def check_momentum(student, args, context, detail):
    expected = ref.momentum_update(*args)
    example = PUBLIC.q5_example(student)
    got = expect_pair(ZOO.call(student, "momentum_update", *args, example=example),
                      what="momentum_update(...)", example=example,
                      diagnose=ZOO.for_call("momentum_update", *args, example=example))
    whole = whole_pair(ZOO.for_call("momentum_update", *args, example=example), got)
    for index, name in enumerate(("new_synapse", "new_velocity")):
        expect_close(got[index], expected[index], what=f"{name} (item {index} of the pair)", context=context,
                     detail=detail, example=example, rtol=1e-7, atol=1e-10, shape_name="the shape of `synapse`",
                     diagnose=whole)


def momentum_args(momentum, *, alpha=None, shape=None, velocity=True):
    """Arguments as the notebook's loop passes them: arrays, and plain Python numbers for
    alpha and momentum."""
    shape = shape or two_sizes()
    synapse, gradient = rng.normal(0, 1, shape), rng.normal(0, 1, shape)
    speed = rng.normal(0, 1, shape) if velocity else np.zeros(shape)
    alpha = float(rng.uniform(0.05, 0.95)) if alpha is None else alpha
    return (synapse, gradient, speed, alpha, momentum), f"arrays of shape {shape}, alpha {alpha!r}, momentum {momentum!r}"


@pytest.mark.question("q5_momentum_update", weight=2)
def test_q5_matches_contract(student):
    """new_velocity = momentum * velocity + alpha * gradient; new_synapse = synapse - new_velocity."""
    args, detail = momentum_args(float(rng.uniform(0.5, 0.95)))
    check_momentum(student, args, "on 2-D arrays", detail)


@pytest.mark.question("q5_momentum_update", weight=1)
def test_q5_without_momentum_is_the_plain_step(student):
    """With momentum 0 the step is synapse - alpha * gradient."""
    args, detail = momentum_args(0.0)
    check_momentum(student, args, "with momentum 0", detail)


@pytest.mark.question("q5_momentum_update", weight=1)
def test_q5_first_step_and_other_shapes(student):
    """The loop's first step (zero velocity), a whole-number alpha, 1-D arrays."""
    a, _ = two_sizes()
    args, detail = momentum_args(float(rng.uniform(0.5, 0.95)), alpha=int(rng.choice([1, 10])), velocity=False)
    check_momentum(student, args, "on the first step (zero velocity) with a whole-number alpha", detail)
    args, detail = momentum_args(float(rng.uniform(0.1, 0.9)), shape=(a,))
    check_momentum(student, args, "on 1-D arrays", detail)


@pytest.mark.question("q5_momentum_update", weight=1)
def test_q5_leaves_inputs_untouched(student):
    """Does not modify synapse, gradient or velocity."""
    args, _ = momentum_args(float(rng.uniform(0.5, 0.95)))
    example = PUBLIC.q5_example(student)
    got, changed = ZOO.call(student, "momentum_update", *args, watch_inputs=True, example=example)
    for index, part in enumerate(expect_pair(got, what="momentum_update(...)", example=example)):
        as_array(part, what=f"item {index} of the pair", example=example)
    for index, name in enumerate(("`synapse`", "`gradient`", "`velocity`")):
        expect_unmodified(changed[index], what=name, example=example,
                          hint="build new arrays (`v = momentum * velocity + ...`) instead of `-=` / `*=`")
