"""The trusted checks, the diagnosis, and the bug zoos/styles themselves (no sandbox needed)."""
import builtins
import copy
from pathlib import Path

import numpy as np
import pytest

from gdkit import assignments, network as ref
from gdkit.grading.checks import (Fail, PublicTooEarly, as_array, as_bool, example_of, expect_close, expect_equal,
                                  expect_number, expect_pair, expect_unmodified, fmt, is_close, raised_on_hidden)
from gdkit.grading.diagnose import Bug, Diagnoser, compile_source, load_styles, load_zoo, same_answer

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["gradient_descent", "tuning"]


def zoo(name):
    return load_zoo(ROOT / "autograder" / name / "bugzoo.py")


# ---- checks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("got, words", [
    (None, "None"), ("text", "numpy array"), ([[1, 2], [3]], "numeric"),
    (np.ones((3, 2)), "wrong shape"), (np.ones(6), "number of dimensions"), (np.full((2, 3), np.nan), "NaN"),
    (np.zeros((2, 3)), "wrong values"), (np.ones((2, 3)) + 1j, "complex"),
])
def test_expect_close_turns_bad_values_into_a_clear_fail(got, words):
    with pytest.raises(Fail) as info:
        expect_close(got, np.ones((2, 3)), what="the answer")
    assert words in info.value.message and "\n" not in info.value.message


def test_hidden_specifics_go_to_detail_not_to_the_message():
    # The sizes of hidden inputs, alpha values and counts of wrong entries are hidden specifics.
    with pytest.raises(Fail) as info:
        expect_close(np.ones((3, 7)), np.ones((7, 3)), what="x", detail="7 rows, alpha = 3.25",
                     context="with several outputs", shape_name="(n, k)")
    fail = info.value
    assert "transposed" in fail.message and "(n, k)" in fail.message
    assert not any(text in fail.message for text in ("7", "3.25", "rows"))
    assert "7 rows, alpha = 3.25" in fail.detail and "(7, 3)" in fail.detail
    # the student's own shape is theirs to choose: even the full detail never echoes it
    with pytest.raises(Fail) as info:
        expect_close(np.ones((0, 3702)), np.ones((7, 3)), what="x", detail="7 rows")
    assert "3702" not in info.value.detail and "3702" not in info.value.message
    with pytest.raises(Fail) as info:
        expect_close(np.zeros(5), np.ones(5), what="x", detail="5 rows", context="with one output")
    assert info.value.message == ("x has the right shape but wrong values with one output: every entry "
                                  "differs from the contract.")
    assert info.value.detail == "5 rows; 5 of 5 entries differ"
    with pytest.raises(Fail) as info:
        expect_equal(np.array([1, 0, 1]), np.array([1, 1, 1]), what="flips")
    assert "some entries differ" in info.value.message and "1 of 3" in info.value.detail


@pytest.mark.parametrize("answer", [
    np.array([0.25, 0.5]) + 1e-3j,                      # the right values plus an imaginary part
    np.array([0.25 + 0j, 0.5 + 0j]),                    # complex dtype even with no imaginary part
    [0.25 + 1e-9j, 0.5],                                 # a list holding a complex number
])
def test_complex_answers_never_pass(answer):
    expected = np.array([0.25, 0.5])
    assert not is_close(answer, expected)
    with pytest.raises(Fail, match="complex"):
        as_array(answer, what="x")
    with pytest.raises(Fail):
        expect_close(answer, expected, what="x")
    assert not same_answer(answer, expected)


@pytest.mark.parametrize("answer", [0.5 + 0j, np.complex128(0.5), np.array(0.5 + 1e-9j)])
def test_complex_numbers_are_not_numbers(answer):
    with pytest.raises(Fail, match="number"):
        expect_number(answer, what="best_alpha")
    assert expect_number(np.array(0.5), what="x") == 0.5 and expect_number(np.float32(0.5), what="x") == 0.5


