"""Feedback that is true: the same every run, no hidden specifics in what a student reads, a
known mistake named only when it is that mistake, an exception named with its function and
the public example's inputs, advice only when it is the finding.

Real release notebooks, the real sandbox and the real runner (``gdkit grade``'s path); ten
notebooks graded twice, so the module is marked slow.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from gdkit.grading.runner import grade_submissions
from gdkit.submissions import fill_solutions, master_answers, release_path

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "submissions"
# What a message (the student-safe text) must never hold: hidden sizes, alpha values of hidden
# inputs, pass thresholds, counts of entries (a function of the hidden sizes).
PUBLIC_EXAMPLE_NEVER = re.compile(r"\d+ rows|\d+ hidden units|at most|is accepted|\d+ of \d+ entries")
pytestmark = pytest.mark.slow
HIDDEN_WORDS = re.compile(r"\d+ rows|\d+ hidden units|alpha = \d+\.\d|at most|is accepted|\d+ of \d+ entries"
                          r"|shape \(\d|length \d|iterations\)|seed \d{3,}")


def _notebook(tmp: Path, name: str, assignment: str, **answers) -> Path:
    release = nbformat.read(release_path(assignment, REPO), as_version=4)
    path = tmp / f"{name}.ipynb"
    nbformat.write(fill_solutions(release, {**master_answers(assignment, REPO), **answers}), path)
    return path


def _failed(record: dict) -> list[dict]:
    return [t for q in record["questions"] for t in q["tests"] if not t["passed"]]


def _files(out: Path, student: str) -> dict:
    return {name: (out / student / name).read_text() for name in ("feedback.md", "feedback.html", "results.json")}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The bundled examples graded twice into two folders, plus three hand-made notebooks."""
    tmp = tmp_path_factory.mktemp("truth")
    subs = tmp / "subs"
    subs.mkdir()
    for name in ("alice", "bob", "carol", "dave", "erin", "frank", "gina"):  # every bundled example
        (subs / f"{name}.ipynb").write_bytes((EXAMPLES / f"{name}.ipynb").read_bytes())
    _notebook(subs, "untransposed", "gradient_descent", compute_layer_1_delta=(
        "def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):\n"
        "    return layer_2_delta.dot(synapse_1) * sigmoid_output_to_derivative(layer_1)\n"))
    _notebook(subs, "frozen", "gradient_descent", update_synapses=(
        "def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):\n"
        "    return synapse_0, synapse_1\n"))
    _notebook(subs, "two_faced", "gradient_descent", update_synapses=(
        "import sys\n"
        "def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):\n"
        "    sign = 1 if sys._getframe(1).f_code.co_name == 'train' else -1\n"
        "    return (synapse_0 - sign * alpha * layer_0.T.dot(layer_1_delta),\n"
        "            synapse_1 - sign * alpha * layer_1.T.dot(layer_2_delta))\n"))
    runs = []
    for run in ("one", "two"):
        out = tmp / run
        records = grade_submissions("gradient_descent", [subs], outdir=out, jobs=2, force=True, quiet=True, root=REPO)
        runs.append((out, {r.student: r.to_json() for r in records}))
    return runs


def test_two_runs_give_the_same_feedback(graded):
    (out_1, records), (out_2, _) = graded
    for student in records:
        first, second = _files(out_1, student), _files(out_2, student)
        assert first == second, student
        for text in first.values():
            assert not re.search(r"0x[0-9a-f]{6,}|<function ", text), student


def test_messages_hold_no_hidden_specifics_but_details_do(graded):
    _, records = graded[0]
    details = []
    for student, record in records.items():
        for test in _failed(record):
            for field in ("message", "mistake", "hint"):
                assert not HIDDEN_WORDS.search(test.get(field) or ""), (student, field, test.get(field))
            # the example is public: its own alpha may be named, hidden sizes and thresholds not
            assert not PUBLIC_EXAMPLE_NEVER.search(test.get("example") or ""), (student, test.get("example"))
            details.append(test.get("detail") or "")
    joined = "\n".join(details)
    assert "hidden units" in joined and "is accepted" in joined and "alpha = " in joined


