"""`gdkit validate` end to end: real release notebooks, real sandbox, real runner.

Each assignment's master scores 100, the blank release 0, the other styles 100, and every bug
of its zoo loses points on its own question and nowhere it does not declare; every public input
the suite asks while grading them was declared in its public.py, so prefetched (a report with
an undeclared one does not pass).
"""
from pathlib import Path

import pytest

from test_suites import namespace

from gdkit import assignments
from gdkit.cli import main
from gdkit.grading.diagnose import load_styles, load_zoo
from gdkit.grading.inkernel import grade_question
from gdkit.record import GRADER_ERROR, QuestionResult, Record, TestResult
from gdkit.validate import EPSILON, Case, Report, judge, render, validate

REPO = Path(__file__).resolve().parents[1]
# Seeds other than the default run's: `gdkit init` gives every course a secret of its own, so a
# check must tell each bug from the reference on every draw. Seeds 11, 42 and 249 once each hid
# a tuning bug (targets all alike; updates with no negative entry; integer rows whose errors
# added up to a flat surface); 2**62 + 7 is a large one. The master is graded under all of them,
# the styles (a dozen or more per assignment) under the large one only, to stay near a minute.
OTHER_SEEDS = (11, 42, 249, 2**62 + 7)
STYLE_SEEDS = (2**62 + 7,)


@pytest.mark.slow  # grades every bug of the zoo: 20-40 s each
@pytest.mark.parametrize("name", ["gradient_descent", "tuning"])
def test_validate_catches_every_bug_without_false_failures(name):
    report = validate(name, jobs=2)
    table = render(report)
    assert report.catch_rate == 1.0, table
    assert report.false_failures == [], table
    assert report.passed, table
    # feedback never names a mistake the graded bug did not make
    assert [row.case.label for row in report.bugs if row.misnamed] == [], table
    assert len(report.bugs) >= 25
    kinds = [row.case.kind for row in report.rows]
    assert kinds.count("master") == 1 and kinds.count("blank") == 1 and kinds.count("style") >= 2
    assert "catch rate: " in table and "100.0%" in table


def test_validate_unknown_assignment_is_one_line_and_exit_2(capsys):
    assert main(["validate", "no_such_assignment"]) == 2
    err = capsys.readouterr().err.strip()
    assert "no_such_assignment" in err and len(err.splitlines()) == 1


def _record(assignment, lost=(), status="ok"):
    """A graded record of ``assignment`` with every question full except those in ``lost`` (0)."""
    questions = [QuestionResult.scored(q.id, q.points, [TestResult("t", q.id, 1.0, q.id not in lost)])
                 for q in assignment.questions]
    return Record("s", assignment.name, status=status, questions=questions, max_total=assignment.max_total).rescore()


def test_verdicts_without_grading():
    """The fast tier's share of validate: how it judges graded records (the grading itself, of
    every notebook it writes, is the test above)."""
    assignment = assignments.load("gradient_descent", REPO)
    ids = [q.id for q in assignment.questions]
    master, blank = Case("master", "master", "master answers"), Case("blank", "blank", "blank release")
    bug = Case("bug-01-x", "bug", "a bug of q1", ids[0])
    may = Case("bug-02-y", "bug", "a bug of q1 that may cost q2", ids[0], (ids[1],))
    full = judge(master, _record(assignment), assignment)
    assert full.ok and full.caught is None
    assert not judge(master, _record(assignment, lost=[ids[2]]), assignment).ok
    assert judge(blank, _record(assignment, lost=ids), assignment).ok
    assert not judge(blank, _record(assignment, lost=ids[1:]), assignment).ok
    caught = judge(bug, _record(assignment, lost=[ids[0]]), assignment)
    cascade = judge(bug, _record(assignment, lost=[ids[0], ids[1]]), assignment)  # a cascade: a false failure
    declared = judge(may, _record(assignment, lost=[ids[0], ids[1]]), assignment)
    missed = judge(bug, _record(assignment), assignment)
    crashed = judge(bug, _record(assignment, status=GRADER_ERROR), assignment)
    assert (caught.caught, caught.ok) == (True, True) and (declared.caught, declared.ok) == (True, True)
    assert (cascade.caught, cascade.ok) == (True, False)
    assert (missed.caught, missed.ok) == (False, False) and missed.got == "full marks"
    assert (crashed.caught, crashed.ok) == (False, False) and "grader error" in crashed.got
    report = Report("gradient_descent", [full, caught, cascade, missed])
    assert report.catch_rate == 2 / 3 and report.false_failures == [cascade] and not report.passed
    assert "catch rate: 2/3 bugs = 66.7%; false failures: 1" in render(report)


@pytest.mark.slow  # the zoo under four seeds, the styles under one, in-process: ~15-30 s each
@pytest.mark.parametrize("name", ["gradient_descent", "tuning"])
def test_other_seeds_catch_every_bug_without_false_failures(name):
    """The real hidden suite under seeds other than the default: every bug of the zoo loses
    points on its own question, and the master and every style lose nothing, on each seed's own
    draws (graded in-process, the same suite and draws as `gdkit grade --seed`)."""
    assignment = assignments.load(name)
    points = {q.id: q.points for q in assignment.questions}
    zoo = load_zoo(assignment.suite_dir / "bugzoo.py")
    styles = load_styles(assignment.suite_dir / "styles.py")
    missed, false_failures = [], []
    for seed in OTHER_SEEDS:
        for bug in zoo:
            score = grade_question(name, bug.question, namespace(name, **{bug.function: bug.source}), seed=seed)
            if score > points[bug.question] - EPSILON:
                missed.append((seed, bug.name))
        correct = [("master", {})] + ([(style.name, style.answers) for style in styles] if seed in STYLE_SEEDS else [])
        for label, answers in correct:
            space = namespace(name, **answers)
            false_failures += [(seed, label, qid) for qid in points
                               if grade_question(name, qid, space, seed=seed) < points[qid] - EPSILON]
    assert len(zoo) >= 25 and len(styles) >= 2
    assert missed == [], f"bugs with full marks on their own question: {missed}"
    assert false_failures == [], f"correct answers that lost points: {false_failures}"


def test_a_public_input_the_suite_asked_but_did_not_declare_is_a_problem(tmp_path):
    from gdkit.grading.sandboxed import undeclared_line
    from gdkit.validate import _undeclared_public_inputs

    assert _undeclared_public_inputs(tmp_path) == []
    (tmp_path / "grader-errors.log").write_text("other: a traceback\n" + undeclared_line("bug-01", ["g", "f", "g"])
                                                + "\n" + undeclared_line("bug-02", ["f"]) + "\n")
    problems = _undeclared_public_inputs(tmp_path)
    assert [p.split("`")[1] for p in problems] == ["f", "g"] and "declare them" in problems[0]
    assert not Report("x", [], problems).passed