def test_fail_carries_a_lazy_example_and_a_diagnosis_until_it_is_settled():
    asked = []

    def example():
        asked.append("example")
        return "EXAMPLE"

    def diagnose(got):
        asked.append("diagnosis")
        return ("known slip", "do the other thing")

    with pytest.raises(Fail) as info:
        expect_close(np.zeros(2), np.ones(2), what="x", example=example, diagnose=diagnose)
    fail = info.value
    # Nothing is asked of the student's code on public inputs while the check runs: the worker
    # that saw the hidden inputs may still be alive then.
    assert asked == [] and not fail.settled and (fail.example, fail.mistake) == (None, None)
    assert fail.settle() is fail and fail.settled
    assert (fail.example, fail.mistake, fail.hint) == ("EXAMPLE", "known slip", "do the other thing")
    fail.settle()
    assert asked == ["example", "diagnosis"]  # once


def test_a_fail_never_holds_a_function_or_an_address():
    # A lazy example is rendered when the Fail is settled, so feedback shows text, and two runs
    # print the same thing; a value the renderer cannot show is named by kind only.
    assert Fail("m", example=lambda: "shown").settle().example == "shown"
    assert Fail("m", example=lambda: 1 / 0).settle().example is None
    assert Fail("m", example=lambda: (lambda: None)).settle().example is None
    settled = Fail("m", example=lambda: "shown", later=lambda: {"hint": "h"}).settle()
    assert not any(callable(v) for v in vars(settled).values())
    for value in (lambda: None, object(), np.sum, type("Odd", (), {})()):
        text = fmt(value)
        assert "0x" not in text and "at " not in text, text
    assert fmt(np.float64(0.25)) == "0.25" and fmt(np.bool_(True)) == "True" and fmt((1.5,)) == "(1.5,)"


def test_asking_the_public_example_too_early_is_the_suites_bug_not_a_blank():
    class Early:
        def public(self):
            raise PublicTooEarly("not yet")

    example = example_of(Early(), "f", (1.0,), 2.0)
    fail = Fail("m", example=example, later=lambda: {"message": "changed"})
    with pytest.raises(PublicTooEarly):
        fail.settle()


def test_an_exception_on_hidden_inputs_is_named_from_the_public_example_only():
    public = example_of(Calls(FakeRaised()), "f", (np.ones((2, 3)),), 2)
    fail = raised_on_hidden("f", example=public, then="it should return 1")
    # before settling: the fixed phrase only, whatever the type raised on the hidden input
    assert fail.message == "`f` raised an exception on the hidden inputs; it should return 1."
    assert fail.kind == "raised"
    fail.settle()
    assert fail.message == ("`f` raised an exception on the hidden inputs; on the public example it raised "
                            "ValueError: shapes (2,3) and (2,3) not aligned; it should return 1.")
    calm = raised_on_hidden("f", example=example_of(Calls(lambda x: x), "f", (1.0,), 1.0)).settle()
    assert calm.message == "`f` raised an exception on the hidden inputs; it did not raise on the public example."
    stub = raised_on_hidden("f", exc_type="NotImplementedError")
    assert stub.message == "`f` is not written yet: it still raises NotImplementedError." and stub.settled
    # a class of the student's own is never named, not even on the public example
    own = FakeRaised()
    own.exc_type = "Full marks 100 out of 100"
    text = raised_on_hidden("f", example=example_of(Calls(own), "f", (1.0,), 1.0)).settle().message
    assert "Full marks" not in text and "an exception of a class of its own" in text


def test_expect_equal_requires_integers_when_asked():
    with pytest.raises(Fail, match="integers"):
        expect_equal(np.array([True, False]), np.array([1, 0]), what="flips", integer=True)
    expect_equal(np.array([1, 0]), np.array([1, 0]), what="flips", integer=True)


