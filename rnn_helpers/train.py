"""Mini-batch training of a (stacked) RNN, and the command line that runs it.

Usage::

    uv run python -m rnn_helpers.train --hidden 16 --epochs 30
    uv run python -m rnn_helpers.train --data my_weather.csv --json

Derived in ``05_full_training``.
"""

import argparse
import inspect
import json
import sys
from dataclasses import dataclass, field

import numpy as np

from .optim import Adam, clip_by_global_norm, linear_schedule, sgd_step
from .stack import init_stack, stack_backward, stack_forward


@dataclass
class TrainResult:
    """A trained stack plus what it takes to use it.

    ``history`` holds one MSE per epoch (in squared target units, e.g. degrees F
    squared) for ``"train"`` and ``"valid"``, scored on the last step of every window.
    """

    layers: list
    target_mean: float
    target_std: float
    activation: str = "tanh"
    history: dict = field(default_factory=lambda: {"train": [], "valid": []})
    best_epoch: int = -1

    def predict(self, x):
        """Predictions in the target's own units, shape (N, T, O) for x (N, T, F)."""
        scaled, _ = stack_forward(x, self.layers, self.activation)
        return scaled * self.target_std + self.target_mean

    def score(self, x, y):
        """MSE of the last step of every window, in squared target units."""
        return float(np.mean((self.predict(x)[:, -1] - y[:, -1]) ** 2))


def train(train_x, train_y, valid_x=None, valid_y=None, *, hidden_sizes=(8,), epochs=20,
          batch_size=16, optimizer="adam", lr=0.02, schedule="linear", seed=0, clip_norm=1.0,
          activation="tanh", progress=False, restore_best=False):
    """Train a stack of RNN layers with mini-batches and report losses per epoch.

    Parameters
    ----------
    train_x, valid_x : ndarray, shape (N, T, F)
        Windows of (scaled) inputs.
    train_y, valid_y : ndarray, shape (N, T, O)
        Targets in their own units; scaled internally by the training mean and std.
    hidden_sizes : sequence of int
        Hidden units per layer; ``(16, 16)`` is a two-layer stack.
    optimizer : {"adam", "sgd"}
    lr : float
        Learning rate (the starting one, with ``schedule="linear"``).
    schedule : {"linear", "constant"}
        ``"linear"`` lowers the learning rate after every batch, in a straight line
        from ``lr`` to zero at the end of the last epoch: big steps while far from a
        minimum, small ones to settle into it.
    clip_norm : float or None
        Rescale a batch's gradient when its global norm exceeds this.
    progress : bool
        Show a progress bar (``tqdm.auto``: a widget in JupyterLab).
    restore_best : bool
        Return the parameters of the epoch with the lowest validation MSE.

    Returns
    -------
    TrainResult

    Notes
    -----
    The objective is 0.5 * mean((prediction - target)**2) over every step of every
    window in a batch, in scaled units; its gradient is ``mse_grad / size``.
    Derived in ``05_full_training``.
    """
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"Unknown optimizer {optimizer!r}. Use 'adam' or 'sgd'.")
    if schedule not in ("linear", "constant"):
        raise ValueError(f"Unknown schedule {schedule!r}. Use 'linear' or 'constant'.")
    train_x, train_y = _check_windows(train_x, train_y, "train")
    has_valid = valid_x is not None
    if has_valid:
        valid_x, valid_y = _check_windows(valid_x, valid_y, "valid", train_x.shape[2])
    target_mean, target_std = float(train_y.mean()), float(train_y.std()) or 1.0
    scaled_y = (train_y - target_mean) / target_std
    result = TrainResult(init_stack(train_x.shape[2], hidden_sizes, train_y.shape[2], seed),
                         target_mean, target_std, activation)
    adam, shuffle = Adam(lr), np.random.default_rng(seed)
    best_loss, best_layers = np.inf, result.layers
    batch_starts = range(0, len(train_x), batch_size)
    total_steps, steps_done = epochs * len(batch_starts), 0
    epoch_range = _progress_range(epochs) if progress else range(epochs)
    for epoch in epoch_range:
        order = shuffle.permutation(len(train_x))
        for start in batch_starts:
            batch = order[start:start + batch_size]
            step_lr = linear_schedule(lr, steps_done, total_steps) if schedule == "linear" else lr
            steps_done += 1
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported per epoch
                # The data was checked once above; skip the per-batch checks.
                outputs, cache = stack_forward(train_x[batch], result.layers, activation, validate=False)
                output_grad = (outputs - scaled_y[batch]) / outputs.size
                grads = stack_backward(cache, output_grad, result.layers, activation, validate=False)
            grads = clip_by_global_norm(grads, clip_norm)
            adam.lr = step_lr
            result.layers = adam.step(result.layers, grads) if optimizer == "adam" else [
                sgd_step(layer, layer_grads, step_lr) for layer, layer_grads in zip(result.layers, grads)]
        with np.errstate(over="ignore", invalid="ignore"):
            result.history["train"].append(result.score(train_x, train_y))
            result.history["valid"].append(result.score(valid_x, valid_y) if has_valid else np.nan)
        _stop_if_diverged(result.history, epoch, lr)
        if progress:
            epoch_range.set_postfix(train=f"{result.history['train'][-1]:.2f}",
                                    valid=f"{result.history['valid'][-1]:.2f}")
        watched = result.history["valid" if has_valid else "train"][-1]
        if watched < best_loss:
            best_loss, best_layers, result.best_epoch = watched, result.layers, epoch
    if restore_best:
        result.layers = best_layers
    return result


