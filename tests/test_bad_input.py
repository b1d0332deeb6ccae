"""Every bad input a learner is likely to try gets a clear error (docs/errors.md)."""

import numpy as np
import pandas as pd
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


# The learner's own weather file: a target must be the next calendar day's tmax, or not exist.

HEADER = "date,tmax,tmin,rain\n"


def days(*dates, tmax=50):
    return "".join(f"{date},{tmax + index},{40 + index},0\n" for index, date in enumerate(dates))


def test_missing_days_are_a_gap_reported_in_one_line_and_the_day_before_has_no_target(tmp_path, capsys):
    path = write(tmp_path, HEADER + days("2020-01-01", "2020-01-02", "2020-03-01", "2020-03-02", "2020-03-03"))
    frame = load_weather(path)
    (line,) = capsys.readouterr().out.splitlines()
    assert line == (
        "load_weather: weather.csv has no rows for 58 day(s) in 1 gap(s), the longest 58 day(s) between "
        "2020-01-02 (line 3) and 2020-03-01 (line 4); windows stay within the runs of consecutive days, "
        "and the last day before a gap has no target."
    )
    assert [str(day.date()) for day in frame.index] == ["2020-01-01", "2020-03-01", "2020-03-02"]
    assert frame["tmax_tomorrow"].tolist() == [51.0, 53.0, 54.0]


def test_the_day_before_a_gap_has_no_target_whatever_its_tmax_tomorrow_says(tmp_path):
    # As a file made by shifting rows would have it: 2020-01-02's "tomorrow" is 2020-03-01's tmax.
    path = write(
        tmp_path,
        ",tmax,tmin,rain,tmax_tomorrow\n2020-01-01,50,40,0,51\n2020-01-02,51,41,0,70\n"
        "2020-03-01,70,50,0,71\n2020-03-02,71,51,0,72\n",
    )
    frame = load_weather(path, verbose=False)
    assert frame["tmax_tomorrow"].to_dict() == {
        pd.Timestamp("2020-01-01"): 51.0,
        pd.Timestamp("2020-03-01"): 71.0,
        pd.Timestamp("2020-03-02"): 72.0,  # the last day keeps its own value
    }


def test_a_blank_first_day_after_a_gap_is_refused(tmp_path):
    path = write(tmp_path, HEADER + "2020-01-01,50,40,0\n2020-01-02,51,41,0\n2020-03-01,,50,0\n2020-03-02,71,51,0\n")
    with pytest.raises(
        ValueError, match=r"first day after a gap .*\(2020-03-01, line 4\) has a blank value.*Fill it in"
    ):
        load_weather(path)


def test_a_file_without_two_consecutive_days_is_refused(tmp_path):
    with pytest.raises(ValueError, match="No day in .* is followed by its next calendar day"):
        load_weather(write(tmp_path, HEADER + days("2020-01-01", "2020-01-03", "2020-01-05")))


def test_a_part_whose_runs_are_all_shorter_than_the_window_is_refused(tmp_path):
    dates = pd.date_range("2020-01-01", periods=60).strftime("%Y-%m-%d").tolist()
    dates = dates[:45] + dates[46:49] + dates[50:53] + dates[54:]  # no rows for the 46th, 50th and 54th day
    frame = load_weather(write(tmp_path, HEADER + days(*dates)), verbose=False)
    with pytest.raises(
        ValueError,
        match=r"The test part \(2020-02-17 to 2020-02-28, 8 days\) has gaps in its dates, and its longest "
        r"run of consecutive days is 5 days, fewer than the window length 7; a window never spans a gap. "
        r"Use a window of at most 5 days",
    ):
        weather_windows(frame, length=7)
    windows, _ = weather_windows(frame, length=5)  # the advice works
    assert len(windows["test"][0]) == 1


def test_a_repeated_date_is_refused(tmp_path):
    path = write(tmp_path, HEADER + days("2020-01-01", "2020-01-02", "2020-01-02", "2020-01-03"))
    with pytest.raises(ValueError, match=r"2020-01-02 appears twice .*lines 3 and 4.*one row per day"):
        load_weather(path)


def test_a_blank_date_is_refused(tmp_path):
    path = write(tmp_path, HEADER + "2020-01-01,50,40,0\n,51,41,0\n2020-01-02,52,42,0\n")
    with pytest.raises(ValueError, match=r"Line 3 of .*weather.csv' has no date.*YYYY-MM-DD"):
        load_weather(path)


@pytest.mark.parametrize(
    "first, bad",
    [
        ("1", "'1'"),
        ("03/01/2020", "'03/01/2020'"),
        ("01.03.2020", "'01.03.2020'"),
        ("2020-02-30", "'2020-02-30'"),
        ("March 1", "'March 1'"),
    ],
)
def test_dates_that_are_not_year_month_day_are_refused(tmp_path, first, bad):
    path = write(tmp_path, HEADER + f"{first},50,40,0\n2020-03-02,51,41,0\n")
    with pytest.raises(ValueError, match=rf"Line 2 of .* has the date {bad}, which is not a year-month-day date"):
        load_weather(path)


