"""The experiments: the side-by-side trainer against network.train, the printouts, the command."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from matplotlib.image import imread

from gdkit import experiments, network
from gdkit.cli import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_cli(capsys, *args):
    code = main(["experiment", *args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_png(path, min_width=400, min_height=250):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    image = imread(path)
    assert image.shape[0] >= min_height and image.shape[1] >= min_width
    assert image.std() > 0.05  # not a blank canvas


@pytest.mark.parametrize("X, y, alphas, hidden", [
    (network.X, network.y, (0.5, 10, 100, 1000), 4),
    (network.X, network.y, (1, 30), 32),
    # several inputs and outputs, nothing square
    (np.random.default_rng(3).random((6, 5)), np.random.default_rng(4).random((6, 2)), (0.1, 3), 7),
])
def test_side_by_side_equals_network_train(X, y, alphas, hidden):
    iterations = 1500
    result = experiments.train_alphas(X, y, alphas, hidden, iterations, seed=2, record_every=250,
                                      count_directions=True)
    assert result.errors.shape == (len(alphas), 6)
    for a, alpha in enumerate(alphas):
        with np.errstate(over="ignore"):
            ref = network.train(X, y, alpha, hidden, iterations, seed=2, count_directions=True)
        np.testing.assert_allclose(result.errors[a], ref.errors[::250], rtol=1e-12)
        assert result.last_errors[a] == pytest.approx(ref.errors[-1], rel=1e-12)
        np.testing.assert_allclose(result.synapse_0[a], ref.synapse_0, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(result.synapse_1[a], ref.synapse_1, rtol=1e-12, atol=1e-14)
        assert result.diverged[a] == ref.diverged
        assert np.array_equal(result.direction_changes[0][a], ref.direction_changes[0])
        assert np.array_equal(result.direction_changes[1][a], ref.direction_changes[1])


def test_side_by_side_rejects_bad_input():
    with pytest.raises(ValueError, match="alpha"):
        experiments.train_alphas(network.X, network.y, [1, -2])
    with pytest.raises(ValueError, match="at least one"):
        experiments.train_alphas(network.X, network.y, [])
    with pytest.raises(ValueError, match="rows"):
        experiments.train_alphas(network.X, network.y[:3], [1])
    with pytest.raises(ValueError, match="record_every"):
        experiments.train_alphas(network.X, network.y, [1], iterations=10, record_every=0)


@pytest.mark.parametrize("alpha, text", [(0.001, "0.001"), (1, "1"), (1.0, "1"), (1000, "1000"),
                                         (2.5, "2.5"), (1e-05, "1e-05")])
def test_format_alpha_like_the_tutorial(alpha, text):
    assert experiments.format_alpha(alpha) == text


@pytest.mark.slow
def test_alpha_sweep_command_prints_the_tutorials_lines(capsys):
    code, out, err = run_cli(capsys, "alpha-sweep", "--alphas", "0.1,1000", "--iterations", "20001")
    assert code == 0 and err == ""
    expected = []
    for alpha in (0.1, 1000):
        with np.errstate(over="ignore"):
            errors = network.train(network.X, network.y, alpha, 4, 20001).errors
        expected += ["", f"Training With Alpha:{experiments.format_alpha(alpha)}"]
        expected += [f"Error after {j} iterations:{float(errors[j])!r}" for j in (0, 10000, 20000)]
    assert out.splitlines() == expected
    assert out.splitlines()[2] == "Error after 0 iterations:0.4964100319027255"
    assert "Error after 10000 iterations:0.5\n" in out  # alpha 1000 saturates


@pytest.mark.slow
def test_alpha_sweep_hidden_32_through_the_command(capsys):
    code, out, _ = run_cli(capsys, "alpha-sweep", "--hidden", "32", "--alphas", "10",
                           "--iterations", "50001")
    assert code == 0
    last = out.splitlines()[-1]
    assert last.startswith("Error after 50000 iterations:")
    assert float(last.split(":")[1]) == pytest.approx(0.000943487852261, rel=5e-10, abs=0)


@pytest.mark.slow
def test_alpha_sweep_plot(tmp_path, capsys):
    target = tmp_path / "sweep.png"
    code, out, _ = run_cli(capsys, "alpha-sweep", "--iterations", "3000", "--plot", str(target))
    assert code == 0 and f"wrote {target}" in out
    assert out.count("Training With Alpha:") == 7
    assert_png(target)


@pytest.mark.slow
def test_direction_changes_command_and_plot(tmp_path, capsys):
    target = tmp_path / "directions.png"
    code, out, _ = run_cli(capsys, "direction-changes", "--alpha", "10", "--iterations", "3000",
                           "--plot", str(target))
    assert code == 0
    ref = network.train(network.X, network.y, 10, 4, 3000, count_directions=True)
    lines = out.splitlines()
    assert lines[:2] == ["", "Training With Alpha:10"]
    assert "Synapse 0 Update Direction Changes" in lines and "Synapse 1 Update Direction Changes" in lines
    start = lines.index("Synapse 0 Update Direction Changes") + 1
    printed = np.array([[int(v) for v in line.strip(" []").split()] for line in lines[start:start + 3]])
    assert np.array_equal(printed, ref.direction_changes[0])
    assert_png(target, min_width=300, min_height=150)


@pytest.mark.slow
def test_error_surface_command_and_plot(tmp_path, capsys):
    target = tmp_path / "surface.png"
    code, out, _ = run_cli(capsys, "error-surface", "--grid", "41", "--plot", str(target))
    assert code == 0
    assert "grid: 41 x 41 weight pairs over [-10, 10]^2" in out
    # The lowest error is where input 0 says 1 and input 1 says 0 hardest: w0=10, w1=-10.
    assert "at w0=10, w1=-10" in out
    assert_png(target)


def test_descent_on_the_two_weight_network_goes_downhill():
    path = experiments.descend_two_weights((-4, 2), alpha=1, iterations=200)
    assert path.shape == (201, 2) and tuple(path[0]) == (-4, 2)
    errors = experiments.path_errors(path)
    assert np.all(np.diff(errors) <= 1e-15) and errors[-1] < 0.1 * errors[0]
    end = network.error_surface(experiments.SURFACE_X, experiments.SURFACE_y, [path[-1, 0]], [path[-1, 1]])
    assert end[0, 0] == pytest.approx(errors[-1], rel=1e-12)
    with pytest.raises(ValueError, match="start"):
        experiments.descend_two_weights((1, 2, 3))


@pytest.mark.parametrize("args, words", [
    (["alpha-sweep", "--alphas", "x"], "'x' is not a number"),
    (["alpha-sweep", "--alphas", "1,-5"], "> 0"),
    (["alpha-sweep", "--hidden", "0"], "--hidden"),
    (["alpha-sweep", "--iterations", "0"], "--iterations"),
    (["alpha-sweep", "--plot", "/nonexistent/dir/x.png"], "does not exist"),
    (["alpha-sweep", "--plot", "x.txt"], ".png"),
    (["direction-changes", "--alpha", "inf"], "finite"),
    (["error-surface", "--start", "1"], "exactly 2"),
    (["error-surface", "--grid", "1"], "--grid"),
])
def test_bad_arguments_one_line_exit_2(capsys, args, words):
    code, out, err = run_cli(capsys, *args)
    assert code == 2
    assert err.count("\n") == 1 and words in err
    assert "Traceback" not in err + out and out == ""


def test_installed_command_fails_cleanly():
    done = subprocess.run([sys.executable, "-c", "from gdkit.cli import run; run()",
                           "experiment", "alpha-sweep", "--plot", "/nonexistent/dir/x.png"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("gdkit: error: --plot /nonexistent/dir/x.png")
    assert done.stderr.count("\n") == 1 and done.stdout == ""
