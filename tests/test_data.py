"""The bundled data, the loader's checks, the split, the scaler and the windows."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnn_helpers import chronological_split, fit_scaler, load_weather, make_windows, scale, weather_windows
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


def test_the_scaler_and_the_window_regression_give_scikit_learns_numbers():
    from sklearn.linear_model import LinearRegression
    from sklearn.preprocessing import StandardScaler

    from rnn_helpers import fit_window_regression

    frame = load_weather()
    train = chronological_split(frame)[0]
    ours, theirs = fit_scaler(train), StandardScaler().fit(train[["tmax", "tmin", "rain"]].to_numpy())
    np.testing.assert_array_equal(ours.mean_, theirs.mean_)
    np.testing.assert_array_equal(ours.scale_, theirs.scale_)
    values = frame[["tmax", "tmin", "rain"]].to_numpy()
    np.testing.assert_array_equal(ours.transform(values), theirs.transform(values))
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(values)), values, rtol=1e-13)
    constant = np.column_stack([np.full(5, 3.0), np.arange(5.0)])
    np.testing.assert_array_equal(type(ours).fit(constant).scale_, StandardScaler().fit(constant).scale_)

    windows, _ = weather_windows(frame)
    (x, y), test_x = windows["train"], windows["test"][0].reshape(len(windows["test"][0]), -1)
    regression = fit_window_regression(x, y)
    reference = LinearRegression().fit(x.reshape(len(x), -1), y[:, -1, 0])
    np.testing.assert_allclose(regression.coef_, reference.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(regression.predict(test_x), reference.predict(test_x), rtol=1e-12)
