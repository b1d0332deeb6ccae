"""Figures the notebooks show: the unrolled network, loss curves, predictions.

Every function returns the matplotlib Figure and draws nothing else; in a
notebook, end the cell with ``plt.show()``.
"""

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.ticker import MaxNLocator


def _box(ax, x, y, text, color):
    ax.add_patch(FancyBboxPatch((x - 0.32, y - 0.22), 0.64, 0.44, boxstyle="round,pad=0.03",
                                facecolor=color, edgecolor="black", linewidth=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=11)


def _arrow(ax, start, end, color="black", label=None, offset=(0, 0), style="-|>", rad=0.0):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=14, color=color,
                                 linewidth=1.6, connectionstyle=f"arc3,rad={rad}", shrinkA=14, shrinkB=14))
    if label:
        ax.text((start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1], label,
                color=color, fontsize=9, ha="center", va="center")


def draw_unrolled(steps=3, backward=False):
    """Draw the RNN unrolled over ``steps`` time steps.

    Forward arrows (black): x_t -> h_t through ``i_weight``, h_{t-1} -> h_t through
    ``h_weight``, h_t -> y_t through ``o_weight``. With ``backward=True`` the
    gradient paths are drawn in red: from each loss L_t down to y_t and h_t, and
    from h_{t+1} back to h_t, the two paths that meet in every hidden state.

    Used in ``01_relu_toy``, ``03_manual_backprop`` and ``04_bptt_loop``.
    """
    fig, ax = plt.subplots(figsize=(2.3 * steps + 1.2, 4.2 if backward else 3.4))
    top = 3 if backward else 2
    for t in range(steps):
        x = 1.2 + 2.2 * t
        _box(ax, x, 0, f"$x_{t}$", "#dbe9f6")
        _box(ax, x, 1, f"$h_{t}$", "#fde2b8")
        _box(ax, x, 2, f"$y_{t}$", "#d5ecd4")
        _arrow(ax, (x, 0), (x, 1), label="i_weight", offset=(0.42, 0))
        _arrow(ax, (x, 1), (x, 2), label="o_weight", offset=(0.42, 0))
        if t > 0:
            _arrow(ax, (x - 2.2, 1), (x, 1), label="h_weight", offset=(0, 0.22))
        if backward:
            _box(ax, x, 3, f"$L_{t}$", "#f4cccc")
            _arrow(ax, (x, 2), (x, 3), color="gray")
            _arrow(ax, (x - 0.18, 3), (x - 0.18, 2), color="crimson", rad=0.0)
            _arrow(ax, (x - 0.18, 2), (x - 0.18, 1), color="crimson")
            if t < steps - 1:
                _arrow(ax, (x + 2.2, 0.88), (x, 0.88), color="crimson", label=r"$\partial L/\partial h$",
                       offset=(0, -0.28))
    _box(ax, -0.4, 1, "$h_{-1}=0$", "#eeeeee")
    _arrow(ax, (-0.4, 1), (1.2, 1), label="h_weight", offset=(0, 0.22))
    ax.set_xlim(-1.0, 2.2 * steps + 0.2)
    ax.set_ylim(-0.5, top + 0.5)
    ax.set_axis_off()
    ax.set_title("Backprop through time: two gradient paths into each $h_t$" if backward
                 else "The RNN unrolled over time", fontsize=11)
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
        raise ValueError("zoom draws a second panel, so it needs a new figure: call plot_predictions "
                         "without ax, or without zoom.")
    if zoom is None:
        fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(9, 3.8))
        zoom_ax = None
    else:
        fig, (ax, zoom_ax) = plt.subplots(2, 1, figsize=(9, 6.5), gridspec_kw={"height_ratios": [1, 1.1]})
    ax.plot(dates, actual, color="black", linewidth=1, label="actual")
    ax.plot(dates, predicted, color="C1", linewidth=1, label=label)
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
    zoom_ax.plot(zoom_dates, list(actual)[span], color="black", marker="o", markersize=3, linewidth=1,
                 label="actual")
    zoom_ax.plot(zoom_dates, list(predicted)[span], color="C1", marker="o", markersize=3, linewidth=1,
                 label=label)
    if today is not None:
        zoom_ax.plot(zoom_dates, list(today)[span], color="gray", linestyle="--", linewidth=1,
                     label="previous day's tmax (tomorrow = today)")
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
    ax.plot(frame.index, frame[column], color="black", linewidth=0.6)
    for index, (name, part) in enumerate(named):
        ax.axvspan(part.index[0], part.index[-1], color=f"C{index}", alpha=0.18, linewidth=0,
                   label=f"{name}: {part.index[0]:%Y-%m-%d} to {part.index[-1]:%Y-%m-%d} ({len(part)} days)")
    units = {"tmax": "°F", "tmin": "°F", "tmax_tomorrow": "°F", "rain": "inches"}
    ax.set_ylabel(f"{column} ({units[column]})" if column in units else column)
    ax.set_xlim(frame.index[0], frame.index[-1])
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize=8, frameon=False)
    fig.autofmt_xdate()
    return fig