def test_mixed_date_formats_name_the_first_odd_one(tmp_path):
    path = write(tmp_path, HEADER + "2020-03-01,50,40,0\n2020-03-02,51,41,0\n03/03/2020,52,42,0\n")
    with pytest.raises(ValueError, match=r"Line 4 .*'03/03/2020'.*\(1 such row"):
        load_weather(path)


@pytest.mark.parametrize("row, count", [("2020-01-02,51,41,0,7", 5), ("2020-01-02,51,41", 3)])
def test_a_row_with_a_field_too_many_or_too_few_is_refused(tmp_path, row, count):
    path = write(tmp_path, HEADER + f"2020-01-01,50,40,0\n{row}\n2020-01-03,52,42,0\n")
    with pytest.raises(ValueError, match=rf"Line 3 of .* has {count} fields but the header has 4"):
        load_weather(path)


def test_rows_in_any_order_are_sorted_and_tomorrow_is_the_next_day(tmp_path):
    path = write(tmp_path, HEADER + "2020-01-03,53,40,0\n2020-01-01,51,40,0\n2020-01-02,52,40,0\n")
    frame = load_weather(path)
    assert frame["tmax_tomorrow"].tolist() == [52.0, 53.0]
    assert [str(day.date()) for day in frame.index] == ["2020-01-01", "2020-01-02"]


@pytest.mark.parametrize(
    "content, message",
    [
        ("date,tmax,tmin,rain\n2020-01-01,50,40,0\n2020-01-02,51,41,0\n".encode("utf-16"), "UTF-16"),
        (
            "date,tmax,tmin,rain,station\n2020-01-01,50,40,0,Montréal\n".encode("latin-1"),
            r"not UTF-8 text: line 2 .*b'\\xe9'.*iconv",
        ),
        (b"PK\x03\x04" + bytes(60), r"zipped spreadsheet \(.xlsx or .ods\), not CSV text.*CSV UTF-8"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(60), r"Excel .xls workbook"),
        (b"date;tmax;tmin;rain\n2020-01-01;50;40;0,1\n", r"separates its fields with semicolons.*commas"),
        (b"date\ttmax\ttmin\train\n2020-01-01\t50\t40\t0\n", r"separates its fields with tabs"),
    ],
)
def test_files_that_are_not_utf8_comma_separated_text(tmp_path, content, message):
    path = tmp_path / "weather.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=rf"weather.csv.*{message}"):
        load_weather(path)


def test_utf8_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "weather.csv"
    path.write_bytes(("\ufeff" + HEADER + days("2020-01-01", "2020-01-02")).encode("utf-8"))
    assert load_weather(path)["tmax_tomorrow"].tolist() == [51.0]


def test_a_column_blank_on_every_row_is_named(tmp_path):
    path = write(tmp_path, HEADER + "2020-01-01,50,40,\n2020-01-02,51,41,\n")
    with pytest.raises(ValueError, match=r"\['rain'\] of .* are blank on every row"):
        load_weather(path)


@pytest.mark.parametrize("value", ["inf", "-inf", "1e400", "Infinity"])
def test_infinite_values_are_refused(tmp_path, value):
    path = write(tmp_path, HEADER + f"2020-01-01,50,40,0\n2020-01-02,{value},41,0\n")
    with pytest.raises(
        ValueError, match=rf"'tmax' .* 1 infinite value\(s\), the first '{value}' on 2020-01-02 \(line 3\)"
    ):
        load_weather(path)


def test_a_single_day_has_no_tomorrow(tmp_path):
    with pytest.raises(ValueError, match="one day and no tomorrow"):
        load_weather(write(tmp_path, HEADER + days("2020-01-01")))


def test_too_few_days_for_the_windows_says_how_many_are_needed(tmp_path):
    dates = [f"2020-01-{day:02d}" for day in range(1, 32)]
    frame = load_weather(write(tmp_path, HEADER + days(*dates)))
    with pytest.raises(
        ValueError,
        match=r"The test part has 4 days, fewer than the window length 7: 7-day "
        r"windows need at least 45 days of data, and there are 30. Use a window "
        r"of at most 4 days",
    ):
        weather_windows(frame, length=7)
    windows, _ = weather_windows(frame, length=4)  # the advice works
    assert len(windows["test"][0]) == 1


def test_fractions_that_leave_no_room_for_a_window_are_refused_clearly():
    from rnn_helpers import load_weather, weather_windows

    with pytest.raises(ValueError, match="valid part has 0 days.*larger fractions"):
        weather_windows(load_weather(verbose=False), valid_fraction=0.0001)
