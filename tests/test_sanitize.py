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
@settings(max_examples=400, deadline=None)
def test_line_is_printable_one_line_and_bounded(value, limit):
    out = sanitize.line(value, limit)
    assert _clean(out, newlines=False) and len(out) <= limit
    assert "  " not in out and out == out.strip()


@given(st.text(st.characters(exclude_categories=())), st.integers(1, 400))
@settings(max_examples=400, deadline=None)
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
