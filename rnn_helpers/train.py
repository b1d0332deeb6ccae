"""Mini-batch training of a (stacked) RNN, and the command line that runs it.

Usage::

    uv run python -m rnn_helpers.train --hidden 16 --epochs 30
    uv run python -m rnn_helpers.train --data my_weather.csv --json

Ctrl-C (or JupyterLab's stop button) stops training after the current batch and
keeps what was learned. Derived in ``06_training_loop``.
"""

import argparse
import inspect
import json
import math
import signal
import sys
import threading
from dataclasses import dataclass, field
from numbers import Integral, Real
from pathlib import Path

import numpy as np

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


def train(train_x, train_y, valid_x=None, valid_y=None, *, hidden_sizes=(8,), epochs=20,
          batch_size=16, optimizer="adam", lr=0.02, schedule="linear", seed=0, clip_norm=1.0,
          activation="tanh", progress=False, restore_best=False, on_epoch_end=None):
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
    window in a batch, in scaled units; its gradient is ``mse_grad / size``.
    Derived in ``06_training_loop``.
    """
    _check_settings(hidden_sizes, epochs, batch_size, optimizer, lr, schedule, seed, clip_norm,
                    activation, on_epoch_end)
    train_x, train_y = _check_windows(train_x, train_y, "train")
    if (valid_x is None) != (valid_y is None):
        raise ValueError("Pass valid_x and valid_y together (or neither): one of them is missing.")
    has_valid = valid_x is not None
    if has_valid:
        valid_x, valid_y = _check_windows(valid_x, valid_y, "valid", train_x.shape[2], train_y.shape[2])
    target_mean, target_std = float(train_y.mean()), float(train_y.std()) or 1.0
    scaled_y = (train_y - target_mean) / target_std
    result = TrainResult(init_stack(train_x.shape[2], hidden_sizes, train_y.shape[2], seed),
                         target_mean, target_std, activation)
    adam, shuffle = Adam(lr), np.random.default_rng(seed)
    best_loss, best_layers = np.inf, result.layers
    batch_starts = range(0, len(train_x), batch_size)
    total_steps, steps_done = epochs * len(batch_starts), 0
    epoch_range = _progress_range(epochs) if progress else range(epochs)
    stop = _StopRequest()
    try:
        # Overflow in a diverging run is reported once per epoch (_stop_if_diverged).
        with stop, np.errstate(over="ignore", invalid="ignore"), one_blas_thread():
            for epoch in epoch_range:
                # Shuffled once per epoch, so that every batch is a contiguous slice.
                order = shuffle.permutation(len(train_x))
                shuffled_x, shuffled_y = train_x[order], scaled_y[order]
                for start in batch_starts:
                    batch_x, batch_y = shuffled_x[start:start + batch_size], shuffled_y[start:start + batch_size]
                    step_lr = linear_schedule(lr, steps_done, total_steps) if schedule == "linear" else lr
                    # The data was checked once above; skip the per-batch checks.
                    outputs, cache = stack_forward(batch_x, result.layers, activation, validate=False)
                    output_grad = (outputs - batch_y) / outputs.size
                    grads = stack_backward(cache, output_grad, result.layers, activation, validate=False)
                    grads = clip_by_global_norm(grads, clip_norm)
                    adam.lr = step_lr
                    result.layers = adam.step(result.layers, grads, validate=False) if optimizer == "adam" else [
                        sgd_step(layer, layer_grads, step_lr) for layer, layer_grads in zip(result.layers, grads)]
                    steps_done += 1
                    if stop.requested:
                        break
                if stop.requested:
                    break
                _score_into(result, train_x, train_y, valid_x, valid_y)
                _stop_if_diverged(result.history, epoch, lr)
                if progress:
                    epoch_range.set_postfix(train=f"{result.history['train'][-1]:.2f}",
                                            valid=f"{result.history['valid'][-1]:.2f}")
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
        _finish_interrupted(result, train_x, train_y, valid_x, valid_y, steps_done, len(batch_starts), epochs)
        watched = result.history["valid" if has_valid else "train"]
        if watched and watched[-1] < best_loss:
            best_loss, best_layers, result.best_epoch = watched[-1], result.layers, len(watched) - 1
    if restore_best:
        result.layers = best_layers
    return result


def one_blas_thread():
    """A context in which BLAS (behind NumPy's ``@``) uses one thread.

    Training multiplies small matrices, thousands of times: extra BLAS threads only
    add start-up and waiting (and, on a busy machine, compete with the loop for the
    cores), which made training about twice as slow on two cores. The numbers are
    the same either way.
    """
    from threadpoolctl import threadpool_limits

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
    where = (f"after epoch {epoch} of {epochs}" if batch == 0 else
             f"during epoch {epoch + 1} of {epochs}, after batch {batch} of {steps_per_epoch}")
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


def _check_settings(hidden_sizes, epochs, batch_size, optimizer, lr, schedule, seed, clip_norm, activation,
                    on_epoch_end):
    from .rnn import get_activation

    def whole(value):
        return isinstance(value, Integral) and not isinstance(value, bool)

    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"Unknown optimizer {optimizer!r}. Use 'adam' or 'sgd'.")
    if schedule not in ("linear", "constant"):
        raise ValueError(f"Unknown schedule {schedule!r}. Use 'linear' or 'constant'.")
    get_activation(activation)
    if isinstance(hidden_sizes, (str, bytes)) or not hasattr(hidden_sizes, "__iter__") or not all(
            whole(size) and size >= 1 for size in hidden_sizes) or len(list(hidden_sizes)) == 0:
        raise ValueError(f"hidden_sizes must be a sequence of positive whole numbers, one per layer, such as "
                         f"(8,) or (16, 16); got {hidden_sizes!r}.")
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if not whole(value) or value < 1:
            raise ValueError(f"{name} must be a whole number of at least 1; got {value!r}.")
    if not isinstance(lr, Real) or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a positive finite number such as 0.02; got {lr!r}.")
    if clip_norm is not None and (not isinstance(clip_norm, Real) or not math.isfinite(clip_norm)
                                  or clip_norm <= 0):
        raise ValueError(f"clip_norm must be a positive number such as 1.0, or None for no clipping; "
                         f"got {clip_norm!r}.")
    if not whole(seed):
        raise ValueError(f"seed must be a whole number (the same seed gives the same run); got {seed!r}.")
    if on_epoch_end is not None and not callable(on_epoch_end):
        raise ValueError(f"on_epoch_end must be a function of (epoch, history); got {on_epoch_end!r}.")


def _check_windows(x, y, name, n_inputs=None, n_outputs=None):
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


def _stop_if_diverged(history, epoch, lr):
    latest = [history["train"][-1], history["valid"][-1]]
    if any(np.isinf(loss) for loss in latest) or np.isnan(latest[0]):
        raise FloatingPointError(
            f"Training diverged at epoch {epoch}: the training loss is {latest[0]}. Try "
            f"a smaller learning rate than lr={lr} (for example {lr / 10:g}) or set clip_norm."
        )


def _progress_range(epochs):
    from tqdm.auto import trange

    return trange(epochs, desc="epochs")


def run(args, log=None):
    """Train on ``args.data`` (or the bundled data) and return every figure as a dict.

    ``log(text)`` receives the epoch log as training goes (every tenth of the epochs,
    and always the last one). In the returned dict, ``history`` has one entry per
    epoch, ``best_epoch`` is the 0-based index of the lowest validation MSE, and the
    ``mse``/``rmse`` of ``"rnn"`` are those of the returned (last) model, the same
    model as the last history entry.
    """
    return _run(args, log)[0]


def _run(args, log=None):
    """``run``, also returning the TrainResult and the windows (for the plot)."""
    with one_blas_thread():
        return _run_with(args, log)


def _run_with(args, log):
    from .baselines import baseline_scores
    from .data import load_weather, weather_windows

    if args.data is not None and not Path(args.data).is_file():
        raise FileNotFoundError(
            f"No weather file at '{args.data}'. Pass the path of a CSV with the columns date, "
            "tmax, tmin, rain, or omit --data to use the bundled Seattle data."
        )
    frame = load_weather(args.data, verbose=not args.json)
    try:
        windows, scaler = weather_windows(frame, length=args.window)
    except ValueError as error:
        raise ValueError(f"{args.data or 'the bundled data'}: {error}") from None
    every = max(1, args.epochs // 10)

    def log_epoch(epoch, history):
        if log is not None and (epoch % every == 0 or epoch == args.epochs - 1):
            log(_epoch_line(epoch, args.epochs, history))

    result = train(*windows["train"], *windows["valid"], hidden_sizes=[args.hidden] * args.layers,
                   epochs=args.epochs, batch_size=args.batch_size, optimizer=args.optimizer,
                   lr=args.lr, schedule=args.schedule, seed=args.seed, progress=args.progress,
                   on_epoch_end=log_epoch)
    if result.interrupted and log is not None:
        log(_epoch_line(len(result.history["train"]) - 1, args.epochs, result.history, interrupted=True))
    scores = {"rnn": {part: result.score(x, y) for part, (x, y) in windows.items()}}
    scores.update(baseline_scores(windows, scaler))
    return {
        "data": str(args.data or "bundled Seattle data"),
        "days": len(frame),
        "epochs_done": len(result.history["train"]),
        "interrupted": result.interrupted,
        "best_epoch": result.best_epoch,
        "history": result.history,
        "mse": scores,
        "rmse": {model: {part: float(np.sqrt(mse)) for part, mse in parts.items()}
                 for model, parts in scores.items()},
    }, result, windows


def _epoch_line(epoch, epochs, history, interrupted=False):
    label = f"epoch {epoch + 1:>{len(str(epochs))}}/{epochs}" + (" (interrupted)" if interrupted else "")
    return f"{label:<14}  train MSE {history['train'][epoch]:8.2f} °F²  valid MSE {history['valid'][epoch]:8.2f} °F²"


def format_table(report):
    """The final table: MSE (degrees F squared) and RMSE (degrees F) per model and part."""
    parts = ("train", "valid", "test")
    lines = [f"{'':<28}{'MSE (°F²)':^30}  {'RMSE (°F)':^30}",
             f"{'model':<28}" + "".join(f"{part:>10}" for part in parts) + "  "
             + "".join(f"{part:>10}" for part in parts)]
    for model, mse in report["mse"].items():
        lines.append(f"{model:<28}" + "".join(f"{mse[part]:>10.2f}" for part in parts) + "  "
                     + "".join(f"{report['rmse'][model][part]:>10.2f}" for part in parts))
    return "\n".join(lines)


def _summary(report, epochs):
    history, done, best = report["history"], report["epochs_done"], report["best_epoch"]
    state = f"epoch {done}/{epochs}" + (", interrupted" if report["interrupted"] else "")
    text = f"The table is for the model at the end of training ({state}), the same model as the last log line"
    if best >= 0:
        text += f"; the lowest validation MSE, {history['valid'][best]:.2f} °F², was at epoch {best + 1}"
    return text + "."


def build_parser():
    """The command line's options; every default comes from ``train()``'s signature."""
    defaults = {name: parameter.default for name, parameter in inspect.signature(train).parameters.items()}
    parser = argparse.ArgumentParser(
        prog="python -m rnn_helpers.train",
        description="Train the NumPy RNN to predict tomorrow's maximum temperature (°F). "
                    "Ctrl-C stops training after the current batch and prints the results so far.")
    parser.add_argument("--data", metavar="CSV",
                        help="daily weather: date (YYYY-MM-DD), tmax, tmin, rain; one row per day "
                             "(default: the bundled Seattle data)")
    parser.add_argument("--hidden", type=int, default=defaults["hidden_sizes"][0],
                        help="hidden units per layer (default: %(default)s)")
    parser.add_argument("--layers", type=int, default=len(defaults["hidden_sizes"]),
                        help="stacked layers (default: %(default)s)")
    parser.add_argument("--window", type=int, default=7, help="window length in days (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=defaults["epochs"], help="passes over the training "
                        "windows (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=defaults["batch_size"],
                        help="windows per batch (default: %(default)s)")
    parser.add_argument("--optimizer", choices=["adam", "sgd"], default=defaults["optimizer"],
                        help="(default: %(default)s)")
    parser.add_argument("--lr", type=float, default=defaults["lr"],
                        help="(starting) learning rate (default: %(default)s)")
    parser.add_argument("--schedule", choices=["linear", "constant"], default=defaults["schedule"],
                        help="learning rate: falls linearly to zero, or stays constant (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=defaults["seed"],
                        help="initial parameters and window order (default: %(default)s)")
    parser.add_argument("--json", action="store_true",
                        help="print the figures as JSON on the last line of stdout; the epoch log goes to "
                             "stderr (default: a table)")
    parser.add_argument("--plot", metavar="FILE",
                        help="also save loss curves and test predictions, e.g. curves.png (default: no plot)")
    parser.add_argument("--progress", action="store_true", help="show a progress bar (default: off)")
    return parser


def parse_args(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("hidden", "layers", "window", "epochs", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not (args.lr > 0 and math.isfinite(args.lr)):
        parser.error("--lr must be a positive number")
    if args.plot is not None:
        problem = _plot_path_problem(Path(args.plot))
        if problem:
            parser.error(f"--plot {args.plot}: {problem}")
    return args


def _plot_path_problem(path):
    """Why a figure cannot be saved at ``path`` (checked before training), or None."""
    if path.is_dir():
        return f"is a folder; give a file name such as {path / 'curves.png'}"
    if not path.parent.is_dir():
        return f"the folder '{path.parent}' does not exist; create it first or choose another file"
    formats = ("png", "pdf", "svg", "jpg", "jpeg")
    if path.suffix.lower().lstrip(".") not in formats:
        return f"the file name must end in one of {', '.join('.' + name for name in formats)}"
    existed = path.exists()
    try:
        with open(path, "ab"):
            pass
    except OSError as error:
        return f"cannot be written ({error.strerror}); choose a file in a folder you can write to"
    if not existed:
        path.unlink()
    return None


def main(argv=None):
    args = parse_args(argv)
    log_stream = sys.stderr if args.json else sys.stdout
    try:
        report, result, windows = _run(args, log=lambda line: print(line, file=log_stream, flush=True))
    except (ValueError, FileNotFoundError, FloatingPointError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted before training finished: nothing to report.", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(report), flush=True)
    else:
        print(f"\n{_summary(report, args.epochs)}\n")
        print(format_table(report), flush=True)
    if args.plot:
        try:
            from .plots import save_training_report

            save_training_report(result, windows["test"], args.plot)
        except (OSError, ValueError) as error:
            print(f"error: the figures above are complete, but the plot could not be saved to "
                  f"{args.plot}: {error}", file=sys.stderr)
            return 1
    return 130 if report["interrupted"] else 0


if __name__ == "__main__":
    sys.exit(main())
