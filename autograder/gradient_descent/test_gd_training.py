"""Hidden tests for q5 (convergence with the student's own functions) and q6 (divergence).

q5 runs the kit's loop with the student's four functions; the loop returns the synapses before
every step, and everything judged is recomputed here: the errors with trusted code, and three
steps (the first, the last and one chosen after the run) by calling the student's functions
directly on the same inputs, which must give the same next synapses (a function that answers the loop
differently from a direct call gains nothing). The loop runs in a training worker of its own
and the direct calls in a worker that never lived next to it (``student.train``), so a function
that remembers the loop's steps has nothing to replay; all five runs are made at the first q5
test (:func:`trained`), the public one (the toy data, whose curve feedback draws) first. The bar is the reference's own run on the same
data, seed and size, plus a margin. A run whose weights never change, or whose error rises,
scores nothing; the feedback says which of these it found.
q6 judges ``detect_divergence`` alone: histories come from the reference loop (run here) and
the student's detector is asked about every prefix in one round trip, so a wrong delta
elsewhere cannot cost q6 anything.

The contract's clauses, and the test that tells each apart:

q5 (nothing new to write: the four functions inside the notebook's loop learn)
  - the tutorial's XOR data, alpha 10, seed 1, 4 hidden units ... test_q5_toy_data_converges
  - another seed and another hidden size ................. test_q5_other_seed_and_hidden_size
  - other data, boolean targets, more rows ............... test_q5_boolean_targets_and_more_rows
  - several outputs at once .............................. test_q5_two_outputs
  - weights that never change, a rising error, NaN: 0 points (every q5 test)
q6 ``detect_divergence(errors)``
  - True when the last error is above the first .......... test_q6_rising_errors_diverge
  - strictly above: a hair above is True, equal is False .. test_q6_strictly_above_the_first
  - saturating near 0.5 from a lower start is True ....... test_q6_saturating_at_one_half_diverges
  - NaN, +inf, -inf anywhere is True ..................... test_q6_nan_and_inf_diverge
  - the first error, not the previous or the best one .... test_q6_noisy_but_falling_does_not_diverge
  - a list or a 1-D numpy array .......................... test_q6_noisy_but_falling_does_not_diverge
  - flat or creeping down is False ....................... test_q6_stuck_but_not_rising_does_not_diverge
  - empty list and a single finite value are False, a single NaN True ... test_q6_short_histories
  - returns a bool (True/False, numpy bool, 0-d bool array) ... every q6 test
  - inside the loop: stops at alpha = 1000, runs on at alpha = 10, and leaves the loop's own
    history list as it found it (it is the run's errors) ... test_q6_training_loop_stops_at_alpha_1000_only
"""
import copy
import functools
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from gdkit import network as ref
from gdkit.grading.randomness import keyed, rng  # reproducible per test / per shared draw
from gdkit.grading.checks import (Fail, as_array, as_bool, expect_shape, fmt, is_close, named,
                                  public_outcome, raised_on_hidden, raised_text)
from gdkit.grading.diagnose import Diagnoser, load_module, same_answer
from gdkit.grading.student import StudentRaised, training_start

ZOO = Diagnoser.from_file(Path(__file__).with_name("bugzoo.py"))
PUBLIC = load_module(Path(__file__).with_name("public.py"), "public")
q6_example = PUBLIC.q6_example

ITERATIONS = 150    # the reference gets the toy error from 0.50 to ~0.04 in 150 steps at alpha 10
MARGIN = 0.25       # the student may keep up to 25% of the reference's starting error on top
LEARNED = 0.4       # a variant only counts if the reference itself cut its error to < 40%
LOOP_STEPS = PUBLIC.LOOP_STEPS  # prefixes asked of the student's detector in the training-loop tests

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


@dataclass(frozen=True, eq=False)  # compared by identity: the runs are made once
class Run:
    """One of q5's training runs: data, hidden size, seed (alpha 10, ITERATIONS steps);
    ``public``: the notebook's own run (the toy data, seed 1), whose curve feedback shows."""

    X: np.ndarray
    y: np.ndarray
    hidden: int
    seed: int
    label: str
    public: bool = False


