"""Checks at the door: the public functions call these once, so the math stays plain.

Each check raises ``ValueError`` with what was wrong and what to do, and returns
what the caller needs (sizes, arrays as floats).
"""

import math
from numbers import Integral, Real

import numpy as np

PARAM_NAMES = ("i_weight", "h_weight", "h_bias", "o_weight", "o_bias")
ACTIVATIONS = ("tanh", "relu")


def whole_number(value, name, minimum=1, hint=""):
    """``value`` as an int, or ValueError unless it is a whole number of at least ``minimum``."""
    if not isinstance(value, Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be a whole number of at least {minimum}{hint}; got {value!r}.")
    return int(value)


def positive_number(value, name, example, none_means=""):
    """ValueError unless ``value`` is a positive finite number (or None, when ``none_means`` says what None does)."""
    if value is None and none_means:
        return
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value <= 0:
        alternative = f", or None for {none_means}" if none_means else ""
        raise ValueError(f"{name} must be a positive finite number such as {example}{alternative}; got {value!r}.")


def activation(name):
    """ValueError unless ``name`` is an activation the layer knows."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {name!r}. Use one of {sorted(ACTIVATIONS)}.")


def param_shapes(n_inputs, n_hidden, n_outputs):
    """The shape of each of the five parameters, in the order ``init_params`` draws them."""
    return {
        "i_weight": (n_inputs, n_hidden),
        "h_weight": (n_hidden, n_hidden),
        "h_bias": (1, n_hidden),
        "o_weight": (n_hidden, n_outputs),
        "o_bias": (1, n_outputs),
    }


def params(params):
    """Raise ValueError unless ``params`` has the five arrays with consistent shapes; return ``(F, H, O)``."""
    if not isinstance(params, dict) or any(name not in params for name in PARAM_NAMES):
        found = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise ValueError(
            f"params must be a dict with the keys {list(PARAM_NAMES)}; got {found}. "
            "Create one with init_params(n_inputs, n_hidden, n_outputs)."
        )
    found = {name: np.shape(params[name]) for name in PARAM_NAMES}
    n_inputs, n_hidden = found["i_weight"] if len(found["i_weight"]) == 2 else (0, 0)
    n_outputs = found["o_weight"][1] if len(found["o_weight"]) == 2 else 0
    expected = param_shapes(n_inputs, n_hidden, n_outputs)
    if found != expected or 0 in (n_inputs, n_hidden, n_outputs):
        name = next((name for name in PARAM_NAMES if found[name] != expected[name]), "i_weight")
        raise ValueError(
            f"Parameter shapes do not fit together: {name} should be {expected[name]} "
            f"(F={n_inputs}, H={n_hidden}, O={n_outputs}), found shapes {found}."
        )
    return n_inputs, n_hidden, n_outputs


def sequences(x, n_inputs, name="x", check_finite=True):
    """``x`` as a float array of shape (T, F) or (N, T, F) with F = ``n_inputs``."""
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
    return x


def forward(x, params_, activation_):
    """The arguments of ``rnn_forward``: ``x`` as floats."""
    activation(activation_)
    return sequences(x, params(params_)[0])


def backward(x, hiddens, output_grad, params_, activation_):
    """The arguments of ``rnn_backward``: ``x``, ``hiddens`` and ``output_grad`` as floats."""
    activation(activation_)
    n_inputs, n_hidden, n_outputs = params(params_)
    # x was checked for NaN by the forward pass; a NaN in a gradient is the caller's to report.
    x = sequences(x, n_inputs, check_finite=False)
    for name, array, width in (("hiddens", hiddens, n_hidden), ("output_grad", output_grad, n_outputs)):
        expected = x.shape[:-1] + (width,)
        if np.shape(array) != expected:
            raise ValueError(
                f"{name} must have shape {expected} to match x {x.shape} and the "
                f"parameters; got {np.shape(array)}. Pass the hidden states returned by "
                "rnn_forward, and an output gradient shaped like its outputs (e.g. "
                "mse_grad(actual, outputs))."
            )
    return x, np.asarray(hiddens, dtype=float), np.asarray(output_grad, dtype=float)


def stack(x, layers, activation_):
    """The arguments of ``stack_forward``: ``x`` as floats, every layer fitting the one below."""
    activation(activation_)
    if not isinstance(layers, list) or not layers:
        raise ValueError("layers must be a non-empty list of parameter dicts; build one with init_stack.")
    x = sequences(x, params(layers[0])[0])
    n_below = params(layers[0])[2]
    for index, layer in enumerate(layers[1:], start=1):
        n_inputs, _, n_outputs = params(layer)
        if n_inputs != n_below:
            raise ValueError(
                f"Layer {index} takes {n_inputs} inputs per step but the layer below outputs "
                f"{n_below}. Build the stack with init_stack(n_inputs, hidden_sizes, n_outputs)."
            )
        n_below = n_outputs
    return x


def stack_output_grad(cache, output_grad, layers):
    """``stack_backward``'s output gradient as floats, shaped like the top layer's outputs."""
    output_grad = np.asarray(output_grad, dtype=float)
    top_input, top_hiddens = cache[-1]
    expected = np.shape(top_hiddens)[:-1] + (params(layers[-1])[2],)
    if output_grad.shape != expected:
        raise ValueError(
            f"output_grad must have shape {expected}, the shape of the stack's outputs for this cache; got "
            f"{output_grad.shape}. Pass the cache that stack_forward returned and a gradient shaped like its "
            "outputs (e.g. mse_grad(actual, outputs))."
        )
    return output_grad


def matching(params, grads):
    """ValueError unless ``grads`` has the keys and shapes of ``params``."""
    if set(params) != set(grads):
        raise ValueError(f"params has keys {sorted(params)} but grads has {sorted(grads)}.")
    for name in params:
        if np.shape(params[name]) != np.shape(grads[name]):
            raise ValueError(
                f"The gradient for {name} has shape {np.shape(grads[name])}, the "
                f"parameter {np.shape(params[name])}; they must match."
            )


def matching_layers(layers, grad_layers):
    """``matching`` for every layer of a stack."""
    if len(layers) != len(grad_layers):
        raise ValueError(f"params has {len(layers)} layer(s) but grads has {len(grad_layers)}.")
    for layer, layer_grads in zip(layers, grad_layers):
        matching(layer, layer_grads)


def same_shapes(moments, layers):
    """ValueError unless an optimiser's running moments fit ``layers`` (same names and shapes)."""

    def shapes(stack):
        return [{name: np.shape(value) for name, value in layer.items()} for layer in stack]

    if shapes(moments) != shapes(layers):
        raise ValueError("This Adam was used for parameters of a different size or with other names; create a new one.")


def training_settings(
    hidden_sizes, epochs, batch_size, optimizer, lr, schedule, seed, clip_norm, activation_, on_epoch_end
):
    """ValueError unless ``train()``'s settings are usable."""
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"Unknown optimizer {optimizer!r}. Use 'adam' or 'sgd'.")
    if schedule not in ("linear", "constant"):
        raise ValueError(f"Unknown schedule {schedule!r}. Use 'linear' or 'constant'.")
    activation(activation_)
    sizes = list(hidden_sizes) if isinstance(hidden_sizes, (list, tuple, range, np.ndarray)) else []
    if not sizes or not all(isinstance(size, Integral) and not isinstance(size, bool) and size >= 1 for size in sizes):
        raise ValueError(
            f"hidden_sizes must be a sequence of positive whole numbers, one per layer, such as "
            f"(8,) or (16, 16); got {hidden_sizes!r}."
        )
    whole_number(epochs, "epochs")
    whole_number(batch_size, "batch_size")
    positive_number(lr, "lr", 0.02)
    positive_number(clip_norm, "clip_norm", 1.0, none_means="no clipping")
    whole_number(seed, "seed", minimum=0, hint=" (the same seed gives the same run)")
    if on_epoch_end is not None and not callable(on_epoch_end):
        raise ValueError(f"on_epoch_end must be a function of (epoch, history); got {on_epoch_end!r}.")