def test_unmodified_pair_and_bool_checks():
    with pytest.raises(Fail) as info:
        expect_unmodified(True, what="`output`")
    assert info.value.mistake == "modifies its input in place"
    expect_unmodified(False, what="x")
    with pytest.raises(Fail):
        expect_unmodified(None, what="x")  # anything but a plain False from the watcher is a change
    with pytest.raises(Fail, match="pair"):
        expect_pair(None, what="f(...)")
    with pytest.raises(Fail, match="True or False"):
        as_bool(None, what="d")
    assert as_bool(np.bool_(True), what="d") is True
    assert as_bool(np.array(False), what="d") is False        # a 0-d bool array is a bool
    with pytest.raises(Fail):
        as_bool(np.array([True]), what="d")                   # a 1-element array is not
    with pytest.raises(Fail):
        as_bool(1, what="d")


class Calls:
    """A stand-in for the fixture: only what the examples use, answering in-process."""

    def __init__(self, answer):
        self.answer, self.calls = answer, 0

    def call(self, name, *args):
        self.calls += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer(*args) if callable(self.answer) else self.answer


class FakeRaised(Exception):
    exc_type, message = "ValueError", "shapes (2,3) and (2,3) not aligned"


def test_example_renders_inputs_their_kinds_and_what_the_student_did():
    student = Calls(np.array([0.5]))
    render = example_of(student, "f", (np.array([1.0]), 0.5), np.array([0.25]), names=("output", "alpha"))
    text = render()
    assert "output = [1.]" in text and "(an array (1,) of floats)" in text and "(a float)" in text
    assert "expected: [0.25]" in text and "returned: [0.5]" in text
    assert render() == text and student.calls == 1        # asked once, rendered once
    raised = example_of(Calls(FakeRaised()), "f", (np.ones((2, 3)),), 2)()
    # On the public example the exception's own text is shown (it holds no hidden value).
    assert "raised ValueError: shapes (2,3) and (2,3) not aligned" in raised


def test_diagnoser_names_the_mistake_only_when_one_entry_fits_twice():
    diagnoser = Diagnoser(zoo("gradient_descent"))
    # Not all one value: an answer whose entries are all equal fits too many mistakes to name one.
    s0, s1, l0 = np.arange(12.0).reshape(3, 4) * 0.05 - 0.3, np.arange(8.0).reshape(4, 2) * 0.1 - 0.4, np.eye(3)
    l1, l2 = ref.forward(l0, s0, s1)
    d2 = ref.compute_layer_2_delta(l2, np.ones((3, 2)))
    d1 = ref.compute_layer_1_delta(d2, s1, l1)
    args = (s0, s1, l0, l1, d1, d2, 0.5)
    climbing = lambda *a: (a[0] + a[6] * a[2].T.dot(a[4]), a[1] + a[6] * a[3].T.dot(a[5]))  # noqa: E731
    public = (np.array([[0.5, -0.5]]), np.array([[1.0], [2.0]]), np.array([[1.0]]),
              np.array([[0.6, 0.4]]), np.array([[0.1, -0.2]]), np.array([[0.3]]), 0.5)
    example = example_of(Calls(climbing), "update_synapses", public, ref.update_synapses(*public))
    assert diagnoser.match("update_synapses", args, climbing(*args), example=example)[0] == "climbs the slope"
    # No public example, or one where the student's code does something else: nothing is named.
    assert diagnoser.match("update_synapses", args, climbing(*args)) is None
    other = example_of(Calls(ref.update_synapses), "update_synapses", public, ref.update_synapses(*public))
    assert diagnoser.match("update_synapses", args, climbing(*args), example=other) is None
    assert diagnoser.match("update_synapses", args, ref.update_synapses(*args), example=example) is None


