"""One recurrent layer: initialisation, forward pass and backpropagation through time.

The formulation (shapes: x_t (F), h_t (H), y_t (O); a batch adds a leading N)::

    h_{-1} = 0
    h_t = act(x_t @ i_weight + h_{t-1} @ h_weight + h_bias)
    y_t = h_t @ o_weight + o_bias

Derived in ``02_tanh_forward`` (forward), ``03_manual_backprop`` and
``04_bptt_loop`` (backward).
"""

import numpy as np

PARAM_NAMES = ("i_weight", "h_weight", "h_bias", "o_weight", "o_bias")


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
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown activation {name!r}. Use one of {sorted(ACTIVATIONS)}."
        ) from None


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
    sizes = {"n_inputs": n_inputs, "n_hidden": n_hidden, "n_outputs": n_outputs}
    for name, size in sizes.items():
        if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 1:
            raise ValueError(f"{name} must be a positive whole number, got {size!r}.")
    random = np.random.RandomState(seed)
    k = 1.0 / np.sqrt(n_hidden)
    shapes = {
        "i_weight": (n_inputs, n_hidden),
        "h_weight": (n_hidden, n_hidden),
        "h_bias": (1, n_hidden),
        "o_weight": (n_hidden, n_outputs),
        "o_bias": (1, n_outputs),
    }
    return {name: random.rand(*shape) * 2 * k - k for name, shape in shapes.items()}


def check_params(params):
    """Raise ValueError unless ``params`` has the five arrays with consistent shapes.

    Returns ``(F, H, O)``.
    """
    if not isinstance(params, dict) or any(name not in params for name in PARAM_NAMES):
        found = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise ValueError(
            f"params must be a dict with the keys {list(PARAM_NAMES)}; got {found}. "
            "Create one with init_params(n_inputs, n_hidden, n_outputs)."
        )
    found = {name: np.shape(params[name]) for name in PARAM_NAMES}
    n_inputs, n_hidden = found["i_weight"] if len(found["i_weight"]) == 2 else (0, 0)
    n_outputs = found["o_weight"][1] if len(found["o_weight"]) == 2 else 0
    expected = {
        "i_weight": (n_inputs, n_hidden),
        "h_weight": (n_hidden, n_hidden),
        "h_bias": (1, n_hidden),
        "o_weight": (n_hidden, n_outputs),
        "o_bias": (1, n_outputs),
    }
    if found != expected or 0 in (n_inputs, n_hidden, n_outputs):
        name = next((name for name in PARAM_NAMES if found[name] != expected[name]), "i_weight")
        raise ValueError(
            f"Parameter shapes do not fit together: {name} should be {expected[name]} "
            f"(F={n_inputs}, H={n_hidden}, O={n_outputs}), found shapes {found}."
        )
    return n_inputs, n_hidden, n_outputs


def _as_batch(x, n_inputs, name="x", check_finite=True):
    """View ``x`` as (N, T, F); also return whether it was a single sequence."""
    x = np.asarray(x, dtype=float)
    if x.ndim not in (2, 3) or x.shape[-1] != n_inputs or x.shape[-2] == 0:
        raise ValueError(
            f"{name} must have shape (T, F) or (N, T, F) with F={n_inputs} features "
            f"(the rows of i_weight) and T >= 1; got shape {x.shape}. A 1-D sequence "
            "of T values needs x.reshape(-1, 1)."
        )
    if check_finite and not np.isfinite(x).all():
        raise ValueError(
            f"{name} contains {int(np.size(x) - np.isfinite(x).sum())} NaN or infinite "
            "value(s). Fill or drop them before the forward pass (load_weather "
            "forward-fills gaps)."
        )
    return _batch_view(x)


def _batch_view(x):
    """``x`` as (N, T, F) and whether it was one (T, F) sequence; no checks."""
    return (x[None], True) if x.ndim == 2 else (x, False)


def rnn_forward(x, params, activation="tanh", *, validate=True):
    """Run the layer over every time step.

    Parameters
    ----------
    x : ndarray, shape (T, F) or (N, T, F)
    params : dict
        As returned by ``init_params``.
    activation : {"tanh", "relu"}
    validate : bool
        Check shapes and NaN first; ``False`` is for callers that have checked already
        (``train`` checks its data once, not once per batch).

    Returns
    -------
    outputs : ndarray, shape (T, O) or (N, T, O)
    hiddens : ndarray, shape (T, H) or (N, T, H)
        h_0 ... h_{T-1}, kept for the backward pass.

    Notes
    -----
    Derived in ``02_tanh_forward``, for one sequence and for a batch.
    """
    act, _ = get_activation(activation)
    if validate:
        batch, single = _as_batch(x, check_params(params)[0])
    else:
        batch, single = _batch_view(x)
    n_sequences, n_steps, n_inputs = batch.shape
    h_weight = params["h_weight"]
    n_hidden = h_weight.shape[0]

    # The input and bias terms do not depend on the past: compute all steps at once
    # (one matrix product over every step of every sequence, as the output layer below).
    input_terms = (batch.reshape(-1, n_inputs) @ params["i_weight"] + params["h_bias"]).reshape(
        n_sequences, n_steps, n_hidden)
    hiddens = np.empty((n_sequences, n_steps, n_hidden))
    hidden = np.zeros((n_sequences, n_hidden))
    for step in range(n_steps):
        hidden = act(input_terms[:, step] + hidden @ h_weight)
        hiddens[:, step] = hidden
    hiddens = hiddens.reshape(-1, n_hidden)
    outputs = hiddens @ params["o_weight"] + params["o_bias"]
    hiddens = hiddens.reshape(n_sequences, n_steps, n_hidden)
    outputs = outputs.reshape(n_sequences, n_steps, params["o_weight"].shape[1])
    return (outputs[0], hiddens[0]) if single else (outputs, hiddens)


