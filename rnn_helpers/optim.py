"""Parameter updates: plain SGD and Adam.

``sgd_step`` is derived in ``04_bptt_loop``; Adam is used in ``05_full_training``.
"""

import numpy as np


def sgd_step(params, grads, lr):
    """Return ``params - lr * grads`` for every key; the inputs are left unchanged.

    Parameters
    ----------
    params, grads : dict of ndarray
        Same keys and shapes (``grads`` from ``rnn_backward``).
    lr : float
        Learning rate.
    """
    _check_matching(params, grads)
    return {name: params[name] - lr * grads[name] for name in params}


class Adam:
    """Adam (Kingma & Ba, 2015) for a dict of arrays, or a list of such dicts.

    ``step(params, grads)`` returns new parameters and keeps the running moments.
    """

    def __init__(self, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.moments = None
        self.steps = 0

    def step(self, params, grads):
        """Return the parameters after one Adam update (same structure as ``params``)."""
        layers, grad_layers = _as_list(params), _as_list(grads)
        if self.moments is None:
            self.moments = [
                {name: (np.zeros_like(value), np.zeros_like(value)) for name, value in layer.items()}
                for layer in layers
            ]
        self.steps += 1
        first_correction = 1 - self.beta1**self.steps
        second_correction = 1 - self.beta2**self.steps
        updated = []
        for layer, layer_grads, layer_moments in zip(layers, grad_layers, self.moments, strict=True):
            _check_matching(layer, layer_grads)
            new_layer = {}
            for name, value in layer.items():
                first, second = layer_moments[name]
                first = self.beta1 * first + (1 - self.beta1) * layer_grads[name]
                second = self.beta2 * second + (1 - self.beta2) * layer_grads[name] ** 2
                layer_moments[name] = (first, second)
                step = (first / first_correction) / (np.sqrt(second / second_correction) + self.eps)
                new_layer[name] = value - self.lr * step
            updated.append(new_layer)
        return updated if isinstance(params, list) else updated[0]


def _as_list(params):
    return params if isinstance(params, list) else [params]


def _check_matching(params, grads):
    if set(params) != set(grads):
        raise ValueError(f"params has keys {sorted(params)} but grads has {sorted(grads)}.")
    for name in params:
        if np.shape(params[name]) != np.shape(grads[name]):
            raise ValueError(
                f"The gradient for {name} has shape {np.shape(grads[name])}, the "
                f"parameter {np.shape(params[name])}; they must match."
            )
