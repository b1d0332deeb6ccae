"""Parameter updates: plain SGD, Adam, gradient clipping and the learning-rate schedule.

``sgd_step`` and ``clip_by_global_norm`` are derived in ``04_bptt_loop``; Adam and
``linear_schedule`` in ``06_training_loop``.
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

    Notes
    -----
    Used from ``04_bptt_loop`` on.
    """
    _check_matching(params, grads)
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
    if not max_norm > 0:
        raise ValueError(f"max_norm must be a positive number (or None for no clipping); got {max_norm}.")
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

    ``step(params, grads)`` returns new parameters and keeps the running moments,
    matched to the parameters by layer and name (the order of a dict's keys does not
    matter). All parameters are updated as one flat vector: the same arithmetic as one
    update per array, in a handful of NumPy calls (mini-batch training is call-bound).
    ``lr`` may be changed between steps (a learning-rate schedule).

    Notes
    -----
    Derived in ``06_training_loop``.
    """

    def __init__(self, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.first_moment = self.second_moment = None
        self.steps = 0
        self._slices = None  # (layer, name) -> (start, stop) in the flat moment vectors

    def step(self, params, grads, *, validate=True):
        """Return the parameters after one Adam update (same structure as ``params``).

        ``validate=False`` skips checking that ``grads`` fits ``params`` and the
        parameters of earlier steps (for a training loop that builds both itself).
        """
        layers, grad_layers = _as_list(params), _as_list(grads)
        if validate:
            if len(layers) != len(grad_layers):
                raise ValueError(f"params has {len(layers)} layer(s) but grads has {len(grad_layers)}.")
            for layer, layer_grads in zip(layers, grad_layers):
                _check_matching(layer, layer_grads)
        if self._slices is None:
            self._slices, offset = {}, 0
            for index, layer in enumerate(layers):
                for name, value in layer.items():
                    self._slices[index, name] = (offset, offset + np.size(value))
                    offset += np.size(value)
            self.first_moment, self.second_moment = np.zeros(offset), np.zeros(offset)
        elif validate:
            sizes = {(index, name): np.size(value) for index, layer in enumerate(layers)
                     for name, value in layer.items()}
            if sizes != {key: stop - start for key, (start, stop) in self._slices.items()}:
                raise ValueError("This Adam was used for parameters of a different size or with other "
                                 "names; create a new one.")
        flat_grad = np.concatenate([grad_layers[index][name].ravel() for index, name in self._slices])
        self.steps += 1
        self.first_moment = self.beta1 * self.first_moment + (1 - self.beta1) * flat_grad
        self.second_moment = self.beta2 * self.second_moment + (1 - self.beta2) * flat_grad**2
        first = self.first_moment / (1 - self.beta1**self.steps)
        second = self.second_moment / (1 - self.beta2**self.steps)
        flat_step = self.lr * first / (np.sqrt(second) + self.eps)

        updated = []
        for index, layer in enumerate(layers):
            new_layer = {}
            for name, value in layer.items():
                start, stop = self._slices[index, name]
                new_layer[name] = value - flat_step[start:stop].reshape(value.shape)
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