def q5_runs() -> tuple:
    """Every training run q5 judges, the public one first."""
    if not _RUNS:
        y_eight = np.array([[bool(row[0] and (row[1] or row[2]))] for row in X_EIGHT])
        _RUNS.extend([
            Run(X_TOY, Y_TOY, 4, 1, "the tutorial's XOR data (seed 1)", public=True),
            Run(X_TOY, Y_TOY, OTHER_HIDDEN, learning_seed(X_TOY, Y_TOY, OTHER_HIDDEN),
                "the XOR data with another seed and hidden size"),
            Run(X_EIGHT, y_eight, 5, learning_seed(X_EIGHT, y_eight, 5), "eight rows with boolean targets"),
            Run(X_TOY, Y_AND, 4, learning_seed(X_TOY, Y_AND, 4), "the AND of the first two columns (boolean targets)"),
            Run(X_TOY, Y_TWO, 6, learning_seed(X_TOY, Y_TWO, 6), "two outputs at once (XOR and AND)"),
        ])
    return tuple(_RUNS)


_RUNS: list = []
_TRAINED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def trained(student, run: Run):
    """The student's training run ``run`` (its result, or the exception it ended with).

    All of q5's runs are made at the first one asked for, in one go, in the student's training
    worker (``student.train``; its main worker is stopped meanwhile and restarted afresh for
    the confirmations): one training worker per student, and the confirming worker never lived
    next to the one that ran the loop, so it cannot be told the loop's steps. The public run
    comes first, in a fresh training worker, so its curve holds nothing hidden.
    """
    if student not in _TRAINED:
        results = {}
        for each in q5_runs():
            try:
                results[each] = student.train(each.X, each.y, 10, each.hidden, ITERATIONS, each.seed,
                                              public=each.public)
            except Exception as exc:  # kept for the test that judges this run
                results[each] = exc
        _TRAINED[student] = results
    return _TRAINED[student][run]


def check_convergence(student, run: Run):
    """Judge the student's training run ``run``: confirm it and judge its end point.

    Everything judged is recomputed here from the run's trajectory (the synapses before every
    step): the errors with trusted code, and three of the steps, chosen after the run, with the
    student's functions called directly on the same inputs (in a worker that never saw the
    loop). A run that cannot be confirmed earns nothing, so a function that answers the loop
    differently from a direct call gains nothing.
    """
    X, y, alpha, hidden, seed, label = run.X, run.y, 10, run.hidden, run.seed, run.label
    reference = reference_train(X, y, alpha, hidden, ITERATIONS, seed)
    start = float(reference.errors[0])
    bar = final_error(X, y, reference.synapse_0, reference.synapse_1)
    threshold = bar + MARGIN * (start - bar)
    settings = f"alpha = {alpha}, {hidden} hidden units, seed {seed}, {ITERATIONS} iterations"
    what = f"training on {label}"
    X_f, y_f, start_0, start_1 = training_start(X, y, hidden, seed)  # what student.train sends
    result = trained(student, run)
    if isinstance(result, StudentRaised):
        raise _raised_in_loop(student, result, what, settings)
    if isinstance(result, BaseException):
        raise result
    path = trajectory_of(result, start_0, start_1, what, settings)
    errors = trusted_errors(path, X_f, y_f)
    if run.public:
        _record_curve(student, errors, reference.errors, label)
    error = float(errors[-1])
    if np.isfinite(error) and error <= threshold:
        confirm_steps(student, path, X_f, y_f, alpha, what, settings)  # only a passing run needs it
        return
    numbers = (f"{settings}: your functions ended with error {fmt(error)}; the reference reaches "
               f"{fmt(bar)} from {fmt(start)}, and at most {fmt(threshold)} is accepted")
    finding, advice = _finding(path, errors, X_f, y_f, alpha)
    raise Fail(f"{what}: {finding}", detail=numbers, hint=advice, later=lambda: _public_advice(student))


def _public_advice(student) -> dict:
    """A named function that is already wrong on a public input, or that changes an array the
    loop uses again, says more than a guess."""
    wrong = public_mismatches(student)
    if wrong:
        return {"hint": f"{', '.join(wrong)} already {'differs' if len(wrong) == 1 else 'differ'} from the "
                        "contract on public inputs (the example shown under that question, or another "
                        "small one): fix that first"}
    changed = public_changes(student)
    if changed:
        return {"hint": f"{'; '.join(changed)} (seen on its public example), and the training loop uses "
                        "that array again after the call: return a new array instead of changing the "
                        "one you were given"}
    return {}


