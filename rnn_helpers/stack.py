"""Stacked recurrent layers: each layer's output sequence is the next layer's input.

A stack is a list of parameter dicts (one per layer, from ``init_params``). Layer
``l`` reads the output sequence y^(l-1) of the layer below (layer 0 reads x), and
the stack's outputs are the top layer's outputs. Backward, the gradient wrt each
layer's input sequence is the output gradient of the layer below.

Derived in ``06_training_loop`` (the input gradient; exercise: a two-layer stack).
"""

from .rnn import check_params, init_params, rnn_backward_with_input_grad, rnn_forward


def init_stack(n_inputs, hidden_sizes, n_outputs, seed=0):
    """Parameters for a stack with one layer per entry of ``hidden_sizes``.

    Layer ``l`` has ``hidden_sizes[l]`` hidden units; every layer but the top one
    outputs as many values as it has hidden units, and the top one ``n_outputs``.
    Layer ``l`` is drawn with seed ``seed + l``, so a one-layer stack equals
    ``[init_params(n_inputs, H, n_outputs, seed)]``.

    Notes
    -----
    Used in ``06_training_loop``.
    """
    hidden_sizes = list(hidden_sizes)
    if not hidden_sizes:
        raise ValueError("hidden_sizes must name at least one layer, e.g. [16] or [16, 16].")
    layers, layer_inputs = [], n_inputs
    for index, n_hidden in enumerate(hidden_sizes):
        layer_outputs = n_outputs if index == len(hidden_sizes) - 1 else n_hidden
        layers.append(init_params(layer_inputs, n_hidden, layer_outputs, seed=seed + index))
        layer_inputs = layer_outputs
    return layers


def stack_forward(x, layers, activation="tanh", *, validate=True):
    """Run every layer in turn.

    ``validate`` checks x (shape, NaN) and that each layer's parameters fit the layer
    below; ``False`` skips this, for callers that have checked already.

    Returns
    -------
    outputs : ndarray, shape (..., T, O)
        The top layer's outputs.
    cache : list of (layer_input, hiddens)
        What ``stack_backward`` needs, one entry per layer.

    Notes
    -----
    Used in ``06_training_loop``.
    """
    cache = []
    layer_input = x
    for index, params in enumerate(layers):
        if validate and index > 0:
            _check_layer_fits(params, index, layer_input.shape[-1])
        # Only the stack's input is checked for NaN: a NaN higher up comes from the
        # parameters (a diverging training run), which train() reports as such.
        outputs, hiddens = rnn_forward(layer_input, params, activation, validate=validate and index == 0)
        cache.append((layer_input, hiddens))
        layer_input = outputs
    return layer_input, cache


def stack_backward(cache, output_grad, layers, activation="tanh", *, validate=True):
    """Gradients for every layer of the stack, top to bottom.

    ``validate=False`` skips the shape checks (see ``stack_forward``).

    Returns
    -------
    list of dict
        One gradient dict per layer, same order, keys and shapes as ``layers``.

    Notes
    -----
    Exercise 4 of ``06_training_loop`` writes it.
    """
    if len(cache) != len(layers):
        raise ValueError(
            f"The cache holds {len(cache)} layer(s) but the stack has {len(layers)}. Pass the cache "
            "that stack_forward returned for these same layers."
        )
    grads = [None] * len(layers)
    for index in reversed(range(len(layers))):
        layer_input, hiddens = cache[index]
        grads[index], output_grad = rnn_backward_with_input_grad(
            layer_input, hiddens, output_grad, layers[index], activation, validate=validate,
            input_grad=index > 0,
        )
    return grads


def _check_layer_fits(params, index, n_below):
    n_inputs, _, _ = check_params(params)
    if n_inputs != n_below:
        raise ValueError(
            f"Layer {index} takes {n_inputs} inputs per step but the layer below outputs "
            f"{n_below}. Build the stack with init_stack(n_inputs, hidden_sizes, n_outputs)."
        )
