"""Squared-error loss and the gradient the backward pass starts from.

Derived in ``03_manual_backprop``.
"""

import numpy as np


def mse(actual, predicted):
    """Mean squared error, ``mean((actual - predicted)**2)``, in squared target units.

    Introduced in ``03_manual_backprop``, with ``half_sse`` and its gradient ``half_sse_grad``.
    """
    actual, predicted = _same_shape(actual, predicted)
    return float(np.mean((actual - predicted) ** 2))


def half_sse_grad(actual, predicted):
    """``predicted - actual``: the gradient of ``half_sse`` wrt the predictions.

    This is the output gradient this series backpropagates. It is not the gradient of
    ``mse``: the mean's 2/n factor is left out. Shape: the same as ``predicted``.

    Notes
    -----
    Derived in ``03_manual_backprop``.
    """
    actual, predicted = _same_shape(actual, predicted)
    return predicted - actual


mse_grad = half_sse_grad
"""The name the design and the notebooks use for ``half_sse_grad`` (the same function)."""


def half_sse(actual, predicted):
    """``0.5 * sum((predicted - actual)**2)``: the objective whose gradient is ``half_sse_grad``.

    Derived in ``03_manual_backprop``.
    """
    actual, predicted = _same_shape(actual, predicted)
    return 0.5 * float(np.sum((predicted - actual) ** 2))


def _same_shape(actual, predicted):
    actual = np.asarray(actual, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    if actual.shape != predicted.shape:
        raise ValueError(
            f"actual has shape {actual.shape} but predicted has {predicted.shape}; they "
            "must match element for element (reshape, e.g. actual.reshape(predicted.shape))."
        )
    return actual, predicted
