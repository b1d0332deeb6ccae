"""Mini-batch training of a (stacked) RNN.

``python -m rnn_helpers.train`` runs it from the command line (``rnn_helpers.cli``).
Ctrl-C (or JupyterLab's stop button) stops training after the current batch and
keeps what was learned. Derived in ``06_training_loop``.
"""

import signal
import sys
import threading
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import trange

from . import _validate
from .optim import Adam, clip_by_global_norm, linear_schedule, sgd_step
from .stack import init_stack, stack_backward, stack_forward


@dataclass
class TrainResult:
    """A trained stack plus what it takes to use it.

    ``history`` holds one MSE per epoch (in squared target units, e.g. degrees F
    squared) for ``"train"`` and ``"valid"``, scored on the last step of every window
    with the parameters at the end of that epoch. ``interrupted`` is True when
    training was stopped early (Ctrl-C); the last history entry then scores the
    parameters after the last batch done, even if that epoch was cut short. Those are
    the parameters returned, unless ``restore_best=True`` returned an earlier epoch's
    (``best_epoch``).

    Notes
    -----
    Returned by ``train()``, which is derived in ``06_training_loop``.
    """

    layers: list
    target_mean: float
    target_std: float
    activation: str = "tanh"
    history: dict = field(default_factory=lambda: {"train": [], "valid": []})
    best_epoch: int = -1
    interrupted: bool = False

    def predict(self, x):
        """Predictions in the target's own units, shape (N, T, O) for x (N, T, F)."""
        scaled, _ = stack_forward(x, self.layers, self.activation)
        return scaled * self.target_std + self.target_mean

    def score(self, x, y):
        """MSE of the last step of every window, in squared target units.

        ``y`` must have the shape of the predictions, (N, T, O), as ``make_windows``
        builds it.
        """
        predicted = self.predict(x)
        y = np.asarray(y, dtype=float)
        if y.shape != predicted.shape:
            raise ValueError(
                f"y must have the shape of the predictions for x, {predicted.shape} (N, T, O); got "
                f"{y.shape}. make_windows(inputs, targets, length) builds matching x and y."
            )
        return float(np.mean((predicted[:, -1] - y[:, -1]) ** 2))


