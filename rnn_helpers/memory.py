"""A task whose answer lies beyond any fixed window (delayed recall), and the picture of chunks.

At every step the input is a coin flip, +1 or -1, and the target is the flip seen
``lag`` steps earlier: y_t = x_{t - lag}. A model that sees only the last w steps can
recall it only while lag < w. ``draw_chunks`` draws how truncated BPTT cuts a long
sequence (``rnn_helpers.truncated``). Both are used in ``07_memory``.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch

from . import _validate
from .plots import GRADIENT_COLOR, _arrow, _box


def delayed_recall(n_sequences, n_steps, lag, seed=0):
    """Sequences of coin flips and, as targets, the flip ``lag`` steps earlier.

    Parameters
    ----------
    n_sequences, n_steps : int
        N sequences of T steps each.
    lag : int
        k, how many steps back the target lies (at least 1).
    seed : int
        The same seed gives the same flips.

    Returns
    -------
    x : ndarray, shape (N, T, 1)
        x_t, each +1 or -1 with probability 1/2, independent of each other.
    y : ndarray, shape (N, T, 1)
        y_t = x_{t - lag}; 0 for the first ``lag`` steps, which have nothing that far back.

    Notes
    -----
    Derived in ``07_memory``.
    """
    _validate.whole_number(n_sequences, "n_sequences")
    _validate.whole_number(n_steps, "n_steps")
    _validate.whole_number(lag, "lag", hint=" (how many steps back the target lies)")
    if lag >= n_steps:
        raise ValueError(
            f"lag must be smaller than n_steps: a target {lag} steps back needs more than {lag} steps; "
            f"got n_steps={n_steps}."
        )
    _validate.whole_number(seed, "seed", minimum=0, hint=" (the same seed gives the same sequences)")
    flips = np.random.default_rng(seed).choice([-1.0, 1.0], size=(n_sequences, n_steps, 1))
    targets = np.zeros_like(flips)
    targets[:, lag:] = flips[:, : n_steps - lag]
    return flips, targets


def draw_chunks(n_chunks=3, chunk_length=4):
    """Windows that each start from h = 0, above chunks whose hidden state is carried across.

    Each box is a hidden state h_t; black arrows carry it forward one step, red ones carry
    the gradient back. Top: windows as in ``06_training_loop``, each starting again from
    h_{-1} = 0, so nothing passes between them. Bottom: the chunks of ``07_memory``: the
    state runs on from one chunk into the next, and the gradient stops at each chunk's
    first step. Returns the Figure; end the cell with ``plt.show()``.
    """
    steps = n_chunks * chunk_length
    fig, ax = plt.subplots(figsize=(11, 3.9))
    xs = [t + 1.0 * (t // chunk_length) for t in range(steps)]  # a gap of one box at each boundary
    rows = [
        (2.5, False, "windows (notebook 06): each starts again from h = 0"),
        (0.6, True, "chunks (this notebook): the state carries on, the gradient stops at each chunk's start"),
    ]
    for y, carried, title in rows:
        ax.text(xs[0] - 0.9, y + 0.62, title, fontsize=10.5, ha="left", va="center")
        for t, x in enumerate(xs):
            _box(ax, x, y, f"$h_{{{t}}}$", "#dbe9f6" if carried else "#eeeeee", width=0.62)
            if t == 0 or (t % chunk_length == 0 and not carried):
                ax.text(x - 0.66, y, "0", fontsize=10, ha="center", va="center", color="dimgray")
                _arrow(ax, (x - 0.58, y), (x - 0.33, y), color="dimgray")
        for t in range(steps - 1):
            boundary = (t + 1) % chunk_length == 0
            if boundary and not carried:
                continue
            start, end = xs[t] + 0.33, xs[t + 1] - 0.33
            _arrow(
                ax,
                (start, y + 0.07),
                (end, y + 0.07),
                color="C0" if boundary else "black",
                label="carried" if boundary else None,
            )
            if boundary:
                middle = (xs[t] + xs[t + 1]) / 2
                ax.text(middle, y - 0.42, "✕", color=GRADIENT_COLOR, fontsize=13, ha="center", va="center")
                ax.text(
                    middle, y - 0.72, "gradient\nstops", color=GRADIENT_COLOR, fontsize=8.5, ha="center", va="center"
                )
            else:
                ax.add_patch(
                    FancyArrowPatch(
                        (end, y - 0.12),
                        (start, y - 0.12),
                        arrowstyle="-|>",
                        mutation_scale=11,
                        color=GRADIENT_COLOR,
                        linewidth=1.2,
                        shrinkA=2,
                        shrinkB=2,
                    )
                )
    ax.set_xlim(xs[0] - 1.0, xs[-1] + 0.6)
    ax.set_ylim(-0.3, 3.3)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig
