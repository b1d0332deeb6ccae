"""Numerical gradients by central differences, to check every analytic gradient.

Derived in ``03_manual_backprop``.
"""

import numpy as np

#: Default central-difference step. The truncation error grows like epsilon**2 times the
#: loss's third derivative and rounding like 1e-16 * loss / epsilon: 1e-6 balances the two
#: for the notebooks' unscaled temperatures (tens of degrees F). For the unit tests'
#: problems, with values near 1, 1e-5 leaves a wider margin (tests/conftest.py).
EPSILON = 1e-6
#: The largest ``relative_error`` between an analytic and a numerical gradient that
#: counts as agreement; a wrong gradient is off by far more (1e-3 and up).
GRADIENT_TOLERANCE = 1e-7


def numerical_gradient(loss_fn, params, epsilon=EPSILON):
    """Estimate dloss/dparam for every entry by central differences.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(params) -> float``, the objective whose gradient is checked.
    params : dict of ndarray, or list of such dicts (stacked layers)
        Each entry is nudged by +-epsilon in a copy; ``params`` itself is not changed.
    epsilon : float

    Returns
    -------
    Same structure as ``params``: ``(loss(p + eps) - loss(p - eps)) / (2 eps)`` per entry.

    Notes
    -----
    Central differences are explained in ``03_manual_backprop``.
    """
    layers = [params] if isinstance(params, dict) else list(params)
    copies = [{name: np.array(value, dtype=float) for name, value in layer.items()} for layer in layers]
    rebuild = (lambda: copies[0]) if isinstance(params, dict) else (lambda: copies)
    gradients = []
    for layer in copies:
        layer_grads = {}
        for name, value in layer.items():
            grad = np.zeros_like(value)
            for index in np.ndindex(value.shape):
                original = value[index]
                value[index] = original + epsilon
                loss_plus = loss_fn(rebuild())
                value[index] = original - epsilon
                loss_minus = loss_fn(rebuild())
                value[index] = original
                grad[index] = (loss_plus - loss_minus) / (2 * epsilon)
            layer_grads[name] = grad
        gradients.append(layer_grads)
    return gradients[0] if isinstance(params, dict) else gradients


def relative_error(analytic, numeric):
    """``max|a - n| / max(max|a|, max|n|)`` over every entry of two gradient structures.

    One number per comparison; 0 when both are zero. Below ``GRADIENT_TOLERANCE``
    the two agree to the precision central differences can reach. Dicts are compared
    by name: both must have the same keys (and lists the same length).

    Notes
    -----
    The measure ``check_gradients`` reports (``03_manual_backprop``).
    """
    _check_same_names(analytic, numeric)
    analytic_flat = _flatten(analytic)
    numeric_flat = _flatten(numeric)
    if analytic_flat.shape != numeric_flat.shape:
        raise ValueError(f"Cannot compare gradients with {analytic_flat.size} and {numeric_flat.size} entries.")
    scale = max(np.abs(analytic_flat).max(initial=0.0), np.abs(numeric_flat).max(initial=0.0))
    return 0.0 if scale == 0 else float(np.abs(analytic_flat - numeric_flat).max() / scale)


def check_gradients(loss_fn, params, analytic, epsilon=EPSILON):
    """Relative error per parameter name between ``analytic`` and central differences.

    Returns
    -------
    dict
        ``{name: relative_error}``; for stacked layers, names are ``"layer0.i_weight"`` etc.

    Notes
    -----
    Central differences, and the bugs this check catches, are explained in ``03_manual_backprop``.
    """
    numeric = numerical_gradient(loss_fn, params, epsilon)
    if isinstance(params, dict):
        return {name: relative_error(analytic[name], numeric[name]) for name in params}
    return {
        f"layer{index}.{name}": relative_error(analytic[index][name], numeric[index][name])
        for index, layer in enumerate(params)
        for name in layer
    }


def _flatten(gradients):
    if isinstance(gradients, dict):
        return np.concatenate([np.ravel(gradients[name]) for name in sorted(gradients)])
    if isinstance(gradients, list):
        return np.concatenate([_flatten(item) for item in gradients])
    return np.ravel(np.asarray(gradients, dtype=float))


def _check_same_names(analytic, numeric):
    if isinstance(analytic, dict) and isinstance(numeric, dict):
        if set(analytic) != set(numeric):
            raise ValueError(
                f"Cannot compare gradients with different names: {sorted(analytic)} and {sorted(numeric)}."
            )
    elif isinstance(analytic, list) and isinstance(numeric, list):
        if len(analytic) != len(numeric):
            raise ValueError(f"Cannot compare gradients of {len(analytic)} and {len(numeric)} layers.")
        for analytic_layer, numeric_layer in zip(analytic, numeric):
            _check_same_names(analytic_layer, numeric_layer)
    elif isinstance(analytic, (dict, list)) or isinstance(numeric, (dict, list)):
        raise ValueError(f"Cannot compare a {type(analytic).__name__} of gradients with a {type(numeric).__name__}.")
