"""Parameter updates: plain SGD, Adam, gradient clipping and the learning-rate schedule.

``sgd_step`` and ``clip_by_global_norm`` are derived in ``04_bptt_loop``; Adam and
``linear_schedule`` in ``06_training_loop``.
"""

import numpy as np

from . import _validate


def sgd_step(params, grads, lr):
    """Return ``params - lr * grads`` for every key; the inputs are left unchanged.

    Parameters
    ----------
    params, grads : dict of ndarray
        Same keys and shapes (``grads`` from ``rnn_backward``).
    lr : float
        Learning rate.

    Notes
    -----
    Used from ``04_bptt_loop`` on.
    """
    _validate.matching(params, grads)
    return {name: params[name] - lr * grads[name] for name in params}


def clip_by_global_norm(grads, max_norm):
    """Rescale gradients so that their global norm is at most ``max_norm``.

    ``g <- g * min(1, max_norm / ||g||)`` where ``||g||`` is the Euclidean norm of
    every entry of every array together; the direction is kept.

    Parameters
    ----------
    grads : dict of ndarray, or list of such dicts (stacked layers)
    max_norm : float or None
        ``None`` returns ``grads`` unchanged.

    Returns
    -------
    Same structure as ``grads`` (the input itself when no rescaling is needed; a
    NaN norm is left alone so that a diverging run is reported, not hidden).

    Notes
    -----
    Derived in ``04_bptt_loop``.
    """
    if max_norm is None:
        return grads
    _validate.positive_number(max_norm, "max_norm", 1.0, none_means="no clipping")
    layers = _as_list(grads)
    norm = np.sqrt(sum(float(np.vdot(g, g)) for layer in layers for g in layer.values()))
    if not norm > max_norm:
        return grads
    clipped = [{name: g * (max_norm / norm) for name, g in layer.items()} for layer in layers]
    return clipped if isinstance(grads, list) else clipped[0]


def linear_schedule(lr, step, total_steps):
    """Learning rate for update ``step`` (0-based) of ``total_steps``, falling linearly to zero.

    ``lr * (1 - step / total_steps)``: ``lr`` at the first update, ``lr / total_steps``
    at the last.

    Parameters
    ----------
    lr : float
        The rate at the first update.
    step : int
        The update about to be made, 0 to ``total_steps - 1``.
    total_steps : int
        Updates in the whole run (batches per epoch times epochs).

    Returns
    -------
    float
        The rate for this update.

    Notes
    -----
    Derived in ``06_training_loop``.
    """
    return lr * (1 - step / total_steps)


class Adam:
    """Adam (Kingma & Ba, 2015) for a dict of arrays, or a list of such dicts.

    ``step(params, grads)`` returns new parameters and keeps the running moments
    ``m`` and ``v`` of every array, matched to the parameters by layer and name.
    ``lr`` may be changed between steps (a learning-rate schedule).

    Notes
    -----
    Derived in ``06_training_loop``.
    """

    def __init__(self, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m = self.v = None  # per layer, a dict of running moments
        self.t = 0  # updates made

    def step(self, params, grads):
        """Return the parameters after one Adam update (same structure as ``params``)."""
        layers, grad_layers = _as_list(params), _as_list(grads)
        _validate.matching_layers(layers, grad_layers)
        if self.m is None:
            self.m = [{name: np.zeros_like(value, dtype=float) for name, value in layer.items()} for layer in layers]
            self.v = [{name: np.zeros_like(value, dtype=float) for name, value in layer.items()} for layer in layers]
        else:
            _validate.same_shapes(self.m, layers)
        self.t += 1
        updated = []
        for layer, layer_grads, m, v in zip(layers, grad_layers, self.m, self.v):
            new_layer = {}
            for name, g in layer_grads.items():
                m[name] = self.beta1 * m[name] + (1 - self.beta1) * g
                v[name] = self.beta2 * v[name] + (1 - self.beta2) * g**2
                m_hat, v_hat = m[name] / (1 - self.beta1**self.t), v[name] / (1 - self.beta2**self.t)
                new_layer[name] = layer[name] - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
            updated.append(new_layer)
        return updated if isinstance(params, list) else updated[0]


def _as_list(params):
    return params if isinstance(params, list) else [params]
