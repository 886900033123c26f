"""The master and release notebooks, run in a real Jupyter kernel; reading submissions."""
from __future__ import annotations

import json
import re

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from gdkit import network, twin
from gdkit.course import Course
from gdkit.notebook import InvalidNotebook, graded_code_cells, is_experiment_cell, is_test_cell, \
    read_submission, to_plain_python
from gdkit.release import available_assignments, find_root, master_problems
from gdkit.submissions import fill_solutions, master_answers, master_path, release_path

ROOT = find_root()
COURSE = Course.at(ROOT)
# Discovered, never listed: a new assignment is tested as soon as its folders exist.
ASSIGNMENTS = available_assignments(ROOT)
# The bundled assignments' published contracts (README): question ids and points.
BUNDLED = {
    "gradient_descent": {"q1_sigmoid_derivative": 10, "q2_layer_2_delta": 15, "q3_layer_1_delta": 15,
                         "q4_update_synapses": 20, "q5_convergence": 20, "q6_detect_divergence": 20},
    "tuning": {"q1_best_alpha": 20, "q2_direction_changes": 20, "q3_init_synapses": 20,
               "q4_error_surface": 20, "q5_momentum_update": 20},
}
REGION = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.DOTALL)
_EXECUTED = {}


def _read(path):
    return nbformat.read(path, as_version=4)


def _execute(nb):
    # The per-cell timeout is a guard against hangs, not a speed check.
    NotebookClient(nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(ROOT)}}).execute()


def _executed_master(assignment):
    """The master run top to bottom in a kernel, once per test session."""
    if assignment not in _EXECUTED:
        nb = _read(master_path(assignment))
        _execute(nb)
        _EXECUTED[assignment] = nb
    return _EXECUTED[assignment]


def _functions(assignment):
    return sorted({f for q in COURSE.assignment(assignment).questions for f in q.functions})


def test_every_master_has_a_grading_definition_and_agrees_with_it():
    assert ASSIGNMENTS and ASSIGNMENTS == COURSE.available()
    for assignment in ASSIGNMENTS:
        assert master_problems(assignment, ROOT) == []
        assert twin.in_sync(master_path(assignment)), f"run gdkit release {assignment}: its text twin differs"


@pytest.mark.parametrize("assignment", sorted(BUNDLED))
def test_bundled_assignments_keep_their_published_contract(assignment):
    cells = _read(master_path(assignment)).cells
    points = {c.metadata.nbgrader.grade_id: c.metadata.nbgrader.points for c in cells if is_test_cell(c)}
    assert points == BUNDLED[assignment]
    assert {q.id: q.points for q in COURSE.assignment(assignment).questions} == BUNDLED[assignment]


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_master_runs_top_to_bottom_in_a_kernel(assignment):
    nb = _read(master_path(assignment))
    assert any(is_experiment_cell(c) for c in nb.cells), "experiments included in this run"
    nb = _executed_master(assignment)
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]


