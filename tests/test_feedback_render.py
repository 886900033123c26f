"""What a student reads, rendered from records: every renderer escapes what a student or their
code chose, a late penalty shows raw score, penalty and final score, every status the kit
produces has a sentence, a grader error is never the student's failure, a skipped cell is
named once. feedback.md is read by a real Markdown renderer (mistune, installed with
nbconvert), feedback.html by Python's HTML parser (the browser test is
tests/test_feedback_browser.py)."""
from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

import mistune
import pytest

from gdkit import feedback
from gdkit.export import ci_report, gradescope_results
from gdkit.grading import sanitize
from gdkit.record import GRADER_ERROR, QuestionResult, Record, TestResult

HOSTILE = ('<script>alert(1)</script><img src=x onerror=alert(2)> [link](http://evil.example) '
           '![img](http://evil.example/i.png) **bold** `code` | pipe \x1b[31mred\u202e')
FENCE = "```\n</pre><script>alert(3)</script>\n````"  # tries to close the code block (md) and the <pre> (html)
TAGS_HTML = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "b", "code", "table", "tr", "th",
             "td", "ul", "li", "div", "pre", "svg", "rect", "line", "text", "polyline"}
TAGS_MD = {"h1", "h2", "p", "strong", "code", "table", "thead", "tbody", "tr", "th", "td", "ul", "li", "pre", "img"}


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [name for name, _ in attrs]

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    return parser


def record(**changes) -> Record:
    failing = TestResult("test_a", "q1", 1.0, False, "Returns 3 " + HOSTILE, "fail", "wrong " + HOSTILE,
                         example="f() -> 3\n" + FENCE, mistake="off " + HOSTILE, hint="hint " + HOSTILE)
    passing = TestResult("test_b", "q1", 1.0, True, "Keeps its input")
    base = Record(HOSTILE, "mini", status="ok", questions=[QuestionResult.scored("q1", 2.0, [failing, passing])],
                  max_total=2.0, notebook={"graded": "a " + HOSTILE, "ignored": ["b " + HOSTILE], "rule": HOSTILE},
                  cells=sanitize.load_errors([{"cell": 3, "ok": False, "error": "ValueError", "message": HOSTILE}]),
                  artifacts={"training_curve": {"student": [0.5, 0.2, 0.1], "reference": [0.5, 0.1, 0.01],
                                                "label": HOSTILE}})
    base.rescore()
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def test_html_shows_hostile_text_as_text():
    page = feedback.render_html(record())
    found = parse(page)
    assert set(found.tags) <= TAGS_HTML, set(found.tags) - TAGS_HTML
    assert not {"onerror", "src", "href"} & set(found.attrs)
    text = "".join(found.text)
    assert "<script>alert(1)</script>" in text and "</pre><script>alert(3)</script>" in text  # read as typed
    assert "\x1b" not in page and "\u202e" not in page


def test_markdown_shows_hostile_text_as_text():
    md = feedback.render_markdown(record())
    rendered = mistune.html(md)
    found = parse(rendered)
    assert set(found.tags) <= TAGS_MD, set(found.tags) - TAGS_MD
    # only the curve's image (mistune itself shows data: URLs as "#harmful-link"; browsers show them)
    assert re.findall(r"<img [^>]*alt=\"([^\"]*)\"", rendered) == ["your training error next to the reference"]
    assert md.count("](data:image/svg+xml;base64,") == 1
    assert "<a " not in rendered and "\x1b" not in md and "\u202e" not in md
    # the example sits in one code block, whole: the fence inside it closes nothing
    blocks = re.findall(r"<pre><code>(.*?)</code></pre>", rendered, re.S)
    assert len(blocks) == 1 and html.unescape(blocks[0]).strip().endswith("````")
    assert "</pre><script>alert(3)</script>" in html.unescape(blocks[0])
    # the student id and messages read as typed (printable part), nothing turned into markup
    heading = html.unescape(re.search(r"<h1>(.*?)</h1>", rendered).group(1))
    assert "<script>alert(1)</script>" in heading and "[link](http://evil.example)" in heading


