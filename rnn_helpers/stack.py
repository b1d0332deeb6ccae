"""Stacked recurrent layers: each layer's output sequence is the next layer's input.

A stack is a list of parameter dicts (one per layer, from ``init_params``). Layer
``l`` reads the output sequence y^(l-1) of the layer below (layer 0 reads x), and
the stack's outputs are the top layer's outputs. Backward, the gradient wrt each
layer's input sequence is the output gradient of the layer below.

Derived in ``06_training_loop`` (the input gradient; exercise: a two-layer stack).
"""

from . import _validate
from .rnn import backward_batch, forward_batch, init_params


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


def stack_forward(x, layers, activation="tanh"):
    """Run every layer in turn.

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
    x = _validate.stack(x, layers, activation)
    batch = x[None] if x.ndim == 2 else x
    cache = []
    layer_input = batch
    for params in layers:
        outputs, hiddens = forward_batch(layer_input, params, activation)
        cache.append((layer_input, hiddens))
        layer_input = outputs
    if x.ndim == 2:
        return layer_input[0], [(layer_input[0], hiddens[0]) for layer_input, hiddens in cache]
    return layer_input, cache


def stack_backward(cache, output_grad, layers, activation="tanh"):
    """Gradients for every layer of the stack, top to bottom.

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
    _validate.activation(activation)
    output_grad = _validate.stack_output_grad(cache, output_grad, layers)
    single = output_grad.ndim == 2
    grads = [None] * len(layers)
    for index in reversed(range(len(layers))):
        layer_input, hiddens = cache[index]
        if single:
            layer_input, hiddens, output_grad = layer_input[None], hiddens[None], output_grad[None]
        grads[index], output_grad, _ = backward_batch(layer_input, hiddens, output_grad, layers[index], activation)
        if single:
            output_grad = output_grad[0]
    return grads
