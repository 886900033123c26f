"""The trusted checks, the diagnosis, and the bug zoos/styles themselves (no sandbox needed)."""
from pathlib import Path

import numpy as np
import pytest

from gdkit import assignments, network as ref
from gdkit.grading.checks import (Fail, as_bool, example_of, expect_close, expect_equal,
                                  expect_pair, expect_unmodified)
from gdkit.grading.diagnose import Diagnoser, compile_source, load_styles, load_zoo, same_answer

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["gradient_descent", "tuning"]


def zoo(name):
    return load_zoo(ROOT / "autograder" / name / "bugzoo.py")


# ---- checks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("got, words", [
    (None, "None"), ("text", "numpy array"), ([[1, 2], [3]], "numeric"),
    (np.ones((3, 2)), "shape (2, 3)"), (np.full((2, 3), np.nan), "NaN"),
    (np.zeros((2, 3)), "wrong values"),
])
def test_expect_close_turns_bad_values_into_a_clear_fail(got, words):
    with pytest.raises(Fail) as info:
        expect_close(got, np.ones((2, 3)), what="the answer")
    assert words in info.value.message and "\n" not in info.value.message


def test_expect_close_accepts_exact_and_alternative_answers():
    expect_close(np.ones(3) + 1e-12, np.ones(3), what="x")
    calls = []
    expect_close(np.zeros(3), np.ones(3), what="x", alternatives=lambda: calls.append(1) or [np.zeros(3)])
    assert calls == [1]


def test_fail_carries_a_lazy_example_and_a_diagnosis():
    with pytest.raises(Fail) as info:
        expect_close(np.zeros(2), np.ones(2), what="x", example=lambda: "EXAMPLE",
                     diagnose=lambda got: ("known slip", "do the other thing"))
    assert (info.value.example, info.value.mistake, info.value.hint) == ("EXAMPLE", "known slip", "do the other thing")


def test_expect_equal_requires_integers_when_asked():
    with pytest.raises(Fail, match="integers"):
        expect_equal(np.array([True, False]), np.array([1, 0]), what="flips", integer=True)
    expect_equal(np.array([1, 0]), np.array([1, 0]), what="flips", integer=True)


def test_unmodified_pair_and_bool_checks():
    with pytest.raises(Fail) as info:
        expect_unmodified(np.ones(2), np.zeros(2), what="`output`")
    assert info.value.mistake == "modifies its input in place"
    expect_unmodified(np.array([np.nan]), np.array([np.nan]), what="x")
    with pytest.raises(Fail, match="pair"):
        expect_pair(None, what="f(...)")
    with pytest.raises(Fail, match="True or False"):
        as_bool(None, what="d")
    assert as_bool(np.bool_(True), what="d") is True


def test_example_renders_what_the_student_returned_or_raised():
    class FakeRaised(Exception):
        exc_type, message = "ValueError", "bad shapes"

    class Calls:  # a stand-in for the fixture: only what example_of uses, answering in-process
        def __init__(self, answer):
            self.answer = answer

        def call(self, name, *args):
            if isinstance(self.answer, Exception):
                raise self.answer
            return self.answer

    render = example_of(Calls(np.array([0.5])), "f", (np.array([1.0]),), np.array([0.25]), names=("output",))
    assert "output = [1.]" in render() and "expected: [0.25]" in render() and "returned: [0.5]" in render()
    assert "raised ValueError: bad shapes" in example_of(Calls(FakeRaised()), "f", (1,), 2)()


def test_diagnoser_names_the_mistake():
    diagnoser = Diagnoser(zoo("gradient_descent"))
    s0, s1, l0 = np.ones((3, 4)) * 0.1, np.ones((4, 2)) * 0.2, np.eye(3)
    l1, l2 = ref.forward(l0, s0, s1)
    d2 = ref.compute_layer_2_delta(l2, np.ones((3, 2)))
    d1 = ref.compute_layer_1_delta(d2, s1, l1)
    args = (s0, s1, l0, l1, d1, d2, 0.5)
    climbing = (s0 + 0.5 * l0.T.dot(d1), s1 + 0.5 * l1.T.dot(d2))
    assert diagnoser.match("update_synapses", args, climbing)[0] == "climbs the slope"
    assert diagnoser.match("update_synapses", args, ref.update_synapses(*args)) is None


# ---- the zoos and styles -----------------------------------------------------------------------