def _check_windows(x, y, name, n_inputs=None):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.ndim != 3 or y.ndim != 3 or x.shape[:2] != y.shape[:2] or len(x) == 0:
        raise ValueError(
            f"{name}_x must be (N, T, F) and {name}_y (N, T, O) with the same N and T; got "
            f"{x.shape} and {y.shape}. make_windows(inputs, targets, length) builds both."
        )
    if n_inputs is not None and x.shape[2] != n_inputs:
        raise ValueError(f"{name}_x has {x.shape[2]} features per step but train_x has {n_inputs}.")
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


def run(args):
    """Train on ``args.data`` (or the bundled data) and return every figure as a dict."""
    from .baselines import baseline_scores
    from .data import load_weather, weather_windows

    frame = load_weather(args.data, verbose=not args.json)
    windows, scaler = weather_windows(frame, length=args.window)
    result = train(*windows["train"], *windows["valid"], hidden_sizes=[args.hidden] * args.layers,
                   epochs=args.epochs, batch_size=args.batch_size, optimizer=args.optimizer,
                   lr=args.lr, schedule=args.schedule, seed=args.seed, progress=args.progress)
    scores = {"rnn": {part: result.score(x, y) for part, (x, y) in windows.items()}}
    scores.update(baseline_scores(windows, scaler))
    if args.plot:
        from .plots import save_training_report

        save_training_report(result, windows["test"], args.plot)
    return {
        "data": str(args.data or "bundled Seattle data"),
        "days": len(frame),
        "best_epoch": result.best_epoch,
        "history": result.history,
        "mse": scores,
        "rmse": {model: {part: float(np.sqrt(mse)) for part, mse in parts.items()}
                 for model, parts in scores.items()},
    }


def format_table(report):
    """The final table: MSE and RMSE (degrees F) per model and part."""
    lines = [f"{'model':<28}{'train MSE':>11}{'valid MSE':>11}{'test MSE':>11}"
             f"{'train RMSE':>12}{'valid RMSE':>12}{'test RMSE':>11}"]
    for model, parts in report["mse"].items():
        mse = "".join(f"{parts[part]:>11.2f}" for part in ("train", "valid", "test"))
        rmse = "".join(f"{report['rmse'][model][part]:>11.2f}F" for part in ("train", "valid", "test"))
        lines.append(f"{model:<28}{mse}{rmse}")
    return "\n".join(lines)


def parse_args(argv=None):
    defaults = {name: parameter.default for name, parameter in inspect.signature(train).parameters.items()}
    parser = argparse.ArgumentParser(
        prog="python -m rnn_helpers.train",
        description="Train the NumPy RNN to predict tomorrow's maximum temperature.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data", help="CSV with date, tmax, tmin, rain (default: bundled Seattle data)")
    parser.add_argument("--hidden", type=int, default=defaults["hidden_sizes"][0], help="hidden units per layer")
    parser.add_argument("--layers", type=int, default=1, help="stacked layers")
    parser.add_argument("--window", type=int, default=7, help="window length in days")
    parser.add_argument("--epochs", type=int, default=defaults["epochs"])
    parser.add_argument("--batch-size", type=int, default=defaults["batch_size"], help="windows per batch")
    parser.add_argument("--optimizer", choices=["adam", "sgd"], default=defaults["optimizer"])
    parser.add_argument("--lr", type=float, default=defaults["lr"], help="(starting) learning rate")
    parser.add_argument("--schedule", choices=["linear", "constant"], default=defaults["schedule"],
                        help="learning rate: falls linearly to zero, or stays constant")
    parser.add_argument("--seed", type=int, default=defaults["seed"])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on the last line")
    parser.add_argument("--plot", metavar="FILE", help="save loss curves and test predictions as PNG")
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    args = parser.parse_args(argv)
    for name in ("hidden", "layers", "window", "epochs", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not args.lr > 0:
        parser.error("--lr must be positive")
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        report = run(args)
    except (ValueError, FileNotFoundError, FloatingPointError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report))
    else:
        history = report["history"]
        for epoch in range(0, len(history["train"]), max(1, len(history["train"]) // 10)):
            print(f"epoch {epoch:4d}  train MSE {history['train'][epoch]:8.2f}"
                  f"  valid MSE {history['valid'][epoch]:8.2f}")
        print(f"best validation epoch: {report['best_epoch']}\n")
        print(format_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
