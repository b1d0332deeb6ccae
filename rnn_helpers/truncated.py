"""Truncated backpropagation through time, with the hidden state carried across chunks.

A long sequence is cut into chunks of T steps. Each chunk starts from the hidden state
the chunk before it ended with (the first chunk from h_{-1} = 0, or from a given start
state), so the forward pass over the chunks, one after the other, is the forward pass
over the whole sequence. The backward pass of a chunk stops at the chunk's first step:
its start state s is taken as a constant, so no gradient flows into the chunks before
it. With s the chunk's start state (shapes as in ``rnn_helpers.rnn``)::

    h_{-1} = s
    h_t = act(x_t @ i_weight + h_{t-1} @ h_weight + h_bias)
    y_t = h_t @ o_weight + o_bias

With s = 0 this is ``rnn_forward`` and ``rnn_backward``. Derived in ``07_memory``. The
arguments are checked once, at the door; the loops are those of ``rnn_helpers.rnn``,
started from the chunk's start state.
"""

from dataclasses import dataclass, field

import numpy as np

from . import _validate
from .optim import Adam, clip_by_global_norm, linear_schedule
from .rnn import PARAM_NAMES, backward_batch, forward_batch
from .train import one_blas_thread

# ------------------------------------------------------------------------- the math


def carried_state(hiddens):
    """The start state of the next chunk: the last hidden state of this one, ``hiddens[:, -1]``.

    ``hiddens`` is a chunk's (N, T, H); the result is (N, H), a copy: plain numbers that
    nothing links back to the chunk they came from, which is what stops the gradient.
    Derived in ``07_memory``.
    """
    return hiddens[:, -1].copy()


def chunk_bounds(n_steps, chunk_length):
    """``[(start, end), ...]``: the chunks of ``chunk_length`` steps of a sequence of ``n_steps``.

    The last chunk is shorter when ``chunk_length`` does not divide ``n_steps``.
    Derived in ``07_memory``.
    """
    _validate.whole_number(n_steps, "n_steps")
    _validate.whole_number(chunk_length, "chunk_length", hint=" (the steps per chunk)")
    return [(start, min(start + chunk_length, n_steps)) for start in range(0, n_steps, chunk_length)]


# ----------------------------------------------------------------------- the public API


def rnn_forward_from(x, params, start_hidden=None, activation="tanh"):
    """Run the layer over every time step, starting from the hidden state ``start_hidden``.

    Parameters
    ----------
    x : ndarray, shape (T, F) or (N, T, F)
    params : dict
        As returned by ``init_params``.
    start_hidden : ndarray or None
        h_{-1}, the state the chunk before ended with: shape (H,) or (1, H) for one
        sequence, (N, H) for a batch; None means zeros (then this is ``rnn_forward``).
    activation : {"tanh", "relu"}

    Returns
    -------
    outputs : ndarray, shape (T, O) or (N, T, O)
    hiddens : ndarray, shape (T, H) or (N, T, H)
        h_0 ... h_{T-1}; ``hiddens[..., -1, :]`` starts the next chunk.

    Notes
    -----
    Derived in ``07_memory``.
    """
    x = _validate.forward(x, params, activation)
    start = _start_state(start_hidden, x, params)
    outputs, hiddens = forward_batch(_as_batch(x), params, activation, start_hidden=start)
    return (outputs[0], hiddens[0]) if x.ndim == 2 else (outputs, hiddens)


def chunk_backward(x, start_hidden, hiddens, output_grad, params, activation="tanh"):
    """Backpropagation through one chunk, its start state held constant.

    Parameters
    ----------
    x : ndarray, shape (T, F) or (N, T, F)
        The chunk's inputs.
    start_hidden : ndarray or None
        The state the chunk started from, as given to ``rnn_forward_from``.
    hiddens : ndarray, shape (T, H) or (N, T, H)
        The chunk's hidden states, as ``rnn_forward_from`` returned them.
    output_grad : ndarray, shape (T, O) or (N, T, O)
        dL/dy_t for every step of the chunk's loss L.
    params : dict
    activation : {"tanh", "relu"}

    Returns
    -------
    grads : dict
        dL/dparam, same keys and shapes as ``params`` (for a batch, summed over the
        sequences): the exact gradient of L for the chunk's start state taken as a
        constant. Nothing is updated.
    start_grad : ndarray, shaped like the start state ((H,), (1, H) or (N, H))
        dL/ds, the gradient that would flow on into the chunk before. Truncated BPTT
        drops it: that is where the gradient stops.

    Notes
    -----
    Derived in ``07_memory``, from the loop of ``04_bptt_loop``.
    """
    x, hiddens, output_grad = _validate.backward(x, hiddens, output_grad, params, activation)
    start = _start_state(start_hidden, x, params)
    grads, _, start_grad = backward_batch(
        _as_batch(x), _as_batch(hiddens), _as_batch(output_grad), params, activation, start_hidden=start
    )
    given = np.shape(start_hidden) if start_hidden is not None else (params["h_weight"].shape[0],)
    return grads, start_grad.reshape(given) if x.ndim == 2 else start_grad


