"""The command line: train on a weather file and print the table against the baselines.

Usage::

    uv run python -m rnn_helpers.train --hidden 16 --epochs 30
    uv run python -m rnn_helpers.train --data my_weather.csv --json

Ctrl-C stops training after the current batch and prints the results so far.
"""

import argparse
import contextlib
import inspect
import json
import math
import sys
from pathlib import Path

import numpy as np

from .baselines import baseline_scores
from .data import continuous_runs, load_weather, weather_windows
from .train import train

# The command line trains on files of any length. train()'s batches of 16 suit notebook 06's
# 1,016 windows; a 13,500-day file has 9,437, or 590 batches of 16 an epoch. Batches of 64 need
# a quarter of the updates, and a starting rate of 0.05 makes up for the fewer steps.
BATCH_SIZE, LR = 64, 0.05


def run(args, log=None):
    """Train on ``args.data`` (or the bundled data) and return every figure as a dict.

    ``log(text)`` receives the epoch log as training goes (every tenth of the epochs,
    and always the last one). In the returned dict, ``history`` has one entry per
    epoch, ``best_epoch`` is the 0-based index of the lowest validation MSE, and the
    ``mse``/``rmse`` of ``"rnn"`` are those of the returned (last) model, the same
    model as the last history entry. ``runs`` lists the first and last day of every
    run of consecutive days with a target (more than one when the dates have gaps);
    the RNN and both baselines are scored on the same windows, inside those runs.
    """
    return train_from_args(args, log)[0]