def test_diagnoser_says_nothing_when_two_entries_answer_alike():
    twins = [Bug("first", "q", "f", "def f(x):\n    return x + 1\n", "h1"),
             Bug("second", "q", "f", "def f(x):\n    return x + abs(x) / x\n", "h2"),
             Bug("third", "q", "f", "def f(x):\n    return x * 2\n", "h3")]
    diagnoser = Diagnoser(twins)
    positive = example_of(Calls(lambda x: x + 1), "f", (3.0,), 3.0)
    assert diagnoser.match("f", (5.0,), 6.0, example=positive) is None        # first and second agree twice
    negative = example_of(Calls(lambda x: x + 1), "f", (-3.0,), -3.0)
    assert diagnoser.match("f", (5.0,), 6.0, example=negative) == ("first", "h1")  # the example tells them apart
    assert diagnoser.match("f", (5.0,), 10.0, example=negative) is None       # third on one input only


class Worker:
    """A student's code answering as the sandbox does: an exception comes back as its type and text."""

    def __init__(self, source: str, function: str):
        self.function = compile_source(source, function)

    def call(self, name, *args):
        import copy
        from gdkit.sandbox.client import StudentRaised
        try:
            return self.function(*copy.deepcopy(args))
        except Exception as exc:
            raise StudentRaised(type(exc).__name__, str(exc)) from None

    def outcome(self, *args):
        from gdkit.grading.checks import Outcome
        try:
            return Outcome(value=self.call("", *args))
        except Exception as exc:
            return Outcome(exc_type=exc.exc_type, message=exc.message)


def public_examples():
    from gdkit.grading.diagnose import load_module
    return load_module(ROOT / "autograder" / "gradient_descent" / "public.py", "public")


def test_a_raise_is_named_only_when_the_public_inputs_agree():
    diagnoser = Diagnoser(zoo("gradient_descent"))
    public = public_examples()
    short = [float("nan")]
    size_of_a_list = Worker("def detect_divergence(errors):\n"
                            "    if errors.size == 0:\n        return False\n"
                            "    return bool(errors[-1] > errors[0])\n", "detect_divergence")
    seen = size_of_a_list.outcome(short)
    assert seen.exc_type == "AttributeError"
    # ".size of a list" raises AttributeError on every list, the public example included, and
    # answers like the student on the probes (numpy arrays) too.
    assert diagnoser.match_raised("detect_divergence", (short,), seen.exc_type, seen.message,
                                  example=public.q6_example(size_of_a_list))[0] == "assumes a numpy array (.size of a list)"
    plain = Worker("def detect_divergence(errors):\n    return bool(errors[-1] > errors[0])\n", "detect_divergence")
    assert diagnoser.match_raised("detect_divergence", (short,), "AttributeError",
                                  example=public.q6_example(plain)) is None


def test_a_raise_of_the_same_type_with_another_text_names_nothing_else():
    # Writing the slope into `output` with out= and looping over the rows both raise TypeError
    # on a single number, and both are right on the public example: the text on a public probe
    # (a single number) tells them apart, so the loop is not named for the out= mistake.
    diagnoser = Diagnoser(zoo("gradient_descent"))
    public = public_examples()
    out = Worker("def sigmoid_output_to_derivative(output):\n"
                 "    return np.multiply(output, 1 - output, out=output)\n", "sigmoid_output_to_derivative")
    single = (np.float64(0.7),)
    seen = out.outcome(*single)
    found = diagnoser.match_raised("sigmoid_output_to_derivative", single, seen.exc_type, seen.message,
                                   example=public.q1_example(out))
    assert found is None or found[0] != "loops over the rows (fails on a single number)"


def test_answers_that_many_mistakes_share_name_none():
    # An all-zero delta fits several mistakes (a slope taken at 0/1 targets, a zero slope):
    # naming one of them would be a guess.
    diagnoser = Diagnoser(zoo("gradient_descent"))
    public = public_examples()
    zeros = Worker("def compute_layer_2_delta(layer_2, y):\n    return np.zeros_like(layer_2 * 1.0)\n",
                   "compute_layer_2_delta")
    layer_2, y = ref.sigmoid(np.arange(6.0).reshape(3, 2) - 2), np.array([[0, 1], [1, 0], [1, 1]])
    assert diagnoser.match("compute_layer_2_delta", (layer_2, y), np.zeros((3, 2)),
                           example=public.q2_example(zeros)) is None


