"""How long the whole test suite takes, and how busy it keeps the machine.

    uv run python benchmarks/bench_suite.py              # 3 runs
    uv run python benchmarks/bench_suite.py --runs 5

Each run runs the README's test command, ``uv run pytest``, once (the first run of a
fresh clone also creates the environment: run the command once before benchmarking
warm runs) and records its wall time, the seconds pytest reports, and, on Linux, the
CPU-seconds the whole machine spent busy and idle during the run (from /proc/stat).

The suite is bound by CPU: its wall time is at least the busy CPU-seconds divided by the
number of cores. A shared or throttled machine does the same work more slowly, so each
round first times a fixed probe, one ``train()`` with the defaults (the kind of work the
notebooks do): compare rounds, and machines, with their probe times beside them.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def machine_cpu_seconds():
    """(busy, idle) CPU-seconds of the whole machine since boot, or None off Linux."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (int(value) for value in fields[:8])
    ticks = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq + steal) / ticks, (idle + iowait) / ticks


def probe_seconds():
    """Best of three: one train() with the defaults on the bundled data."""
    from rnn_helpers import load_weather, weather_windows
    from rnn_helpers.train import train

    windows, _ = weather_windows(load_weather(verbose=False))
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        train(*windows["train"], *windows["valid"])
        best = min(best, time.perf_counter() - start)
    return best


def suite_command():
    uv = shutil.which("uv")
    return [uv, "run", "pytest"] if uv else [sys.executable, "-m", "pytest"]


def one_round(command):
    probe = probe_seconds()
    before = machine_cpu_seconds()
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = machine_cpu_seconds()
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if done.returncode != 0:
        raise SystemExit(
            f"The suite failed (exit code {done.returncode}): {summary}\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
        )
    reported = re.search(r" in ([0-9.]+)s", summary)
    row = {
        "probe": probe,
        "wall": wall,
        "pytest": float(reported.group(1)) if reported else float("nan"),
        "summary": summary.strip("= "),
    }
    if before and after:
        row["busy"], row["idle"] = after[0] - before[0], after[1] - before[1]
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds to run (default 3)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    command = suite_command()
    print(
        f"{' '.join(Path(part).name if i == 0 else part for i, part in enumerate(command))}, "
        f"{args.runs} round(s), {os.cpu_count()} cores"
    )
    print(f"{'round':>5} {'probe s':>8} {'wall s':>7} {'pytest s':>9} {'busy CPU-s':>11} {'idle CPU-s':>11}")
    rows = []
    for number in range(1, args.runs + 1):
        row = one_round(command)
        rows.append(row)
        print(
            f"{number:5d} {row['probe']:8.3f} {row['wall']:7.1f} {row['pytest']:9.1f} "
            f"{row.get('busy', float('nan')):11.0f} {row.get('idle', float('nan')):11.0f}   {row['summary']}"
        )
    print(
        f"median wall {statistics.median(row['wall'] for row in rows):.1f} s, "
        f"median probe {statistics.median(row['probe'] for row in rows):.3f} s"
    )


if __name__ == "__main__":
    main()
