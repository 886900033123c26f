"""`gdkit validate` end to end: real release notebooks, real sandbox, real runner.

Each assignment's master scores 100, the blank release 0, the other styles 100, and every bug
of its zoo loses points on its own question and nowhere it does not declare.
"""
import pytest

from gdkit.cli import main
from gdkit.validate import render, validate


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