def test_the_visible_q5_cell_stopped_by_a_q6_mistake_is_explained(graded):
    _, records = graded[0]
    loop = next(t for t in _failed(records["erin"]) if t["name"] == "test_q6_training_loop_stops_at_alpha_1000_only")
    assert "visible q5 test cell" in loop["message"] and "stopped at iteration 34" in loop["message"]
    assert loop.get("mistake") is None  # several mistakes stop that run early: no guess


def test_a_mistake_is_named_only_when_it_is_the_one(graded):
    _, records = graded[0]
    named = {t.get("mistake") for t in _failed(records["dave"]) if t.get("mistake")}
    assert named == {"slope of the pre-activation"}
    named = {t.get("mistake") for t in _failed(records["carol"]) if t.get("mistake")}
    assert named == {"climbs the slope"}
    named = {t.get("mistake") for t in _failed(records["erin"]) if t.get("mistake")}
    assert named <= {"compared with the previous error"}


def test_an_exception_names_the_function_and_the_public_example(graded):
    _, records = graded[0]
    failed = _failed(records["untransposed"])
    assert failed and {t["question"] for t in failed} <= {"q3_layer_1_delta", "q5_convergence"}
    q3 = [t for t in failed if t["question"] == "q3_layer_1_delta"]
    assert all(t["kind"] == "raised" for t in q3)
    first = q3[0]
    # on hidden inputs only that it raised; the type and text come from the public example
    assert first["message"].startswith("`compute_layer_1_delta` raised an exception on the hidden inputs; on the "
                                       "public example it raised ValueError: shapes (2,2) and (3,2) not aligned")
    # the public example shows the inputs' shapes and kinds and the exception's own text
    example = first["example"]
    assert "(an array (2, 2) of floats)" in example and "(an array (3, 2) of floats)" in example
    assert re.search(r"your code raised ValueError: shapes \(2,2\) and \(3,2\) not aligned", example), example
    assert first.get("mistake") == "synapse_1 not transposed"


def test_q5_says_what_was_found(graded):
    _, records = graded[0]
    q5 = [t for t in _failed(records["frozen"]) if t["question"] == "q5_convergence"]
    assert len(q5) == 4 and all("the weights never changed" in t["message"] for t in q5)
    assert records["frozen"]["questions"][4]["score"] == 0
    assert all("update_synapses` (q4) already differs" in t["hint"] for t in q5)
    carol = [t for t in _failed(records["carol"]) if t["question"] == "q5_convergence"]
    # carol's update climbs: that is what the trusted recomputation of her first step finds,
    # and the advice points at the function that is already wrong on its public example
    assert carol and all("the steps go uphill" in t["message"] for t in carol)
    assert all("`update_synapses` (q4) already differs" in t["hint"] for t in carol)
    dave = [t for t in _failed(records["dave"]) if t["question"] == "q5_convergence"]
    # dave's slope is wrong: no talk of signs, and q1 (not q2/q3, which call it) is named
    assert dave and not any("uphill" in t["message"] or "sign" in (t.get("hint") or "") for t in dave)
    assert all(t["hint"].startswith("`sigmoid_output_to_derivative` (q1) already differs") for t in dave)
    assert json.loads(json.dumps(records["carol"]))  # plain data


def test_a_run_the_functions_do_not_confirm_earns_nothing(graded):
    _, records = graded[0]
    scores = {q["id"]: q["score"] for q in records["two_faced"]["questions"]}
    assert scores["q4_update_synapses"] == 0 and scores["q5_convergence"] == 0
    q5 = [t for t in _failed(records["two_faced"]) if t["question"] == "q5_convergence"]
    assert len(q5) == 4 and all("could not be confirmed" in t["message"] for t in q5)