@pytest.mark.slow
def test_the_alpha_sweep_shows_the_divergence_rule_next_to_the_tutorials_loop():
    """The notebook's experiment agrees with the reference (gdkit experiment alpha-sweep): the rule
    stops alpha = 100 at iteration 3, while the tutorial's loop takes it to ~0.1255."""
    nb = _executed_master("gradient_descent")
    cell = next(c for c in nb.cells if is_experiment_cell(c) and "without_rule" in c.source)
    printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    lines = {line.split("|")[0].strip(): line for line in printed.splitlines() if "|" in line}
    for alpha in (0.001, 0.01, 0.1, 1, 10, 100, 1000):
        free = network.train(network.X, network.y, alpha, iterations=10001)
        stopped = network.train(network.X, network.y, alpha, iterations=10001, stop_on_divergence=True)
        above = int(np.sum(np.asarray(free.errors) > free.errors[0]))
        _, left, right = lines[f"alpha {alpha}"].split("|")
        assert right.strip() == f"error {free.errors[-1]:.6f}, above the first error {above} times"
        if stopped.stopped_at is None:
            assert left.strip() == f"error {stopped.errors[-1]:.6f}"
        else:
            assert left.strip() == f"stopped at iteration {stopped.stopped_at}"
    assert "stopped at iteration 3" in lines["alpha 100"] and "error 0.125477" in lines["alpha 100"]
    wide = network.train(network.X, network.y, 10, hidden=32, iterations=10001)
    assert "stopped at iteration 1" in lines["32 hidden, 10"]
    assert f"error {wide.errors[-1]:.6f}" in lines["32 hidden, 10"]
    text = "".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "heuristic" in text and "stop_on_divergence=False" in text


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_runs_until_its_first_stub(assignment):
    nb = _read(release_path(assignment))
    with pytest.raises(CellExecutionError) as failure:
        _execute(nb)
    assert failure.value.ename == "NotImplementedError"
    failed = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
              and any(o.output_type == "error" for o in c.outputs)]
    first_test = next(i for i, c in enumerate(nb.cells) if is_test_cell(c))
    assert failed == [first_test]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_graded_function_is_alone_in_its_solution_cell(assignment):
    answers = master_answers(assignment)
    assert sorted(answers) == _functions(assignment)
    for name, source in answers.items():
        assert source.startswith(f"def {name}("), f"{name}: the solution cell holds only its def"
        assert "### " not in source


def _lines(cells):
    return {line.strip() for cell in cells for line in cell.source.splitlines() if line.strip()}


def _region_lines(cells):
    return {line.strip() for cell in cells for _, region in REGION.findall(cell.source)
            for line in region.splitlines() if line.strip()}


def test_no_solution_or_hidden_line_leaks_into_any_release():
    masters = {a: _read(master_path(a)).cells for a in ASSIGNMENTS}
    for released in ASSIGNMENTS:
        release_lines = _lines(_read(release_path(released)).cells)
        # Another assignment may give, in its locked cells, what this one asks (gradient_descent's
        # loop seeds the generator exactly as tuning's init_synapses must): given code is no leak.
        given = _lines(c for c in masters[released] if c.metadata.get("nbgrader", {}).get("locked")
                       and not is_test_cell(c))
        for master, cells in masters.items():
            regions = _region_lines(cells)
            assert regions, f"{master} has solution and hidden regions"
            leaked = regions & release_lines if master == released else (regions & release_lines) - given
            assert not leaked, f"lines of the {master} master leak into the {released} release: {sorted(leaked)}"


def _namespace_of(assignment):
    """Run the master's graded cells (trusted kit code) and return its globals."""
    namespace = {}
    for _, source in graded_code_cells(_read(master_path(assignment))):
        exec(compile(source, f"<{assignment} master>", "exec"), namespace)
    return namespace


def test_gradient_descent_master_agrees_with_the_reference_network():
    ns = _namespace_of("gradient_descent")
    rng = np.random.default_rng(3)
    layer_2, y_, layer_1 = rng.random((5, 2)), rng.random((5, 2)), rng.random((5, 3))
    synapse_0, synapse_1, layer_0 = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.random((5, 4))
    assert np.allclose(ns["sigmoid_output_to_derivative"](layer_1), network.sigmoid_output_to_derivative(layer_1))
    l2d = ns["compute_layer_2_delta"](layer_2, y_)
    assert np.allclose(l2d, network.compute_layer_2_delta(layer_2, y_))
    l1d = ns["compute_layer_1_delta"](l2d, synapse_1, layer_1)
    assert np.allclose(l1d, network.compute_layer_1_delta(l2d, synapse_1, layer_1))
    for got, want in zip(ns["update_synapses"](synapse_0, synapse_1, layer_0, layer_1, l1d, l2d, 0.3),
                         network.update_synapses(synapse_0, synapse_1, layer_0, layer_1, l1d, l2d, 0.3)):
        assert np.allclose(got, want)
    for errors in ([], [0.5], [0.5, 0.6, 0.55], [0.5, 0.4, 0.45], [0.5, float("nan")]):
        assert ns["detect_divergence"](errors) == network.detect_divergence(errors)
    # The notebook's given loop is the reference loop with divergence stopping.
    run = ns["train"](network.X, network.y, 10, iterations=300, seed=2)
    ref = network.train(network.X, network.y, 10, iterations=300, seed=2, stop_on_divergence=True)
    assert np.allclose(run["errors"], ref.errors) and np.allclose(run["synapse_0"], ref.synapse_0)
    diverging = ns["train"](network.X, network.y, 1000, iterations=300)
    assert diverging["stopped_at"] == network.train(network.X, network.y, 1000, iterations=300,
                                                    stop_on_divergence=True).stopped_at


