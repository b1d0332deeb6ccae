"""The notebooks' plots on weather with gaps in its dates: no line is drawn across a gap."""

import matplotlib
import numpy as np
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from rnn_helpers import chronological_split, load_weather  # noqa: E402
from rnn_helpers.plots import plot_predictions, plot_split  # noqa: E402


def test_plot_split_breaks_its_line_at_the_gap(course_csv):
    frame = load_weather(course_csv, verbose=False)
    fig = plot_split(frame, chronological_split(frame))
    (line,) = fig.axes[0].get_lines()
    dates, values = pd.DatetimeIndex(line.get_xdata()), np.asarray(line.get_ydata(), dtype=float)
    assert dates.equals(pd.date_range(frame.index[0], frame.index[-1], freq="D"))
    gap = (dates > pd.Timestamp("1980-12-30")) & (dates < pd.Timestamp("1983-07-01"))
    assert gap.sum() == 912 and np.isnan(values[gap]).all() and not np.isnan(values[~gap]).any()
    plt.close(fig)


def test_plot_predictions_breaks_its_lines_at_a_gap_and_keeps_day_numbers():
    dates = pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-05", "2020-01-06"])
    fig = plot_predictions(dates, [50.0, 51.0, 52.0, 53.0], [49.0, 50.0, 51.0, 52.0])
    for line in fig.axes[0].get_lines():
        assert np.isnan(np.asarray(line.get_ydata(), dtype=float)).tolist() == [False, False, True, True, False, False]
    plt.close(fig)
    fig = plot_predictions(range(4), [50.0, 51.0, 52.0, 53.0], [49.0, 50.0, 51.0, 52.0])
    assert [len(line.get_ydata()) for line in fig.axes[0].get_lines()] == [4, 4]
    plt.close(fig)
