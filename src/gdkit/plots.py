"""The experiments' figures, written as PNG files with matplotlib's Agg backend.

Figures are built with the object API (``matplotlib.figure.Figure``), not pyplot, so nothing
needs a display and no global figure state leaks between calls.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from gdkit.errors import GdkitError
from gdkit.experiments import format_alpha


def check_plot_path(path) -> Path:
    """Return ``path`` as a Path if a PNG can be written there, else raise GdkitError.

    Called before any training so a typo costs nothing.
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise GdkitError(f"--plot {path}: the figure is a PNG, give a file name ending in .png")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise GdkitError(f"--plot {path}: folder {parent} does not exist; create it or choose another path")
    if path.is_dir():
        raise GdkitError(f"--plot {path}: is a folder; give a file name ending in .png")
    return path


def _save(figure, path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    try:
        figure.savefig(path, dpi=110)
    except OSError as exc:
        raise GdkitError(f"--plot {path}: cannot write the figure ({exc.strerror or exc})") from None
    return Path(path)


def _new_figure(width, height):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def plot_error_curves(result, path):
    """Error per alpha against iteration on a log y axis; ``result`` is an experiments.SweepResult."""
    from matplotlib import colormaps

    figure = _new_figure(9, 5)
    axes = figure.add_subplot()
    # A qualitative palette: neighbouring alphas (10 vs 100) must not look alike.
    colours = colormaps["tab10"](np.arange(len(result.alphas)) % 10)
    for a, alpha in enumerate(result.alphas):
        errors = result.errors[a]
        shown = np.isfinite(errors) & (errors > 0)
        axes.plot(result.recorded_at[shown], errors[shown], color=colours[a], lw=1.8,
                  label=f"alpha {format_alpha(alpha)}" + (" (diverged)" if result.diverged[a] else ""))
    axes.set_yscale("log")
    axes.set_xlabel("iteration")
    axes.set_ylabel("mean |layer_2 - y|")
    axes.set_title(f"Gradient descent on XOR: error per learning rate "
                   f"(hidden {result.hidden}, {result.iterations} iterations)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small")
    return _save(figure, path)


def plot_error_surface(surface, descent_path, path, alpha=None):
    """Contour map of the 2-weight network's error with a gradient-descent path drawn on it.

    ``surface`` is an experiments.Surface (errors[i, j] at w0[i], w1[j]); descent_path (m, 2).
    """
    figure = _new_figure(7, 6)
    axes = figure.add_subplot()
    # errors[i, j] has w0 along i; contour wants rows along the y axis (w1), hence the transpose.
    filled = axes.contourf(surface.w0, surface.w1, surface.errors.T, levels=20, cmap="viridis")
    axes.contour(surface.w0, surface.w1, surface.errors.T, levels=10, colors="white",
                 linewidths=0.5, alpha=0.6)
    figure.colorbar(filled, ax=axes, label="mean |output - y|")
    descent_path = np.asarray(descent_path)
    axes.plot(descent_path[:, 0], descent_path[:, 1], color="orangered", lw=2,
              marker="o", markersize=2.5, label="gradient descent path")
    axes.plot(*descent_path[0], marker="s", color="white", markeredgecolor="black",
              markersize=8, ls="none", label="start ({:.3g}, {:.3g})".format(*descent_path[0]))
    axes.plot(*descent_path[-1], marker="*", color="gold", markeredgecolor="black",
              markersize=13, ls="none", label="end ({:.3g}, {:.3g})".format(*descent_path[-1]))
    axes.set_xlim(surface.w0[0], surface.w0[-1])
    axes.set_ylim(surface.w1[0], surface.w1[-1])
    axes.set_xlabel("w0 (weight of input 0)")
    axes.set_ylabel("w1 (weight of input 1)")
    steps = len(descent_path) - 1
    axes.set_title("Error surface of the 2-weight network"
                   + (f"\n{steps} steps of gradient descent, alpha {alpha:g}" if alpha else ""))
    axes.legend(loc="upper right", fontsize="small")
    return _save(figure, path)


def plot_direction_changes(result, path):
    """Heat map: one row per alpha, one column per weight, colour = direction changes (log)."""
    from matplotlib import colormaps
    from matplotlib.colors import LogNorm

    changes_0, changes_1 = result.direction_changes
    n_alphas = len(result.alphas)
    table = np.hstack([changes_0.reshape(n_alphas, -1), changes_1.reshape(n_alphas, -1)])
    labels = ([f"s0[{i},{h}]" for i in range(changes_0.shape[1]) for h in range(changes_0.shape[2])]
              + [f"s1[{h},{k}]" for h in range(changes_1.shape[1]) for k in range(changes_1.shape[2])])
    figure = _new_figure(min(14.0, max(7.0, 0.32 * table.shape[1] + 2)), 1.5 + 0.5 * n_alphas)
    axes = figure.add_subplot()
    # Zero flips are masked and shown blank: a log scale cannot place them.
    cmap = colormaps["magma_r"].with_extremes(bad="white")
    shown = np.ma.masked_less(table, 1)
    image = axes.imshow(shown, aspect="auto", cmap=cmap, interpolation="nearest",
                        norm=LogNorm(vmin=1, vmax=max(int(table.max()), 2)))
    figure.colorbar(image, ax=axes, label="times the update flipped sign")
    axes.set_yticks(range(n_alphas), [format_alpha(a) for a in result.alphas])
    axes.set_ylabel("alpha")
    if table.shape[1] <= 40:
        axes.set_xticks(range(table.shape[1]), labels, rotation=90, fontsize="small")
        # Few enough cells to print the counts themselves, which the colours only rank.
        light = LogNorm(vmin=1, vmax=max(int(table.max()), 2))
        for (row, column), count in np.ndenumerate(table):
            axes.text(column, row, str(count), ha="center", va="center", fontsize="x-small",
                      color="white" if count and light(count) > 0.6 else "black")
    else:
        axes.set_xlabel("weight (synapse_0 then synapse_1, row-major)")
    split = changes_0[0].size - 0.5
    axes.axvline(split, color="black", lw=1.5)
    axes.set_title(f"Update direction changes per weight, {result.iterations} iterations, "
                   f"hidden {result.hidden}\n(synapse_0 | synapse_1; blank = never flipped)")
    return _save(figure, path)
