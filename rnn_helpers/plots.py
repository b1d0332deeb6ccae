"""Figures the notebooks show: the unrolled network, loss curves, predictions.

Every function returns the matplotlib Figure and draws nothing else; in a
notebook, end the cell with ``plt.show()``.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.ticker import MaxNLocator

from . import _validate

BOX_WIDTH = 0.64
BOX_HEIGHT = 0.44
GRADIENT_COLOR = "crimson"


def _box(ax, x, y, text, color, width=BOX_WIDTH):
    """A rounded box of ``width`` centred on (x, y), holding ``text``."""
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - BOX_HEIGHT / 2),
            width,
            BOX_HEIGHT,
            boxstyle="round,pad=0.03",
            facecolor=color,
            edgecolor="black",
            linewidth=1,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=11)


def _arrow(ax, start, end, color="black", label=None, label_at=None, label_ha="center"):
    """A straight arrow from ``start`` to ``end`` (points on box edges), with an optional label.

    ``label_at`` is where the label is centred; by default just above the middle of the arrow.
    """
    ax.add_patch(
        FancyArrowPatch(
            start, end, arrowstyle="-|>", mutation_scale=14, color=color, linewidth=1.6, shrinkA=2, shrinkB=2
        )
    )
    if label:
        if label_at is None:
            label_at = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 0.16)
        ax.text(*label_at, label, color=color, fontsize=9, ha=label_ha, va="center")


def _right(x, width=BOX_WIDTH):
    return x + width / 2 + 0.03


def _left(x, width=BOX_WIDTH):
    return x - width / 2 - 0.03


def _top(y):
    return y + BOX_HEIGHT / 2 + 0.03


def _bottom(y):
    return y - BOX_HEIGHT / 2 - 0.03


def _draw_hidden_chain(ax, steps):
    """x_t -> h_t -> y_t columns joined by h_weight; returns the x of each h_t."""
    spacing, first = 2.2, 1.2
    columns = [first + spacing * t for t in range(steps)]
    for t, x in enumerate(columns):
        _box(ax, x, 0, f"$x_{t}$", "#dbe9f6")
        _box(ax, x, 1, f"$h_{t}$", "#fde2b8")
        _box(ax, x, 2, f"$\\hat y_{t}$", "#d5ecd4")
        _arrow(ax, (x, _top(0)), (x, _bottom(1)), label="i_weight", label_at=(x + 0.1, 0.5), label_ha="left")
        _arrow(ax, (x, _top(1)), (x, _bottom(2)), label="o_weight", label_at=(x + 0.1, 1.5), label_ha="left")
        if t > 0:
            _arrow(ax, (_right(x - spacing), 1), (_left(x), 1), label="h_weight")
    start_width = 1.0
    start_x = first - 1.7
    _box(ax, start_x, 1, "$h_{-1} = 0$", "#eeeeee", width=start_width)
    _arrow(ax, (_right(start_x, start_width), 1), (_left(first), 1), label="h_weight")
    return start_x - start_width / 2, columns[-1] + BOX_WIDTH / 2


def _draw_preactivation_chain(ax, steps, activation, backward):
    """x_t -> z_t -> h_t -> y_t (-> L_t), with z_t = x_t W_i + h_{t-1} W_h + b_h; returns x limits.

    With ``backward`` the loss L_t is added above y_t (a black forward arrow y_t -> L_t) and
    the gradient arrows are drawn in red: L_t -> y_t -> h_t (times W_o^T), h_t -> z_t (times
    the activation's derivative at that step, e.g. 1 - h_1^2) and z_{t+1} -> h_t (times W_h^T).
    """
    spacing, first, gap = 3.3, 1.4, 1.55  # gap: from z_t to h_t
    chain, red_offset = 1.2, 0.12
    for t in range(steps):
        derivative = rf"$\odot\,(1-h_{{{t}}}^2)$" if activation == "tanh" else rf"$\odot\,[h_{{{t}}} > 0]$"
        z_x = first + spacing * t
        h_x = z_x + gap
        _box(ax, z_x, 0, f"$x_{t}$", "#dbe9f6")
        _box(ax, z_x, chain, f"$z_{t}$", "#ece0f5")
        _box(ax, h_x, chain, f"$h_{t}$", "#fde2b8")
        _box(ax, h_x, chain + 1, f"$\\hat y_{t}$", "#d5ecd4")
        _arrow(ax, (z_x, _top(0)), (z_x, _bottom(chain)), label="i_weight", label_at=(z_x + 0.1, 0.5), label_ha="left")
        lane = red_offset if backward else 0.0
        _arrow(
            ax,
            (_right(z_x), chain + lane),
            (_left(h_x), chain + lane),
            label=activation,
            label_at=((z_x + h_x) / 2, chain + lane + 0.16),
        )
        _arrow(
            ax,
            (h_x + lane, _top(chain)),
            (h_x + lane, _bottom(chain + 1)),
            label="o_weight",
            label_at=(h_x + lane + 0.1, chain + 0.56),
            label_ha="left",
        )
        if t < steps - 1:
            next_z = z_x + spacing
            _arrow(
                ax,
                (_right(h_x), chain + lane),
                (_left(next_z), chain + lane),
                label="h_weight",
                label_at=((h_x + next_z) / 2, chain + lane + 0.16),
            )
        if backward:
            _box(ax, h_x, chain + 2, f"$L_{t}$", "#f4cccc")
            _arrow(ax, (h_x + lane, _top(chain + 1)), (h_x + lane, _bottom(chain + 2)))
            red = GRADIENT_COLOR
            _arrow(ax, (h_x - lane, _bottom(chain + 2)), (h_x - lane, _top(chain + 1)), color=red)
            _arrow(
                ax,
                (h_x - lane, _bottom(chain + 1)),
                (h_x - lane, _top(chain)),
                color=red,
                label=r"$W_o^\top$",
                label_at=(h_x - lane - 0.1, chain + 0.56),
                label_ha="right",
            )
            _arrow(
                ax,
                (_left(h_x), chain - lane),
                (_right(z_x), chain - lane),
                color=red,
                label=derivative,
                label_at=((z_x + h_x) / 2, chain - lane - 0.2),
            )
            if t < steps - 1:
                next_z = z_x + spacing
                _arrow(
                    ax,
                    (_left(next_z), chain - lane),
                    (_right(h_x), chain - lane),
                    color=red,
                    label=r"$W_h^\top$",
                    label_at=((h_x + next_z) / 2, chain - lane - 0.2),
                )
    start_width = 1.0
    start_x = first - 1.95
    _box(ax, start_x, chain, "$h_{-1} = 0$", "#eeeeee", width=start_width)
    lane = red_offset if backward else 0.0
    _arrow(
        ax,
        (_right(start_x, start_width), chain + lane),
        (_left(first), chain + lane),
        label="h_weight",
        label_at=((start_x + start_width / 2 + first) / 2, chain + lane + 0.16),
    )
    return start_x - start_width / 2, first + spacing * (steps - 1) + gap + BOX_WIDTH / 2


def draw_unrolled(steps=3, backward=False, *, show_preactivation=None, activation="tanh"):
    """Draw the RNN unrolled over ``steps`` time steps; return the Figure.

    Forward arrows (black): x_t -> h_t through ``i_weight``, h_{t-1} -> h_t through
    ``h_weight``, h_t -> y_t through ``o_weight`` (and y_t -> L_t with ``backward=True``).

    With ``show_preactivation=True`` (the default when ``backward=True``) each step
    also shows its pre-activation z_t = x_t W_i + h_{t-1} W_h + b_h, and
    h_t = act(z_t) (``activation`` names it on the arrow). With ``backward=True``
    the gradient paths are drawn in red: from each loss L_t down to y_t and to h_t
    (times W_o^T), through the activation into z_t (times 1 - h_t^2 for tanh, with the
    step's own index), and from z_{t+1} back to h_t (times W_h^T): two paths meet in
    every hidden state except the last, which has no future.

    Used in ``01_relu_toy``, ``03_manual_backprop`` and ``04_bptt_loop``.
    """
    _validate.whole_number(steps, "steps", hint=" (time steps)")
    if activation not in ("tanh", "relu"):
        raise ValueError(f"Unknown activation {activation!r}. Use 'tanh' or 'relu'.")
    if show_preactivation is None:
        show_preactivation = backward
    if backward and not show_preactivation:
        raise ValueError(
            "The backward diagram needs the pre-activation nodes z_t: leave show_preactivation unset or pass True."
        )
    if show_preactivation:
        top = 3.2 if backward else 2.2
        fig, ax = plt.subplots(figsize=(3.3 * steps + 1.2, 5.0 if backward else 3.9))
        left, right = _draw_preactivation_chain(ax, steps, activation, backward)
        activation_formula = r"$h_t = \tanh(z_t)$" if activation == "tanh" else r"$h_t = \mathrm{relu}(z_t)$"
        ax.text(
            (left + right) / 2,
            -0.55,
            r"$z_t = x_t W_i + h_{t-1} W_h + b_h$ (the pre-activation),   " + activation_formula,
            ha="center",
            va="center",
            fontsize=10,
        )
        bottom = -0.8
    else:
        top, bottom = 2, -0.5
        fig, ax = plt.subplots(figsize=(2.3 * steps + 1.6, 3.4))
        left, right = _draw_hidden_chain(ax, steps)
    ax.set_xlim(left - 0.2, right + 0.9)
    ax.set_ylim(bottom, top + 0.45)
    ax.set_axis_off()
    ax.set_title(
        "Backprop through time (red): two gradient paths into each $h_t$ except the last"
        if backward
        else "The RNN unrolled over time",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


def plot_losses(history, baselines=None, ax=None):
    """Training and validation MSE after each epoch, with baselines' validation MSE as lines.

    Parameters
    ----------
    history : dict
        ``{"train": [...], "valid": [...]}``, one MSE per epoch (``TrainResult.history``);
        drawn at epochs 1, 2, ... (the score after that many passes over the data).
    baselines : dict, optional
        ``{name: validation MSE}``, drawn as dashed horizontal lines.

    Used in ``06_training_loop``.
    """
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 3.8))
    epochs = range(1, len(history["train"]) + 1)
    ax.plot(epochs, history["train"], marker=".", label="RNN train")
    ax.plot(epochs, history["valid"], marker=".", label="RNN valid")
    for index, (name, mse) in enumerate((baselines or {}).items()):
        ax.axhline(mse, linestyle="--", color=f"C{index + 2}", label=f"{name} (valid)")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("MSE (°F²)")
    ax.legend()
    return fig


def plot_predictions(dates, actual, predicted, ax=None, label="RNN", zoom=None, today=None):
    """Predicted against actual maximum temperature (°F) over time, optionally with a zoom.

    Parameters
    ----------
    dates : sequence
        One date (or day number) per prediction: the day whose tmax is predicted.
    actual, predicted : array_like, shape (N,)
        The day's tmax and the model's prediction of it (made the day before), in °F.
    zoom : (start, end), optional
        A second panel below shows only the days from ``start`` to ``end`` (inclusive,
        same type as ``dates``), with one dot per day, so that a one-day lag is visible;
        the span is shaded in the top panel. Needs ``ax=None``.
    today : array_like, shape (N,), optional
        The previous day's tmax (the "tomorrow = today" forecast), drawn dashed in the
        zoom panel: a forecast that leans on it runs one day late.

    Used in ``06_training_loop``.
    """
    if zoom is not None and ax is not None:
        raise ValueError(
            "zoom draws a second panel, so it needs a new figure: call plot_predictions without ax, or without zoom."
        )
    if zoom is None:
        fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(9, 3.8))
        zoom_ax = None
    else:
        fig, (ax, zoom_ax) = plt.subplots(2, 1, figsize=(9, 6.5), gridspec_kw={"height_ratios": [1, 1.1]})
    line_dates, line_actual, line_predicted = _broken_at_gaps(dates, actual, predicted)
    ax.plot(line_dates, line_actual, color="black", linewidth=1, label="actual")
    ax.plot(line_dates, line_predicted, color="C1", linewidth=1, label=label)
    ax.set_ylabel("tmax (°F)")
    ax.legend(loc="upper right")
    if zoom_ax is None:
        fig.autofmt_xdate()
        return fig
    start, end = zoom
    inside = [index for index, date in enumerate(dates) if start <= date <= end]
    if not inside:
        raise ValueError(f"No date lies between {start} and {end}; choose a zoom inside the dates.")
    ax.axvspan(dates[inside[0]], dates[inside[-1]], color="gold", alpha=0.3, label="zoom below")
    ax.legend(loc="upper right")
    span = slice(inside[0], inside[-1] + 1)
    zoom_dates = list(dates)[span]
    zoom_ax.plot(zoom_dates, list(actual)[span], color="black", marker="o", markersize=3, linewidth=1, label="actual")
    zoom_ax.plot(zoom_dates, list(predicted)[span], color="C1", marker="o", markersize=3, linewidth=1, label=label)
    if today is not None:
        zoom_ax.plot(
            zoom_dates,
            list(today)[span],
            color="gray",
            linestyle="--",
            linewidth=1,
            label="previous day's tmax (tomorrow = today)",
        )
    zoom_ax.set_ylabel("tmax (°F)")
    zoom_ax.grid(alpha=0.3)
    zoom_ax.legend(loc="best", fontsize=9)
    for panel in (ax, zoom_ax):  # autofmt_xdate would hide the top panel's dates
        panel.tick_params(axis="x", labelrotation=30)
    fig.tight_layout()
    return fig


def save_training_report(result, test_windows, path):
    """Save loss curves and test-period predictions side by side as a PNG at ``path``."""
    test_x, test_y = test_windows
    fig, (loss_ax, prediction_ax) = plt.subplots(1, 2, figsize=(13, 4))
    plot_losses(result.history, ax=loss_ax)
    plot_predictions(range(len(test_y)), test_y[:, -1, 0], result.predict(test_x)[:, -1, 0], ax=prediction_ax)
    prediction_ax.set_xlabel("test day")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_split(frame, parts, column="tmax", ax=None):
    """Plot one column of the weather over time with the train / valid / test periods shaded.

    Parameters
    ----------
    frame : pandas.DataFrame
        Indexed by date, e.g. from ``load_weather``; ``frame[column]`` is drawn (°F for ``tmax``).
    parts : mapping or sequence of pandas.DataFrame
        The parts of ``frame`` in time order, e.g. ``chronological_split(frame)``; a
        sequence of three is labelled train, valid, test, a mapping by its keys.
    column : str
        The column to draw.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Used in ``05_weather_data``.
    """
    named = parts.items() if hasattr(parts, "items") else zip(("train", "valid", "test"), parts)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(10, 3.6))
    ax.plot(*_broken_at_gaps(frame.index, frame[column]), color="black", linewidth=0.6)
    for index, (name, part) in enumerate(named):
        ax.axvspan(
            part.index[0],
            part.index[-1],
            color=f"C{index}",
            alpha=0.18,
            linewidth=0,
            label=f"{name}: {part.index[0]:%Y-%m-%d} to {part.index[-1]:%Y-%m-%d} ({len(part)} days)",
        )
    units = {"tmax": "°F", "tmin": "°F", "tmax_tomorrow": "°F", "rain": "inches"}
    ax.set_ylabel(f"{column} ({units[column]})" if column in units else column)
    ax.set_xlim(frame.index[0], frame.index[-1])
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize=8, frameon=False)
    fig.autofmt_xdate()
    return fig


def _broken_at_gaps(dates, *values):
    """``dates`` and ``values`` with every missing day put back as NaN, so no line is drawn across a gap.

    Dates without gaps, and day numbers, come back as they are.
    """
    if not pd.api.types.is_datetime64_any_dtype(getattr(dates, "dtype", None)) or len(dates) < 2:
        return (dates, *values)
    dates = pd.DatetimeIndex(dates)
    if (np.diff(dates.to_numpy()) <= np.timedelta64(1, "D")).all():
        return (dates, *values)
    daily = pd.DataFrame({index: np.asarray(series, dtype=float) for index, series in enumerate(values)}, index=dates)
    daily = daily.asfreq("D")
    return (daily.index, *(daily[index].to_numpy() for index in range(len(values))))
