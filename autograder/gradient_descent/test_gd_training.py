"""Hidden tests for q5 (convergence with the student's own functions) and q6 (divergence).

q5 runs the kit's loop inside the worker with the student's four functions and recomputes the
final error here from the returned synapses; the bar is the reference's own run on the same
data, seed and size, plus a margin. q6 judges ``detect_divergence`` alone: histories come from
the reference loop (run here) and the student's detector is asked about every prefix in one
round trip, so a wrong delta elsewhere cannot cost q6 anything.
"""
import functools
from pathlib import Path

import numpy as np
import pytest

from gdkit import network as ref
from gdkit.grading.randomness import keyed, rng  # reproducible per test / per shared draw
from gdkit.grading.checks import Fail, as_bool, example_of, expect_shape, fmt, safe_exception_name
from gdkit.grading.diagnose import Diagnoser

ZOO = Diagnoser.from_file(Path(__file__).with_name("bugzoo.py"))

ITERATIONS = 150    # the reference gets the toy error from 0.50 to ~0.04 in 150 steps at alpha 10
MARGIN = 0.25       # the student may keep up to 25% of the reference's starting error on top
LEARNED = 0.4       # a variant only counts if the reference itself cut its error to < 40%
LOOP_STEPS = 60     # prefixes asked of the student's detector in the training-loop tests

X_TOY = ref.X
Y_TOY = ref.y
Y_TWO = np.array([[0, 0], [1, 0], [1, 0], [0, 1]])            # XOR and AND together
Y_AND = np.array([[False], [False], [False], [True]])           # boolean targets
X_EIGHT = np.array([[a, b, c, 1] for a in (0, 1) for b in (0, 1) for c in (0, 1)])


# One grading session grades many students: the shared random choices below come from
# `keyed` draws (the same for every student of a run) and the reference runs they need are
# cached, so each student costs only their own training runs.
_REFERENCE_RUNS: dict = {}


def reference_train(X, y, alpha, hidden, iterations, seed):
    """``ref.train``, remembered for the rest of the session."""
    X, y = np.asarray(X), np.asarray(y)
    key = (X.tobytes(), X.shape, y.tobytes(), y.shape, y.dtype.str, alpha, hidden, iterations, seed)
    if key not in _REFERENCE_RUNS:
        _REFERENCE_RUNS[key] = ref.train(X, y, alpha, hidden, iterations, seed)
    return _REFERENCE_RUNS[key]


def final_error(X, y, synapse_0, synapse_1):
    return ref.mean_abs_error(ref.forward(X, synapse_0, synapse_1)[1], np.asarray(y, dtype=float))


def check_convergence(student, X, y, alpha, hidden, seed, *, label, curve=False):
    reference = reference_train(X, y, alpha, hidden, ITERATIONS, seed)
    start = float(reference.errors[0])
    bar = final_error(X, y, reference.synapse_0, reference.synapse_1)
    threshold = bar + MARGIN * (start - bar)
    run = student.train(X, y, alpha, hidden, ITERATIONS, seed)
    what = f"training on {label}"
    if not isinstance(run, dict) or "synapse_0" not in run or "synapse_1" not in run:
        raise Fail(f"{what} did not give back the trained synapses.")
    n_inputs, n_outputs = np.shape(X)[1], np.shape(y)[1]
    synapse_0 = expect_shape(run["synapse_0"], (n_inputs, hidden), what=f"synapse_0 after {what}",
                             hint="update_synapses must return (synapse_0, synapse_1) in that order")
    synapse_1 = expect_shape(run["synapse_1"], (hidden, n_outputs), what=f"synapse_1 after {what}",
                             hint="update_synapses must return (synapse_0, synapse_1) in that order")
    if curve:
        _record_curve(student, run.get("errors"), reference.errors, label)
    error = final_error(X, y, synapse_0.astype(float), synapse_1.astype(float))
    if not np.isfinite(error) or error > threshold:
        raise Fail(
            f"{what} (alpha = {alpha}, {hidden} hidden units, {ITERATIONS} iterations) ended with "
            f"error {fmt(error)}; the reference reaches {fmt(bar)} from {fmt(start)}, and at most "
            f"{fmt(threshold)} is accepted. Your four functions together do not descend the error "
            "as they should: check the failing questions above first, then the signs and the "
            "slope factors.")


def _record_curve(student, errors, reference_errors, label):
    """The toy run's curves for the feedback picture; the student's list is only drawn, never judged."""
    try:
        values = [float(e) for e in list(errors)[:len(reference_errors)]]
    except (TypeError, ValueError):
        return
    student.artifacts["training_curve"] = {"student": values, "label": f"{label}, alpha 10",
                                           "reference": [float(e) for e in reference_errors]}