def test_tuning_master_agrees_with_the_reference_network():
    ns = _namespace_of("tuning")
    sweeps = [{0.1: 0.3, 1: 0.1, 10: float("nan")}, {1: 0.2, 0.5: 0.2}, {5: float("inf"), 2: 0.9}]
    for final_errors in sweeps:
        assert ns["best_alpha"](final_errors) == network.best_alpha(final_errors)
    with pytest.raises(ValueError):
        ns["best_alpha"]({1: float("nan")})
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    assert np.array_equal(ns["count_direction_changes"](a, b), network.count_direction_changes(a, b))
    for got, want in zip(ns["init_synapses"](3, 32, 1, 5), network.init_synapses(3, 32, 1, 5)):
        assert np.array_equal(got, want)
    X2, y2 = rng.random((6, 2)), rng.integers(0, 2, 6)
    w0, w1 = np.linspace(-4, 4, 5), np.linspace(-3, 3, 7)
    assert np.allclose(ns["error_surface"](X2, y2, w0, w1), network.error_surface(X2, y2, w0, w1))
    for got, want in zip(ns["momentum_update"](a, b, a * 0.5, 0.2, 0.9), network.momentum_update(a, b, a * 0.5, 0.2, 0.9)):
        assert np.allclose(got, want)
    # The given loop with momentum is the reference loop, direction counts included.
    run = ns["train"](network.X, network.y, 0.5, iterations=400, momentum=0.9)
    ref = network.train(network.X, network.y, 0.5, iterations=400, momentum=0.9, stop_on_divergence=True,
                        count_directions=True)
    assert np.allclose(run["errors"], ref.errors)
    for got, want in zip(run["direction_changes"], ref.direction_changes):
        assert np.array_equal(got, want)


# ---- reading submissions (gdkit.notebook) ----

def test_graded_cells_skip_tests_experiments_and_markdown():
    nb = _read(master_path("gradient_descent"))
    chosen = dict(graded_code_cells(nb))
    for index, cell in enumerate(nb.cells):
        should_run = cell.cell_type == "code" and not is_test_cell(cell) and not is_experiment_cell(cell)
        assert (index in chosen) == should_run
    assert any("def train(" in source for source in chosen.values())
    assert not any("%matplotlib" in source for source in chosen.values())


def test_magics_and_shell_lines_become_comments():
    source = "%matplotlib inline\nimport numpy as np\nif True:\n    !pip install numpy\n%%time\nx = 1 % 2"
    plain = to_plain_python(source)
    compile(plain, "<cell>", "exec")
    assert plain.splitlines() == ["# %matplotlib inline", "import numpy as np", "if True:",
                                  "    pass  # !pip install numpy", "# %%time", "x = 1 % 2"]


def test_tagged_experiment_cell_in_a_submission_is_skipped(tmp_path):
    def code(source, **metadata):
        return {"cell_type": "code", "source": source, "metadata": metadata, "outputs": [], "execution_count": None}

    nb = {"nbformat": 4, "nbformat_minor": 4, "metadata": {},
          "cells": [code("a = 1"), code("slow()", tags=["experiment"]),
                    {"cell_type": "markdown", "source": "text", "metadata": {}},
                    code("b = 2", tags="experiment")]}  # a string, not a list: not a tag list at all
    path = tmp_path / "s.ipynb"
    path.write_text(json.dumps(nb))  # not nbformat.write: its validator rejects the string tags
    assert graded_code_cells(read_submission(path)) == [(0, "a = 1"), (3, "b = 2")]