def test_a_pair_is_diagnosed_whole_and_probes_tell_apart():
    # alpha forgotten on synapse_1 only is its own mistake, not "forgets alpha" (on both).
    diagnoser = Diagnoser(zoo("gradient_descent"))
    public = public_examples()
    source = ("def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):\n"
              "    return synapse_0 - alpha * layer_0.T.dot(layer_1_delta), synapse_1 - layer_1.T.dot(layer_2_delta)\n")
    student = Worker(source, "update_synapses")
    args = public.Q4_PROBES[0][:6] + (0.4,)
    got = student.call("", *args)
    assert diagnoser.match("update_synapses", args, got, example=public.q4_example(student))[0] == \
        "alpha on synapse_0 only"



def test_probes_keep_a_mistake_from_being_named_on_one_input_alone():
    # Near-tie: alpha 1 wins by a hair. Code that returns the smallest alpha agrees there with
    # "near-equal errors treated as a tie" (both give 0.1), and the public example, where that
    # entry is right, cannot tell them apart. Public probes can: the entry is named only when
    # the code behaves like it on each probe and some public input shows the mistake.
    near = float(np.nextafter(0.02, 0.0))
    hidden = ({0.1: 0.02, 1: near, 10: 0.3},)
    rounding = [b for b in zoo("tuning") if b.name == "near-equal errors treated as a tie"]
    diagnoser = Diagnoser(rounding)

    def smallest_alpha(errors):
        return min(a for a, e in errors.items() if np.isfinite(e))

    public = ({0.5: 0.05, 0.01: 0.05, 10: float("inf")},)
    bare = example_of(Calls(smallest_alpha), "best_alpha", public, ref.best_alpha(*public))
    assert diagnoser.match("best_alpha", hidden, 0.1, example=bare)[0] == rounding[0].name  # the old guess
    probes = (({0.001: 0.45, 0.1: 0.02, 1: near},),)
    probed = example_of(Calls(smallest_alpha), "best_alpha", public, ref.best_alpha(*public),
                        probes=probes, reference=ref.best_alpha)
    assert diagnoser.match("best_alpha", hidden, 0.1, example=probed) is None
    # The mistake itself, on the same probes: named.
    rounded = compile_source(rounding[0].source, "best_alpha")
    own = example_of(Calls(rounded), "best_alpha", public, ref.best_alpha(*public), probes=probes,
                     reference=ref.best_alpha)
    assert diagnoser.match("best_alpha", hidden, 0.1, example=own)[0] == rounding[0].name
    # An entry right on the example and on every probe is shown by no public input: not named.
    blind = example_of(Calls(rounded), "best_alpha", public, ref.best_alpha(*public),
                       probes=((public[0],),), reference=ref.best_alpha)
    assert diagnoser.match("best_alpha", hidden, 0.1, example=blind) is None


def test_the_example_shown_is_a_public_input_the_code_gets_wrong():
    # Ties to the larger alpha: right on an example without a tie, wrong on the tie probe.
    def larger_on_ties(errors):
        finite = {a: e for a, e in errors.items() if np.isfinite(e)}
        smallest = min(finite.values())
        return max(a for a, e in finite.items() if e == smallest)

    public = ({0.1: 0.2, 1: 0.05},)
    tie = ({10: 0.3, 1: 0.02, 0.1: 0.02},)
    example = example_of(Calls(larger_on_ties), "best_alpha", public, ref.best_alpha(*public),
                         names=("final_errors",), probes=(({},), tie), reference=ref.best_alpha)
    text = example()
    assert "{10: 0.3, 1: 0.02, 0.1: 0.02}" in text and "expected: 0.1" in text and "returned: 1" in text
    assert example.outcome().value == 1 and example.args == tie and public in example.probes
    # Code right on every public input keeps the first example; without a reference, always.
    right = example_of(Calls(ref.best_alpha), "best_alpha", public, ref.best_alpha(*public),
                       probes=(tie,), reference=ref.best_alpha)
    assert "{0.1: 0.2, 1: 0.05}" in right() and right.args == public
    plain = example_of(Calls(larger_on_ties), "best_alpha", public, ref.best_alpha(*public), probes=(tie,))
    assert "{0.1: 0.2, 1: 0.05}" in plain() and plain.args == public

