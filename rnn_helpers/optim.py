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
    All parameters are updated as one flat vector: the same arithmetic as one update
    per array, in a handful of NumPy calls (mini-batch training is call-bound).
    ``lr`` may be changed between steps (a learning-rate schedule).
    """

    def __init__(self, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.first_moment = self.second_moment = None
        self.steps = 0

    def step(self, params, grads):
        """Return the parameters after one Adam update (same structure as ``params``)."""
        layers, grad_layers = _as_list(params), _as_list(grads)
        if len(layers) != len(grad_layers):
            raise ValueError(f"params has {len(layers)} layer(s) but grads has {len(grad_layers)}.")
        for layer, layer_grads in zip(layers, grad_layers):
            _check_matching(layer, layer_grads)
        flat_grad = np.concatenate([layer_grads[name].ravel()
                                    for layer, layer_grads in zip(layers, grad_layers) for name in layer])
        if self.first_moment is None:
            self.first_moment, self.second_moment = np.zeros_like(flat_grad), np.zeros_like(flat_grad)
        if flat_grad.shape != self.first_moment.shape:
            raise ValueError("This Adam was used for parameters of a different size; create a new one.")
        self.steps += 1
        self.first_moment = self.beta1 * self.first_moment + (1 - self.beta1) * flat_grad
        self.second_moment = self.beta2 * self.second_moment + (1 - self.beta2) * flat_grad**2
        first = self.first_moment / (1 - self.beta1**self.steps)
        second = self.second_moment / (1 - self.beta2**self.steps)
        flat_step = self.lr * first / (np.sqrt(second) + self.eps)

        updated, offset = [], 0
        for layer in layers:
            new_layer = {}
            for name, value in layer.items():
                new_layer[name] = value - flat_step[offset:offset + value.size].reshape(value.shape)
                offset += value.size
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