@pytest.mark.parametrize("content, status, words", [
    (b"", "empty-file", "empty"),
    (b"  \n", "empty-file", "empty"),
    (b"PK\x03\x04\x00\x00junk", "binary-file", "binary"),
    (b'{"cells": [], "nbformat": 4, "x": "\xff\xfe"}', "not-utf8", "UTF-8"),
    (b'{"cells": [', "invalid-json", "line 1"),
    (b"[1, 2, 3]", "not-a-notebook", "not a Jupyter notebook"),
    (b'{"nbformat": 5, "cells": []}', "unsupported-nbformat", "format 5"),
    (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "sql", "source": ""}]}',
     "invalid-notebook", "cell 0"),
    (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "source": 7}]}',
     "invalid-notebook", "not text"),
    (b"[" * 100000, "invalid-json", "JSON"),
])
def test_bad_files_get_a_status_and_a_one_line_reason(tmp_path, content, status, words):
    path = tmp_path / "upload.ipynb"
    path.write_bytes(content)
    with pytest.raises(InvalidNotebook) as failure:
        read_submission(path)
    assert failure.value.status == status
    message = str(failure.value)
    assert words in message and "\n" not in message and message.startswith("upload.ipynb: ")


def test_missing_and_oversized_files(tmp_path):
    with pytest.raises(InvalidNotebook) as failure:
        read_submission(tmp_path / "nope.ipynb")
    assert failure.value.status == "missing-file"
    big = tmp_path / "big.ipynb"
    big.write_bytes(b" " * 2048)
    with pytest.raises(InvalidNotebook) as failure:
        read_submission(big, max_bytes=1024)
    assert failure.value.status == "too-large"


def test_nbformat_3_is_upgraded(tmp_path):
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "old"},
          "worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1\n%pylab inline", "language": "python",
                                     "outputs": [], "metadata": {}},
                                    {"cell_type": "markdown", "source": "hi", "metadata": {}}]}]}
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(v3))
    nb = read_submission(path)
    assert nb.nbformat == 4
    assert graded_code_cells(nb) == [(0, "x = 1\n# %pylab inline")]


def test_real_submission_reads_with_string_sources():
    nb = read_submission(ROOT / "examples" / "submissions" / "bob.ipynb")
    assert all(isinstance(c.source, str) for c in nb.cells)
    assert any("synapse_1 -= alpha" in source for _, source in graded_code_cells(nb))


# ---- building submissions (gdkit.submissions) ----

@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_fill_solutions_round_trip(assignment, tmp_path):
    release = _read(release_path(assignment))
    answers = master_answers(assignment)
    filled = fill_solutions(release, answers)
    assert "raise NotImplementedError()" in "".join(c.source for c in release.cells), "the release is untouched"
    path = tmp_path / "filled.ipynb"
    nbformat.write(filled, path)
    reread = read_submission(path)
    sources = [c.source for c in reread.cells]
    for source in answers.values():
        assert sources.count(source) == 1
    # Filling the master's answers gives back the master's graded code, cell for cell.
    master_graded = [s for _, s in graded_code_cells(_read(master_path(assignment)))]
    assert [s for _, s in graded_code_cells(reread)] == [_without_markers(s) for s in master_graded]
    # Only the named cell changes; unknown names are a one-line error.
    one = fill_solutions(release, {_functions(assignment)[0]: "broken("})
    assert sum(a.source != b.source for a, b in zip(one.cells, release.cells)) == 1
    with pytest.raises(Exception, match="no solution cell defines 'nope'"):
        fill_solutions(release, {"nope": "def nope(): pass"})



def _without_markers(source):
    return "\n".join(line for line in source.split("\n") if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def test_bundled_examples_are_current(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_examples", ROOT / "examples" / "make_examples.py")
    make_examples = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_examples)
    built = {p.name: p.read_bytes() for p in make_examples.build(tmp_path, ROOT)}
    committed = {p.name: p.read_bytes() for p in (ROOT / "examples" / "submissions").glob("*.ipynb")}
    assert built == committed, "run python3 examples/make_examples.py and commit examples/submissions/"
    assert set(built) == {f"{name}.ipynb" for name in ("alice", "bob", "carol", "dave", "erin", "frank", "gina")}