def _inputs(function, rng):
    """Several argument tuples per graded function, with the edge cases the contracts name."""
    if function == "sigmoid_output_to_derivative":
        return [(ref.sigmoid(rng.normal(size=(5, 3))),), (ref.sigmoid(rng.normal(size=(4, 1))),)]
    if function == "compute_layer_2_delta":
        return [(ref.sigmoid(rng.normal(size=(5, 3))), rng.integers(0, 2, (5, 3)))]
    if function == "compute_layer_1_delta":
        return [(rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), ref.sigmoid(rng.normal(size=(5, 4))))]
    if function == "update_synapses":
        return [(rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), rng.normal(size=(5, 3)),
                 rng.random((5, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 2)), 0.5)]
    if function == "detect_divergence":
        return [([],), ([0.3],), ([float("nan")],), ([0.3, 0.3],), ([0.4, 0.5, 0.3],), ([0.3, float("inf"), 0.2],),
                ([0.49, 0.4999],), ([0.3, 0.2, 0.25],), ([0.2, 0.3, 0.4],), ([0.3, 0.2, float("-inf")],)]
    if function == "best_alpha":
        return [({0.1: 0.2, 10: 0.05, 1: 0.05, 100: float("nan")},), ({5.0: 0.0, 0.5: 0.1},),
                ({1: float("inf"), 2: float("nan")},), ({10.0: 0.3, 0.5: 0.3, 2.5: 0.4},),
                ({7.0: float("nan"), 0.3: 0.2},), ({0.1: 0.2, 10: float("inf")},)]
    if function == "count_direction_changes":
        prev, now = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
        prev[0, :2] = now[1, 1:3] = 0.0
        return [(prev, now), (np.array([1.0, 1, 1, 0, 0, 0, -1, -1, -1]), np.array([1.0, 0, -1, 1, 0, -1, 1, 0, -1]))]
    if function == "init_synapses":
        return [(2, 5, 3, 7), (3, 4, 1, 11)]
    if function == "error_surface":
        X = np.array([[1.0, 0], [0, 1], [1, 1], [0.5, 1], [1, -0.5]])
        y = np.array([1, 0, 1, 1, 0])
        return [(X, y, [-1.0, 0.5, 2.0], [1.5, -2.5]), (X, y.reshape(-1, 1), [0.3, -1.0, 2.0], [1.0, 0.0])]
    if function == "momentum_update":
        return [(rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), 0.3, 0.9)]
    raise AssertionError(f"no inputs for {function}")


def _run(function, args):
    """(answer or exception type, arguments after the call) for a trusted function."""
    import copy
    args = copy.deepcopy(args)
    try:
        return function(*args), args
    except Exception as exc:
        return type(exc).__name__, args


@pytest.mark.parametrize("name", NAMES)
def test_zoo_has_25_distinct_bugs_on_known_questions(name):
    assignment = assignments.load(name, ROOT)
    bugs = zoo(name)
    assert len(bugs) >= 25 and len({b.name for b in bugs}) == len(bugs)
    for bug in bugs:
        question = assignment.question(bug.question)
        assert question is not None and bug.function in question.functions, bug.name
        assert bug.hint and all(assignment.question(q) for q in bug.also_loses), bug.name


@pytest.mark.parametrize("name", NAMES)
def test_no_bug_is_equivalent_to_the_reference(name):
    # Equivalent "bugs" would make validate's catch rate a lie: each must differ somewhere,
    # in its answer, in a crash, or in what it does to its inputs.
    rng = np.random.default_rng(3)
    for bug in zoo(name):
        buggy, reference = compile_source(bug.source, bug.function), getattr(ref, bug.function)
        differs = False
        for args in _inputs(bug.function, rng):
            (got, got_args), (want, want_args) = _run(buggy, args), _run(reference, args)
            differs |= not same_answer(got, want) or not same_answer(list(got_args), list(want_args))
            if bug.function == "detect_divergence" and not isinstance(got, (bool, np.bool_)):
                differs = True
        assert differs, f"{bug.name} behaves like the reference on every input"


@pytest.mark.parametrize("name", NAMES)
def test_styles_agree_with_the_reference(name):
    rng = np.random.default_rng(4)
    styles = load_styles(ROOT / "autograder" / name / "styles.py")
    assert len(styles) >= 2
    for style in styles:
        for function, source in style.answers.items():
            mine, reference = compile_source(source, function), getattr(ref, function)
            for args in _inputs(function, rng):
                got, _ = _run(mine, args)
                want, _ = _run(reference, args)
                assert same_answer(got, want) or (isinstance(want, bool) and got == want), f"{style.name}: {function}{args}"