def truncated_bptt(x, y, params, chunk_length, start_hidden=None, activation="tanh"):
    """The gradient of every chunk of a long sequence, the state carried and the gradient stopped.

    The parameters are held fixed (nothing is updated): chunk c runs forward from the
    state chunk c-1 ended with, and its gradient is that of its own loss
    L_c = 0.5 * sum over its steps of (y_hat_t - y_t)**2 (so dL_c/dy_hat_t = y_hat_t - y_t,
    ``mse_grad``), stopped at its first step.

    Parameters
    ----------
    x : ndarray, shape (T, F) or (N, T, F)
        The whole sequence (or N sequences side by side).
    y : ndarray, shape (T, O) or (N, T, O)
        The targets.
    params : dict
    chunk_length : int
        Steps per chunk; the last chunk is shorter when it does not divide T.
    start_hidden : ndarray or None
        The state before the first step (None: zeros).
    activation : {"tanh", "relu"}

    Returns
    -------
    hiddens : ndarray, shape (T, H) or (N, T, H)
        Every hidden state of the sequence; the same as running the whole sequence forward.
    chunk_grads : list of dict
        One gradient dict per chunk, in order.

    Notes
    -----
    Derived in ``07_memory`` (its exercise asks for this function).
    """
    x = _validate.forward(x, params, activation)
    y = _targets(y, x, params)
    bounds = _chunk_bounds(x, chunk_length)
    start = _start_state(start_hidden, x, params)
    batch_x, batch_y = _as_batch(x), _as_batch(y)
    hiddens = np.zeros(batch_x.shape[:2] + (params["h_weight"].shape[0],))
    starts, chunk_grads, hidden = {0: start}, [], start
    for first, end in bounds:
        starts[first] = hidden  # the state this chunk starts from
        outputs, hiddens[:, first:end] = forward_batch(batch_x[:, first:end], params, activation, start_hidden=hidden)
        output_grad = np.zeros(batch_y[:, :end].shape)
        output_grad[:, first:] = outputs - batch_y[:, first:end]  # only this chunk's loss
        stop = first  # the gradient stops at the chunk's first step
        grads, _, _ = backward_batch(
            batch_x[:, stop:end], hiddens[:, stop:end], output_grad[:, stop:], params, activation, starts[stop]
        )
        chunk_grads.append(grads)
        hidden = carried_state(hiddens[:, first:end])
    return (hiddens[0] if x.ndim == 2 else hiddens), chunk_grads


@dataclass
class TruncatedRun:
    """What ``train_truncated`` returns.

    ``params`` are the trained parameters; ``history`` holds, per epoch, the mean over
    its chunks of 0.5 * mean((y_hat - y)**2), the objective as it was during the epoch;
    ``grad_norms`` holds the global norm of every update's gradient, before clipping.

    Notes
    -----
    Returned by ``train_truncated`` (``07_memory``).
    """

    params: dict
    history: list = field(default_factory=list)
    grad_norms: list = field(default_factory=list)


