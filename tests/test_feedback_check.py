"""What `gdkit check` prints: a failing visible test's message in full, a multi-line array row
under row; a function that fails its own question named under the questions that use it; a
bug-zoo mistake named in a course checkout (never without the course's files); nothing else.

Real release notebooks through the real command, in the sandbox."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from gdkit import check, hints, submissions
from gdkit.check import CheckResult

ASSIGNMENT = "gradient_descent"
REPO = Path(__file__).resolve().parents[1]
# dave's mistake (examples/make_examples.py): the slope of the pre-activation instead of the output's
SLOPE_BUG = ("def sigmoid_output_to_derivative(output):\n"
             "    return sigmoid(output) * (1 - sigmoid(output))\n")


def test_a_multi_line_array_is_printed_whole_row_under_row():
    got = np.arange(36, dtype=float).reshape(12, 3) / 7
    message = f"expected [[0.25, 0.09], [0.09, 0.0]], got {got}"
    assert message.count("\n") == 11  # numpy prints one row per line
    text = check.report([CheckResult("q1_sigmoid_derivative", 10, False, message), CheckResult("q2", 5, True)])
    lines = text.splitlines()
    first = lines[0]
    start = first.index("got [[") + len("got ")
    rows = lines[1:12]
    assert all(row.index("[") == start + 1 for row in rows), "\n".join(lines)  # under the first row's
    numbers = [float(x) for x in re.findall(r"\d+\.\d*", " ".join([first[start:], *rows]))]
    assert np.allclose(numbers, got.ravel(), atol=1e-6)  # every entry, none cut
    assert lines[12].startswith("q2") and lines[12].split()[1] == "pass"


def test_a_message_reaches_the_terminal_printable():
    text = check.report([CheckResult("q1", 1, False, "got \x1b[2J\x1b[31mred\u202e [[1 2]\n [3 4]]")])
    assert "\x1b" not in text and "\u202e" not in text and "[3 4]]" in text


def test_findings_follow_the_code_not_a_guess():
    cells = [(1, "def sigmoid(x):\n    return x\n"),
             (2, "def f(x):\n    return sigmoid(x)\n"),
             (3, "def g(x):\n    return f(x) + 1\n"),
             (4, "def train():\n    return g(1) + h(2)\n"),
             (5, "def h(x):\n    return x\n"),
             (6, "this is not python (\n")]
    tests = {"q1": "assert f(0) == 0\nassert sigmoid(0) == 0", "q2": "assert g(0) == 1", "q3": "assert h(1) == 1",
             "q4": "assert train() == 4"}
    graded = {"f", "g", "h"}  # sigmoid and train are given code: they belong to no question
    assert hints.dependencies(cells, tests, graded) == {"q2": [("f", "q1")],
                                                        "q4": [("f", "q1"), ("g", "q2"), ("h", "q3")]}
    found = hints.failing_elsewhere(cells, tests, {"q1", "q2", "q4"}, graded)
    # q2 fails because of q1: q4 is sent to q1 (the first cause), not to q2; q3 passes: not named
    assert found == {"q2": "this test uses `f` (q1), which fails its own visible test: fix that first; "
                           "this failure may follow from it",
                     "q4": "this test uses `f` (q1), which fails its own visible test: fix that first; "
                           "this failure may follow from it"}
    assert hints.failing_elsewhere(cells, tests, {"q4"}, graded) == {}  # its own failure: nothing to add
    assert hints.variant((np.array([0.5, 1.0]), 2, [0.1], {1: 0.5}, True)) is not None
    assert hints.variant((np.array([1, 2]), 3, "x", False)) is None  # nothing public to vary


def notebook(tmp_path: Path, **answers) -> Path:
    release = nbformat.read(submissions.release_path(ASSIGNMENT, REPO), as_version=4)
    path = tmp_path / "gradient_descent.ipynb"
    nbformat.write(submissions.fill_solutions(release, {**submissions.master_answers(ASSIGNMENT, REPO), **answers}),
                   path)
    return path


def run_check(path: Path, *, course: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("GDKIT_COURSE", "GDKIT_ROOT")}
    return subprocess.run([sys.executable, "-m", "gdkit.cli", "check", str(path)], capture_output=True, text=True,
                          env=env, cwd=REPO if course else path.parent, timeout=300)


def question_lines(out: str) -> dict[str, list[str]]:
    blocks: dict[str, list[str]] = {}
    current = None
    for line in out.splitlines():
        if re.match(r"q\d_\w+ ", line):
            current = line.split()[0]
            blocks[current] = [line]
        elif current and line.startswith(" "):
            blocks[current].append(line)
        else:
            current = None
    return blocks


@pytest.mark.slow  # two checks of a real notebook in the sandbox
def test_check_of_a_slope_mistake(tmp_path):
    path = notebook(tmp_path, sigmoid_output_to_derivative=SLOPE_BUG)
    done = run_check(path)
    assert done.returncode == 1, done.stderr
    q = question_lines(done.stdout)
    # q1's array: both rows, the second under the first
    first, second = q["q1_sigmoid_derivative"][:2]
    assert "got [[0.23500371 0.20550031]" in first and second.strip() == "[0.24937604 0.25      ]]"
    assert second.index("[") == first.index("got [[") + len("got [")
    assert "likely mistake: slope of the pre-activation" in q["q1_sigmoid_derivative"][2]
    # q2, q3 and q5 call the wrong slope: each names q1, none guesses a mistake of its own
    for qid in ("q2_layer_2_delta", "q3_layer_1_delta", "q5_convergence"):
        said = " ".join(q[qid])
        assert "uses `sigmoid_output_to_derivative` (q1_sigmoid_derivative), which fails its own visible test" in said
        assert "likely mistake" not in said
    assert q["q4_update_synapses"] == [q["q4_update_synapses"][0]] and "pass" in q["q4_update_synapses"][0]

    # handed only the notebook (no autograder/ anywhere): the same findings, but no zoo to name a mistake
    alone = run_check(path, course=False)
    assert alone.returncode == 1 and "likely mistake" not in alone.stdout
    assert alone.stdout.count("uses `sigmoid_output_to_derivative` (q1_sigmoid_derivative)") == 3


@pytest.mark.slow
def test_check_names_the_detector_not_the_sign_when_the_detector_is_wrong(tmp_path):
    previous = ("def detect_divergence(errors):\n"
                "    import math\n"
                "    if any(not math.isfinite(e) for e in errors):\n"
                "        return True\n"
                "    return len(errors) > 1 and errors[-1] > errors[-2]\n")
    done = run_check(notebook(tmp_path, detect_divergence=previous))
    q = question_lines(done.stdout)
    assert "FAIL" in q["q6_detect_divergence"][0] and "FAIL" in q["q5_convergence"][0]
    said = " ".join(q["q5_convergence"][1:])
    assert "`detect_divergence` (q6_detect_divergence)" in said and "update_synapses" not in said
    right = run_check(notebook(tmp_path))
    assert right.returncode == 0 and "uses" not in right.stdout and "likely mistake" not in right.stdout
