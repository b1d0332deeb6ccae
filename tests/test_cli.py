"""The command line: python -m rnn_helpers.train (rnn_helpers.cli)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rnn_helpers.cli as cli
import rnn_helpers.train as training
from rnn_helpers import load_weather, weather_windows
from rnn_helpers.cli import build_parser, main


@pytest.fixture
def small_csv(tmp_path):
    csv = tmp_path / "weather.csv"
    csv.write_text(
        "date,tmax,tmin,rain\n"
        + "".join(f"2020-01-{day:02d},{50 + day % 7},{40 + day % 5},0.{day % 3}\n" for day in range(1, 32))
    )
    return csv


def test_the_defaults_are_train_defaults_but_larger_batches_and_the_figures_are_computed_independently(capsys):
    assert (cli.BATCH_SIZE, cli.LR) == (64, 0.05)
    assert main(["--json"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    windows, _ = weather_windows(load_weather(verbose=False), length=7)
    # train() with its own defaults, but for the two the command line sets for long files
    result = training.train(*windows["train"], *windows["valid"], batch_size=64, lr=0.05)
    assert report["history"] == result.history and len(report["history"]["valid"]) == 20
    for part, (x, y) in windows.items():
        errors = result.predict(x)[:, -1, 0] - y[:, -1, 0]
        assert report["mse"]["rnn"][part] == pytest.approx(np.mean(errors**2), rel=1e-12)
        assert report["rmse"]["rnn"][part] == pytest.approx(np.sqrt(np.mean(errors**2)), rel=1e-12)
    test_days = load_weather(verbose=False).iloc[-len(windows["test"][0]) :]  # last day of each test window
    persistence = np.mean((test_days["tmax"] - test_days["tmax_tomorrow"]) ** 2)
    assert report["mse"]["tomorrow = today"]["test"] == pytest.approx(persistence, rel=1e-12)
    assert report["interrupted"] is False and report["epochs_done"] == 20


def test_help_shows_every_default_once():
    text = build_parser().format_help()
    options = re.split(r"\n  (?=-)", text.split("options:", 1)[1])[2:]  # skip the blank start and --help
    assert len(options) == 13
    for option in options:
        assert option.count("default") == 1, option
    flat = " ".join(text.split())
    for expected in (
        "--lr LR (starting) learning rate (default: 0.05)",
        "(default: 20)",
        "windows per batch (default: 64)",
        "(default: the bundled Seattle data)",
        "(default: linear)",
        "(default: adam)",
    ):
        assert expected in flat


def test_the_readme_shows_what_the_commands_print(capsys):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert main([]) == 0
    table = capsys.readouterr().out.strip().split("\n\n")[-1]
    assert "\n".join(line.rstrip() for line in table.splitlines()) in readme
    rows = table_rows(table)
    assert all(rows["rnn"][part] < min(rows[model][part] for model in rows if model != "rnn") for part in range(3))
    assert main(["--hidden", "16", "--layers", "2", "--epochs", "30"]) == 0
    train_mse, valid_mse, test_mse = table_rows(capsys.readouterr().out)["rnn"]
    assert train_mse < rows["rnn"][0] and valid_mse > rows["rnn"][1] and test_mse > rows["rnn"][2]
    figures = f"(train MSE {train_mse:.2f}) but predict unseen days worse (valid {valid_mse:.2f}, test {test_mse:.2f})"
    assert figures in " ".join(readme.split())


def test_log_and_table_describe_the_same_final_model_in_degrees_f(small_csv, capsys):
    assert main(["--data", str(small_csv), "--window", "3", "--epochs", "13", "--layers", "2"]) == 0
    out = capsys.readouterr().out
    log = [line for line in out.splitlines() if line.startswith("epoch")]
    assert [line.split()[1] for line in log] == [
        "1/13",
        "2/13",
        "3/13",
        "4/13",
        "5/13",
        "6/13",
        "7/13",
        "8/13",
        "9/13",
        "10/13",
        "11/13",
        "12/13",
        "13/13",
    ]
    rnn = next(line for line in out.splitlines() if line.startswith("rnn "))
    train_mse, valid_mse = (float(value) for value in rnn.split()[1:3])
    assert f"train MSE {train_mse:8.2f} °F²  valid MSE {valid_mse:8.2f} °F²" in log[-1]
    assert "MSE (°F²)" in out and "RMSE (°F)" in out and "the same model as the last log line" in out
    assert not re.search(r"\dF\b", out)  # no bare "4.75F"


def test_the_log_always_ends_with_the_last_epoch(small_csv, capsys):
    assert main(["--data", str(small_csv), "--window", "3", "--epochs", "25"]) == 0
    log = [line.split()[1] for line in capsys.readouterr().out.splitlines() if line.startswith("epoch")]
    assert log == [
        "1/25",
        "3/25",
        "5/25",
        "7/25",
        "9/25",
        "11/25",
        "13/25",
        "15/25",
        "17/25",
        "19/25",
        "21/25",
        "23/25",
        "25/25",
    ]


def test_plot_is_saved(small_csv, tmp_path, capsys):
    plot = tmp_path / "report.png"
    assert main(["--data", str(small_csv), "--window", "3", "--epochs", "2", "--plot", str(plot)]) == 0
    assert plot.stat().st_size > 1000


@pytest.mark.parametrize(
    "target, message",
    [
        ("{tmp}", "is a folder; give a file name such as"),
        ("{tmp}/no/such/folder/curves.png", "the folder .* does not exist"),
        ("{tmp}/curves", r"must end in one of .png"),
        ("{tmp}/curves.xyz", r"must end in one of .png"),
    ],
)
def test_a_bad_plot_path_is_refused_before_training(tmp_path, capsys, monkeypatch, target, message):
    monkeypatch.setattr(cli, "train_from_args", lambda *args, **kwargs: pytest.fail("trained despite a bad --plot"))
    with pytest.raises(SystemExit) as exit_info:
        main(["--epochs", "1", "--plot", target.format(tmp=tmp_path)])
    assert exit_info.value.code == 2
    assert re.search(f"--plot .*{message}", capsys.readouterr().err)


def test_an_unwritable_plot_path_is_refused_before_training(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "train_from_args", lambda *args, **kwargs: pytest.fail("trained despite a bad --plot"))
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        target = locked / "curves.png"
        if _can_write(locked):  # root ignores the folder's mode; /proc refuses new files even to root
            target = Path("/proc/rnn_from_scratch_curves.png")
            if not Path("/proc").is_dir():
                pytest.skip("no folder that refuses to be written")
        with pytest.raises(SystemExit):
            main(["--plot", str(target)])
        assert "cannot be written" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


def _can_write(folder):
    try:
        (folder / "probe").write_text("")
    except OSError:
        return False
    (folder / "probe").unlink()
    return True


def test_a_plot_that_fails_after_training_keeps_the_printed_table(small_csv, tmp_path, capsys, monkeypatch):
    def broken(*args):
        raise OSError("disk full")

    monkeypatch.setattr(cli, "save_training_report", broken)
    assert main(["--data", str(small_csv), "--window", "3", "--epochs", "2", "--plot", str(tmp_path / "a.png")]) == 1
    captured = capsys.readouterr()
    assert "linear regression (window)" in captured.out
    assert (
        "the figures above are complete, but the plot could not be saved" in captured.err
        and "disk full" in captured.err
    )


def test_a_missing_file_says_to_omit_data(tmp_path, capsys):
    assert main(["--data", str(tmp_path / "missing.csv")]) == 2
    err = capsys.readouterr().err
    assert "No weather file" in err and "omit --data" in err and "load_weather()" not in err


def test_a_file_too_short_for_the_window_is_named(small_csv, capsys):
    assert main(["--data", str(small_csv), "--window", "7"]) == 2
    err = capsys.readouterr().err
    assert str(small_csv) in err and "Use a window of at most" in err


def test_runs_as_a_module():
    done = subprocess.run(
        [sys.executable, "-m", "rnn_helpers.train", "--epochs", "1", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout.splitlines()[-1])["days"] == 1460
    assert done.stderr.startswith("epoch 1/1")  # with --json, the log goes to stderr


def table_rows(out):
    """The MSE columns of the printed table: {model: (train, valid, test)}."""
    rows = {}
    for model in ("rnn", "tomorrow = today", "linear regression (window)"):
        line = next(line for line in out.splitlines() if line.startswith(f"{model}  "))
        rows[model] = tuple(float(value) for value in line[len(model) :].split()[:3])
    return rows


def test_the_defaults_on_a_course_shaped_file_with_a_gap_beat_the_baselines(course_csv, capsys):
    assert main(["--data", str(course_csv)]) == 0
    out = capsys.readouterr().out
    assert "has no rows for 911 day(s) in 1 gap(s), the longest 911 day(s) between 1980-12-31" in out
    rows = table_rows(out)
    rnn, persistence, regression = rows["rnn"], rows["tomorrow = today"], rows["linear regression (window)"]
    assert rnn[1] < persistence[1] and rnn[2] < persistence[2]  # valid and test
    assert rnn[2] <= 1.02 * regression[2]  # test: at parity (within 2 %) or better


def test_with_json_the_gaps_line_goes_to_stderr_and_the_runs_are_reported(tmp_path, capsys):
    dates = [f"2020-01-{day:02d}" for day in range(1, 32) if day != 16] + [f"2020-02-{day:02d}" for day in range(1, 29)]
    csv = tmp_path / "gappy.csv"
    csv.write_text(
        "date,tmax,tmin,rain\n" + "".join(f"{date},{50 + i % 7},{40 + i % 5},0\n" for i, date in enumerate(dates))
    )
    assert main(["--data", str(csv), "--window", "3", "--epochs", "1", "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out.strip().splitlines()[-1])
    assert report["runs"] == [["2020-01-01", "2020-01-14"], ["2020-01-17", "2020-02-27"]]
    assert report["days"] == 56
    assert "no rows for 1 day(s) in 1 gap(s)" in captured.err and "no rows" not in captured.out