def training_windows(train_x, train_y, valid_x, valid_y):
    """``train()``'s windows as float arrays: x (N, T, F) and y (N, T, O), finite, valid fitting train."""
    if (valid_x is None) != (valid_y is None):
        raise ValueError("Pass valid_x and valid_y together (or neither): one of them is missing.")
    train_x, train_y = windows(train_x, train_y, "train")
    if valid_x is not None:
        valid_x, valid_y = windows(valid_x, valid_y, "valid", train_x.shape[2], train_y.shape[2])
    return train_x, train_y, valid_x, valid_y


def windows(x, y, name, n_inputs=None, n_outputs=None):
    """Windows x (N, T, F) and targets y (N, T, O) as finite float arrays."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.ndim != 3 or y.ndim != 3 or x.shape[:2] != y.shape[:2] or len(x) == 0 or 0 in x.shape[1:] + y.shape[2:]:
        raise ValueError(
            f"{name}_x must be (N, T, F) and {name}_y (N, T, O) with the same N and T; got "
            f"{x.shape} and {y.shape}. make_windows(inputs, targets, length) builds both."
        )
    if n_inputs is not None and x.shape[2] != n_inputs:
        raise ValueError(f"{name}_x has {x.shape[2]} features per step but train_x has {n_inputs}.")
    if n_outputs is not None and y.shape[2] != n_outputs:
        raise ValueError(f"{name}_y has {y.shape[2]} targets per step but train_y has {n_outputs}.")
    for label, array in ((f"{name}_x", x), (f"{name}_y", y)):
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{label} contains NaN or infinite values; fill or drop them first.")
    return x, y
