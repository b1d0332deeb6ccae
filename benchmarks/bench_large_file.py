"""The command line on a 13,500-day file with a gap, side by side with the per-window loop.

    uv run python benchmarks/bench_large_file.py            # updates its section of benchmarks/RESULTS.md
    uv run python benchmarks/bench_large_file.py --quick    # one round, print only

The file is built here, in a temporary folder (it is not part of the project), by
``course_shaped_file.py``: 13,500 rows, the size of the course dataset the series started
from, and shaped like it (a blank first header, its own ``tmax_tomorrow``, blank cells,
no rows for the 911 days between 1980-12-31 and 1983-07-01). The values are the bundled
2012-2015 Seattle observations repeated along the calendar from 1970-01-01.

Timed, alternately, ``--rounds`` times:

(a) ``python -m rnn_helpers.train --data FILE --json`` with its defaults, as a whole
    process: interpreter start-up, imports (scikit-learn's included), loading the file,
    20 epochs in batches of 64 (``rnn_helpers.cli.BATCH_SIZE``), scoring and baselines;
(b) the per-window loop of ``bench_training.py`` (one window at a time) on the same
    windows, for ``--loop-epochs`` epochs, extrapolated linearly to its 250 epochs:
    every epoch does exactly the same work, so 250 epochs take 250 / n times as long.

Reported: the median of each and the ratio (a) / (b), in wall-clock and CPU time, and
the MSE table of the last command-line run.
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rnn_helpers import continuous_runs, load_weather, weather_windows
from rnn_helpers.cli import BATCH_SIZE

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_training import course_style_training  # noqa: E402
from course_shaped_file import DAYS, write_course_shaped_file  # noqa: E402
from results import write_section

MARKER = "## The command line on a 13,500-day file"
LOOP_EPOCHS, TARGET_RATIO = 250, 100


def time_cli(path):
    """Wall and CPU seconds of the command line with its defaults, as a whole process, and its report."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "rnn_helpers.train", "--data", str(path), "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    gaps_line = next(line for line in done.stderr.splitlines() if "gap(s)" in line)
    return wall, cpu, json.loads(done.stdout.splitlines()[-1]), gaps_line


def time_loop(windows, epochs):
    """Wall and CPU seconds of ``epochs`` epochs of the per-window loop."""
    start, cpu_start = time.perf_counter(), time.process_time()
    course_style_training(*windows["train"], epochs=epochs)
    return time.perf_counter() - start, time.process_time() - cpu_start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternating measurements of each (default: 3)")
    parser.add_argument(
        "--loop-epochs", type=int, default=2, help="per-window epochs timed per round, extrapolated to 250 (default: 2)"
    )
    parser.add_argument("--quick", action="store_true", help="one round, print without writing RESULTS.md")
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds

    with tempfile.TemporaryDirectory() as folder:
        path = write_course_shaped_file(Path(folder) / "clean_weather.csv")
        frame = load_weather(path, verbose=False)
        windows, _ = weather_windows(frame)
        load_before = os.getloadavg()[0]
        cli, loop = [], []
        for _ in range(rounds):
            *times, report, gaps_line = time_cli(path)
            cli.append(times)
            wall, cpu = time_loop(windows, args.loop_epochs)
            loop.append((wall * LOOP_EPOCHS / args.loop_epochs, cpu * LOOP_EPOCHS / args.loop_epochs))
        load_after = os.getloadavg()[0]

    cli_wall, cli_cpu = (statistics.median(run[i] for run in cli) for i in (0, 1))
    loop_wall, loop_cpu = (statistics.median(run[i] for run in loop) for i in (0, 1))
    lines = [
        MARKER,
        "",
        f"Data: {DAYS:,} rows shaped like the course's file, built by `course_shaped_file.py` from the bundled "
        f"observations repeated along the calendar; {len(frame):,} days with a target in "
        f"{len(continuous_runs(frame))} runs of consecutive days; 7-day windows: train "
        f"{len(windows['train'][0]):,}, valid {len(windows['valid'][0]):,}, test {len(windows['test'][0]):,}. "
        "The loader's line on the gaps:",
        "",
        f"    {gaps_line}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, load average {load_before:.1f} before and "
        f"{load_after:.1f} after (a shared machine: both are slowed alike, so compare the ratio); "
        f"Python {platform.python_version()}, NumPy {np.__version__}.",
        "",
        f"Each figure is the median of {rounds} alternating runs. The per-window loop was timed for "
        f"{args.loop_epochs} epochs per run and extrapolated linearly to {LOOP_EPOCHS}, since each epoch "
        "does the same work.",
        "",
        "| | wall s | CPU s |",
        "|---|---:|---:|",
        "| `python -m rnn_helpers.train --data FILE --json` "
        f"(defaults: 20 epochs, batches of {BATCH_SIZE}; whole process) "
        f"| {cli_wall:.1f} | {cli_cpu:.1f} |",
        f"| per-window loop, {LOOP_EPOCHS} epochs (extrapolated) | {loop_wall:.0f} | {loop_cpu:.0f} |",
        f"| ratio | 1/{loop_wall / cli_wall:.0f} | 1/{loop_cpu / cli_cpu:.0f} |",
        "",
        f"The target is a ratio of 1/{TARGET_RATIO} or better: "
        + ("met." if min(loop_wall / cli_wall, loop_cpu / cli_cpu) >= TARGET_RATIO else "**not met**."),
        "",
        "Each run's wall time: command line "
        + ", ".join(f"{wall:.1f}" for wall, _ in cli)
        + " s; per-window loop "
        + ", ".join(f"{wall:.0f}" for wall, _ in loop)
        + " s.",
        "",
        "MSE (°F²) of the last command-line run, all three scored on the same windows:",
        "",
        "| model | train | valid | test |",
        "|---|---:|---:|---:|",
        *(
            f"| {model} | {parts['train']:.2f} | {parts['valid']:.2f} | {parts['test']:.2f} |"
            for model, parts in report["mse"].items()
        ),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.quick:
        write_section(MARKER, text)


if __name__ == "__main__":
    main()
