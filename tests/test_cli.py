"""The command line: python -m rnn_helpers.train."""

import json
import subprocess
import sys

from rnn_helpers.train import main


def test_json_report_on_the_last_line(capsys):
    assert main(["--epochs", "3", "--schedule", "constant", "--json"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(report["mse"]) == {"rnn", "tomorrow = today", "linear regression (window)"}
    assert set(report["mse"]["rnn"]) == {"train", "valid", "test"}
    assert abs(report["rmse"]["rnn"]["test"] ** 2 - report["mse"]["rnn"]["test"]) < 1e-9
    assert len(report["history"]["valid"]) == 3


def test_table_plot_and_other_data(tmp_path, capsys):
    csv = tmp_path / "weather.csv"
    csv.write_text("date,tmax,tmin,rain\n" + "".join(
        f"2020-01-{day:02d},{50 + day % 7},{40 + day % 5},0.{day % 3}\n" for day in range(1, 32)))
    plot = tmp_path / "report.png"
    assert main(["--data", str(csv), "--window", "3", "--epochs", "2", "--layers", "2", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "linear regression (window)" in out and "test RMSE" in out
    assert plot.stat().st_size > 1000


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path, capsys):
    assert main(["--data", str(tmp_path / "missing.csv")]) == 2
    assert "No weather file" in capsys.readouterr().err


def test_runs_as_a_module():
    done = subprocess.run([sys.executable, "-m", "rnn_helpers.train", "--epochs", "1", "--json"],
                          capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.splitlines()[-1])["days"] == 1460


def test_defaults_come_from_train():
    import inspect

    from rnn_helpers.train import parse_args, train

    args, defaults = parse_args([]), inspect.signature(train).parameters
    assert (args.lr, args.schedule, args.epochs, args.batch_size) == tuple(
        defaults[name].default for name in ("lr", "schedule", "epochs", "batch_size"))
