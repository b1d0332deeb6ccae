"""How long scikit-learn takes to import in a fresh Jupyter kernel.

    uv run python benchmarks/bench_import.py              # 7 kernels; updates its section of RESULTS.md
    uv run python benchmarks/bench_import.py --quick      # 3 kernels, print only

``fit_scaler`` and ``fit_window_regression`` return scikit-learn's ``StandardScaler`` and
``LinearRegression``. This measures what that costs a learner: each round starts a new
kernel, imports NumPy, pandas and matplotlib (every weather notebook does), then times
``import sklearn.preprocessing, sklearn.linear_model`` inside the kernel, in wall-clock
and CPU seconds. The helpers import scikit-learn on first use, so notebooks 01-04, which
never scale, do not pay it.
"""

import argparse
import os
import platform
import statistics

import sklearn
from jupyter_client.manager import start_new_kernel
from results import write_section

MARKER = "## scikit-learn's import in a kernel"
CODE = """
import time
import numpy, pandas, matplotlib.pyplot
_wall, _cpu = time.perf_counter(), time.process_time()
import sklearn.preprocessing, sklearn.linear_model
print(time.perf_counter() - _wall, time.process_time() - _cpu)
"""


def time_import_in_a_kernel():
    """(wall, CPU) seconds of scikit-learn's import in a fresh kernel."""
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        client.execute(CODE)
        while True:
            message = client.get_iopub_msg(timeout=120)
            if message["msg_type"] == "stream":
                wall, cpu = (float(value) for value in message["content"]["text"].split())
                return wall, cpu
            if message["msg_type"] == "error":
                raise RuntimeError("\n".join(message["content"]["traceback"]))
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", type=int, default=7, help="fresh kernels to time (default: 7)")
    parser.add_argument("--quick", action="store_true", help="3 kernels, print without writing RESULTS.md")
    args = parser.parse_args()
    kernels = 3 if args.quick else args.kernels
    load_before = os.getloadavg()[0]
    runs = [time_import_in_a_kernel() for _ in range(kernels)]
    load_after = os.getloadavg()[0]
    wall, cpu = statistics.median(run[0] for run in runs), statistics.median(run[1] for run in runs)
    lines = [
        MARKER,
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, load average {load_before:.1f} before and "
        f"{load_after:.1f} after; Python {platform.python_version()}, scikit-learn {sklearn.__version__}.",
        "",
        f"`import sklearn.preprocessing, sklearn.linear_model` in a fresh kernel that has imported NumPy, "
        f"pandas and matplotlib, median of {kernels} kernels: **{wall:.2f} s wall, {cpu:.2f} s CPU** "
        f"(each kernel: {', '.join(f'{run[0]:.2f}/{run[1]:.2f}' for run in runs)} s wall/CPU). On a busy "
        "machine the wall time grows and the CPU time does not: the CPU time is the import's own cost.",
        "The helpers use scikit-learn unless its import takes more than a second; they import it on first use.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.quick:
        write_section(MARKER, text)


if __name__ == "__main__":
    main()
