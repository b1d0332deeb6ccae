"""Training speed and quality, side by side, on the bundled data.

    uv run python benchmarks/bench_training.py            # writes benchmarks/RESULTS.md
    uv run python benchmarks/bench_training.py --quick    # fewer course-style epochs, print only

Compares (a) a course-style loop that trains one window at a time, (b) ``train(...)``
with its defaults, and (c) ``torch.nn.RNN`` + ``torch.nn.Linear`` (float64, CPU, same
windows, batch size and epochs) when torch is installed. Every MSE is in degrees F
squared, scored on the last step of each window, the same target days as the baselines.
"""

import argparse
import inspect
import platform
import time
from pathlib import Path

import numpy as np
import sklearn

from rnn_helpers import baseline_scores, init_params, load_weather, rnn_forward, weather_windows
from rnn_helpers.train import train

RESULTS = Path(__file__).with_name("RESULTS.md")


def course_style_training(train_x, train_y, epochs, hidden=4, lr=1e-5):
    """The original notebook's loop (one window at a time, unscaled target, its learning
    rate divided by the window length), with its gradient bugs fixed. Returns the parameters."""
    params = init_params(train_x.shape[2], hidden, 1, seed=0)
    i_weight, h_weight, h_bias, o_weight, o_bias = (
        params[name] for name in ("i_weight", "h_weight", "h_bias", "o_weight", "o_bias")
    )
    steps = train_x.shape[1]
    for _ in range(epochs):
        for seq_x, seq_y in zip(train_x, train_y):
            hiddens = np.zeros((steps, hidden))
            outputs = np.zeros((steps, 1))
            previous = np.zeros((1, hidden))
            for t in range(steps):
                previous = np.tanh(seq_x[t][np.newaxis, :] @ i_weight + previous @ h_weight + h_bias)
                hiddens[t] = previous[0]
                outputs[t] = (previous @ o_weight + o_bias)[0]
            grad = outputs - seq_y
            grads = [np.zeros_like(p) for p in (i_weight, h_weight, h_bias, o_weight, o_bias)]
            next_h_grad = np.zeros((1, hidden))
            for t in range(steps - 1, -1, -1):
                out_grad = grad[t][np.newaxis, :]
                grads[3] += hiddens[t][:, np.newaxis] @ out_grad
                grads[4] += out_grad
                h_grad = (out_grad @ o_weight.T + next_h_grad) * (1 - hiddens[t][np.newaxis, :] ** 2)
                next_h_grad = h_grad @ h_weight.T
                if t > 0:
                    grads[1] += hiddens[t - 1][:, np.newaxis] @ h_grad
                grads[2] += h_grad
                grads[0] += seq_x[t][:, np.newaxis] @ h_grad
            step = lr / steps
            i_weight, h_weight, h_bias, o_weight, o_bias = (
                p - g * step for p, g in zip((i_weight, h_weight, h_bias, o_weight, o_bias), grads)
            )
    return dict(
        zip(("i_weight", "h_weight", "h_bias", "o_weight", "o_bias"), (i_weight, h_weight, h_bias, o_weight, o_bias))
    )


def last_step_mse(params, x, y):
    return float(np.mean((rnn_forward(x, params)[0][:, -1, 0] - y[:, -1, 0]) ** 2))