def train(
    train_x,
    train_y,
    valid_x=None,
    valid_y=None,
    *,
    hidden_sizes=(8,),
    epochs=20,
    batch_size=16,
    optimizer="adam",
    lr=0.02,
    schedule="linear",
    seed=0,
    clip_norm=1.0,
    activation="tanh",
    progress=False,
    restore_best=False,
    on_epoch_end=None,
):
    """Train a stack of RNN layers with mini-batches and report losses per epoch.

    Parameters
    ----------
    train_x, valid_x : ndarray, shape (N, T, F)
        Windows of (scaled) inputs. ``valid_x`` and ``valid_y`` go together.
    train_y, valid_y : ndarray, shape (N, T, O)
        Targets in their own units; scaled internally by the training mean and std.
    hidden_sizes : sequence of int
        Hidden units per layer; ``(16, 16)`` is a two-layer stack.
    epochs, batch_size : int
        Passes over the training windows, and windows per update (both at least 1).
    optimizer : {"adam", "sgd"}
    lr : float
        Learning rate (the starting one, with ``schedule="linear"``); positive.
    schedule : {"linear", "constant"}
        ``"linear"`` lowers the learning rate after every batch, in a straight line
        from ``lr`` to zero at the end of the last epoch: big steps while far from a
        minimum, small ones to settle into it.
    seed : int
        Draws the initial parameters and the order of the windows in every epoch.
    clip_norm : float or None
        Rescale a batch's gradient when its global norm exceeds this (positive).
    progress : bool
        Show a progress bar (``tqdm.auto``: a widget in JupyterLab).
    restore_best : bool
        Return the parameters of the epoch with the lowest validation MSE (training
        MSE without validation data) instead of the last ones.
    on_epoch_end : callable, optional
        Called as ``on_epoch_end(epoch, history)`` after every epoch (0-based).

    Returns
    -------
    TrainResult
        Ctrl-C (SIGINT, also JupyterLab's stop button) stops training after the
        current batch: the result so far is returned with ``interrupted=True`` and a
        one-line notice on stderr. A second Ctrl-C stops at once, with the same result.

    Notes
    -----
    The objective is 0.5 * mean((prediction - target)**2) over every step of every
    window in a batch, in scaled units; its gradient is ``(outputs - y) / size``.
    Derived in ``06_training_loop``.
    """
    _validate.training_settings(
        hidden_sizes, epochs, batch_size, optimizer, lr, schedule, seed, clip_norm, activation, on_epoch_end
    )
    train_x, train_y, valid_x, valid_y = _validate.training_windows(train_x, train_y, valid_x, valid_y)
    has_valid = valid_x is not None
    target_mean, target_std = float(train_y.mean()), float(train_y.std()) or 1.0
    scaled_y = (train_y - target_mean) / target_std
    result = TrainResult(
        init_stack(train_x.shape[2], hidden_sizes, train_y.shape[2], seed), target_mean, target_std, activation
    )
    update = _Update(optimizer, lr, schedule, total_steps=epochs * -(-len(train_x) // batch_size))
    shuffle = np.random.default_rng(seed)
    best_loss, best_layers = np.inf, result.layers
    epoch_range = trange(epochs, desc="epochs") if progress else range(epochs)
    stop = _StopRequest()
    try:
        # Overflow in a diverging run is reported once per epoch (_stop_if_diverged).
        with stop, np.errstate(over="ignore", invalid="ignore"), one_blas_thread():
            for epoch in epoch_range:
                order = shuffle.permutation(len(train_x))  # once per epoch: every batch is a slice
                result.layers = train_epoch(
                    result.layers, train_x[order], scaled_y[order], batch_size, update, clip_norm, activation, stop
                )
                if stop.requested:
                    break
                _score_into(result, train_x, train_y, valid_x, valid_y)
                _stop_if_diverged(result.history, epoch, lr)
                if progress:
                    epoch_range.set_postfix(
                        train=f"{result.history['train'][-1]:.2f}", valid=f"{result.history['valid'][-1]:.2f}"
                    )
                watched = result.history["valid" if has_valid else "train"][-1]
                if watched < best_loss:
                    best_loss, best_layers, result.best_epoch = watched, result.layers, epoch
                if on_epoch_end is not None:
                    on_epoch_end(epoch, result.history)
                if stop.requested:
                    break
    except KeyboardInterrupt:  # a second Ctrl-C, or one outside the main thread
        stop.requested = True
    finally:
        if progress:
            epoch_range.close()
    if stop.requested:
        _finish_interrupted(
            result, train_x, train_y, valid_x, valid_y, update.steps_done, -(-len(train_x) // batch_size), epochs
        )
        watched = result.history["valid" if has_valid else "train"]
        if watched and watched[-1] < best_loss:
            best_loss, best_layers, result.best_epoch = watched[-1], result.layers, len(watched) - 1
    if restore_best:
        result.layers = best_layers
    return result


def train_epoch(layers, x, y, batch_size, update, clip_norm, activation="tanh", stop=None):
    """One pass over the (shuffled) windows, one update per mini-batch; returns the new layers.

    Each batch: forward, the gradient of 0.5 * mean((outputs - y)**2), backward,
    clipping by the global norm, the update. ``stop.requested`` ends the pass early.
    """
    for start in range(0, len(x), batch_size):
        batch_x, batch_y = x[start : start + batch_size], y[start : start + batch_size]
        outputs, cache = stack_forward(batch_x, layers, activation)
        grads = stack_backward(cache, (outputs - batch_y) / outputs.size, layers, activation)
        layers = update(layers, clip_by_global_norm(grads, clip_norm))
        if stop is not None and stop.requested:
            break
    return layers


class _Update:
    """The update rule of ``train()``: Adam or SGD, the learning rate from the schedule."""

    def __init__(self, optimizer, lr, schedule, total_steps):
        self.adam = Adam(lr) if optimizer == "adam" else None
        self.lr, self.schedule, self.total_steps, self.steps_done = lr, schedule, total_steps, 0

    def __call__(self, layers, grads):
        step_lr = linear_schedule(self.lr, self.steps_done, self.total_steps) if self.schedule == "linear" else self.lr
        self.steps_done += 1
        if self.adam is None:
            return [sgd_step(layer, layer_grads, step_lr) for layer, layer_grads in zip(layers, grads)]
        self.adam.lr = step_lr
        return self.adam.step(layers, grads)


def one_blas_thread():
    """A context in which BLAS (behind NumPy's ``@``) uses one thread.

    Training multiplies small matrices, thousands of times: extra BLAS threads only
    add start-up and waiting (and, on a busy machine, compete with the loop for the
    cores), which made training about twice as slow on two cores. The numbers are
    the same either way.
    """
    return threadpool_limits(limits=1, user_api="blas")


def _score_into(result, train_x, train_y, valid_x, valid_y):
    with np.errstate(over="ignore", invalid="ignore"):
        scores = (result.score(train_x, train_y), result.score(valid_x, valid_y) if valid_x is not None else np.nan)
    result.history["train"].append(scores[0])
    result.history["valid"].append(scores[1])


def _finish_interrupted(result, train_x, train_y, valid_x, valid_y, steps_done, steps_per_epoch, epochs):
    """Make the history end with the scores of the parameters returned, and say so."""
    history = result.history
    complete = min(len(history["train"]), len(history["valid"]))
    del history["train"][complete:], history["valid"][complete:]
    if complete == 0 or complete * steps_per_epoch != steps_done:
        _score_into(result, train_x, train_y, valid_x, valid_y)
    result.interrupted = True
    epoch, batch = divmod(steps_done, steps_per_epoch)
    where = (
        f"after epoch {epoch} of {epochs}"
        if batch == 0
        else f"during epoch {epoch + 1} of {epochs}, after batch {batch} of {steps_per_epoch}"
    )
    print(f"train: interrupted {where}; returning the model and history so far.", file=sys.stderr)


class _StopRequest:
    """While active, the first Ctrl-C (SIGINT) only asks training to stop after the current batch.

    Only the main thread can set a signal handler; elsewhere, and when SIGINT is
    ignored, nothing changes (train() still catches KeyboardInterrupt).
    """

    def __init__(self):
        self.requested = False
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            previous = signal.getsignal(signal.SIGINT)
            if previous not in (signal.SIG_IGN, None):
                signal.signal(signal.SIGINT, self._request)
                self._previous = previous
        return self

    def _request(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc_info):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        return False


def _stop_if_diverged(history, epoch, lr):
    latest = [history["train"][-1], history["valid"][-1]]
    if any(np.isinf(loss) for loss in latest) or np.isnan(latest[0]):
        raise FloatingPointError(
            f"Training diverged at epoch {epoch}: the training loss is {latest[0]}. Try "
            f"a smaller learning rate than lr={lr} (for example {lr / 10:g}) or set clip_norm."
        )


if __name__ == "__main__":  # python -m rnn_helpers.train: the command line of rnn_helpers.cli
    from .cli import main

    sys.exit(main())