def train_truncated(x, y, params, chunk_length, *, epochs=20, lr=0.02, clip_norm=1.0, activation="tanh"):
    """Train on long sequences by truncated BPTT, the hidden state carried across chunks.

    Every epoch walks the chunks in order, from h_{-1} = 0 at the start of the
    sequences. For each chunk: the forward pass from the carried state, the gradient of
    0.5 * mean((y_hat - y)**2) over the chunk's steps, the backward pass within the
    chunk (stopped at its first step), clipping by the global norm, and one Adam step
    whose learning rate falls linearly to zero over the run, as in ``train()``. Then the
    chunk's last hidden state starts the next chunk.

    Parameters
    ----------
    x : ndarray, shape (T, F) or (N, T, F)
        N long sequences side by side, one batch per chunk.
    y : ndarray, shape (T, O) or (N, T, O)
        The targets, every step.
    params : dict
        The starting parameters (``init_params``); they are not changed.
    chunk_length : int
    epochs : int
    lr : float
        The first learning rate of Adam.
    clip_norm : float or None
        The threshold of ``clip_by_global_norm``; None: no clipping.
    activation : {"tanh", "relu"}

    Returns
    -------
    TruncatedRun

    Notes
    -----
    Derived in ``07_memory``, where the loop is written out and asserted equal to this.
    """
    x = _validate.forward(x, params, activation)
    y = _targets(y, x, params)
    bounds = _chunk_bounds(x, chunk_length)
    _validate.whole_number(epochs, "epochs")
    _validate.positive_number(lr, "lr", 0.02)
    _validate.positive_number(clip_norm, "clip_norm", 1.0, none_means="no clipping")
    batch_x, batch_y = _as_batch(x), _as_batch(y)
    adam, run = Adam(lr), TruncatedRun({name: np.array(params[name], dtype=float) for name in PARAM_NAMES})
    step, total_steps = 0, epochs * len(bounds)
    # A diverging run (no clipping, say) overflows: its NaN loss is the result, not a warning.
    with one_blas_thread(), np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):
            hidden, losses = np.zeros((len(batch_x), params["h_weight"].shape[0])), []
            for first, end in bounds:
                chunk_x = batch_x[:, first:end]
                outputs, hiddens = forward_batch(chunk_x, run.params, activation, start_hidden=hidden)
                errors = outputs - batch_y[:, first:end]
                losses.append(0.5 * float(np.mean(errors**2)))
                grads, _, _ = backward_batch(chunk_x, hiddens, errors / errors.size, run.params, activation, hidden)
                run.grad_norms.append(float(np.sqrt(sum(np.sum(grad**2) for grad in grads.values()))))
                adam.lr = linear_schedule(lr, step, total_steps)
                run.params = adam.step(run.params, clip_by_global_norm(grads, clip_norm))
                step += 1
                hidden = carried_state(hiddens)
            run.history.append(float(np.mean(losses)))
    return run


# ---------------------------------------------------------------- checks at the door


def _as_batch(array):
    return array[None] if array.ndim == 2 else array


def _start_state(start_hidden, x, params):
    """The start state as a float (N, H) array for the batch form of ``x`` (zeros for None)."""
    n_hidden = params["h_weight"].shape[0]
    n_sequences = 1 if x.ndim == 2 else x.shape[0]
    if start_hidden is None:
        return np.zeros((n_sequences, n_hidden))
    start = np.asarray(start_hidden, dtype=float)
    allowed = [(n_hidden,), (1, n_hidden)] if x.ndim == 2 else [(n_sequences, n_hidden)]
    if start.shape not in allowed:
        kind = "one sequence x (T, F)" if x.ndim == 2 else f"a batch x of {n_sequences} sequences"
        raise ValueError(
            f"start_hidden must have shape {' or '.join(str(shape) for shape in allowed)} for {kind} "
            f"and H={n_hidden} hidden units; got {start.shape}. Pass the last hidden state of the chunk "
            "before, hiddens[..., -1, :], or None to start from zeros."
        )
    if not np.isfinite(start).all():
        raise ValueError("start_hidden contains NaN or infinite values; the chunk before diverged.")
    return start.reshape(n_sequences, n_hidden)


def _targets(y, x, params):
    """``y`` as floats, shaped like the outputs for ``x``: (T, O) or (N, T, O)."""
    y = np.asarray(y, dtype=float)
    expected = x.shape[:-1] + (params["o_weight"].shape[1],)
    if y.shape != expected:
        raise ValueError(f"y must have shape {expected}, one target per output and step of x {x.shape}; got {y.shape}.")
    if not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinite values; fill or drop them first.")
    return y


def _chunk_bounds(x, chunk_length):
    return chunk_bounds(x.shape[-2], chunk_length)
