"""Ctrl-C (SIGINT) stops training after the current batch and keeps what was learned."""

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rnn_helpers.train import train

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60  # seconds; each run below is stopped after its first epoch


@pytest.fixture
def sigint_as_in_a_terminal():
    """SIGINT raising KeyboardInterrupt, as in a terminal or a kernel, whatever started the tests.

    A process started in the background of a non-interactive shell inherits SIGINT
    ignored, and then ``train`` rightly leaves it ignored.
    """
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def windows():
    x = np.random.default_rng(0).normal(size=(40, 4, 3))
    return x, x.sum(axis=2, keepdims=True) + 50


@pytest.mark.parametrize("signals", [1, 2])
def test_train_returns_what_it_learned_when_interrupted(capsys, signals, sigint_as_in_a_terminal):
    x, y = windows()
    handler_before = signal.getsignal(signal.SIGINT)

    def interrupt_at_epoch_2(epoch, history):
        if epoch == 2:
            for _ in range(signals):  # a second Ctrl-C stops at once, with the same result
                os.kill(os.getpid(), signal.SIGINT)

    result = train(x, y, x, y, epochs=50, batch_size=4, on_epoch_end=interrupt_at_epoch_2)
    assert result.interrupted
    assert len(result.history["train"]) == len(result.history["valid"]) == 3
    assert result.score(x, y) == result.history["valid"][-1]  # the history ends with the returned model
    assert "train: interrupted after epoch 3 of 50; returning the model and history so far." in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is handler_before


def start(arguments, wait_on="stdout"):
    """Start a Python process with SIGINT at its default, and wait for its first line on ``wait_on``."""
    process = subprocess.Popen(
        [sys.executable, *arguments],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A process started in the background of a non-interactive shell inherits SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    stream = getattr(process, wait_on)
    ready, _, _ = select.select([stream], [], [], TIMEOUT)
    if not ready:
        process.kill()
        pytest.fail(f"no output on {wait_on} within {TIMEOUT} s: {process.communicate()}")
    first_line = stream.readline()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=TIMEOUT)
    return process.returncode, first_line + out if wait_on == "stdout" else out, err


SCRIPT = """
import json
import numpy as np
from rnn_helpers.train import train

x = np.random.default_rng(0).normal(size=(40, 4, 3))
y = x.sum(axis=2, keepdims=True) + 50
result = train(x, y, x, y, epochs=10**6, batch_size=4,
               on_epoch_end=lambda epoch, history: epoch == 0 and print("started", flush=True))
print(json.dumps({"interrupted": result.interrupted, "epochs": len(result.history["train"]),
                  "valid": len(result.history["valid"]),
                  "last_is_returned_model": result.score(x, y) == result.history["valid"][-1]}))
"""


def test_a_real_sigint_stops_train_in_another_process():
    returncode, out, err = start(["-c", SCRIPT])
    assert returncode == 0, err
    report = json.loads(out.splitlines()[-1])
    assert report["interrupted"] and report["last_is_returned_model"]
    assert 1 <= report["epochs"] == report["valid"] < 10**6
    assert "train: interrupted" in err


@pytest.fixture
def small_csv(tmp_path):
    path = tmp_path / "weather.csv"
    days = np.arange(60)
    path.write_text(
        "date,tmax,tmin,rain\n"
        + "".join(f"{np.datetime64('2020-01-01') + day},{50 + day % 7},{40 + day % 5},0.{day % 3}\n" for day in days)
    )
    return path


def test_the_command_line_prints_the_table_so_far_and_exits_130(small_csv):
    returncode, out, err = start(
        ["-m", "rnn_helpers.train", "--data", str(small_csv), "--window", "3", "--epochs", "1000000"]
    )
    assert returncode == 130, err
    lines = out.splitlines()
    assert lines[0].startswith("epoch       1/1000000")
    last_log = next(line for line in reversed(lines) if line.startswith("epoch"))
    assert "(interrupted)" in last_log
    table_rnn = next(line for line in lines if line.startswith("rnn "))
    valid_in_log = float(last_log.split("valid MSE")[1].split()[0])
    assert float(table_rnn.split()[2]) == valid_in_log  # the table is the model of the last log line
    assert "interrupted" in out.split("\n\n")[1]


def test_the_command_line_json_says_interrupted(small_csv):
    returncode, out, err = start(
        ["-m", "rnn_helpers.train", "--data", str(small_csv), "--window", "3", "--epochs", "1000000", "--json"],
        wait_on="stderr",
    )
    assert returncode == 130, err
    report = json.loads(out.splitlines()[-1])
    assert report["interrupted"] is True
    assert report["epochs_done"] == len(report["history"]["valid"]) >= 1