def learning_seed(X, y, hidden):
    """A fresh seed for which the reference clearly learns (most do; a few start in a flat spot)."""
    key = (np.asarray(X).tobytes(), np.asarray(y).tobytes(), hidden)
    if key not in _SEEDS:
        _SEEDS[key] = _find_learning_seed(X, y, hidden)
    return _SEEDS[key]


_SEEDS: dict = {}


def _find_learning_seed(X, y, hidden):
    draw = keyed("learning_seed", np.asarray(X).tolist(), np.asarray(y).tolist(), hidden)
    for _ in range(10):
        seed = int(draw.integers(0, 2**31 - 1))
        run = reference_train(X, y, 10, hidden, ITERATIONS, seed)
        if final_error(X, y, run.synapse_0, run.synapse_1) < LEARNED * run.errors[0]:
            return seed
    return 1


# ---- q5: convergence ----------------------------------------------------------------------------

OTHER_HIDDEN = int(keyed("other_hidden").choice([3, 5, 6, 8]))

@pytest.mark.question("q5_convergence", weight=2)
def test_q5_toy_data_converges(student):
    """Your functions together bring the tutorial's XOR data to a low error."""
    check_convergence(student, X_TOY, Y_TOY, 10, 4, 1, label="the tutorial's XOR data (seed 1)", curve=True)


@pytest.mark.question("q5_convergence", weight=1)
def test_q5_other_seed_and_hidden_size(student):
    """Training also converges with another seed and hidden size."""
    hidden = OTHER_HIDDEN
    check_convergence(student, X_TOY, Y_TOY, 10, hidden, learning_seed(X_TOY, Y_TOY, hidden),
                      label="the XOR data with another seed and hidden size")


@pytest.mark.question("q5_convergence", weight=1)
def test_q5_boolean_targets_and_more_rows(student):
    """Training also converges on other data with boolean targets."""
    y = np.array([[bool(row[0] and (row[1] or row[2]))] for row in X_EIGHT])
    check_convergence(student, X_EIGHT, y, 10, 5, learning_seed(X_EIGHT, y, 5),
                      label="eight rows with boolean targets")
    check_convergence(student, X_TOY, Y_AND, 10, 4, learning_seed(X_TOY, Y_AND, 4),
                      label="the AND of the first two columns (boolean targets)")


@pytest.mark.question("q5_convergence", weight=1)
def test_q5_two_outputs(student):
    """Training also converges with two outputs at once."""
    check_convergence(student, X_TOY, Y_TWO, 10, 6, learning_seed(X_TOY, Y_TWO, 6),
                      label="two outputs at once (XOR and AND)")


# ---- q6: detect_divergence ------------------------------------------------------------------------

EX_HISTORY = [0.4964, 0.5315, 0.47, 0.5]


def q6_example(student):
    return example_of(student, "detect_divergence", (EX_HISTORY,),
                      ref.detect_divergence(EX_HISTORY), names=("errors",))


def judge_histories(student, cases):
    """cases: [(history, description)]; expected answers come from the reference."""
    answers = student.call_many("detect_divergence", [(history,) for history, _ in cases])
    for (history, description), answer in zip(cases, answers):
        expected = ref.detect_divergence(history)
        if isinstance(answer, Exception):
            kind = safe_exception_name(getattr(answer, "exc_type", type(answer).__name__))
            raise Fail(f"detect_divergence raised {kind} on {description} (length {len(history)}); "
                       f"it should return {expected}.", example=q6_example(student),
                       **_known(history, answer))
        got = as_bool(answer, what=f"detect_divergence on {description}", example=q6_example(student),
                      diagnose=ZOO.for_call("detect_divergence", history))
        if got != expected:
            raise Fail(f"detect_divergence returned {got} on {description}; the contract says "
                       f"{expected}.", example=q6_example(student), **_known(history, answer))


def _known(history, answer) -> dict:
    found = ZOO.match("detect_divergence", (history,), answer)
    return {"mistake": found[0], "hint": found[1]} if found else {}


def falling(start, length, *, noise):
    """A history that trends down from ``start`` with a little noise, staying positive."""
    steps = rng.uniform(0.001, 0.01, size=length - 1) + rng.normal(0, noise, size=length - 1)
    return [float(start)] + [float(v) for v in np.clip(start - np.cumsum(steps), 0.01, None)]


@functools.cache
def reference_history(alpha, iterations, *, diverges: bool, skip: int = 0):
    """Errors of a reference run (fresh seed and size) whose verdict is ``diverges``; seed 1 with
    4 hidden units is the fallback, it shows both behaviours the tutorial describes."""
    draw = keyed("reference_history", alpha, iterations, diverges, skip)
    for seed, hidden in [(int(draw.integers(0, 10**6)), int(draw.choice([3, 4, 5])))
                         for _ in range(8)] + [(1, 4)]:
        errors = [float(e) for e in ref.train(X_TOY, Y_TOY, alpha, hidden, iterations, seed).errors][skip:]
        if ref.detect_divergence(errors) == diverges:
            return errors
    return errors