def trajectory_of(run, start_0, start_1, what, settings) -> tuple:
    """The run's synapses before every step and after the last, checked: two real arrays of
    shapes (steps + 1, i, h) and (steps + 1, h, k), beginning at the weights the run was given."""
    if not isinstance(run, dict):
        raise Fail(f"{what} did not give back the trained synapses.", detail=settings)
    path = run.get("trajectory")
    if path is None:  # a step changed the synapses' shape: say how, from the last synapses
        for name, start, other in (("synapse_0", start_0, start_1), ("synapse_1", start_1, start_0)):
            got = as_array(run.get(name), what=f"{name} after {what}")
            hint = ("update_synapses must return (synapse_0, synapse_1) in that order" if got.shape == other.shape
                    else "update_synapses must return each synapse in the shape it was given")
            expect_shape(got, start.shape, what=f"{name} after {what}", hint=hint, detail=settings,
                         shape_name=f"the shape {name} started with")
        raise Fail(f"{what}: the synapses changed shape during training.", detail=settings,
                   hint="update_synapses must return each synapse in the shape it was given")
    if not isinstance(path, (tuple, list)) or len(path) != 2:
        raise Fail(f"{what} did not give back the trained synapses.", detail=settings)
    stacks = []
    for name, value, start in (("synapse_0", path[0], start_0), ("synapse_1", path[1], start_1)):
        stack = as_array(value, what=f"{name} during {what}")
        if stack.shape != (ITERATIONS + 1,) + start.shape:
            raise Fail(f"{what} did not give back the trained synapses.", detail=settings)
        stacks.append(stack.astype(float))
    if not (np.array_equal(stacks[0][0], start_0) and np.array_equal(stacks[1][0], start_1)):
        raise Fail(f"{what} did not start from the weights it was given, so it cannot be judged.",
                   detail=settings)
    return tuple(stacks)


def trusted_errors(path, X, y) -> np.ndarray:
    """The error before every step and after the last, recomputed here: the notebook's forward
    pass for every step's synapses at once."""
    synapses_0, synapses_1 = path
    with np.errstate(all="ignore"):
        layer_1 = ref.sigmoid(np.matmul(X, synapses_0))          # (steps + 1, n, h)
        layer_2 = ref.sigmoid(np.matmul(layer_1, synapses_1))    # (steps + 1, n, k)
        return np.mean(np.abs(layer_2 - y), axis=(1, 2))


def _same_pair(got, expected) -> bool:
    return (isinstance(got, (tuple, list)) and len(got) == 2
            and all(is_close(g, e, rtol=1e-9, atol=1e-12) for g, e in zip(got, expected)))


def confirm_steps(student, path, X, y, alpha, what, settings) -> None:
    """Recompute the first step, the last and one in between, chosen here after the run, by
    calling the student's functions directly (one round trip per function; the layers come
    from trusted code); each must give the run's next synapses."""
    synapses_0, synapses_1 = path
    steps = sorted({0, int(rng.integers(1, ITERATIONS - 1)), ITERATIONS - 1})
    layers = [ref.forward(X, synapses_0[j], synapses_1[j]) for j in steps]
    news = [None] * len(steps)
    deltas_2 = student.call_many("compute_layer_2_delta", [(layer_2, y) for _, layer_2 in layers])
    if not any(isinstance(d, Exception) for d in deltas_2):  # a raise here is a different step
        deltas_1 = student.call_many("compute_layer_1_delta", [
            (d2, synapses_1[j], layer_1) for j, (layer_1, _), d2 in zip(steps, layers, deltas_2)])
        if not any(isinstance(d, Exception) for d in deltas_1):
            news = student.call_many("update_synapses", [
                (synapses_0[j], synapses_1[j], X, layer_1, d1, d2, alpha)
                for j, (layer_1, _), d1, d2 in zip(steps, layers, deltas_1, deltas_2)])
    for j, new in zip(steps, news):
        if not _same_pair(new, (synapses_0[j + 1], synapses_1[j + 1])):
            raise Fail(f"{what} could not be confirmed: called directly on the inputs of one of "
                       "the run's steps, your functions gave a different step than inside the "
                       "training loop, so the run earns nothing. Do they keep state between "
                       "calls, change the arrays they are given, or behave differently depending "
                       "on who calls them?", detail=f"{settings}; step {j}",
                       later=lambda: _public_advice(student))


def _raised_in_loop(student, exc, what, settings) -> Fail:
    """The loop stopped on an exception. Which function raised it, and its type and text, are
    the student's code's to choose on the run's inputs: said only from the first step on the
    tutorial's (public) data, asked of the public twin when the Fail is settled."""
    if exc.exc_type == "NotImplementedError":
        return Fail(f"{what} stopped: one of your functions is not written yet (NotImplementedError).",
                    kind="raised", detail=settings)
    first = f"{what} stopped: one of your functions raised an exception inside the training loop"
    return Fail(f"{first}.", kind="raised", detail=settings, later=lambda: _first_public_step(student, first))


