"""The one sanitizer for text a student's code chose: printable, bounded, one line where asked."""
from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdkit.grading import sanitize

INVISIBLE = ["\u202e", "\u202d", "\u2066", "\u2069", "\u200e", "\u061c", "\u200b", "\u200c", "\u200d",
             "\u2060", "\ufeff", "\u180e", "\x00", "\x07", "\x1b", "\x7f", "\x9b", "\ud800", "\ue000", "\U000e0041"]


def _clean(value: str, *, newlines: bool) -> bool:
    allowed = {"\n"} if newlines else set()
    return all(ch.isprintable() or ch in allowed for ch in value)


@given(st.text(st.characters(exclude_categories=())), st.integers(1, 400))
@settings(max_examples=200, deadline=None)
def test_line_is_printable_one_line_and_bounded(value, limit):
    out = sanitize.line(value, limit)
    assert _clean(out, newlines=False) and len(out) <= limit
    assert "  " not in out and out == out.strip()


@given(st.text(st.characters(exclude_categories=())), st.integers(1, 400))
@settings(max_examples=200, deadline=None)
def test_text_is_printable_and_bounded(value, limit):
    out = sanitize.text(value, limit)
    assert _clean(out, newlines=True) and len(out) <= limit
    assert "\n\n\n" not in out and "\r" not in out


@pytest.mark.parametrize("bad", INVISIBLE)
def test_invisible_and_control_characters_are_dropped(bad):
    assert sanitize.line(f"grade{bad}: A") == "grade: A"
    assert sanitize.text(f"a{bad}b\nc") == "ab\nc"


def test_terminal_escapes_lose_their_escape_character():
    assert "\x1b" not in sanitize.text("\x1b[2J\x1b[31mred\x1b[0m")


def test_whitespace_of_any_kind():
    assert sanitize.line(" a\tb\n\nc\r\nd\u00a0e\u2028f\u3000 ") == "a b c d e f"
    assert sanitize.text("a\t\tb\r\nc\rd\n\n\n\n\ne  ") == "a b\nc\nd\n\ne"


def test_combining_marks_do_not_stack():
    zalgo = "a" + "\u0301" * 200 + "b\u0301"
    out = sanitize.line(zalgo)
    assert out == "a\u0301\u0301b\u0301"
    assert unicodedata.normalize("NFC", sanitize.line("e\u0301")) == "é"


def test_a_cut_is_visible():
    assert sanitize.line("x" * 10, 5) == "xxxx…"
    assert sanitize.line("x" * 5, 5) == "xxxxx"
    assert sanitize.text("y" * 100_000, 50) == "y" * 49 + "…"
    # a long tail of characters that are all dropped still says the value was cut
    assert sanitize.line("ok" + "\u200b" * 100_000, 50) == "ok…"


def test_a_huge_value_costs_only_its_bounded_prefix():
    import time
    start = time.process_time()
    sanitize.text("\u0301" * 50_000_000, 100)
    assert time.process_time() - start < 1.0


@pytest.mark.parametrize("value, expected", [
    (None, "None"), (3, "3"), (2.5, "2.5"), (True, "True"), (b"by\xfftes", "by\ufffdtes"),
    (10 ** 5000, "<a very large int>"), (object(), "<object>"),
], ids=["none", "int", "float", "bool", "bytes", "huge-int", "object"])
def test_values_that_are_not_strings_are_never_asked_to_print_themselves(value, expected):
    assert sanitize.line(value) == expected


def test_a_str_subclass_cannot_change_what_is_shown():
    class Liar(str):
        def __str__(self):
            return "full marks"

        def __len__(self):
            return 1

    assert sanitize.line(Liar("honest")) == "honest"
    assert sanitize.name(Liar("f")) == "f"


@pytest.mark.parametrize("value, expected", [
    ("update_synapses", "update_synapses"), ("_private2", "_private2"),
    ("The answer is 42", sanitize.UNNAMED), ("naïve", sanitize.UNNAMED), ("f\u200b", sanitize.UNNAMED),
    ("a" * 65, sanitize.UNNAMED), ("", sanitize.UNNAMED), ("2x", sanitize.UNNAMED), (42, sanitize.UNNAMED),
    ("ok\n", sanitize.UNNAMED),
])
def test_name_accepts_plain_identifiers_only(value, expected):
    assert sanitize.name(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("TypeError", "TypeError"), ("ZeroDivisionError", "ZeroDivisionError"), ("KeyboardInterrupt", "KeyboardInterrupt"),
    ("SystemExit", "SystemExit"), ("HiddenAlphaIs0_25", sanitize.OWN_EXCEPTION), ("print", sanitize.OWN_EXCEPTION),
    ("__class__", sanitize.OWN_EXCEPTION), ("TypeError: alpha=0.25", sanitize.OWN_EXCEPTION), (None, sanitize.OWN_EXCEPTION),
    ("int", sanitize.OWN_EXCEPTION),
])
def test_exception_name_is_a_builtin_exception_or_a_fixed_phrase(value, expected):
    assert sanitize.exception_name(value) == expected