def test_results_json_and_annotations_are_plain_text():
    result = gradescope_results.results_json(record())
    assert result["output_format"] == result["test_output_format"] == result["test_name_format"] == "text"
    for text in [result["output"], *(t["output"] for t in result["tests"]), *(t["name"] for t in result["tests"])]:
        assert "\x1b" not in text and "\u202e" not in text
    assert "Graded a <script>" in result["output"]  # text, shown as typed by Gradescope's text format
    for line in ci_report.error_commands([record()]):
        assert "\n" not in line and "\x1b" not in line


LATE = {"raw_total": 2.0, "penalty": 0.6, "submitted_at": "2025-03-04T00:30:00+00:00",
        "due": "2025-03-01T23:59:00+01:00", "late_by": 2 * 86400 + 31 * 60 + 5}


def late_record(extra: dict) -> Record:
    passing = [TestResult("test_a", "q1", 1.0, True, "Returns 3")]
    late = Record("ann", "mini", questions=[QuestionResult.scored("q1", 2.0, passing)], max_total=2.0).rescore()
    late.extra.update(extra)
    late.total = round(late.total - float(extra.get("penalty") or 0.0), 4)
    return late


def test_a_late_penalty_shows_raw_penalty_and_final_everywhere():
    late = late_record(LATE)
    md, page = feedback.render(late)
    result = gradescope_results.results_json(late)
    assert result["score"] == pytest.approx(1.4)
    for text in (md, " ".join(parse(page).text), result["output"]):
        assert "late penalty 0.6 points (raw score 2 / 2, final score 1.4 / 2)" in text, text
        assert ("Submitted 2025-03-04 00:30 UTC, 2 days 31 minutes after the due date "
                "(2025-03-01 23:59 UTC+01:00)") in text
    assert "**Score: 1.4 / 2** after a late penalty of 0.6 points (raw score 2 / 2)" in md
    assert "Score: 1.4 / 2" in " ".join(parse(page).text) and "Score: 2 / 2" not in md + page


@pytest.mark.parametrize("extra, words", [
    ({**LATE, "penalty": 0.0, "late_by": 360.0}, "6 minutes after the due date (2025-03-01 23:59 UTC+01:00), "
                                                  "within the grace period: no late penalty"),
    ({**LATE, "penalty": 0.0, "late_by": 0.0, "submitted_at": "2025-02-28T10:00:00+00:00"},
     "Submitted 2025-02-28 10:00 UTC, before the due date"),
    ({"raw_total": 2.0, "penalty": 0.0, "submitted_at": None, "late_by": 0.0, "late_unknown": True,
      "due": LATE["due"]}, "No submission time was found for your notebook, so no late penalty was applied."),
])
def test_on_time_in_grace_and_unknown_say_so(extra, words):
    late = late_record(extra)
    md, page = feedback.render(late)
    assert words in md and words in html.unescape(page)
    assert "**Score: 2 / 2**\n" in md and "late penalty of" not in md


def test_no_policy_no_late_line():
    plain = late_record({})
    assert "late" not in feedback.render_markdown(plain).lower()
    assert "output" not in gradescope_results.results_json(plain)


def kit_statuses() -> set[str]:
    """Every status a record can have: the notebook reader's, the sandbox's (through the
    plugin's mapping of how a worker died) and the grading plugin's own."""
    import inspect

    from gdkit import intake, notebook
    from gdkit.grading import sandboxed
    from gdkit.sandbox import client

    statuses = set(re.findall(r'_fail\([\w.]+, "([a-z0-9-]+)"', inspect.getsource(notebook)))
    statuses |= set(re.findall(r'\("([a-z]+-[a-z0-9-]+)", f"', inspect.getsource(intake)))  # nothing to grade
    statuses |= set(re.findall(r'progress\.status = "([a-z0-9-]+)"', inspect.getsource(sandboxed)))
    reasons = set(re.findall(r'WorkerDied\(\s*"([a-z0-9-]+)"', inspect.getsource(client)))
    reasons |= {client.describe_exit({"status": None}, 1)[0], "cpu-time"}
    statuses |= {sandboxed._status(reason) for reason in reasons}
    return statuses | {"ok", "invalid-notebook", GRADER_ERROR}