def rnn_backward_with_input_grad(x, hiddens, output_grad, params, activation="tanh", *, validate=True,
                                 input_grad=True):
    """Backpropagation through time that also returns the gradient wrt the inputs.

    Takes the arguments of ``rnn_backward``; ``validate=False`` skips the shape checks;
    ``input_grad=False`` skips the input gradient (the bottom layer of a stack needs none).

    Returns
    -------
    grads : dict
        Same keys and shapes as ``params``.
    input_grad : ndarray, same shape as ``x`` (None with ``input_grad=False``)
        What a layer below needs to continue the backward pass (stacked layers).

    Notes
    -----
    Derived in ``04_bptt_loop``, which also uses the input gradient; stacked
    layers need it in ``06_training_loop``.
    """
    _, derivative = get_activation(activation)
    if validate:
        n_inputs, n_hidden, n_outputs = check_params(params)
        # x was checked for NaN by the forward pass; a NaN in a gradient is the caller's to report.
        batch, single = _as_batch(x, n_inputs, check_finite=False)
        _check_backward_shapes(batch.shape, single, hiddens, output_grad, n_hidden, n_outputs)
    else:
        batch, single = _batch_view(x)
    n_hidden, n_outputs = params["o_weight"].shape
    n_sequences, n_steps, _ = batch.shape
    hiddens = np.asarray(hiddens, dtype=float).reshape(n_sequences, n_steps, n_hidden)
    output_grad = np.asarray(output_grad, dtype=float).reshape(n_sequences, n_steps, n_outputs)

    # As in the forward pass, whatever does not depend on the recursion is computed for
    # all steps at once: the output layer's gradients, the path from y_t back to h_t and
    # the activation's derivative before the loop; the weight and bias gradients (and
    # the gradient wrt x) after it. The loop only carries dL/dh_t back through time.
    grads = {
        "o_weight": hiddens.reshape(-1, n_hidden).T @ output_grad.reshape(-1, n_outputs),
        "o_bias": output_grad.sum(axis=(0, 1))[np.newaxis],
    }
    # dL/dh_t through y_t, for every step at once.
    output_path_grads = (output_grad.reshape(-1, n_outputs) @ params["o_weight"].T).reshape(hiddens.shape)
    derivatives = derivative(hiddens)
    pre_activation_grads = np.empty_like(hiddens)
    next_hidden_grad = np.zeros((n_sequences, n_hidden))  # dL/dh_t arriving from step t+1
    h_weight_transposed = params["h_weight"].T
    for step in reversed(range(n_steps)):
        # h_t feeds two places: the output y_t and the next hidden state h_{t+1}.
        hidden_grad = output_path_grads[:, step] + next_hidden_grad
        pre_activation_grad = hidden_grad * derivatives[:, step]
        pre_activation_grads[:, step] = pre_activation_grad
        next_hidden_grad = pre_activation_grad @ h_weight_transposed

    # Every weight acts at every step: its gradient sums over all steps (and windows).
    # h_weight multiplies the previous state h_{t-1} (h_{-1} = 0 at step 0).
    all_steps = pre_activation_grads.reshape(-1, n_hidden)
    previous_hiddens = np.concatenate([np.zeros((n_sequences, 1, n_hidden)), hiddens[:, :-1]], axis=1)
    grads["h_weight"] = previous_hiddens.reshape(-1, n_hidden).T @ all_steps
    grads["i_weight"] = batch.reshape(-1, batch.shape[2]).T @ all_steps
    grads["h_bias"] = all_steps.sum(axis=0, keepdims=True)
    grads = {name: grads[name] for name in PARAM_NAMES}
    if not input_grad:
        return grads, None
    x_grad = (all_steps @ params["i_weight"].T).reshape(batch.shape)
    return grads, (x_grad[0] if single else x_grad)


def _check_backward_shapes(batch_shape, single, hiddens, output_grad, n_hidden, n_outputs):
    n_sequences, n_steps, _ = batch_shape
    for name, array, width in (("hiddens", hiddens, n_hidden), ("output_grad", output_grad, n_outputs)):
        expected = (n_steps, width) if single else (n_sequences, n_steps, width)
        if np.shape(array) != expected:
            x_shape = batch_shape[1:] if single else batch_shape
            raise ValueError(
                f"{name} must have shape {expected} to match x {x_shape} and the "
                f"parameters; got {np.shape(array)}. Pass the hidden states returned by "
                "rnn_forward, and an output gradient shaped like its outputs (e.g. "
                "mse_grad(actual, outputs))."
            )


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
    grads, _ = rnn_backward_with_input_grad(x, hiddens, output_grad, params, activation, input_grad=False)
    return grads
