"""How a signal travels forward and a gradient travels backward through many steps.

A tanh RNN gets a fresh random input of a chosen size at every step. The forward
curve is the size of the hidden state at every step (steady, growing, or saturated
at the edge of tanh's range?); the backward curve is the size of the gradient of the
last step's output with respect to every earlier hidden state (does it vanish or
explode?).
The recurrent weights are a random rotation scaled by the spectral radius, so that
every direction is stretched by exactly that factor at each step.

Derived in ``04_bptt_loop``.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from . import _validate
from .rnn import rnn_backward_with_input_grad, rnn_forward

SATURATION_LEVEL = 0.9
"""A tanh unit counts as saturated when ``|h| > 0.9``: there its derivative ``1 - h**2`` is below 0.19."""


def explorer_params(spectral_radius, n_hidden=8, seed=0):
    """Parameters of the explorer's RNN: one input per hidden unit, no biases.

    ``i_weight`` is the identity (each input is written straight into the
    pre-activation), ``h_weight`` is a random orthogonal matrix times
    ``spectral_radius``, ``o_weight`` a random unit vector (one output).

    Returns
    -------
    dict of ndarray
        ``i_weight (H, H)``, ``h_weight (H, H)``, ``h_bias (1, H)``, ``o_weight (H, 1)``,
        ``o_bias (1, 1)``.

    Notes
    -----
    Derived in ``04_bptt_loop``.
    """
    _check_positive("spectral_radius", spectral_radius)
    _validate.whole_number(n_hidden, "n_hidden")
    random = np.random.default_rng(seed)
    # Q from the QR decomposition of a Gaussian matrix is a random orthogonal matrix:
    # it rotates (or reflects) without stretching, so all its eigenvalues have size 1.
    rotation, _ = np.linalg.qr(random.normal(size=(n_hidden, n_hidden)))
    readout = random.normal(size=(n_hidden, 1))
    return {
        "i_weight": np.eye(n_hidden),
        "h_weight": spectral_radius * rotation,
        "h_bias": np.zeros((1, n_hidden)),
        "o_weight": readout / np.linalg.norm(readout),
        "o_bias": np.zeros((1, 1)),
    }


def explorer_inputs(input_scale, steps, n_hidden=8, seed=0):
    """The explorer's inputs: independent Gaussian vectors of typical length ``input_scale``.

    Returns
    -------
    ndarray, shape (steps, H)
        Entries drawn from N(0, input_scale**2 / H), so each row's length is about
        ``input_scale``.

    Notes
    -----
    The gradient explorer of ``04_bptt_loop``.
    """
    _check_positive("input_scale", input_scale)
    _validate.whole_number(steps, "steps", minimum=2)
    random = np.random.default_rng(seed + 1)
    return input_scale * random.normal(size=(steps, n_hidden)) / np.sqrt(n_hidden)


def gradient_flow(spectral_radius, input_scale, steps, n_hidden=8, seed=0):
    """Forward and backward curves of a tanh RNN fed random inputs of a given size.

    The loss is the last step's output, ``L_T = h_{T-1} @ o_weight`` (a unit vector),
    so ``||dL_T/dh_{T-1}|| = 1``. No gradient clipping is applied.

    Parameters
    ----------
    spectral_radius : float
        Largest eigenvalue size of ``h_weight`` (a rotation times this number); > 0.
    input_scale : float
        Typical length of the input at each step; > 0. Large values saturate tanh.
    steps : int
        Number of time steps T, at least 2.
    n_hidden : int
        Hidden units H.
    seed : int
        Draws the rotation, the readout and the inputs.

    Returns
    -------
    dict
        ``"hidden_norms"`` (T,): ``||h_t||`` for t = 0 ... T-1 (forward);
        ``"hidden_grad_norms"`` (T,): ``||dL_T/dh_t||`` for t = 0 ... T-1 (backward);
        ``"saturation_share"``: the share of all ``h_t`` entries with ``|h| > 0.9``;
        ``"mean_derivative"``: the mean of tanh's derivative ``1 - h**2`` over them.

    Notes
    -----
    Derived in ``04_bptt_loop``. The backward pass is ``rnn_backward``'s own loop:
    with ``i_weight`` the identity, its input gradient is ``dL/dz_t``, and
    ``dL/dh_t = dL/dz_{t+1} @ h_weight.T`` for t < T-1.
    """
    params = explorer_params(spectral_radius, n_hidden, seed)
    inputs = explorer_inputs(input_scale, steps, n_hidden, seed)
    outputs, hiddens = rnn_forward(inputs, params)
    last_only = np.zeros_like(outputs)
    last_only[-1] = 1.0
    _, pre_activation_grads = rnn_backward_with_input_grad(inputs, hiddens, last_only, params)
    hidden_grads = np.empty_like(hiddens)
    hidden_grads[-1] = params["o_weight"][:, 0]
    hidden_grads[:-1] = pre_activation_grads[1:] @ params["h_weight"].T
    return {
        "hidden_norms": np.linalg.norm(hiddens, axis=1),
        "hidden_grad_norms": np.linalg.norm(hidden_grads, axis=1),
        "saturation_share": float(np.mean(np.abs(hiddens) > SATURATION_LEVEL)),
        "mean_derivative": float(np.mean(1.0 - hiddens**2)),
    }


def plot_gradient_flow(spectral_radius, input_scale, steps, n_hidden=8, seed=0, axes=None):
    """Draw ``gradient_flow``: hidden-state norm (left) beside ``||dL_T/dh_t||`` on a log scale (right).

    ``axes`` is an optional pair of matplotlib Axes (forward, backward) to draw into;
    without it a new figure is made. Returns the Figure; in a notebook, end the cell
    with ``plt.show()``.

    Notes
    -----
    Derived in ``04_bptt_loop``.
    """
    flow = gradient_flow(spectral_radius, input_scale, steps, n_hidden, seed)
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.84, wspace=0.28)
    forward_ax, backward_ax = axes
    time = np.arange(steps)
    forward_ax.plot(time, flow["hidden_norms"], marker=".", color="C0")
    ceiling = np.sqrt(n_hidden)
    forward_ax.axhline(ceiling, color="gray", linestyle=":", linewidth=1)
    forward_ax.text(0, ceiling * 0.97, "every unit at ±1", color="gray", fontsize=8, va="top")
    forward_ax.set_ylim(0, ceiling * 1.05)
    forward_ax.set_xlabel("time step t")
    forward_ax.set_ylabel("forward: ‖hₜ‖")
    forward_ax.set_title(f"spectral radius {spectral_radius:.2f}, input size {input_scale:.2g}", fontsize=10)

    grad_norms = flow["hidden_grad_norms"]
    backward_ax.semilogy(time, grad_norms, marker=".", color="C3")
    backward_ax.axhline(1.0, color="gray", linestyle=":", linewidth=1)
    backward_ax.set_ylim(*_log_limits(grad_norms))
    # Plain-text powers of ten: mathtext tick labels would make every redraw several times slower.
    backward_ax.yaxis.set_major_locator(LogLocator(numticks=7))
    backward_ax.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
    backward_ax.yaxis.set_minor_locator(NullLocator())
    backward_ax.set_xlabel("time step t (the loss is at the last one)")
    backward_ax.set_ylabel("backward: ‖∂L/∂hₜ‖")
    backward_ax.set_title(
        f"saturated units {flow['saturation_share']:.0%}, mean tanh′ {flow['mean_derivative']:.2f}", fontsize=10
    )
    return forward_ax.figure


def plot_gradient_flow_grid(settings, steps=30, n_hidden=8, seed=0):
    """Small multiples of ``plot_gradient_flow``: one column per setting, forward above backward.

    Parameters
    ----------
    settings : sequence of (spectral_radius, input_scale, label)
        ``label`` names the column, e.g. ``"vanishing"``.
    steps, n_hidden, seed : as in ``gradient_flow``.

    Returns
    -------
    matplotlib Figure; the backward panels share one log scale so they compare directly.

    Notes
    -----
    Derived in ``04_bptt_loop``.
    """
    fig, axes = plt.subplots(2, len(settings), figsize=(3.3 * len(settings), 6.4), sharey="row", squeeze=False)
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.08, top=0.9, wspace=0.12, hspace=0.45)
    for column, (spectral_radius, input_scale, label) in enumerate(settings):
        plot_gradient_flow(spectral_radius, input_scale, steps, n_hidden, seed, axes=axes[:, column])
        forward_ax, backward_ax = axes[:, column]
        forward_ax.set_title(f"{label}\nradius {spectral_radius:.2f}, input {input_scale:.2g}", fontsize=10)
        if column:
            forward_ax.set_ylabel("")
            backward_ax.set_ylabel("")
        backward_ax.set_xlabel("time step t (the loss is at t = T − 1)")
    # Every call above set the shared backward scale for its own curve: widen it to fit all.
    all_norms = np.concatenate(
        [gradient_flow(radius, scale, steps, n_hidden, seed)["hidden_grad_norms"] for radius, scale, _ in settings]
    )
    axes[1, 0].set_ylim(*_log_limits(all_norms))
    return fig


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_of_ten(value, _position):
    return "10" + str(round(np.log10(value))).translate(_SUPERSCRIPTS)


def _log_limits(grad_norms):
    """A log-scale range showing 1e-6 ... 1e2 at least, widened to fit every positive value."""
    positive = grad_norms[grad_norms > 0]
    low = min(1e-6, positive.min() / 3) if positive.size else 1e-6
    return max(low, 1e-30), max(1e2, grad_norms.max() * 3)


def _check_positive(name, value):
    if (
        not isinstance(value, (int, float, np.integer, np.floating))
        or isinstance(value, bool)
        or not np.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}.")
