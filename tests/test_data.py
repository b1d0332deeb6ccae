"""The bundled data, the loader's checks, the split, the scaler and the windows."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnn_helpers import (
    chronological_split,
    continuous_runs,
    fit_scaler,
    load_weather,
    make_windows,
    scale,
    weather_windows,
    window_last_days,
)
from rnn_helpers.data import bundled_data_path

ROOT = Path(__file__).resolve().parent.parent


def test_bundled_data_has_the_seed_schema():
    frame = load_weather()
    assert list(frame.columns) == ["tmax", "tmin", "rain", "tmax_tomorrow"]
    assert isinstance(frame.index, pd.DatetimeIndex) and frame.index.is_monotonic_increasing
    assert frame.index[0] == pd.Timestamp("2012-01-01") and len(frame) == 1460
    np.testing.assert_array_equal(frame["tmax_tomorrow"].to_numpy()[:-1], frame["tmax"].to_numpy()[1:])
    assert 20 < frame["tmax"].min() and frame["tmax"].max() < 110  # degrees F, not C
    assert (frame["tmin"] <= frame["tmax"]).all() and (frame["rain"] >= 0).all()
    assert frame.notna().all().all()


def test_bundled_data_matches_a_rebuild_from_vega_datasets():
    pytest.importorskip("vega_datasets")
    sys.path.insert(0, str(ROOT / "data"))
    try:
        from build_seattle_weather import build
    finally:
        sys.path.pop(0)
    assert (ROOT / "data" / "seattle_weather.csv").read_text() == build()


def test_bundled_path_points_at_the_csv():
    assert bundled_data_path().is_file()


def write(tmp_path, text, name="weather.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_csv_without_tmax_tomorrow_gets_it_derived(tmp_path):
    path = write(tmp_path, "date,tmax,tmin,rain\n2020-01-01,50,40,0\n2020-01-02,52,41,0.1\n2020-01-03,49,39,0\n")
    frame = load_weather(path)
    assert frame["tmax_tomorrow"].tolist() == [52.0, 49.0]
    assert len(frame) == 2


def test_gaps_are_forward_filled_and_counted(tmp_path, capsys):
    path = write(
        tmp_path, "date,tmax,tmin,rain\n2020-01-01,50,40,0\n2020-01-02,,41,\n2020-01-03,49,39,0\n2020-01-04,47,38,0\n"
    )
    frame = load_weather(path)
    assert frame.loc["2020-01-02", "tmax"] == 50.0 and frame.loc["2020-01-02", "rain"] == 0.0
    assert frame.loc["2020-01-01", "tmax_tomorrow"] == 50.0
    assert "forward-filled 2 missing value(s)" in capsys.readouterr().out


def test_chronological_split_is_ordered_contiguous_and_complete():
    frame = load_weather()
    train, valid, test = chronological_split(frame)
    assert (len(train), len(valid), len(test)) == (1022, 219, 219)
    assert train.index.max() < valid.index.min() and valid.index.max() < test.index.min()
    pd.testing.assert_frame_equal(pd.concat([train, valid, test]), frame)


def test_chronological_split_rejects_fractions_that_leave_no_test_part():
    with pytest.raises(ValueError, match="add up to less than 1"):
        chronological_split(load_weather(), 0.8, 0.2)


def test_scaler_sees_only_the_training_days():
    train, valid, _ = chronological_split(load_weather())
    scaler = fit_scaler(train)
    scaled_train = scale(train, scaler)
    np.testing.assert_allclose(scaled_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(scaled_train.std(axis=0), 1, rtol=1e-12)
    np.testing.assert_allclose(scaler.mean_, train[["tmax", "tmin", "rain"]].mean().to_numpy())
    assert np.abs(scale(valid, scaler).mean(axis=0)).max() > 0.01


def test_windows_hold_consecutive_days():
    inputs = np.arange(20, dtype=float).reshape(10, 2)
    x, y = make_windows(inputs, np.arange(10.0), length=4)
    assert x.shape == (7, 4, 2) and y.shape == (7, 4, 1)
    np.testing.assert_array_equal(x[2], inputs[2:6])
    np.testing.assert_array_equal(y[6, :, 0], [6, 7, 8, 9])


def test_weather_windows_scale_inputs_but_not_the_target():
    windows, _ = weather_windows(load_weather(), length=7)
    assert windows["train"][0].shape == (1016, 7, 3) and windows["test"][1].shape == (213, 7, 1)
    assert windows["train"][1].mean() > 40  # degrees F


def test_the_package_data_is_shipped_in_the_wheel(tmp_path):
    build = subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(tmp_path), str(ROOT)], capture_output=True, text=True
    )
    if build.returncode != 0:
        pytest.skip(f"uv build unavailable: {build.stderr[-200:]}")
    import zipfile

    (wheel,) = tmp_path.glob("*.whl")
    assert "rnn_helpers/_data/seattle_weather.csv" in zipfile.ZipFile(wheel).namelist()


def test_weather_windows_fit_the_scaler_on_the_training_days_only():
    frame = load_weather()
    train, _, _ = chronological_split(frame)
    _, scaler = weather_windows(frame)
    np.testing.assert_allclose(scaler.mean_, train[["tmax", "tmin", "rain"]].mean().to_numpy())


def test_the_scaler_and_the_regression_are_scikit_learns_fit_on_the_training_part():
    from sklearn.linear_model import LinearRegression
    from sklearn.preprocessing import StandardScaler

    from rnn_helpers import fit_window_regression

    frame = load_weather()
    train = chronological_split(frame)[0]
    scaler = fit_scaler(train)
    assert isinstance(scaler, StandardScaler)
    columns = train[["tmax", "tmin", "rain"]]
    np.testing.assert_allclose(scaler.mean_, columns.mean().to_numpy(), rtol=1e-14)
    np.testing.assert_allclose(scaler.scale_, columns.std(ddof=0).to_numpy(), rtol=1e-14)
    values = frame[["tmax", "tmin", "rain"]].to_numpy()
    np.testing.assert_allclose(scale(frame, scaler), (values - scaler.mean_) / scaler.scale_, rtol=1e-14)

    # The regression of 05_weather_data: least squares on the flat window and a column of ones.
    windows, _ = weather_windows(frame)
    x, y = windows["train"]
    regression = fit_window_regression(x, y)
    assert isinstance(regression, LinearRegression)
    flat = x.reshape(len(x), -1)
    solution = np.linalg.lstsq(np.column_stack([flat, np.ones(len(x))]), y[:, -1, 0], rcond=None)[0]
    np.testing.assert_allclose(regression.coef_, solution[:-1], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(regression.intercept_, solution[-1], rtol=1e-12)


# A file shaped like the course's: a blank first header, its own tmax_tomorrow made by
# shifting rows, blank cells, and no rows for 1981-01-01 ... 1983-06-30 (conftest.course_csv).

GAP_BEFORE, GAP_AFTER = pd.Timestamp("1980-12-31"), pd.Timestamp("1983-07-01")


def file_as_read(path):
    """The file's rows as written, by date, with blank cells forward-filled."""
    raw = pd.read_csv(path, index_col=0)
    raw.index = pd.to_datetime(raw.index, format="%Y-%m-%d")
    return raw.ffill()