# ---- the zoos and styles -----------------------------------------------------------------------

def _inputs(function, rng):
    """Several argument tuples per graded function, with the edge cases the contracts name."""
    if function == "sigmoid_output_to_derivative":
        return [(ref.sigmoid(rng.normal(size=(5, 3))),), (ref.sigmoid(rng.normal(size=(4, 1))),),
                (np.array([[0.0, 1.0, 0.5]]),), (0.3,)]
    if function == "compute_layer_2_delta":
        return [(ref.sigmoid(rng.normal(size=(5, 3))), rng.integers(0, 2, (5, 3))),
                (np.array([[0.3], [1.0], [0.0]]), np.array([[0], [1], [0]])),
                (ref.sigmoid(rng.normal(size=(4, 2))), rng.uniform(0, 1, (4, 2)))]
    if function == "compute_layer_1_delta":
        return [(rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), ref.sigmoid(rng.normal(size=(5, 4)))),
                (rng.normal(size=(5, 1)), rng.normal(size=(4, 1)), ref.sigmoid(rng.normal(size=(5, 4))))]
    if function == "update_synapses":
        return [(rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), rng.normal(size=(5, 3)),
                 rng.random((5, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 2)), alpha)
                for alpha in (0.5, 10)]
    if function == "detect_divergence":
        return [([],), ([0.3],), ([float("nan")],), ([0.3, 0.3],), ([0.4, 0.5, 0.3],), ([0.3, float("inf"), 0.2],),
                ([0.49, 0.4999],), ([0.3, 0.2, 0.25],), ([0.2, 0.3, 0.4],), ([0.3, 0.2, float("-inf")],),
                ([0.3, 0.2, 0.35],), (np.array([0.3, 0.2, 0.25]),), ([0.3, 0.2, float(np.nextafter(0.3, 1))],)]
    if function == "best_alpha":
        return [({0.1: 0.2, 10: 0.05, 1: 0.05, 100: float("nan")},), ({5.0: 0.0, 0.5: 0.1},),
                ({1: float("inf"), 2: float("nan")},), ({10.0: 0.3, 0.5: 0.3, 2.5: 0.4},),
                ({7.0: float("nan"), 0.3: 0.2},), ({0.1: 0.2, 10: float("inf")},),
                ({0.1: 0.2, 0.001: -float("inf")},), ({0.1: float(np.nextafter(0.2, 1)), 5.0: 0.2},), ({},)]
    if function == "count_direction_changes":
        prev, now = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
        prev[0, :2] = now[1, 1:3] = 0.0
        return [(prev, now), (np.array([1.0, 1, 1, 0, 0, 0, -1, -1, -1]), np.array([1.0, 0, -1, 1, 0, -1, 1, 0, -1]))]
    if function == "init_synapses":
        return [(2, 5, 3, 7), (3, 4, 1, 11), (2, 3, 2, 0), (2, 3, 2, 2**32 - 5)]
    if function == "error_surface":
        X = np.array([[1.0, 0], [0, 1], [1, 1], [0.5, 1], [1, -0.5]])
        y = np.array([1, 0, 1, 1, 0])
        return [(X, y, [-1.0, 0.5, 2.0], [1.5, -2.5]), (X, y.reshape(-1, 1), [0.3, -1.0, 2.0], [1.0, 0.0]),
                (np.array([[1, 0], [0, 1], [2, 1]]), np.array([1, 0, 1]), np.array([0.5, -1.5]), np.array([0.25, 2.0]))]
    if function == "momentum_update":
        return [(rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), 0.3, 0.9),
                (rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), 0.3, 0.0)]
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
def test_zoo_has_distinct_bugs_on_known_questions(name):
    # 38 and 49 entries before the contracts' clauses were listed; at least 15 more each since,
    # and tuning's contract-only review added 30 more (73 -> 103).
    assignment = assignments.load(name, ROOT)
    bugs = zoo(name)
    assert len(bugs) >= {"gradient_descent": 53, "tuning": 100}[name] and len({b.name for b in bugs}) == len(bugs)
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
                if isinstance(want, str):  # the reference raised: an instance of its class (a subclass too)
                    with pytest.raises(getattr(builtins, want)):
                        mine(*copy.deepcopy(args))
                    continue
                # best_alpha's contract is "the alpha (the key)": 10.0 for the key 10 is that alpha
                # (equal, and the same dict key), and the suite compares it by value.
                by_value = function == "best_alpha" and isinstance(want, (int, float)) and np.ndim(got) == 0 \
                    and np.asarray(got).dtype.kind in "iuf" and float(got) == want
                assert same_answer(got, want) or by_value or (isinstance(want, bool) and got == want), \
                    f"{style.name}: {function}{args}"