def torch_training(windows, epochs, batch_size, hidden, lr, schedule, seed=0):
    """torch.nn.RNN + Linear with the same data, target scaling, batches, Adam, schedule and clipping."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(2)
    (train_x, train_y), valid, test = windows["train"], windows["valid"], windows["test"]
    mean, std = train_y.mean(), train_y.std()
    rnn = torch.nn.RNN(train_x.shape[2], hidden, batch_first=True, dtype=torch.float64)
    head = torch.nn.Linear(hidden, 1, dtype=torch.float64)
    optimizer = torch.optim.Adam([*rnn.parameters(), *head.parameters()], lr=lr)
    inputs = torch.from_numpy(train_x)
    targets = torch.from_numpy((train_y - mean) / std)
    shuffle = np.random.default_rng(seed)

    def score(x, y):
        with torch.no_grad():
            predicted = head(rnn(torch.from_numpy(x))[0]).numpy() * std + mean
        return float(np.mean((predicted[:, -1, 0] - y[:, -1, 0]) ** 2))

    batch_starts = range(0, len(train_x), batch_size)
    total_steps, steps_done = epochs * len(batch_starts), 0
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.from_numpy(shuffle.permutation(len(train_x)))
        for begin in batch_starts:
            batch = order[begin : begin + batch_size]
            for group in optimizer.param_groups:
                group["lr"] = lr * (1 - steps_done / total_steps) if schedule == "linear" else lr
            steps_done += 1
            optimizer.zero_grad()
            loss = 0.5 * torch.mean((head(rnn(inputs[batch])[0]) - targets[batch]) ** 2)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([*rnn.parameters(), *head.parameters()], 1.0)
            optimizer.step()
        score(*valid)  # validation once per epoch, as train() does
    seconds = time.perf_counter() - start
    return seconds / epochs, score(*valid), score(*test), torch.__version__


def best_of(repeats, function):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return min(times), value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="25 course-style epochs instead of 250; print the table without writing RESULTS.md",
    )
    args = parser.parse_args()
    windows, scaler = weather_windows(load_weather(verbose=False))
    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(train).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }
    seed_epochs = 25 if args.quick else 250

    seed_seconds, seed_params = best_of(1, lambda: course_style_training(*windows["train"], epochs=seed_epochs))
    seed_valid, seed_test = (last_step_mse(seed_params, *windows[part]) for part in ("valid", "test"))
    train_seconds, result = best_of(3, lambda: train(*windows["train"], *windows["valid"]))
    # Time to reach the course-style loop's final validation MSE: the shortest run with the
    # defaults (only fewer epochs) whose returned model does, timed from the call to the return.
    epochs_needed = next(
        (
            e
            for e in range(1, defaults["epochs"] + 1)
            if train(*windows["train"], *windows["valid"], epochs=e).score(*windows["valid"]) <= seed_valid
        ),
        None,
    )
    if epochs_needed is None:
        raise SystemExit(f"train() with its defaults never reached the validation MSE {seed_valid:.2f}.")
    reach_seconds, _ = best_of(7, lambda: train(*windows["train"], *windows["valid"], epochs=epochs_needed))

    # The same defaults with other seeds: how much of the quality is luck of the draw.
    baselines = baseline_scores(windows, scaler)
    seeds = range(8)
    by_seed = [train(*windows["train"], *windows["valid"], seed=seed) for seed in seeds]
    seed_scores = np.array([[run.score(*windows[part]) for part in ("valid", "test")] for run in by_seed])
    beats_both = sum(
        all(valid < parts["valid"] and test < parts["test"] for parts in baselines.values())
        for valid, test in seed_scores
    )

    rows = [
        ("course-style loop (per window)", seed_seconds / seed_epochs, seed_seconds, seed_valid, seed_test),
        (
            "train() defaults",
            train_seconds / defaults["epochs"],
            train_seconds,
            result.score(*windows["valid"]),
            result.score(*windows["test"]),
        ),
    ]
    torch_version = "not installed"
    try:
        torch_epoch, torch_valid, torch_test, torch_version = torch_training(
            windows,
            defaults["epochs"],
            defaults["batch_size"],
            defaults["hidden_sizes"][0],
            defaults["lr"],
            defaults["schedule"],
        )
        rows.append(("torch.nn.RNN + Linear", torch_epoch, torch_epoch * defaults["epochs"], torch_valid, torch_test))
    except ImportError:
        pass

    lines = [
        "# Training benchmark",
        "",
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, {__import__('os').cpu_count()} cores, "
        f"{platform.system()}; Python {platform.python_version()}, NumPy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}, torch {torch_version}.",
        "",
        f"Data: bundled Seattle record, 7-day windows (train {len(windows['train'][0])}, valid "
        f"{len(windows['valid'][0])}, test {len(windows['test'][0])}). MSE in °F², last step of each window.",
        f"train() defaults: H={defaults['hidden_sizes'][0]}, {defaults['epochs']} epochs, "
        f"batch {defaults['batch_size']}, Adam lr={defaults['lr']} ({defaults['schedule']} schedule), "
        f"clip_norm={defaults['clip_norm']}. Course-style loop: H=4, lr=1e-5/T, unscaled target, "
        f"{seed_epochs} epochs.",
        "",
        "| model | s / epoch | total s | valid MSE | test MSE |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, per_epoch, total, valid, test in rows:
        lines.append(f"| {name} | {per_epoch:.4f} | {total:.2f} | {valid:.2f} | {test:.2f} |")
    for name, parts in baselines.items():
        lines.append(f"| baseline: {name} | – | – | {parts['valid']:.2f} | {parts['test']:.2f} |")
    lines += [
        "",
        f"- Time to reach the course-style loop's final validation MSE ({seed_valid:.2f}): "
        f"{epochs_needed} epoch(s) of train(), {reach_seconds * 1000:.1f} ms, "
        f"1/{seed_seconds / reach_seconds:.0f} of the course-style loop's {seed_seconds:.1f} s.",
        f"- train() defaults with seeds {seeds.start}-{seeds.stop - 1}: valid MSE "
        f"{seed_scores[:, 0].min():.2f}-{seed_scores[:, 0].max():.2f}, test MSE "
        f"{seed_scores[:, 1].min():.2f}-{seed_scores[:, 1].max():.2f}; {beats_both} of {len(seeds)} "
        "beat both baselines on both valid and test.",
    ]
    if len(rows) == 3:
        lines.append(
            f"- Per epoch at batch size {defaults['batch_size']}: train() is "
            f"{rows[2][1] / rows[1][1]:.1f}x faster than torch.nn.RNN."
        )
    text = "\n".join(lines) + "\n"
    if not args.quick:
        # Keep the section bench_large_file.py writes at the end.
        existing = RESULTS.read_text() if RESULTS.exists() else ""
        marker = "## The command line on a 13,500-day file"
        RESULTS.write_text(text + ("\n" + marker + existing.split(marker, 1)[1] if marker in existing else ""))
    print(text)


if __name__ == "__main__":
    main()