@pytest.mark.parametrize("value, expected", [
    (None, "None"), (True, "a bool"), (np.True_, "a numpy bool"), (3, "an int"), (0.5, "a float"),
    ("x" * 731, "a string"), ([1] * 731, "a list"), ((1, 2), "a tuple"), ({1: 2}, "a dict"),
    (np.zeros((0, 731)), "an array of floats"), (np.zeros(3, dtype=np.int32), "an array of integers"),
    (np.zeros((), dtype=bool), "an array of booleans"), (np.float32(1), "a numpy float"),
    (np.uint8(1), "a numpy integer"), (np.array([1 + 1j]), "an array"), (object(), "a value of another type"),
])
def test_kind_says_the_type_never_its_size_or_contents(value, expected):
    assert sanitize.kind(value) == expected
    assert "731" not in sanitize.kind(value)


def test_markdown_shows_text_as_typed():
    """Rendered by a real markdown renderer (mistune, installed with nbconvert): one paragraph
    of plain text that reads exactly as the student typed it."""
    import html
    import re

    import mistune

    typed = ("![x](http://e/p.png) [y](http://e) <b>*z*</b> `c` | a_b ~~s~~ &amp; **bold** "
             "<http://auto.link> www.example.com # not a heading")
    rendered = mistune.html(sanitize.markdown(typed)).strip()
    assert re.fullmatch(r"<p>[^<>]*</p>", rendered), rendered
    assert html.unescape(rendered[3:-4]) == typed


# ------------------------------------------------------------------ end to end: what reaches a student

CHANNELS = ("base_master", "exit_status_from_hidden_input", "dtype_named_with_a_sentence",
            "exception_named_with_a_sentence", "load_report_flood", "string_length_from_hidden_input",
            "empty_shape_from_hidden_input")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The corpus's cases for chosen text, graded in one run next to the honest master."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from hostile import corpus

    from gdkit.grading import runner

    base = tmp_path_factory.mktemp("chosen-text")
    kit = Path(__file__).resolve().parents[1]
    cases = {c.name: c for c in corpus.build(None, root=kit, victim_notebook=base / "v", outdir=base / "out")}
    paths = []
    for name in CHANNELS:
        path = base / f"{name}.ipynb"
        path.write_bytes(cases[name].data)
        paths.append(path)
    records = runner.grade_submissions(corpus.ASSIGNMENT, paths, outdir=base / "out", jobs=2, timeout=5.0,
                                       quiet=True, root=kit)
    return {"out": base / "out", "records": {r.student: r for r in records}}


def _shown(out, student: str) -> str:
    """Everything a student may be shown: results.json, feedback.md, feedback.html, their grades row."""
    import csv
    import html

    folder = out / student
    with open(out / "grades.csv") as f:
        row = next(r for r in csv.DictReader(f) if r["student"] == student)
    return "\n".join([(folder / "results.json").read_text(), (folder / "feedback.md").read_text(),
                      html.unescape((folder / "feedback.html").read_text()), row["reason"]])


@pytest.mark.slow
def test_the_honest_bystander_scores_full_marks(graded):
    assert graded["records"]["base_master"].total == 100


@pytest.mark.slow
def test_an_exit_status_chosen_on_hidden_inputs_is_shown_as_crashed(graded):
    record = graded["records"]["exit_status_from_hidden_input"]
    died = [t for q in record.questions for t in q.tests if t.kind == "died"]
    assert died and all(t.message == "Your code crashed or ended the process that ran it." for t in died)
    for text in (_shown(graded["out"], record.student), (graded["out"] / record.student / "record.json").read_text()):
        assert "exit status" not in text
    # the instructor keeps the detail
    assert "exit status" in (graded["out"] / "worker-failures.log").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["dtype_named_with_a_sentence", "exception_named_with_a_sentence"])
def test_names_chosen_by_the_student_are_not_shown(graded, name):
    text = _shown(graded["out"], name) + (graded["out"] / name / "record.json").read_text()
    assert "Full marks" not in text and "\x1b" not in text and "\u202e" not in text
    assert graded["records"][name].total < 100


