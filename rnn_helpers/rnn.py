"""One recurrent layer: initialisation, forward pass and backpropagation through time.

The formulation (shapes: x_t (F), h_t (H), y_t (O); a batch adds a leading N)::

    h_{-1} = 0
    h_t = act(x_t @ i_weight + h_{t-1} @ h_weight + h_bias)
    y_t = h_t @ o_weight + o_bias

Derived in ``02_tanh_forward`` (forward), ``03_manual_backprop`` and
``04_bptt_loop`` (backward). The arguments are checked once, at the door
(``rnn_helpers._validate``); the loops below are the notebooks' loops over a batch.
"""

import numpy as np

from . import _validate
from ._validate import PARAM_NAMES


def _relu(pre_activation):
    return np.maximum(0.0, pre_activation)


def _relu_derivative(hidden):
    return (hidden > 0).astype(hidden.dtype)


def _tanh_derivative(hidden):
    # d tanh(z)/dz = 1 - tanh(z)^2, written in terms of the stored output h = tanh(z).
    return 1.0 - hidden**2


ACTIVATIONS = {"tanh": (np.tanh, _tanh_derivative), "relu": (_relu, _relu_derivative)}


def get_activation(name):
    """Return ``(function, derivative_from_output)`` for ``"tanh"`` or ``"relu"``.

    The derivative takes the activation's *output* h, as stored by the forward pass.
    Derived in ``02_tanh_forward``.
    """
    _validate.activation(name)
    return ACTIVATIONS[name]


def init_params(n_inputs, n_hidden, n_outputs, seed=0):
    """Draw the parameters of one layer, uniform in (-k, k) with k = 1/sqrt(H).

    Draws i_weight, h_weight, h_bias, o_weight, o_bias in that order from
    ``np.random.RandomState(seed)``, exactly what ``np.random.seed(seed)`` followed
    by ``np.random.rand`` gives, without touching NumPy's global random state.

    Returns
    -------
    dict of ndarray
        ``i_weight (F, H)``, ``h_weight (H, H)``, ``h_bias (1, H)``,
        ``o_weight (H, O)``, ``o_bias (1, O)``.

    Notes
    -----
    Used from ``04_bptt_loop`` on; the initial scale is explained in ``06_training_loop``.
    """
    for name, size in (("n_inputs", n_inputs), ("n_hidden", n_hidden), ("n_outputs", n_outputs)):
        _validate.whole_number(size, name)
    random = np.random.RandomState(seed)
    k = 1.0 / np.sqrt(n_hidden)
    shapes = _validate.param_shapes(n_inputs, n_hidden, n_outputs)
    return {name: random.rand(*shape) * 2 * k - k for name, shape in shapes.items()}


def rnn_forward(x, params, activation="tanh"):
    """Run the layer over every time step.

    Parameters
    ----------
    x : ndarray, shape (T, F) or (N, T, F)
    params : dict
        As returned by ``init_params``.
    activation : {"tanh", "relu"}

    Returns
    -------
    outputs : ndarray, shape (T, O) or (N, T, O)
    hiddens : ndarray, shape (T, H) or (N, T, H)
        h_0 ... h_{T-1}, kept for the backward pass.

    Notes
    -----
    Derived in ``02_tanh_forward``, for one sequence and for a batch.
    """
    x = _validate.forward(x, params, activation)
    if x.ndim == 2:  # one sequence is a batch of one
        outputs, hiddens = forward_batch(x[None], params, activation)
        return outputs[0], hiddens[0]
    return forward_batch(x, params, activation)


def forward_batch(x, params, activation="tanh", start_hidden=None):
    """``rnn_forward`` for a batch x (N, T, F), without checking its arguments.

    ``start_hidden`` (N, H) is h_{-1}, 0 by default. Truncated BPTT starts a chunk from the
    state the chunk before it ended with (``rnn_helpers.truncated``, ``07_memory``).
    """
    act, _ = ACTIVATIONS[activation]
    n_sequences, n_steps, _ = x.shape
    n_hidden, n_outputs = params["o_weight"].shape
    hiddens = np.zeros((n_sequences, n_steps, n_hidden))
    outputs = np.zeros((n_sequences, n_steps, n_outputs))
    hidden = np.zeros((n_sequences, n_hidden)) if start_hidden is None else start_hidden  # h_{-1}
    for t in range(n_steps):
        hidden = act(x[:, t] @ params["i_weight"] + hidden @ params["h_weight"] + params["h_bias"])
        hiddens[:, t] = hidden
        outputs[:, t] = hidden @ params["o_weight"] + params["o_bias"]
    return outputs, hiddens