def test_every_status_has_a_sentence():
    statuses = kit_statuses()
    assert {"invalid-json", "too-large", "missing-file", "not-utf8", "wrong-assignment", "timeout", "crashed",
            "cpu-time"} <= statuses
    assert statuses <= set(feedback.STATUS_TEXT), statuses - set(feedback.STATUS_TEXT)
    for status in statuses:
        md = feedback.render_markdown(late_record({}) if status == "ok" else record(status=status, reason="why"))
        assert feedback.STATUS_TEXT[status] in md.replace("\\", ""), status


def test_a_grader_error_is_not_the_students_failure():
    broken = TestResult("test_x", "q1", 1.0, False, "Returns 3", GRADER_ERROR,
                        "The grader hit an internal error on this check; your instructor has the details.")
    ok = TestResult("test_y", "q1", 1.0, True, "Keeps its input")
    rec = Record("ann", "mini", status=GRADER_ERROR, reason="the grader failed on 1 check(s)",
                 questions=[QuestionResult.scored("q1", 2.0, [broken, ok])], max_total=2.0).rescore()
    md, page = feedback.render(rec)
    assert "**Score: not final** (so far 1 / 2)" in md and "Score: 1 / 2**" not in md
    assert "not your fault" in md and "1 check(s) of this question could not be run by the grader" in md
    assert "internal error" not in md  # not listed as one of the student's failed checks
    assert "class=\"ungraded\"" in page and "internal error" not in page


def test_a_skipped_cell_is_named_once_and_cannot_be_forged():
    report = [{"cell": 6, "ok": False, "error": "Skipped", "skipped": True, "first_line": "for alpha in alphas:",
               "message": "this cell ran past the 2 s limit and was skipped; the rest of the notebook was graded"},
              # a cell whose own exception is called Skipped, as the worker reports it (no trusted mark)
              {"cell": 9, "ok": False, "error": "Skipped", "message": "this cell ran past the limit"}]
    rec = late_record({})
    rec.cells = sanitize.load_errors(report)
    md, page = feedback.render(rec)
    assert md.count("cell 7 (`for alpha in alphas:`): this cell ran past the 2 s limit") == 1
    assert "Cells skipped while your notebook loaded" in md
    assert "- cell 10: Skipped: this cell ran past the limit" in md  # an ordinary error, not a notice
    assert "cell 7 (<code>for alpha in alphas:</code>)" in page
    output = gradescope_results.results_json(rec)["output"]
    assert "Cells skipped while your notebook loaded: cell 7 (for alpha in alphas:)" in output
    assert output.endswith("Cells that raised an error while your notebook loaded: cell 10: Skipped: this cell ran "
                           "past the limit")


def test_the_notebook_choice_is_said_once():
    rec = late_record({})
    rec.notebook = {"graded": "gd (1).ipynb", "ignored": ["gd.ipynb", ".ipynb_checkpoints/gd-checkpoint.ipynb"],
                    "rule": "the newest notebook (by modification time); none is named gd.ipynb"}
    line = ("Graded gd (1).ipynb (the newest notebook (by modification time); none is named gd.ipynb); "
            "ignored: gd.ipynb, .ipynb_checkpoints/gd-checkpoint.ipynb.")
    md, page = feedback.render(rec)
    assert md.replace("\\", "").count(line) == 1 and html.unescape(page).count(line) == 1
    assert gradescope_results.results_json(rec)["output"].count(line) == 1


def test_shared_examples_and_hints_are_said_once_per_question():
    tests = [TestResult(f"test_{n}", "q1", 1.0, False, f"Check {n}", "fail", f"wrong {n}", example="f(2) -> 4",
                        mistake="doubles", hint="square it") for n in range(3)]
    rec = Record("ann", "mini", questions=[QuestionResult.scored("q1", 3.0, tests)], max_total=3.0).rescore()
    md, page = feedback.render(rec)
    for text in (md, page):
        assert text.count("f(2) -&gt; 4" if text is page else "f(2) -> 4") == 1
        assert text.count("Likely mistake: doubles") == 1 and text.count("square it") == 1
        assert all(f"wrong {n}" in text for n in range(3))


def test_rendering_is_deterministic():
    first = feedback.render(record())
    assert feedback.render(Record.from_json(json.loads(json.dumps(record().to_json())))) == first