@pytest.mark.slow
@pytest.mark.parametrize("name", ["string_length_from_hidden_input", "empty_shape_from_hidden_input"])
def test_a_length_or_shape_chosen_on_hidden_inputs_is_not_shown(graded, name):
    """The student's answer encodes a hidden entry as a 4-digit length (of a string, of an empty
    array's axis): what a student reads says the kind of the answer, never that number."""
    import re

    record = graded["records"][name]
    failed = [t for q in record.questions for t in q.tests if not t.passed and t.question == "q1_sigmoid_derivative"]
    assert failed
    for t in failed:
        shown = " ".join(filter(None, (t.message, t.example, t.mistake, t.hint)))
        assert not re.search(r"\d{4}", shown), shown
    assert not re.search(r"\d{4}", record.reason)


@pytest.mark.slow
def test_a_flood_of_load_errors_keeps_the_record_and_feedback_small(graded):
    record = graded["records"]["load_report_flood"]
    assert record.total == 100 and len(record.cells) <= 20
    folder = graded["out"] / record.student
    assert (folder / "record.json").stat().st_size < 64_000
    assert (folder / "feedback.md").stat().st_size < 64_000 and (folder / "feedback.html").stat().st_size < 128_000
    assert all(len(c["message"]) <= sanitize.LINE_LIMIT for c in record.cells)
    # the flood's markup reads as typed in feedback.md: no link, no HTML
    markdown = (folder / "feedback.md").read_text()
    assert "<b>" not in markdown and "[x](y)" not in markdown


def test_load_errors_read_as_typed_in_feedback_md():
    from gdkit.feedback import render_markdown
    from gdkit.record import Record

    record = Record("s", "a", cells=sanitize.load_errors([{"cell": 3, "ok": False, "error": "ValueError",
                                                             "message": "<b>[x](http://e)</b>"}]))
    markdown = render_markdown(record)
    assert "<b>" not in markdown and "[x](" not in markdown and r"\<b\>\[x\](http:\/\/e)\</b\>" in markdown


def test_a_record_is_shrunk_below_its_cap_keeping_every_score():
    from gdkit.record import QuestionResult, Record, TestResult

    tests = [TestResult(f"t{i}", "q1", 1.0, i % 2 == 0, kind="fail", message="m" * 1000, example="e" * 1500,
                        hint="h" * 600, detail="d" * 600) for i in range(200)]
    record = Record("s", "a", questions=[QuestionResult.scored("q1", 10, tests)], output="o" * 2000,
                    cells=[{"cell": i, "error": "E", "message": "x" * 300} for i in range(20)]).rescore()
    before = (record.total, [t.passed for t in tests])
    assert sanitize._size(record) > sanitize.RECORD_LIMIT
    sanitize.within(record, sanitize.RECORD_LIMIT)
    assert sanitize._size(record) <= sanitize.RECORD_LIMIT
    assert (record.total, [t.passed for t in record.questions[0].tests]) == before


def test_test_fields_are_sanitized_and_capped():
    info = sanitize.result_fields({"kind": "fail", "message": "bad\u202e\x1b[31m" + "m" * 5000, "example": "e\n" * 5000,
                           "mistake": "two\nlines", "hint": None})
    assert "\u202e" not in info["message"] and "\x1b" not in info["message"] and len(info["message"]) <= 1000
    assert len(info["example"]) <= 1500 and info["mistake"] == "two lines" and info["hint"] is None


def test_load_errors_are_rebuilt_from_known_fields():
    report = [{"cell": 1, "ok": True}, {"cell": 2, "ok": False, "error": "ValueError", "message": "m\nn", "x": "y" * 10},
              {"cell": "3", "ok": False, "error": "The answer is 42", "message": 5}, "junk"]
    report += [{"cell": 9, "ok": False, "error": "E", "message": "z"}] * 100
    report += [{"cell": "...", "ok": False, "error": "MoreErrors", "message": "7 more cells raised errors"}]
    errors = sanitize.load_errors(report)
    assert errors[:2] == [{"cell": 2, "error": "ValueError", "message": "m n"},
                          {"cell": None, "error": sanitize.OWN_EXCEPTION, "message": "5"}]
    assert len(errors) == sanitize.MAX_LOAD_ERRORS + 1
    assert errors[-1] == {"cell": "...", "error": "MoreErrors", "message": "89 more cells raised errors (not listed)"}
