"""Alpha sweep: the tutorial's own loop (one alpha at a time) against gdkit's side-by-side trainer.

Run: python3 benchmarks/alpha_sweep.py [--hidden N] [--iterations N] [--repeat R]
Both run in this process on the same data; the script prints both times and the ratio, and
fails (exit 1) unless every printed figure agrees to 10 significant digits.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from gdkit.experiments import PRINT_EVERY, TUTORIAL_ALPHAS, train_alphas


def sigmoid(x):
    output = 1 / (1 + np.exp(-x))
    return output


def sigmoid_output_to_derivative(output):
    return output * (1 - output)


def tutorial_sweep(alphas, hidden, iterations):
    """The tutorial's listing (its signs: error = y - layer_2, synapse += alpha * ...),
    in Python 3 spelling, returning the printed errors per alpha."""
    X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
    y = np.array([[0], [1], [1], [0]])
    printed = []
    for alpha in alphas:
        np.random.seed(1)
        synapse_0 = 2 * np.random.random((3, hidden)) - 1
        synapse_1 = 2 * np.random.random((hidden, 1)) - 1
        errors = []
        for j in range(iterations):
            layer_0 = X
            layer_1 = sigmoid(np.dot(layer_0, synapse_0))
            layer_2 = sigmoid(np.dot(layer_1, synapse_1))
            layer_2_error = y - layer_2
            if (j % PRINT_EVERY) == 0:
                errors.append(np.mean(np.abs(layer_2_error)))
            layer_2_delta = layer_2_error * sigmoid_output_to_derivative(layer_2)
            layer_1_error = layer_2_delta.dot(synapse_1.T)
            layer_1_delta = layer_1_error * sigmoid_output_to_derivative(layer_1)
            synapse_1 += alpha * (layer_1.T.dot(layer_2_delta))
            synapse_0 += alpha * (layer_0.T.dot(layer_1_delta))
        printed.append(errors)
    return np.array(printed)


def gdkit_sweep(alphas, hidden, iterations):
    X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
    y = np.array([[0], [1], [1], [0]])
    return train_alphas(X, y, alphas, hidden, iterations, seed=1, record_every=PRINT_EVERY).errors


def best_time(function, repeat, *args):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - start)
    return min(times), result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=4)
    parser.add_argument("--iterations", type=int, default=60000)
    parser.add_argument("--repeat", type=int, default=1, help="best of R runs of each")
    args = parser.parse_args(argv)

    with np.errstate(over="ignore"):  # alpha 1000 saturates the sigmoid, as in the tutorial
        tutorial_time, reference = best_time(tutorial_sweep, args.repeat, TUTORIAL_ALPHAS,
                                             args.hidden, args.iterations)
        gdkit_time, figures = best_time(gdkit_sweep, args.repeat, TUTORIAL_ALPHAS,
                                        args.hidden, args.iterations)

    print(f"alpha sweep: {len(TUTORIAL_ALPHAS)} alphas x {args.iterations} iterations, "
          f"hidden {args.hidden}, best of {args.repeat}")
    print(f"tutorial loop (one alpha at a time, np.dot): {tutorial_time:.3f} s")
    print(f"gdkit train_alphas (alphas side by side):     {gdkit_time:.3f} s")
    print(f"speed-up: {tutorial_time / gdkit_time:.2f}x")

    # "Equal to 10 significant digits": within half a unit of the 10th digit.
    close = np.isclose(figures, reference, rtol=5e-10, atol=0)
    worst = float(np.max(np.abs(figures - reference) / np.abs(reference)))
    print(f"figures compared: {figures.size}, largest relative difference {worst:.3g}")
    if not close.all():
        for a, m in zip(*np.nonzero(~close)):
            print(f"MISMATCH alpha {TUTORIAL_ALPHAS[a]} iteration {m * PRINT_EVERY}: "
                  f"{figures[a, m]!r} != {reference[a, m]!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
