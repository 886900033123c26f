"""The reference network against calculus, the published table and hand-made histories."""
from __future__ import annotations

from pathlib import Path
import re

import numpy as np
import pytest

from gdkit import network
from gdkit.experiments import TUTORIAL_ALPHAS, train_alphas

PUBLISHED = Path(__file__).with_name("published_alpha_sweep.txt")


def loss(layer_0, synapse_0, synapse_1, y):
    """The loss the deltas are the gradient of: 0.5 * sum((layer_2 - y)^2)."""
    _, layer_2 = network.forward(layer_0, synapse_0, synapse_1)
    return 0.5 * np.sum((layer_2 - y) ** 2)


def numeric_gradient(f, weights, eps=1e-6):
    gradient = np.zeros_like(weights)
    for index in np.ndindex(weights.shape):
        saved = weights[index]
        weights[index] = saved + eps
        up = f()
        weights[index] = saved - eps
        down = f()
        weights[index] = saved
        gradient[index] = (up - down) / (2 * eps)
    return gradient


@pytest.fixture
def random_net():
    rng = np.random.default_rng(7)
    n, i, h, k = 5, 3, 7, 2  # nothing square, several outputs
    layer_0 = rng.normal(size=(n, i))
    y = rng.random((n, k))
    synapse_0 = rng.normal(size=(i, h))
    synapse_1 = rng.normal(size=(h, k))
    return layer_0, y, synapse_0, synapse_1


def analytic(layer_0, y, synapse_0, synapse_1):
    layer_1, layer_2 = network.forward(layer_0, synapse_0, synapse_1)
    layer_2_delta = network.compute_layer_2_delta(layer_2, y)
    layer_1_delta = network.compute_layer_1_delta(layer_2_delta, synapse_1, layer_1)
    return layer_1, layer_2, layer_1_delta, layer_2_delta