def train_from_args(args, log=None):
    """``run``, also returning the TrainResult and the windows (for the plot)."""
    if args.data is not None and not Path(args.data).is_file():
        raise FileNotFoundError(
            f"No weather file at '{args.data}'. Pass the path of a CSV with the columns date, "
            "tmax, tmin, rain, or omit --data to use the bundled Seattle data."
        )
    # load_weather's notes (blank cells filled, gaps in the dates) go where the epoch log goes.
    with contextlib.redirect_stdout(sys.stderr if args.json else sys.stdout):
        frame = load_weather(args.data)
    try:
        windows, scaler = weather_windows(frame, length=args.window)
    except ValueError as error:
        raise ValueError(f"{args.data or 'the bundled data'}: {error}") from None
    every = max(1, args.epochs // 10)

    def log_epoch(epoch, history):
        if log is not None and (epoch % every == 0 or epoch == args.epochs - 1):
            log(_epoch_line(epoch, args.epochs, history))

    result = train(
        *windows["train"],
        *windows["valid"],
        hidden_sizes=[args.hidden] * args.layers,
        epochs=args.epochs,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        lr=args.lr,
        schedule=args.schedule,
        seed=args.seed,
        progress=args.progress,
        on_epoch_end=log_epoch,
    )
    if result.interrupted and log is not None:
        log(_epoch_line(len(result.history["train"]) - 1, args.epochs, result.history, interrupted=True))
    scores = {"rnn": {part: result.score(x, y) for part, (x, y) in windows.items()}}
    scores.update(baseline_scores(windows, scaler))
    return (
        {
            "data": str(args.data or "bundled Seattle data"),
            "days": len(frame),
            "runs": [[f"{run.index[0]:%Y-%m-%d}", f"{run.index[-1]:%Y-%m-%d}"] for run in continuous_runs(frame)],
            "epochs_done": len(result.history["train"]),
            "interrupted": result.interrupted,
            "best_epoch": result.best_epoch,
            "history": result.history,
            "mse": scores,
            "rmse": {
                model: {part: float(np.sqrt(mse)) for part, mse in parts.items()} for model, parts in scores.items()
            },
        },
        result,
        windows,
    )


def save_training_report(result, test_windows, path):
    """``rnn_helpers.plots.save_training_report``, imported only when ``--plot`` asks for it.

    matplotlib takes about 0.3 s to import, which a run without a plot need not pay.
    """
    from .plots import save_training_report as save

    save(result, test_windows, path)


def _epoch_line(epoch, epochs, history, interrupted=False):
    label = f"epoch {epoch + 1:>{len(str(epochs))}}/{epochs}" + (" (interrupted)" if interrupted else "")
    return f"{label:<14}  train MSE {history['train'][epoch]:8.2f} °F²  valid MSE {history['valid'][epoch]:8.2f} °F²"


def format_table(report):
    """The final table: MSE (degrees F squared) and RMSE (degrees F) per model and part."""
    parts = ("train", "valid", "test")
    lines = [
        f"{'':<28}{'MSE (°F²)':^30}  {'RMSE (°F)':^30}",
        f"{'model':<28}" + "".join(f"{part:>10}" for part in parts) + "  " + "".join(f"{part:>10}" for part in parts),
    ]
    for model, mse in report["mse"].items():
        lines.append(
            f"{model:<28}"
            + "".join(f"{mse[part]:>10.2f}" for part in parts)
            + "  "
            + "".join(f"{report['rmse'][model][part]:>10.2f}" for part in parts)
        )
    return "\n".join(lines)


def _summary(report, epochs):
    history, done, best = report["history"], report["epochs_done"], report["best_epoch"]
    state = f"epoch {done}/{epochs}" + (", interrupted" if report["interrupted"] else "")
    text = f"The table is for the model at the end of training ({state}), the same model as the last log line"
    if best >= 0:
        text += f"; the lowest validation MSE, {history['valid'][best]:.2f} °F², was at epoch {best + 1}"
    return text + "."


def build_parser():
    """The command line's options; the defaults are ``train()``'s, but for ``BATCH_SIZE`` and ``LR``."""
    defaults = {name: parameter.default for name, parameter in inspect.signature(train).parameters.items()}
    defaults.update(batch_size=BATCH_SIZE, lr=LR)
    parser = argparse.ArgumentParser(
        prog="python -m rnn_helpers.train",
        description="Train the NumPy RNN to predict tomorrow's maximum temperature (°F). "
        "Ctrl-C stops training after the current batch and prints the results so far.",
    )
    parser.add_argument(
        "--data",
        metavar="CSV",
        help="daily weather: date (YYYY-MM-DD), tmax, tmin, rain; missing days are gaps that no window "
        "spans (default: the bundled Seattle data)",
    )
    parser.add_argument(
        "--hidden", type=int, default=defaults["hidden_sizes"][0], help="hidden units per layer (default: %(default)s)"
    )
    parser.add_argument(
        "--layers", type=int, default=len(defaults["hidden_sizes"]), help="stacked layers (default: %(default)s)"
    )
    parser.add_argument("--window", type=int, default=7, help="window length in days (default: %(default)s)")
    parser.add_argument(
        "--epochs", type=int, default=defaults["epochs"], help="passes over the training windows (default: %(default)s)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=defaults["batch_size"], help="windows per batch (default: %(default)s)"
    )
    parser.add_argument(
        "--optimizer", choices=["adam", "sgd"], default=defaults["optimizer"], help="(default: %(default)s)"
    )
    parser.add_argument(
        "--lr", type=float, default=defaults["lr"], help="(starting) learning rate (default: %(default)s)"
    )
    parser.add_argument(
        "--schedule",
        choices=["linear", "constant"],
        default=defaults["schedule"],
        help="learning rate: falls linearly to zero, or stays constant (default: %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=defaults["seed"], help="initial parameters and window order (default: %(default)s)"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the figures as JSON on the last line of stdout; the epoch log goes to stderr (default: a table)",
    )
    parser.add_argument(
        "--plot", metavar="FILE", help="also save loss curves and test predictions, e.g. curves.png (default: no plot)"
    )
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
        report, result, windows = train_from_args(args, log=lambda line: print(line, file=log_stream, flush=True))
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
            save_training_report(result, windows["test"], args.plot)
        except (OSError, ValueError) as error:
            print(
                f"error: the figures above are complete, but the plot could not be saved to {args.plot}: {error}",
                file=sys.stderr,
            )
            return 1
    return 130 if report["interrupted"] else 0


if __name__ == "__main__":
    sys.exit(main())