def _first_public_step(student, first: str) -> dict:
    """The first of the loop's functions that raises on the first step of the notebook's own
    run (the toy data, alpha 10, seed 1), asked of the public twin."""
    for name, args in PUBLIC.toy_first_step():
        outcome = public_outcome(student, name, args)
        if outcome.available and outcome.raised:
            return {"message": f"{first}; on the first step of the tutorial's XOR data (alpha 10, seed 1), "
                               f"`{name}` raised {raised_text(outcome)}."}
    return {}


def _finding(path, errors, X, y, alpha) -> tuple[str, str]:
    """What went wrong in a run that did not learn, and the advice that follows from it only.
    Found from the trusted recomputation of the run's trajectory."""
    synapses_0, synapses_1 = path
    start_0, start_1 = synapses_0[0], synapses_1[0]
    if not (np.all(np.isfinite(synapses_0)) and np.all(np.isfinite(synapses_1)) and np.all(np.isfinite(errors))):
        return ("the weights became NaN or infinite during training.",
                "a step that grows without bound has the wrong sign or an extra factor; see q2-q4")
    if np.all(synapses_0 == start_0) and np.all(synapses_1 == start_1):
        return ("the weights never changed: after every step they were exactly the starting weights, "
                "so the error never fell.",
                "update_synapses must return the stepped synapses, and the deltas must not be all zero")
    # The first step against the reference's gradient at the same weights.
    layer_1, layer_2 = ref.forward(X, start_0, start_1)
    layer_2_delta = ref.compute_layer_2_delta(layer_2, y)
    gradient = np.concatenate([g.ravel() for g in ref.weight_gradients(
        X, layer_1, ref.compute_layer_1_delta(layer_2_delta, start_1, layer_1), layer_2_delta)])
    step = np.concatenate([(synapses_0[1] - start_0).ravel(), (synapses_1[1] - start_1).ravel()])
    downhill = -float(np.dot(step, gradient))
    size, expected_size = float(np.linalg.norm(step)), float(alpha * np.linalg.norm(gradient))
    if downhill < 0:
        return ("the steps go uphill: the first step moved the weights along the gradient, which "
                "raises the error.", "check the sign of your update: synapse - alpha * gradient")
    if errors[-1] > errors[0]:
        return ("the error rose during training: it ended above the error of the starting weights.",
                "the first step went downhill; later steps overshot: check the factors of your deltas "
                "and of your update")
    if expected_size > 0 and size < 0.25 * expected_size:
        return ("the steps are much shorter than alpha times the gradient, so the error falls too slowly.",
                "a missing alpha or an extra small factor (an average, a slope applied twice) shortens every step")
    if expected_size > 0 and size > 4 * expected_size:
        return ("the steps are much longer than alpha times the gradient.",
                "an extra factor (alpha applied twice, a missing slope) lengthens every step")
    return ("the error fell, but far less than the reference's from the same starting weights in "
            "the same number of steps.",
            "the first step went downhill, by a length in the right range: compare your deltas and your "
            "update with their contracts on several rows and outputs")


def _agrees(outcome, expected) -> bool:
    """Whether a public outcome is the contract's answer (a pair item by item)."""
    if outcome is None or outcome.raised:
        return False
    if isinstance(expected, tuple):
        return (isinstance(outcome.value, (tuple, list)) and len(outcome.value) == len(expected)
                and all(is_close(g, e, rtol=1e-5, atol=1e-8) for g, e in zip(outcome.value, expected)))
    return is_close(outcome.value, expected, rtol=1e-5, atol=1e-8)


def public_mismatches(student) -> list[str]:
    """The loop's functions whose answer on their own public example, or on one of its public
    probes (more rows, other shapes), is not the contract's (asked of the public twin: nothing
    hidden is involved)."""
    wrong = []
    for question, make in PUBLIC.LOOP_EXAMPLES:
        if question in ("q2", "q3") and wrong:
            continue  # they call the student's q1, so a q1 mistake shows there too: name q1 only
        example = make(student)
        right = getattr(ref, example.function)
        same = _agrees(example.outcome(), example.expected) and all(
            _agrees(example.probe_outcome(probe), right(*copy.deepcopy(probe))) for probe in example.probes)
        if not same:
            wrong.append(f"`{example.function}` ({question})")
    return wrong