def test_deltas_give_the_finite_difference_gradient(random_net):
    layer_0, y, synapse_0, synapse_1 = random_net
    layer_1, layer_2, layer_1_delta, layer_2_delta = analytic(*random_net)
    assert layer_2_delta.shape == (5, 2) and layer_1_delta.shape == (5, 7)
    gradient_0, gradient_1 = network.weight_gradients(layer_0, layer_1, layer_1_delta, layer_2_delta)
    f = lambda: loss(layer_0, synapse_0, synapse_1, y)  # noqa: E731 - reads the arrays live
    np.testing.assert_allclose(gradient_0, numeric_gradient(f, synapse_0), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(gradient_1, numeric_gradient(f, synapse_1), rtol=1e-6, atol=1e-9)


def test_update_is_an_alpha_step_against_the_gradient(random_net):
    layer_0, y, synapse_0, synapse_1 = random_net
    layer_1, layer_2, layer_1_delta, layer_2_delta = analytic(*random_net)
    before = (synapse_0.copy(), synapse_1.copy())
    f = lambda: loss(layer_0, synapse_0, synapse_1, y)  # noqa: E731
    expected_0 = synapse_0 - 0.01 * numeric_gradient(f, synapse_0)
    expected_1 = synapse_1 - 0.01 * numeric_gradient(f, synapse_1)
    new_0, new_1 = network.update_synapses(synapse_0, synapse_1, layer_0, layer_1,
                                           layer_1_delta, layer_2_delta, 0.01)
    np.testing.assert_allclose(new_0, expected_0, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(new_1, expected_1, rtol=1e-8, atol=1e-10)
    assert np.array_equal(synapse_0, before[0]) and np.array_equal(synapse_1, before[1])
    assert loss(layer_0, new_0, new_1, y) < loss(layer_0, synapse_0, synapse_1, y)


def test_sigmoid_derivative_from_output_matches_the_slope():
    x = np.linspace(-8, 8, 41)
    eps = 1e-6
    slope = (network.sigmoid(x + eps) - network.sigmoid(x - eps)) / (2 * eps)
    np.testing.assert_allclose(network.sigmoid_output_to_derivative(network.sigmoid(x)), slope,
                               rtol=1e-6, atol=1e-9)
    assert network.sigmoid_output_to_derivative(0.5) == 0.25
    assert network.sigmoid(0.0) == 0.5


def parse_published(path=PUBLISHED):
    table, alpha = {}, None
    for line in path.read_text().splitlines():
        if match := re.fullmatch(r"Training With Alpha:(\S+)", line.strip()):
            alpha = float(match[1])
            table[alpha] = {}
        elif match := re.fullmatch(r"Error after (\d+) iterations:(\S+)", line.strip()):
            table[alpha][int(match[1])] = float(match[2])
    return table


def test_published_table_to_ten_significant_digits():
    published = parse_published()
    assert sorted(published) == sorted(TUTORIAL_ALPHAS)
    assert sum(len(rows) for rows in published.values()) == 42
    result = train_alphas(network.X, network.y, TUTORIAL_ALPHAS, hidden=4, iterations=60000)
    for a, alpha in enumerate(TUTORIAL_ALPHAS):
        for m, iteration in enumerate(result.recorded_at):
            assert result.errors[a, m] == pytest.approx(published[alpha][iteration], rel=5e-10, abs=0), \
                (alpha, iteration)
    assert result.diverged.tolist() == [False] * 6 + [True]  # alpha 1000 sits at 0.5


@pytest.mark.parametrize("alpha", [10, 100])
def test_reference_train_loop_meets_the_published_table(alpha):
    # The side-by-side trainer above is the fast path; the reference loop itself must agree too.
    result = network.train(network.X, network.y, alpha, hidden=4, iterations=10001)
    assert result.errors[10000] == pytest.approx(parse_published()[alpha][10000], rel=5e-10, abs=0)


@pytest.mark.slow
def test_hidden_32_figure():
    result = train_alphas(network.X, network.y, [10], hidden=32, iterations=50001)
    assert result.errors[0, -1] == pytest.approx(0.000943487852261, rel=5e-10, abs=0)
    assert result.errors[0, -1] < 0.00131274062834  # wider is better, as the tutorial says


@pytest.mark.parametrize("history, diverged", [
    ([0.5, 0.6, 0.7, 0.8], True),                     # rising
    ([0.49, 0.5, 0.5, 0.5], True),                    # saturating at 0.5, above the start
    ([0.4, 0.3, float("nan")], True),                 # NaN
    ([0.4, float("inf"), 0.1], True),                 # inf, even when it recovers
    ([float("nan")], True),                           # one value, not finite
    ([0.5, 0.45, 0.48, 0.3, 0.35, 0.2], False),       # noisy but falling
    ([0.5, 0.5, 0.5, 0.5], False),                    # stuck but not rising
    ([0.5, 0.7, 0.4], False),                         # a bump, but ends below the start
    ([0.3], False),                                   # one value: no trend
    ([], False),                                      # empty
    (np.array([[0.2, 0.1], [0.1, 0.3]]), True),       # any shape is a sequence of errors
])
def test_detect_divergence(history, diverged):
    assert network.detect_divergence(history) is diverged


def test_training_stops_on_divergence_and_flags_it():
    result = network.train(network.X, network.y, 1000, iterations=500, stop_on_divergence=True)
    assert result.diverged and result.stopped_at is not None
    assert len(result.errors) == result.stopped_at + 1
    assert result.errors[-1] > result.errors[0]
    calm = network.train(network.X, network.y, 1, iterations=500, stop_on_divergence=True)
    assert not calm.diverged and calm.stopped_at is None and len(calm.errors) == 500


def test_init_synapses_shapes_range_and_legacy_rng():
    synapse_0, synapse_1 = network.init_synapses(3, 4, 1, seed=1)
    assert synapse_0.shape == (3, 4) and synapse_1.shape == (4, 1)
    # np.random.seed(1); np.random.random() is 0.417022004702574 in the legacy generator.
    assert synapse_0[0, 0] == pytest.approx(2 * 0.417022004702574 - 1, abs=1e-14)
    again_0, again_1 = network.init_synapses(3, 4, 1, seed=1)
    assert np.array_equal(again_0, synapse_0) and np.array_equal(again_1, synapse_1)
    other_0, _ = network.init_synapses(3, 4, 1, seed=2)
    assert not np.array_equal(other_0, synapse_0)
    wide_0, wide_1 = network.init_synapses(5, 9, 3, seed=0)
    assert wide_0.shape == (5, 9) and wide_1.shape == (9, 3)
    assert wide_0.min() >= -1 and wide_0.max() < 1 and wide_0.std() > 0.3


def test_train_first_error_is_the_tutorials():
    result = network.train(network.X, network.y, 10, iterations=3)
    assert result.errors[0] == pytest.approx(0.496410031903, rel=5e-10, abs=0)
    assert result.errors.shape == (3,)


def test_momentum_zero_is_plain_descent_and_momentum_speeds_xor():
    plain = network.train(network.X, network.y, 1, iterations=2000)
    zero = network.train(network.X, network.y, 1, iterations=2000, momentum=0.0)
    assert np.array_equal(plain.errors, zero.errors)
    fast = network.train(network.X, network.y, 1, iterations=2000, momentum=0.9)
    assert fast.errors[-1] < 0.5 * plain.errors[-1]


def test_momentum_update_accumulates_velocity():
    synapse, gradient = np.array([1.0, -2.0]), np.array([0.5, 0.5])
    step_1, velocity = network.momentum_update(synapse, gradient, np.zeros(2), 0.1, 0.9)
    np.testing.assert_allclose(step_1, synapse - 0.05)
    step_2, velocity = network.momentum_update(step_1, gradient, velocity, 0.1, 0.9)
    np.testing.assert_allclose(velocity, [0.05 * 0.9 + 0.05] * 2)
    np.testing.assert_allclose(step_2, step_1 - velocity)


def test_count_direction_changes_is_the_tutorials_formula():
    prev = np.array([[0.3, -0.1], [0.0, 2.0]])
    new = np.array([[-0.3, -0.5], [1.0, 0.0]])
    assert network.count_direction_changes(prev, new).tolist() == [[1, 0], [1, 1]]


def test_error_surface_values_and_shape():
    X = [[0, 1], [0, 1], [1, 0], [1, 0]]
    y = [0, 0, 1, 1]
    w0, w1 = np.array([-10.0, 0.0, 10.0]), np.array([-10.0, 5.0])
    surface = network.error_surface(X, y, w0, w1)
    assert surface.shape == (3, 2)
    assert surface[1, 0] == pytest.approx(0.5 * (network.sigmoid(-10) + 0.5))
    assert surface[2, 0] == pytest.approx(network.sigmoid(-10))  # the corner nearest the answer


@pytest.mark.parametrize("kwargs, message", [
    (dict(X=np.ones((4, 3)), y=np.ones((3, 1))), "rows"),
    (dict(alpha=float("nan")), "alpha"),
    (dict(alpha=float("inf")), "alpha"),
    (dict(alpha=0), "alpha"),
    (dict(alpha=-1), "alpha"),
    (dict(alpha=True), "alpha"),
    (dict(iterations=-1), "iterations"),
    (dict(iterations=2.5), "iterations"),
    (dict(hidden=0), "hidden"),
    (dict(X=np.ones(4)), "2-dimensional"),
    (dict(y=np.ones((4, 1, 1))), "y must be"),
    (dict(momentum=1.0), "momentum"),
])
def test_bad_training_input_names_the_problem(kwargs, message):
    args = dict(X=network.X, y=network.y, alpha=1, hidden=4, iterations=10)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        network.train(**args)


def test_error_surface_rejects_wrong_shapes():
    with pytest.raises(ValueError, match=r"\(rows, 2\)"):
        network.error_surface(np.ones((4, 3)), np.ones(4), [0], [0])
    with pytest.raises(ValueError, match="rows"):
        network.error_surface(np.ones((4, 2)), np.ones(3), [0], [0])


def test_mean_abs_error_takes_the_absolute_value():
    # Misses of opposite sign must not cancel: a signed mean would call this a perfect fit.
    layer_2, y = np.array([[1.0], [0.0]]), np.array([[0], [1]])
    assert network.mean_abs_error(layer_2, y) == 1.0
    assert network.mean_abs_error(np.array([[0.25, 0.75]]), np.array([[0.5, 0.5]])) == 0.25
    assert network.mean_abs_error(y.astype(float), y) == 0.0
    # the error the tutorial prints for seed 1's starting weights
    s0, s1 = network.init_synapses(3, 4, 1, 1)
    assert network.mean_abs_error(network.forward(network.X, s0, s1)[1], network.y) == pytest.approx(0.4964100319027255, abs=1e-15)