@pytest.mark.parametrize("name", NAMES)
def test_every_zoo_entry_can_be_told_apart_on_public_inputs(name):
    # Two entries of one function that behave alike on the public example and all its probes
    # can never be named (each diagnosis would fit both): merge them or add a probe.
    from gdkit.grading.diagnose import _outcome_of, load_module, same_outcome
    public = load_module(ROOT / "autograder" / name / "public.py", "public")
    assignment = assignments.load(name, ROOT)
    makers = {function: getattr(public, f"{question.id.split('_', 1)[0]}_example")
              for question in assignment.questions for function in question.functions
              if hasattr(public, f"{question.id.split('_', 1)[0]}_example")}
    behaviour = {}
    for bug in zoo(name):
        if bug.function not in makers:
            continue
        example = makers[bug.function](Calls(None))
        function = compile_source(bug.source, bug.function)
        outcomes = [_outcome_of(function, args) for args in (example.args,) + example.probes]
        for other, others in behaviour.get(bug.function, []):
            same = all(same_outcome(a, b, exact=True) for a, b in zip(outcomes, others))
            # Only a change of the input tells these apart (their answers are the contract's).
            assert not same or {other, bug.name} <= SAME_ANSWERS, f"{bug.name} == {other}"
        behaviour.setdefault(bug.function, []).append((bug.name, outcomes))


# Entries whose answers are all right; what they do wrong is change their inputs.
SAME_ANSWERS = {"pops the loop's list", "hidden slope kept in layer_1 (in place)",
                "overwrites prev_update", "clips update in place", "synapse updated in place",
                "velocity updated in place", "gradient scaled in place"}


def test_an_example_nobody_asked_is_shown_without_a_claim_about_the_code():
    """An input the suite did not declare public is never run late (the twin ran first): the
    example may show its inputs and expected value, never 'your code could not be run on it'."""
    from gdkit.grading.checks import Outcome

    class Sealed:
        def __init__(self, outcome):
            self.outcome = outcome

        def public_outcome(self, function, args, return_args=False):
            return self.outcome

    text = example_of(Sealed(Outcome(available=False, asked=False)), "f", (1.0,), 2.0).render()
    assert "expected: 2" in text and "your code" not in text
    died = example_of(Sealed(Outcome(available=False)), "f", (1.0,), 2.0).render()
    assert "your code could not be run on it" in died