@pytest.mark.question("q6_detect_divergence", weight=1)
def test_q6_rising_errors_diverge(student):
    """A history whose last error is above the first is divergence."""
    start = float(rng.uniform(0.1, 0.3))
    dipped = falling(start, 6, noise=0.0)
    rising = dipped + [start + float(rng.uniform(0.001, 0.01))]     # ends just above the first
    steady_rise = list(np.linspace(start, start + 0.1, 8))           # stays below 0.5
    judge_histories(student, [(rising, "a history that dips and ends above its first error"),
                              (steady_rise, "a history rising steadily (all below 0.5)")])


@pytest.mark.question("q6_detect_divergence", weight=1)
def test_q6_saturating_at_one_half_diverges(student):
    """A run that saturates near 0.5 from a lower start is divergence."""
    # alpha = 1000: the outputs slam to 0 or 1 and the error flattens out near 0.5.
    history = reference_history(1000, 25, diverges=True)
    judge_histories(student, [(history, "the errors of a run at alpha = 1000 (stuck near 0.5)")])


@pytest.mark.question("q6_detect_divergence", weight=1)
def test_q6_nan_and_inf_diverge(student):
    """Any NaN or inf in the history is divergence."""
    start = float(rng.uniform(0.2, 0.45))
    body = falling(start, 6, noise=0.0)
    judge_histories(student, [
        (body + [float("nan")], "a history ending in NaN"),
        (body[:3] + [float("nan")] + body[3:], "a falling history with a NaN in the middle"),
        (body[:3] + [float("inf")] + body[3:], "a falling history with an inf in the middle"),
        (body + [float("-inf")], "a history ending in -inf"),
    ])


@pytest.mark.question("q6_detect_divergence", weight=1)
def test_q6_noisy_but_falling_does_not_diverge(student):
    """Wobbles are fine while the last error is below the first."""
    start = float(rng.uniform(0.3, 0.45))
    history = falling(start, 12, noise=0.002)
    # A bump above the first error early on, and a last step that goes up a little: both are
    # normal wobbles, the latest error is still below the first.
    history[2] = start + 0.01
    history.append(history[-1] + 0.003)
    judge_histories(student, [(history, "a noisy history whose last error is below the first"),
                              (np.array(history), "the same history as a numpy array")])


@pytest.mark.question("q6_detect_divergence", weight=1)
def test_q6_stuck_but_not_rising_does_not_diverge(student):
    """A stuck but not rising history is not divergence."""
    # alpha = 100 settles on a plateau and creeps down: stuck is not diverging.
    plateau = reference_history(100, 120, diverges=False, skip=40)
    flat = [float(rng.uniform(0.2, 0.5))] * 15
    judge_histories(student, [(plateau, "a long plateau that creeps down (like alpha = 100)"),
                              (flat, "a perfectly flat history")])


@pytest.mark.question("q6_detect_divergence", weight=1)
def test_q6_short_histories(student):
    """Empty and one-value histories are handled (only NaN/inf diverge)."""
    value = float(rng.uniform(0.1, 0.5))
    judge_histories(student, [([], "an empty list"), ([value], "a single error"),
                              ([float("nan")], "a single NaN"),
                              ([value, value + 0.01], "two errors, the second higher"),
                              ([value, value - 0.01], "two errors, the second lower")])


def student_stop(student, errors):
    """Where the reference loop would stop when driven by the student's detector, or None."""
    prefixes = [(errors[: j + 1],) for j in range(len(errors))]
    for j, answer in enumerate(student.call_many("detect_divergence", prefixes)):
        if isinstance(answer, Exception):
            kind = safe_exception_name(getattr(answer, "exc_type", type(answer).__name__))
            raise Fail(f"detect_divergence raised {kind} inside the training loop at iteration {j}.",
                       example=q6_example(student))
        if as_bool(answer, what="detect_divergence inside the training loop", example=q6_example(student)):
            return j
    return None


@pytest.mark.question("q6_detect_divergence", weight=2)
def test_q6_training_loop_stops_at_alpha_1000_only(student):
    """The training loop stops early at alpha = 1000 and runs to the end at alpha = 10."""
    wild = reference_history(1000, LOOP_STEPS, diverges=True)
    tame = [float(e) for e in reference_train(X_TOY, Y_TOY, 10, 4, LOOP_STEPS, 1).errors]
    for errors, alpha in ((wild, 1000), (tame, 10)):
        expected = next((j for j in range(len(errors)) if ref.detect_divergence(errors[: j + 1])), None)
        got = student_stop(student, errors)
        if got != expected:
            said = "ran to the end" if got is None else f"stopped at iteration {got}"
            should = "run to the end" if expected is None else f"stop at iteration {expected}"
            raise Fail(f"At alpha = {alpha} the training loop with your detector {said}; it should "
                       f"{should}.", example=q6_example(student))
