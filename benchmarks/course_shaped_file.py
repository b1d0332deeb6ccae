"""A weather file shaped like the course's: a blank first header, tmax_tomorrow, a long gap.

    uv run python benchmarks/course_shaped_file.py OUT.csv    # write one

The course's file is not part of the project. Like it, this one has a first column of
dates whose header is blank, its own ``tmax_tomorrow`` column and a few blank cells, and
it has no rows for the 911 days between 1980-12-31 and 1983-07-01. Its ``tmax_tomorrow``
is made as the course's was, by shifting ``tmax`` up one row. So on 1980-12-31 it holds
the ``tmax`` of 1983-07-01, and on the last row it is blank.

The values are the bundled 2012-2015 Seattle observations, repeated along the calendar
from 1970-01-01, the missing days included, so the seasons stay in step across the gap.
``bench_large_file.py`` times the command line on it; ``tests/test_data.py`` and
``tests/test_cli.py`` load it.
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from rnn_helpers.data import bundled_data_path

DAYS = 13_500
FIRST_DAY = "1970-01-01"
GAP = ("1981-01-01", "1983-06-30")  # the first and last day without a row: 911 days
BLANK_EVERY = {"tmax": 2_003, "tmin": 1_009, "rain": 1_499}  # a blank cell every so many rows


def course_shaped_frame(days=DAYS):
    """The file's rows as a DataFrame: ``days`` rows of dates, tmax, tmin, rain, tmax_tomorrow."""
    bundled = pd.read_csv(bundled_data_path(), index_col=0)[["tmax", "tmin", "rain"]]
    gap = pd.date_range(*GAP, freq="D")
    calendar = pd.date_range(FIRST_DAY, periods=days + len(gap), freq="D")
    cycle = np.arange(len(calendar)) % len(bundled)
    frame = pd.DataFrame(bundled.to_numpy()[cycle], index=calendar, columns=bundled.columns)
    frame = frame.drop(gap)
    for column, every in BLANK_EVERY.items():
        frame.iloc[every::every, frame.columns.get_loc(column)] = np.nan
    frame["tmax_tomorrow"] = frame["tmax"].shift(-1)  # by rows, as the course did: wrong at the gap
    frame.index = frame.index.strftime("%Y-%m-%d")
    return frame


def write_course_shaped_file(path, days=DAYS):
    """Write the course-shaped file to ``path``; returns ``path``."""
    course_shaped_frame(days).to_csv(path, index_label="")
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the CSV file to write")
    parser.add_argument("--days", type=int, default=DAYS, help="rows (default: %(default)s)")
    args = parser.parse_args()
    print(write_course_shaped_file(args.out, args.days))