# The arguments of the loop's functions that the notebook's loop uses again after the call
# (layer_1 goes on to update_synapses, X to the next iteration, and so on): changing one of them
# in place changes the rest of the step. The synapses are update_synapses' to change.
REUSED = {"sigmoid_output_to_derivative": ("output",),
          "compute_layer_2_delta": ("y",),
          "compute_layer_1_delta": ("layer_2_delta", "synapse_1", "layer_1"),
          "update_synapses": ("layer_0",)}


def public_changes(student) -> list[str]:
    """The loop's functions that change, in place, an argument the loop uses again, seen on
    their public example (asked of the public twin, which returns the arguments after the call)."""
    found = []
    for question, make in PUBLIC.LOOP_EXAMPLES:
        example = make(student)
        outcome = public_outcome(student, example.function, copy.deepcopy(example.args), return_args=True)
        if not outcome.available or outcome.raised:  # nothing to say about its inputs
            continue
        _, after = outcome.value
        for index, name in enumerate(example.names):
            if (name in REUSED.get(example.function, ()) and index < len(after)
                    and not same_answer(after[index], example.args[index])):
                found.append(f"`{example.function}` ({question}) changes its argument `{name}` in place")
    return found


def _record_curve(student, errors, reference_errors, label):
    """The toy run's curves for the feedback picture: both recomputed here with trusted code."""
    student.artifacts["training_curve"] = {"student": [float(e) for e in errors[:len(reference_errors)]],
                                           "label": f"{label}, alpha 10",
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

@pytest.mark.training
@pytest.mark.question("q5_convergence", weight=2)
def test_q5_toy_data_converges(student):
    """Your functions together bring the tutorial's XOR data to a low error."""
    check_convergence(student, q5_runs()[0])


@pytest.mark.training
@pytest.mark.question("q5_convergence", weight=1)
def test_q5_other_seed_and_hidden_size(student):
    """Training also converges with another seed and hidden size."""
    check_convergence(student, q5_runs()[1])


@pytest.mark.training
@pytest.mark.question("q5_convergence", weight=1)
def test_q5_boolean_targets_and_more_rows(student):
    """Training also converges on other data with boolean targets."""
    check_convergence(student, q5_runs()[2])
    check_convergence(student, q5_runs()[3])


@pytest.mark.training
@pytest.mark.question("q5_convergence", weight=1)
def test_q5_two_outputs(student):
    """Training also converges with two outputs at once."""
    check_convergence(student, q5_runs()[4])


# ---- q6: detect_divergence ------------------------------------------------------------------------

def judge_histories(student, cases):
    """cases: [(history, description)]; expected answers come from the reference.

    The description is what a student reads (it names the kind of history, never its length
    or values); how long the history was goes to the failure's detail.
    """
    example = q6_example(student)
    answers = student.call_many("detect_divergence", [(history,) for history, _ in cases])
    for (history, description), answer in zip(cases, answers):
        expected = ref.detect_divergence(history)
        detail = f"a history of {len(history)} errors"
        if isinstance(answer, Exception):
            exc_type = getattr(answer, "exc_type", None)
            if exc_type is None:
                raise answer
            raise raised_on_hidden("detect_divergence", f"on {description}", then=f"it should return {expected}",
                                   example=example, detail=detail, exc_type=exc_type,
                                   diagnose=lambda h=history, t=exc_type: ZOO.match_raised(
                                       "detect_divergence", (h,), t, example=example))
        got = as_bool(answer, what=f"detect_divergence on {description}", example=example,
                      diagnose=ZOO.for_call("detect_divergence", history, example=example))
        if got != expected:
            raise Fail(f"detect_divergence returned {got} on {description}; the contract says "
                       f"{expected}.", example=example, detail=detail,
                       later=lambda h=history, a=answer: named(ZOO.match("detect_divergence", (h,), a,
                                                                         example=example)))


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
def test_q6_strictly_above_the_first(student):
    """Only a last error strictly above the first is divergence: equal is not."""
    start = float(rng.uniform(0.2, 0.45))
    dipped = falling(start, 5, noise=0.0)
    hair = float(np.nextafter(start, 1.0))  # the smallest float above the first error
    judge_histories(student, [(dipped + [hair], "a history ending a hair above its first error"),
                              (dipped + [start], "a history ending exactly at its first error"),
                              ([start, start], "two equal errors")])


@pytest.mark.question("q6_detect_divergence", weight=1)
def test_q6_nan_and_inf_diverge(student):
    """Any NaN, inf or -inf anywhere in the history is divergence."""
    start = float(rng.uniform(0.2, 0.45))
    body = falling(start, 6, noise=0.0)
    nan, inf = float("nan"), float("inf")
    judge_histories(student, [
        (body + [nan], "a history ending in NaN"),
        (body[:3] + [nan] + body[3:], "a falling history with a NaN in the middle"),
        ([nan] + body, "a history starting with NaN"),
        (body[:3] + [inf] + body[3:], "a falling history with an inf in the middle"),
        (body + [-inf], "a history ending in -inf"),
        (body[:2] + [-inf] + body[2:], "a falling history with a -inf in the middle"),
        (np.array(body + [nan]), "a numpy array ending in NaN"),
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
    """Where the reference loop would stop when driven by the student's detector, or None.

    Asked of the main worker, which saw hidden inputs: where it stopped or raised is the
    student's code's choice, so it is never said from here (the public run's is said from the
    public twin, see :func:`_public_stop`)."""
    prefixes = [(errors[: j + 1],) for j in range(len(errors))]
    example = q6_example(student)
    for j, answer in enumerate(student.call_many("detect_divergence", prefixes)):
        if isinstance(answer, Exception):
            if getattr(answer, "exc_type", None) is None:
                raise answer
            raise raised_on_hidden("detect_divergence", "inside the training loop", example=example,
                                   detail=f"at iteration {j}", exc_type=answer.exc_type)
        if as_bool(answer, what="detect_divergence inside the training loop", example=example):
            return j
    return None


def _public_stop(student, errors, message: str) -> dict:
    """The notebook's own run asked of the public twin: the iteration where the student's
    detector stops it (it is public), put into ``message`` ("{where}")."""
    for j in range(len(errors)):
        outcome = public_outcome(student, "detect_divergence", (errors[: j + 1],))
        if not outcome.available:
            return {}
        if outcome.raised:
            return {"message": message.format(where=f"raised {raised_text(outcome)} at iteration {j}")}
        if isinstance(outcome.value, (bool, np.bool_)) and outcome.value:
            return {"message": message.format(where=f"stopped at iteration {j}")}
    return {}


@pytest.mark.question("q6_detect_divergence", weight=2)
def test_q6_training_loop_stops_at_alpha_1000_only(student):
    """The training loop stops early at alpha = 1000 and runs to the end at alpha = 10."""
    wild = reference_history(1000, LOOP_STEPS, diverges=True)
    # The notebook's own run (the visible q5 cell): the toy data, alpha 10, seed 1, 4 hidden units.
    tame = PUBLIC.notebook_run_errors(LOOP_STEPS)
    for errors, alpha in ((wild, 1000), (tame, 10)):
        expected = next((j for j in range(len(errors)) if ref.detect_divergence(errors[: j + 1])), None)
        got = student_stop(student, errors)
        if got == expected:
            continue
        detail = f"stopped at iteration {got}, expected {expected}"
        if alpha == 10:
            message = ("On the notebook's own run (the toy data, alpha = 10, seed 1) the training loop "
                       "with your detector {where}; it should run to the end. "
                       "So the visible q5 test cell in your notebook stops early and fails too, even "
                       "with right answers to q1-q4 (q5 itself is graded without early stopping).")
            raise Fail(message.format(where="stopped early"), example=q6_example(student), detail=detail,
                       later=lambda: _public_stop(student, tame, message))
        said = "ran to the end" if got is None else "stopped at the wrong iteration"
        raise Fail(f"At alpha = 1000 the training loop with your detector {said}; it should stop "
                   "as soon as the error rises above the first one.", example=q6_example(student),
                   detail=detail)
    # The loop hands the detector its own history, the list train returns as run["errors"]: a
    # detector that changes it (pops the last error, sorts it) leaves a wrong history behind,
    # though every answer it gives on a fresh copy is right.
    example = q6_example(student)
    _, (changed,) = ZOO.call(student, "detect_divergence", list(tame), watch_inputs=True, example=example)
    if changed:
        raise Fail("detect_divergence changed the list of errors it was given. The training loop passes "
                   "its own history (the list train returns as run[\"errors\"]), so after your detector "
                   "has run, that list no longer holds the error of every iteration.", example=example,
                   hint="read the list without changing it: no `errors.pop()`, `errors.sort()` or "
                        "assignments into it (work on a copy if you need one)",
                   detail=f"a history of {len(tame)} errors")
