"""Channels out of the grader: the corpus's channel cases graded in one run next to bystanders.

The cases (tests/hostile/corpus.py, ``CHANNEL_CASES``) try to carry hidden inputs into what a
student is shown (through the public-example twin, the training curve, exception names), to
earn q5 without working functions (remembered loop steps, the grader's own slope kept from a
substituted call), to hide an input changed in place, and to name a file like a spreadsheet
formula. They are graded twice, with the audit hook and without it, each time with a
different seed: a student's feedback may change with the hidden inputs only where it says
what a hidden check found in the fixed vocabulary, so every channel case's feedback must come
out the same under both seeds while the hidden inputs did differ. tests/test_hostile.py grades
the same cases with the whole corpus (their scores).
"""
import csv
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from hostile import corpus  # noqa: E402

from gdkit.grading import outputs, runner  # noqa: E402
from gdkit.grading.student import NO_AUDIT_HOOK_ENV  # noqa: E402

pytestmark = pytest.mark.slow
KIT = Path(__file__).resolve().parents[1]
RUNS = {"hook": 11, "kernel": 29}  # mode -> seed
BASELINES = ("base_master", "base_wrong", "base_zeros")
BYSTANDERS = ("zz_bystander_1", "zz_bystander_2", "zz_bystander_3", "zz_bystander_4")
SHOWN = ("twin_relay_flock", "curve_channel", "exception_name_channel")  # they try to change what is shown


def _grade(base: Path, mode: str, seed: int) -> dict:
    cases = {c.name: c for c in corpus.build(None, root=KIT, victim_notebook=base / "v", outdir=base / "out")}
    subs = base / "subs"
    subs.mkdir(parents=True)
    # two grader sessions: each grades attacks, then two bystanders
    names = list(BASELINES) + list(corpus.CHANNEL_CASES)
    half = len(names) // 2
    order = names[:half] + list(BYSTANDERS[:2]) + names[half:] + list(BYSTANDERS[2:])
    paths = []
    for name in order:
        path = subs / f"{name}.ipynb"
        path.write_bytes(cases[name].data)
        paths.append(path)
    with pytest.MonkeyPatch.context() as patch:
        if mode == "kernel":
            patch.setenv(NO_AUDIT_HOOK_ENV, "1")
        records = runner.grade_submissions(corpus.ASSIGNMENT, paths, outdir=base / "out", jobs=2, timeout=2.0,
                                           memory_mb=256, quiet=True, root=KIT, seed=seed)
    with open(base / "out" / "grades.csv", newline="") as f:
        raw = list(csv.DictReader(f))
    return {"cases": cases, "out": base / "out", "raw": raw,
            "rows": {outputs.csv_value(r["student"]): r for r in raw},
            "records": {r.student: r for r in records}}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return {mode: _grade(tmp_path_factory.mktemp(f"channels-{mode}"), mode, seed) for mode, seed in RUNS.items()}


@pytest.fixture(params=sorted(RUNS))
def graded(runs, request):
    return runs[request.param]


def _scores(row) -> dict:
    return {k: float(v) for k, v in row.items() if k.startswith("q")}


def test_bystanders_graded_after_the_attacks_score_full_marks(graded):
    for name in BYSTANDERS + ("base_master",):
        assert (graded["rows"][name]["status"], float(graded["rows"][name]["total"])) == ("ok", 100), name


@pytest.mark.parametrize("name", corpus.CHANNEL_CASES)
def test_no_channel_case_earns_more_than_its_honest_twin(graded, name):
    case, row = graded["cases"][name], graded["rows"][name]
    assert row["status"] in case.statuses, (row["status"], row["reason"])
    scores, honest = _scores(row), _scores(graded["rows"][f"base_{case.baseline}"])
    if case.relation == "same":
        assert scores == honest
    else:
        assert all(scores[q] <= honest[q] for q in scores), (scores, honest)
    for q in case.zero_questions:
        assert scores[q] == 0, q


def test_q5_is_not_earned_with_remembered_or_stolen_steps(graded):
    rows = graded["rows"]
    for name in ("memo_wrong_q2", "memo_zeros", "steal_substitute"):
        assert float(rows[name]["q5_convergence"]) == 0, name
    # the right update rule still earns q4 next to the wrong q2: only q5 is refused
    assert float(rows["memo_wrong_q2"]["q4_update_synapses"]) == 20


def test_an_input_changed_in_place_is_seen_even_when_the_copy_is_put_back(graded):
    record = graded["records"]["inplace_restored"]
    untouched = [t for q in record.questions for t in q.tests if t.name == "test_q1_leaves_its_input_untouched"]
    assert len(untouched) == 1 and not untouched[0].passed
    assert untouched[0].mistake == "modifies its input in place"


def test_a_file_named_like_a_formula_is_graded_and_neutralised_in_grades_csv(graded):
    row = graded["rows"][corpus.FORMULA_ID]
    assert (row["status"], float(row["total"])) == ("ok", 100)
    raw = [r["student"] for r in graded["raw"]]
    assert "'" + corpus.FORMULA_ID in raw
    assert not any(cell.startswith(outputs.FORMULA_START) for r in graded["raw"] for cell in r.values())


def _shown(run: dict, name: str) -> dict:
    """What a student reads that must be made of public values only: each failed check's public
    example, what is said about an exception (its type and text come from the public example),
    and the training curve. (Which checks fail, and the fixed words for what a hidden check
    found, may differ with the hidden inputs.)"""
    record = json.loads((run["out"] / name / "record.json").read_text())
    tests = [t for q in record["questions"] for t in q["tests"] if not t["passed"]]
    return {"examples": {t["name"]: t.get("example") for t in tests},
            "raised": {t["name"]: t["message"] for t in tests if t["kind"] == "raised"},
            "curve": (record.get("artifacts") or {}).get("training_curve")}


def test_what_a_channel_case_is_shown_does_not_change_with_the_hidden_inputs(runs):
    hook, kernel = runs["hook"], runs["kernel"]
    # the two runs drew different hidden inputs: a wrong answer's hidden specifics differ
    details = [[t.detail for q in run["records"]["base_wrong"].questions for t in q.tests] for run in (hook, kernel)]
    assert details[0] != details[1]
    for name in SHOWN:
        shown = _shown(hook, name)
        assert shown == _shown(kernel, name), name
    for name in ("twin_relay_flock", "exception_name_channel"):  # there was something to show
        assert any(_shown(hook, name)["examples"].values()), name
    assert _shown(hook, "exception_name_channel")["raised"]
    assert _shown(hook, "curve_channel")["curve"]["student"]
    # the relay got nothing through: the twin waited for a sender that was no longer there
    examples = _shown(hook, "twin_relay_flock")["examples"]
    relayed = [text for text in examples.values() if text and "sigmoid_output_to_derivative(output)" in text]
    assert relayed and all("your code could not be run on it" in text for text in relayed)


def test_an_exception_on_hidden_inputs_is_named_only_from_the_public_example(graded):
    record = graded["records"]["exception_name_channel"]
    raised = [t for q in record.questions for t in q.tests if t.kind == "raised"]
    assert raised
    for test in raised:
        # the fixed phrase for the hidden inputs, then what the twin raised on the public example
        assert test.message.startswith("`compute_layer_2_delta` raised an exception on the hidden inputs;"), test.message