def test_a_file_with_a_gap_loads_and_every_target_is_the_next_calendar_days_tmax(course_csv, capsys):
    frame = load_weather(course_csv)
    out = capsys.readouterr().out
    assert (
        "no rows for 911 day(s) in 1 gap(s), the longest 911 day(s) between 1980-12-31 (line 4019) "
        "and 1983-07-01 (line 4020)" in out
    )
    raw = file_as_read(course_csv)
    assert len(raw) == 13_500 and raw.loc[GAP_BEFORE, "tmax_tomorrow"] == raw.loc[GAP_AFTER, "tmax"]
    next_days = frame.index + pd.Timedelta(days=1)
    assert next_days.isin(raw.index).all()
    np.testing.assert_array_equal(frame["tmax_tomorrow"].to_numpy(), raw.loc[next_days, "tmax"].to_numpy())
    # Every day whose next calendar day has a row is kept; the others (1980-12-31, the last day) are not.
    with_tomorrow = raw.index[(raw.index + pd.Timedelta(days=1)).isin(raw.index)]
    assert frame.index.equals(with_tomorrow) and len(frame) == 13_498 and GAP_BEFORE not in frame.index
    predictors = ["tmax", "tmin", "rain"]
    np.testing.assert_array_equal(frame[predictors].to_numpy(), raw.loc[frame.index, predictors].to_numpy())


def test_windows_are_every_run_of_consecutive_days_and_none_spans_a_gap(course_csv):
    frame = load_weather(course_csv, verbose=False)
    length = 7
    windows, scaler = weather_windows(frame, length=length)
    parts = chronological_split(frame)
    assert [len(continuous_runs(part)) for part in parts] == [2, 1, 1]  # the gap is in the training part
    for name, part in zip(("train", "valid", "test"), parts):
        # Reference: every day whose 6 days before are in the part ends a window.
        ends = part.index[
            [all(day - pd.Timedelta(days=back) in part.index for back in range(length)) for day in part.index]
        ]
        rows = np.stack(
            [part.index.get_indexer(ends - pd.Timedelta(days=back)) for back in range(length - 1, -1, -1)], axis=1
        )
        x, y = windows[name]
        np.testing.assert_array_equal(x, scale(part, scaler)[rows])
        np.testing.assert_array_equal(y[:, :, 0], part["tmax_tomorrow"].to_numpy()[rows])
        assert window_last_days(part, length).equals(ends)
    train_ends = window_last_days(parts[0], length)
    assert not ((train_ends > GAP_BEFORE) & (train_ends < GAP_AFTER + pd.Timedelta(days=length - 1))).any()
    # The window's last target is the tmax of the day after its last day.
    raw = file_as_read(course_csv)
    np.testing.assert_array_equal(windows["train"][1][:, -1, 0], raw.loc[train_ends + pd.Timedelta(days=1), "tmax"])


def test_the_baselines_are_scored_on_the_windows_target_days(course_csv):
    from rnn_helpers import baseline_scores

    frame = load_weather(course_csv, verbose=False)
    windows, scaler = weather_windows(frame)
    raw, scores = file_as_read(course_csv), baseline_scores(windows, scaler)
    for name, part in zip(("train", "valid", "test"), chronological_split(frame)):
        ends = window_last_days(part)
        errors = raw.loc[ends, "tmax"].to_numpy() - raw.loc[ends + pd.Timedelta(days=1), "tmax"].to_numpy()
        assert scores["tomorrow = today"][name] == pytest.approx(np.mean(errors**2), rel=1e-12)


def test_continuous_runs_cut_where_a_day_is_missing():
    index = pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-04", "2020-01-05", "2020-01-06", "2020-02-01"])
    frame = pd.DataFrame({"tmax": np.arange(6.0)}, index=index)
    assert [run["tmax"].tolist() for run in continuous_runs(frame)] == [[0, 1], [2, 3, 4], [5]]
    assert len(continuous_runs(load_weather())) == 1
    assert continuous_runs(frame.iloc[:0]) == []
