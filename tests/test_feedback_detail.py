"""The course's feedback detail: by default nothing a student reads (feedback.md, feedback.html,
results.json, CI annotations, posted feedback) names the specifics of hidden inputs, which a
check keeps in its `detail`; `[feedback] detail = "full"` in gdkit.toml shows them.

A mini course's hidden check fails with a message and a detail, graded by `gdkit grade`."""
import json
import os
import subprocess
import sys

import pytest

from gdkit import feedback
from gdkit.export import ci_report, gradescope_results, settings
from gdkit.export.settings import Visibility
from gdkit.record import QuestionResult, Record, TestResult
from minicourse import notebook, write_course

SUITE = '''import pytest
from gdkit.grading.checks import Fail


@pytest.mark.question("q1", weight=1)
def test_value(student):
    """f() returns 3."""
    got = student.call("f")
    if got != 3:
        failure = Fail(f"f() returned {got}; it should return 3.", example="f() -> 3", hint="return 3")
        failure.detail = "on the secret input of 9 rows with alpha = 0.457, at most 0.25 accepted"
        raise failure
'''
TOML = 'name = "mini"\nnotebook = "mini.ipynb"\n[[questions]]\nid = "q1"\npoints = 2\nfunctions = ["f"]\n'
DETAIL = "9 rows with alpha = 0.457"


def grade(root, tmp_path, toml: str):
    (root / "gdkit.toml").write_text(toml)
    subs = tmp_path / "subs"
    subs.mkdir(exist_ok=True)
    (subs / "ann.ipynb").write_text(notebook("def f():\n    return 4"))
    out = tmp_path / "grades"
    env = {k: v for k, v in os.environ.items() if k not in ("GDKIT_ROOT", "GDKIT_COURSE")}
    done = subprocess.run([sys.executable, "-m", "gdkit.cli", "grade", str(subs), "-a", "mini", "--out", str(out),
                           "--quiet", "--force"], env={**env, "GDKIT_COURSE": str(root)}, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out / "ann"


@pytest.mark.slow
def test_feedback_hides_hidden_input_specifics_unless_the_course_says_full(tmp_path):
    root = write_course(tmp_path / "course", TOML, SUITE)
    folder = grade(root, tmp_path, '[course]\nname = "mini"\n')
    record = json.loads((folder / "record.json").read_text())
    assert DETAIL in record["questions"][0]["tests"][0]["detail"]  # kept for the instructor
    for name in ("feedback.md", "feedback.html", "results.json"):
        text = (folder / name).read_text()
        assert "f() returned 4" in text and DETAIL not in text, name

    folder = grade(root, tmp_path, '[course]\nname = "mini"\n\n[feedback]\ndetail = "full"\n')
    for name in ("feedback.md", "feedback.html", "results.json"):
        assert DETAIL in (folder / name).read_text(), name


def synthetic(detail: str | None = DETAIL, kind: str = "fail", status: str = "ok") -> Record:
    tests = [TestResult("test_a", "q1", 1.0, False, "Returns 3", kind, "wrong value", example="f() -> 3",
                        mistake="off by one", hint="return 3", detail=detail),
             TestResult("test_b", "q1", 1.0, True, "Keeps its input", "pass")]
    return Record("ann", "mini", status=status, questions=[QuestionResult.scored("q1", 2.0, tests)]).rescore()


def test_every_renderer_has_the_switch():
    record = synthetic()
    for text in (feedback.render_markdown(record), feedback.render_html(record),
                 json.dumps(gradescope_results.results_json(record)),
                 "\n".join(ci_report.error_commands([record], detail="default"))):
        assert "wrong value" in text and DETAIL not in text
    for text in (feedback.render_markdown(record, "full"), feedback.render_html(record, "full"),
                 json.dumps(gradescope_results.results_json(record, detail="full")),
                 "\n".join(ci_report.error_commands([record], detail="full"))):
        assert DETAIL in text


def test_results_json_follows_the_visibility():
    record = synthetic()
    default = gradescope_results.results_json(record)
    (question, *checks) = default["tests"]
    assert question == {"name": "q1", "score": 1.0, "max_score": 2.0, "visibility": "visible",
                        "output": "1 of 2 checks passed.\n\nReturns 3:\nf() -> 3"}
    assert [(c["name"], c["status"], c["visibility"]) for c in checks] == [
        ("q1: Returns 3", "failed", "after_published"), ("q1: Keeps its input", "passed", "after_published")]
    assert checks[0]["output"] == "wrong value\nLikely mistake: off by one\nHint: return 3"
    assert default["visibility"] == "visible" and default["stdout_visibility"] == "hidden"
    assert default["output_format"] == default["test_output_format"] == default["test_name_format"] == "text"

    quiet = gradescope_results.results_json(record, Visibility(scores="after_due_date", checks="hidden",
                                                                examples=False, stdout="visible"))
    (question, *checks) = quiet["tests"]
    assert question["visibility"] == quiet["visibility"] == "after_due_date"
    assert question["output"] == "1 of 2 checks passed."  # the example moves to the check
    assert {c["visibility"] for c in checks} == {"hidden"} and "f() -> 3" in checks[0]["output"]
    assert quiet["stdout_visibility"] == "visible"


def test_a_notebook_that_could_not_run_is_said_once():
    record = synthetic(kind="unusable", status="invalid-json")
    record.reason = "ann.ipynb: not valid JSON"
    for test in record.questions[0].tests:
        test.kind, test.passed, test.message = "unusable", False, record.reason
    record.rescore()
    results = gradescope_results.results_json(record)
    assert json.dumps(results).count("not valid JSON") == 1
    assert [t["name"] for t in results["tests"]] == ["q1"] and results["tests"][0]["output"] == ""
    assert feedback.render_markdown(record).count("not valid JSON") == 1
    assert feedback.render_html(record).count("not valid JSON") == 1


def test_course_settings_resolve_per_assignment():
    config = {"feedback": {"detail": "full"}, "seed": {"per_student": True, "gradescope_student": "id"},
              "gradescope": {"checks": "hidden", "timeout": 3, "tuning": {"checks": "visible", "examples": False}}}
    mini = settings.for_assignment("mini", config)
    assert (mini.feedback, mini.per_student, mini.gradescope_student, mini.timeout) == ("full", True, "id", 3.0)
    assert mini.visibility == Visibility(checks="hidden")
    assert settings.for_assignment("tuning", config).visibility == Visibility(checks="visible", examples=False)
    assert settings.for_assignment("mini", {}) == settings.Settings()
    assert settings.for_assignment("mini", {"feedback": "full"}).feedback == "full"
    over = settings.with_overrides(mini, checks="after_due_date", feedback="default", per_student=False)
    assert (over.visibility.checks, over.feedback, over.per_student) == ("after_due_date", "default", False)
    for bad, words in [({"gradescope": {"checks": "soon"}}, "gradescope checks"),
                       ({"gradescope": {"colour": "red"}}, "unknown key"),
                       ({"feedback": {"detail": "some"}}, "[feedback] detail"),
                       ({"seed": {"per_student": "yes"}}, "per_student"),
                       ({"gradescope": {"timeout": -1}}, "timeout")]:
        with pytest.raises(settings.GdkitError, match=words.replace("[", r"\[").replace("]", r"\]")):
            settings.for_assignment("mini", bad)
