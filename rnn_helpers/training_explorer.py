"""Short training runs for comparing settings: the logic behind the training explorer.

``training_curves`` trains on a small, evenly spread subset of the training windows
for a few epochs and returns the loss curves, quickly enough (well under a second)
to be re-run every time a slider moves. ``plot_training_curves`` draws one run and
``compare_settings`` draws several side by side, for readers without a live kernel.

Used in ``06_training_loop``.
"""

import functools

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from . import _validate
from .data import load_weather, weather_windows
from .train import train

SCHEDULES = ("linear", "constant")
OPTIMIZERS = ("adam", "sgd")


@functools.lru_cache(maxsize=1)
def _bundled_windows():
    windows, _ = weather_windows(load_weather(verbose=False))
    return windows


def training_curves(
    lr=0.02,
    batch_size=16,
    clip=True,
    schedule="linear",
    optimizer="adam",
    *,
    epochs=8,
    every=4,
    hidden=8,
    clip_norm=1.0,
    seed=0,
    windows=None,
):
    """Train briefly with the given settings and return the loss per epoch.

    Parameters
    ----------
    lr : float
        Learning rate (the starting one with ``schedule="linear"``).
    batch_size : int
        Windows per mini-batch.
    clip : bool
        Clip each batch's gradient to a global norm of ``clip_norm`` (``False``: no clipping).
    schedule : {"linear", "constant"}
    optimizer : {"adam", "sgd"}
    epochs : int
        Passes over the subset.
    every : int
        Train on every ``every``-th training window (all seasons, fewer windows).
    hidden, seed :
        Hidden units of the single layer, and the seed of ``train``.
    windows : dict, optional
        ``{"train": (x, y), "valid": (x, y), ...}`` as ``weather_windows`` returns;
        the bundled Seattle windows by default.

    Returns
    -------
    dict
        ``"train"`` and ``"valid"``: lists of MSE per epoch (degrees F squared, last
        step of each window, the full validation windows); ``"diverged"``: ``None``,
        or the message of the ``FloatingPointError`` that stopped a diverging run
        (its curves are then empty); ``"settings"``: the settings used.

    Notes
    -----
    The training explorer of ``06_training_loop``.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"Unknown schedule {schedule!r}. Use one of {SCHEDULES}.")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {optimizer!r}. Use one of {OPTIMIZERS}.")
    for name, value in (("batch_size", batch_size), ("epochs", epochs), ("every", every)):
        _validate.whole_number(value, name)
    if not (isinstance(lr, (int, float, np.floating)) and np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}.")
    windows = _bundled_windows() if windows is None else windows
    train_x, train_y = windows["train"]
    valid_x, valid_y = windows["valid"]
    settings = {
        "lr": float(lr),
        "batch_size": int(batch_size),
        "clip": bool(clip),
        "schedule": schedule,
        "optimizer": optimizer,
        "epochs": int(epochs),
    }
    try:
        # A diverging run is shown, not warned about: silence NumPy's overflow warnings.
        with np.errstate(over="ignore", invalid="ignore"):
            result = train(
                train_x[::every],
                train_y[::every],
                valid_x,
                valid_y,
                hidden_sizes=(hidden,),
                epochs=epochs,
                batch_size=batch_size,
                optimizer=optimizer,
                lr=lr,
                schedule=schedule,
                seed=seed,
                clip_norm=clip_norm if clip else None,
            )
    except FloatingPointError as error:
        return {"train": [], "valid": [], "diverged": str(error), "settings": settings}
    return {
        "train": list(result.history["train"]),
        "valid": list(result.history["valid"]),
        "diverged": None,
        "settings": settings,
    }


def describe_settings(settings):
    """A one-line label such as ``"adam, lr=0.02, batch 16, clip on, linear"``.

    The training explorer of ``06_training_loop``.
    """
    return (
        f"{settings['optimizer']}, lr={settings['lr']:g}, batch {settings['batch_size']}, "
        f"clip {'on' if settings['clip'] else 'off'}, {settings['schedule']}"
    )


def plot_training_curves(curves, ax=None, title=None, ylim=(15, 60)):
    """Draw the train and valid MSE per epoch of one ``training_curves`` run.

    A diverged run shows its message instead of curves. Values above ``ylim`` are
    cut off at the top edge (a bad run would otherwise flatten every other curve).
    Returns the Figure.

    Notes
    -----
    The training explorer of ``06_training_loop``.
    """
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 3.5))
    if curves["diverged"]:
        ax.text(
            0.5,
            0.5,
            _wrap(curves["diverged"].split(":")[0], 24),
            ha="center",
            va="center",
            transform=ax.transAxes,
            color="crimson",
            fontsize=10,
        )
    else:
        epochs = np.arange(1, len(curves["train"]) + 1)
        highest = 0.0
        for name in ("train", "valid"):
            values = np.asarray(curves[name], dtype=float)
            highest = max(highest, float(np.nanmax(values)))
            ax.plot(epochs, np.minimum(values, ylim[1]), marker=".", label=name)
        if highest > ylim[1]:
            ax.text(
                0.5,
                0.93,
                f"cut at the top: up to {highest:.3g} °F²",
                ha="center",
                va="top",
                transform=ax.transAxes,
                color="crimson",
                fontsize=9,
            )
        ax.legend(loc="best")
    ax.set_ylim(*ylim)
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("MSE (°F²)")
    ax.set_title(title if title is not None else describe_settings(curves["settings"]), fontsize=9)
    return fig


def compare_settings(runs, ylim=(15, 60)):
    """Small multiples: one panel per ``training_curves`` result, on a shared y-axis.

    The first panel carries the legend (train, valid) for all of them.

    Parameters
    ----------
    runs : list of dict
        Results of ``training_curves``.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    The training explorer of ``06_training_loop``.
    """
    if not runs:
        raise ValueError("runs is empty: pass a list of training_curves(...) results.")
    fig, axes = plt.subplots(1, len(runs), figsize=(3.3 * len(runs), 3.2), sharey=True, squeeze=False)
    for ax, curves in zip(axes[0], runs):
        plot_training_curves(
            curves, ax=ax, title=describe_settings(curves["settings"]).replace(", b", "\nb"), ylim=ylim
        )
        if ax is not axes[0][0]:
            ax.set_ylabel("")
            if ax.get_legend() is not None:
                ax.get_legend().remove()
    fig.tight_layout()
    return fig


def _wrap(text, width):
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join(lines + [line])
