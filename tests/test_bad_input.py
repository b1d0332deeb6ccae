"""Every bad input a learner is likely to try gets a clear error (README table)."""

import numpy as np
import pytest
from conftest import random_problem

from rnn_helpers import init_params, load_weather, make_windows, mse, rnn_backward, rnn_forward, weather_windows


def write(tmp_path, text):
    path = tmp_path / "weather.csv"
    path.write_text(text)
    return path


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="No weather file at .*missing.csv.*load_weather\\(\\) with no"):
        load_weather(tmp_path / "missing.csv")


def test_missing_columns(tmp_path):
    path = write(tmp_path, "date,tmax,rain\n2020-01-01,50,0\n")
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['tmin'\].*has \['tmax', 'rain'\]"):
        load_weather(path)


def test_text_in_a_numeric_column(tmp_path):
    path = write(tmp_path, "date,tmax,tmin,rain\n2020-01-01,50,40,0\n2020-01-02,warm,41,0\n")
    with pytest.raises(ValueError, match=r"'tmax'.*must be numeric.*'warm' on 2020-01-02"):
        load_weather(path)


def test_empty_file(tmp_path):
    with pytest.raises(ValueError, match="is empty.*header row"):
        load_weather(write(tmp_path, ""))


def test_header_but_no_rows(tmp_path):
    with pytest.raises(ValueError, match="no rows of data"):
        load_weather(write(tmp_path, "date,tmax,tmin,rain\n"))


def test_blank_first_day_cannot_be_forward_filled(tmp_path):
    with pytest.raises(ValueError, match="first day .* blank value"):
        load_weather(write(tmp_path, "date,tmax,tmin,rain\n2020-01-01,,40,0\n2020-01-02,50,41,0\n"))


def test_window_longer_than_the_data():
    with pytest.raises(ValueError, match="A window of 12 days does not fit in 10 rows"):
        make_windows(np.zeros((10, 3)), np.zeros(10), 12)
    with pytest.raises(ValueError, match="fewer than the window length 300"):
        weather_windows(load_weather(), length=300)


def test_batch_with_the_wrong_feature_count():
    params = init_params(3, 4, 1)
    with pytest.raises(ValueError, match=r"\(N, T, F\) with F=3 features.*got shape \(5, 7, 2\)"):
        rnn_forward(np.zeros((5, 7, 2)), params)


def test_one_dimensional_sequence_is_explained():
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\)"):
        rnn_forward(np.array([66.0, 70.0, 62.0]), init_params(1, 2, 1))


def test_nan_in_the_inputs():
    x = np.zeros((7, 3))
    x[2, 1] = np.nan
    with pytest.raises(ValueError, match="1 NaN or infinite value"):
        rnn_forward(x, init_params(3, 4, 1))


def test_mismatched_parameter_shapes():
    params = init_params(3, 4, 1)
    params["h_weight"] = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"h_weight should be \(4, 4\)"):
        rnn_forward(np.zeros((7, 3)), params)
    with pytest.raises(ValueError, match="keys"):
        rnn_forward(np.zeros((7, 3)), {"i_weight": np.zeros((3, 4))})


def test_unknown_activation():
    with pytest.raises(ValueError, match=r"Unknown activation 'sigmoid'. Use one of \['relu', 'tanh'\]"):
        rnn_forward(np.zeros((7, 3)), init_params(3, 4, 1), activation="sigmoid")


def test_backward_with_the_wrong_output_gradient_shape():
    params, x, _ = random_problem(3, 4, 1, steps=7)
    _, hiddens = rnn_forward(x, params)
    with pytest.raises(ValueError, match=r"output_grad must have shape \(7, 1\).*got \(7,\)"):
        rnn_backward(x, hiddens, np.zeros(7), params)
    with pytest.raises(ValueError, match=r"hiddens must have shape \(7, 4\)"):
        rnn_backward(x, hiddens[:3], np.zeros((7, 1)), params)


def test_mse_of_mismatched_shapes():
    with pytest.raises(ValueError, match="must match element for element"):
        mse(np.zeros(3), np.zeros((3, 1)))