def rnn_backward(x, hiddens, output_grad, params, activation="tanh"):
    """Exact gradients of the loss wrt every parameter, by backpropagation through time.

    Parameters
    ----------
    x : ndarray, shape (T, F) or (N, T, F)
        The inputs given to ``rnn_forward``.
    hiddens : ndarray, shape (T, H) or (N, T, H)
        The hidden states ``rnn_forward`` returned.
    output_grad : ndarray, shape (T, O) or (N, T, O)
        dL/dy_t for every step (and sequence) of the loss L being differentiated.
    params : dict
    activation : {"tanh", "relu"}

    Returns
    -------
    dict of ndarray
        dL/dparam, same keys and shapes as ``params``; for a batch, summed over the
        sequences. Nothing is updated.

    Notes
    -----
    Derived step by step in ``03_manual_backprop`` and as a loop in ``04_bptt_loop``.
    """
    grads, _ = rnn_backward_with_input_grad(x, hiddens, output_grad, params, activation)
    return grads


def rnn_backward_with_input_grad(x, hiddens, output_grad, params, activation="tanh"):
    """Backpropagation through time that also returns dL/dx, the gradient wrt the inputs.

    Takes the arguments of ``rnn_backward``.

    Returns
    -------
    grads : dict
        Same keys and shapes as ``params``.
    x_grad : ndarray, same shape as ``x``
        What a layer below needs to continue the backward pass (stacked layers).

    Notes
    -----
    Derived in ``04_bptt_loop``; stacked layers need ``x_grad`` in ``06_training_loop``.
    """
    x, hiddens, output_grad = _validate.backward(x, hiddens, output_grad, params, activation)
    if x.ndim == 2:
        grads, x_grad, _ = backward_batch(x[None], hiddens[None], output_grad[None], params, activation)
        return grads, x_grad[0]
    grads, x_grad, _ = backward_batch(x, hiddens, output_grad, params, activation)
    return grads, x_grad


def backward_batch(x, hiddens, output_grad, params, activation="tanh", start_hidden=None):
    """``rnn_backward_with_input_grad`` for a batch (N, T, ...), without checking its arguments.

    The loop of ``04_bptt_loop``: walking back from t = T-1 to 0, it carries
    ``next_hidden_grad``, the gradient arriving at h_t from step t+1. ``start_hidden`` is
    h_{-1} as in ``forward_batch`` (0 by default).

    Returns
    -------
    grads, x_grad, start_grad
        ``start_grad`` is dL/dh_{-1}: what the loop would send on to a step before the
        first. Truncated BPTT drops it (``07_memory``); with h_{-1} = 0 nothing needs it.
    """
    _, derivative = ACTIVATIONS[activation]
    grads = {name: np.zeros_like(params[name], dtype=float) for name in PARAM_NAMES}
    x_grad = np.zeros_like(x)
    start_hidden = np.zeros_like(hiddens[:, 0]) if start_hidden is None else start_hidden
    next_hidden_grad = np.zeros_like(hiddens[:, 0])  # nothing from the future yet
    for t in reversed(range(x.shape[1])):
        hidden = hiddens[:, t]
        previous_hidden = hiddens[:, t - 1] if t > 0 else start_hidden  # h_{-1}
        step_output_grad = output_grad[:, t]
        grads["o_weight"] += hidden.T @ step_output_grad
        grads["o_bias"] += step_output_grad.sum(axis=0)
        hidden_grad = step_output_grad @ params["o_weight"].T + next_hidden_grad
        pre_grad = hidden_grad * derivative(hidden)  # dL/dz_t
        grads["h_weight"] += previous_hidden.T @ pre_grad
        grads["h_bias"] += pre_grad.sum(axis=0)
        grads["i_weight"] += x[:, t].T @ pre_grad
        x_grad[:, t] = pre_grad @ params["i_weight"].T
        next_hidden_grad = pre_grad @ params["h_weight"].T  # sent on to step t-1
    return grads, x_grad, next_hidden_grad
