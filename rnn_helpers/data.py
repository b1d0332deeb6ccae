"""Load the weather data, split it in time order, scale it, and cut it into windows.

Derived in ``05_weather_data``.
"""

import csv
import io
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

PREDICTORS = ["tmax", "tmin", "rain"]
TARGET = "tmax_tomorrow"
CSV_NAME = "seattle_weather.csv"


def bundled_data_path():
    """Path of the bundled Seattle CSV, in an installed wheel or in a checkout."""
    packaged = resources.files("rnn_helpers") / "_data" / CSV_NAME
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "data" / CSV_NAME


def load_weather(path=None, verbose=True):
    """Load daily weather as a DataFrame indexed by date, one row per day that has a target.

    Parameters
    ----------
    path : str or Path, optional
        A comma-separated UTF-8 text file whose first column is the date, written
        year-month-day (``2020-01-31``), with the columns ``tmax``, ``tmin`` (degrees F)
        and ``rain`` (inches). The first column's header may be blank. Rows may come in
        any order, and days may be missing (gaps). ``tmax_tomorrow`` is derived from
        the next day's ``tmax`` when absent. Default: the bundled Seattle record, 2012-2015.
    verbose : bool
        Print one line on how many blank cells were forward-filled, and one line on the
        gaps in the dates (how many days are missing, the longest gap and where it is).

    Returns
    -------
    pandas.DataFrame
        Columns ``tmax, tmin, rain, tmax_tomorrow`` (float), sorted by date. Blank
        cells (or ``NA``) are forward-filled. A day without a target (see Notes) is
        left out: the day before each gap, and the last day unless the file gives
        its own ``tmax_tomorrow`` there. ``continuous_runs`` cuts it into runs of consecutive days.

    Raises
    ------
    FileNotFoundError, ValueError
        With the file name, the first offending line and what to do: for a file that
        is not UTF-8 comma-separated text, dates that are not year-month-day, a blank
        or repeated date, a row with too many or too few fields, text or infinite
        values in a numeric column, a column that is blank on every row, or a blank
        value on the first day of the file or the first day after a gap.

    Notes
    -----
    Used from ``01_relu_toy`` on; the cleaning is explained in ``05_weather_data``.

    A day's target is its ``tmax_tomorrow`` cell when the file has that column and
    the cell is filled in, else the next calendar day's ``tmax``. The rule at a gap:
    a day whose next calendar day has no row (the last day before a gap) has no
    target, whatever its ``tmax_tomorrow`` cell says. A file that made the column by
    shifting its rows up by one, as the course's file did, holds there the ``tmax``
    of the first day after the gap, which can be years later; the loader cannot tell
    such a value from a measured one, so it trusts neither. The last day of the file
    keeps its own ``tmax_tomorrow`` when it has one: no later row exists that a shift
    could have copied (the bundled file's last day holds the ``tmax`` of 2015-12-31
    this way).

    Forward filling never crosses a gap: the first day after a gap must be complete,
    like the first day of the file. A repeated date is refused rather than guessed at.
    """
    path = bundled_data_path() if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"No weather file at '{path}'. Pass the path of a CSV with the columns "
            f"date, {', '.join(PREDICTORS)}, or call load_weather() with no "
            "argument to use the bundled Seattle data."
        )
    header, lines, rows = _read_rows(path)
    missing = [column for column in PREDICTORS if column not in header[1:]]
    if missing:
        raise ValueError(
            f"The weather file '{path}' lacks the column(s) {missing}; it has "
            f"{header[1:]} after the date. Rename or add columns so that it has "
            f"{PREDICTORS} (tmax_tomorrow is optional)."
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ValueError(f"The weather file '{path}' has the column(s) {repeated} more than once; keep one of each.")
    if not rows:
        raise ValueError(f"The weather file '{path}' has a header but no rows of data.")

    table = pd.DataFrame(rows, columns=header)
    dates = _parse_dates(table[header[0]], lines, path)
    columns = [*PREDICTORS, *([TARGET] if TARGET in header else [])]
    frame = pd.DataFrame({column: _parse_numbers(table[column], column, dates, lines, path) for column in columns})
    frame.index = dates.rename("date")
    order = np.argsort(frame.index.to_numpy(), kind="stable")
    frame, lines = frame.iloc[order], lines[order]
    steps = _day_steps(frame.index)
    _refuse_repeated_days(frame.index, lines, steps, path)

    blank_columns = [column for column in PREDICTORS if frame[column].isna().all()]
    if blank_columns:
        raise ValueError(
            f"The column(s) {blank_columns} of '{path}' are blank on every row. Fill them in "
            "(rain: 0 for a dry day) or use another file."
        )
    if frame[PREDICTORS].iloc[0].isna().any():
        raise ValueError(
            f"The first day in '{path}' ({frame.index[0].date()}, line {lines[0]}) has a blank "
            "value, so there is nothing to forward-fill it from. Fill it in or drop that day."
        )
    _refuse_blank_days_after_gaps(frame, lines, steps, path)
    blank = frame.isna().to_numpy()
    # Every run of consecutive days starts complete (checked above): no fill crosses a gap.
    frame[PREDICTORS] = frame[PREDICTORS].ffill()
    has_next_day = np.append(steps == 1, False)
    before_gap = np.append(steps > 1, False)
    tomorrow = frame["tmax"].shift(-1).where(has_next_day)
    # The rule at a gap (docstring, Notes): the day before it has no target.
    target = frame[TARGET].mask(before_gap).fillna(tomorrow) if TARGET in frame.columns else tomorrow
    frame[TARGET] = target
    has_target = frame[TARGET].notna().to_numpy()
    file_days = frame.index
    # Blank target cells count as filled only on the days kept (filled from the next day).
    filled = int(blank[:, : len(PREDICTORS)].sum()) + int((blank[:, len(PREDICTORS) :] & has_target[:, None]).sum())
    frame = frame.iloc[np.flatnonzero(has_target)]
    if len(frame) == 0:
        if before_gap.any():
            raise ValueError(
                f"No day in '{path}' is followed by its next calendar day, so no day has a "
                "target (the next day's tmax). It needs runs of consecutive days, each of at "
                "least a few weeks."
            )
        raise ValueError(
            f"The weather file '{path}' has one day and no tomorrow for it. It needs a row "
            "for every day of a period of at least a few weeks."
        )
    if filled and verbose:
        print(f"load_weather: forward-filled {filled} missing value(s) in {path.name}")
    if before_gap.any() and verbose:
        print(_gaps_line(path, file_days, lines, steps))
    return frame


NA_MARKERS = {"", "na", "n/a", "nan", "null", "none"}


def _read_rows(path):
    """The header and the data rows of a CSV as strings, with each row's line number."""
    raw = path.read_bytes()
    kinds = [(b"PK\x03\x04", "a zipped spreadsheet (.xlsx or .ods)"), (b"\xd0\xcf\x11\xe0", "an Excel .xls workbook")]
    for signature, kind in kinds:
        if raw.startswith(signature):
            raise ValueError(
                f"The weather file '{path}' is {kind}, not CSV text. Open it in your spreadsheet "
                "program and save it as 'CSV UTF-8 (comma delimited)'."
            )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[:4096]:
        raise ValueError(
            f"The weather file '{path}' is UTF-16 text (or binary), not UTF-8. Save it as "
            "'CSV UTF-8' (or convert it, e.g. iconv -f UTF-16 -t UTF-8)."
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ValueError(
            f"The weather file '{path}' is not UTF-8 text: line {line} holds the byte "
            f"{raw[error.start : error.start + 1]!r}, as written by Latin-1 or Windows-1252. Save it "
            "as 'CSV UTF-8' (or convert it, e.g. iconv -f LATIN1 -t UTF-8)."
        ) from None
    reader = csv.reader(io.StringIO(text))
    header, lines, rows = None, [], []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        row = [cell.strip() for cell in row]
        if header is None:
            header = row
            for separator, name in ((";", "semicolons"), ("\t", "tabs")):
                if len(header) == 1 and separator in header[0]:
                    raise ValueError(
                        f"The weather file '{path}' separates its fields with {name}; this loader "
                        "reads commas. Save it with commas between fields and '.' as the decimal "
                        "point (in a spreadsheet: 'CSV UTF-8 (comma delimited)')."
                    )
            continue
        if len(row) != len(header):
            raise ValueError(
                f"Line {reader.line_num} of '{path}' has {len(row)} fields but the header has "
                f"{len(header)} ({', '.join(header)}): a comma too many or too few shifts the "
                "columns. Give every row one value per column (leave a cell blank, not out)."
            )
        lines.append(reader.line_num)
        rows.append(row)
    if header is None:
        raise ValueError(
            f"The weather file '{path}' is empty. It needs a header row "
            f"(date, {', '.join(PREDICTORS)}) and one row per day."
        )
    return header, np.array(lines), rows


def _parse_dates(cells, lines, path):
    dates = pd.DatetimeIndex(pd.to_datetime(cells, format="%Y-%m-%d", errors="coerce"))
    bad = np.asarray(dates.isna())
    if bad.any():
        first = int(np.argmax(bad))
        what = "no date" if cells.iloc[first] == "" else f"the date {cells.iloc[first]!r}"
        raise ValueError(
            f"Line {lines[first]} of '{path}' has {what}, which is not a year-month-day date "
            f"({int(bad.sum())} such row(s)). Write every date as YYYY-MM-DD, e.g. 2020-01-31 "
            "(in a spreadsheet: format the date column as yyyy-mm-dd before saving)."
        )
    return dates


def _parse_numbers(cells, column, dates, lines, path):
    blank = cells.str.lower().isin(NA_MARKERS).to_numpy()
    numbers = np.array(pd.to_numeric(cells.where(~blank), errors="coerce"), dtype=float)
    # Some pandas releases read an overflowing number such as 1e400 as not a number;
    # Python reads it as infinite, which is what it is (and is refused below).
    for index in np.flatnonzero(np.isnan(numbers) & ~blank):
        try:
            value = float(cells.iloc[index])
        except ValueError:
            continue
        if np.isinf(value):
            numbers[index] = value
    not_a_number = np.isnan(numbers) & ~blank
    infinite = np.isinf(numbers)
    for bad, what, fix in (
        (not_a_number, "value(s) that are not numbers", "Fix or blank those cells (blank cells are forward-filled)."),
        (
            infinite,
            "infinite value(s)",
            "Replace them with measured values or blank them (blank cells are forward-filled).",
        ),
    ):
        if bad.any():
            first = int(np.argmax(bad))
            raise ValueError(
                f"Column '{column}' of '{path}' must be numeric, but holds {int(bad.sum())} "
                f"{what}, the first {cells.iloc[first]!r} on {dates[first].date()} (line "
                f"{lines[first]}). {fix}"
            )
    return numbers


def _day_steps(index):
    """Whole days from each date of a sorted ``index`` to the next (1 for consecutive days)."""
    return np.diff(index.to_numpy()).astype("timedelta64[D]").astype(int)


def _refuse_repeated_days(index, lines, steps, path):
    if (steps == 0).any():
        later = int(np.argmax(steps == 0)) + 1
        raise ValueError(
            f"The date {index[later].date()} appears twice in '{path}' (lines "
            f"{min(lines[later - 1], lines[later])} and {max(lines[later - 1], lines[later])}). "
            "Keep one row per day."
        )


def _refuse_blank_days_after_gaps(frame, lines, steps, path):
    """Refuse a blank cell on the first day after a gap: the day to fill it from is missing."""
    after_gap = np.flatnonzero(steps > 1) + 1
    blank = after_gap[frame[PREDICTORS].iloc[after_gap].isna().any(axis=1).to_numpy()]
    if len(blank):
        first = int(blank[0])
        raise ValueError(
            f"The first day after a gap in '{path}' ({frame.index[first].date()}, line "
            f"{lines[first]}) has a blank value, and the day before it has no row, so there is "
            f"nothing to forward-fill it from ({len(blank)} such day(s)). Fill it in or drop that day."
        )


def _gaps_line(path, index, lines, steps):
    """One line on the gaps in the dates: how many days are missing, the longest gap and where."""
    gaps = np.flatnonzero(steps > 1)
    longest = int(gaps[np.argmax(steps[gaps])])
    missing = int((steps[gaps] - 1).sum())
    return (
        f"load_weather: {path.name} has no rows for {missing:,} day(s) in {len(gaps)} gap(s), the "
        f"longest {int(steps[longest]) - 1:,} day(s) between {index[longest].date()} (line "
        f"{lines[longest]}) and {index[longest + 1].date()} (line {lines[longest + 1]}); windows stay "
        "within the runs of consecutive days, and the last day before a gap has no target."
    )


def chronological_split(frame, train_fraction=0.7, valid_fraction=0.15):
    """Split rows in time order into train, validation and test parts.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows sorted by date.
    train_fraction, valid_fraction : float
        Shares of the rows for the first two parts; the test part gets the rest.

    Returns
    -------
    tuple of pandas.DataFrame
        ``(train, valid, test)``: consecutive, non-overlapping, covering every row.
        The fractions count rows, so a gap in the dates stays inside a part or
        falls between two.

    Notes
    -----
    Derived in ``05_weather_data``.
    """
    if not (0 < train_fraction and 0 < valid_fraction and train_fraction + valid_fraction < 1):
        raise ValueError(
            f"train_fraction={train_fraction} and valid_fraction={valid_fraction} must "
            "be positive and add up to less than 1 so the test part is not empty."
        )
    train_days, valid_days, _ = _part_sizes(len(frame), train_fraction, valid_fraction)
    train_end, valid_end = train_days, train_days + valid_days
    return frame.iloc[:train_end], frame.iloc[train_end:valid_end], frame.iloc[valid_end:]


def fit_scaler(train, columns=PREDICTORS):
    """Fit a scaler on the training part only (no peeking at later days).

    Returns
    -------
    sklearn.preprocessing.StandardScaler
        Fitted on ``train[columns]`` (as an array): ``mean_`` and ``scale_`` (the
        population standard deviation; 1 for a constant column) of every column.
        Apply it with ``scale(part, scaler, columns)``; ``inverse_transform`` undoes it.

    Notes
    -----
    The arithmetic is worked out by hand in ``05_weather_data``.
    """
    # Imported here, not at the top: scikit-learn takes about 0.9 s to import (measured in a
    # kernel that has NumPy, pandas and matplotlib), which notebooks 01-04 need not pay.
    from sklearn.preprocessing import StandardScaler

    return StandardScaler().fit(train[columns].to_numpy())


def scale(part, scaler, columns=PREDICTORS):
    """Scale ``part[columns]`` with an already fitted scaler; returns an (rows, F) array.

    The arithmetic is worked out by hand in ``05_weather_data``.
    """
    return scaler.transform(part[columns].to_numpy())


def continuous_runs(frame):
    """Cut ``frame`` where a day is missing: a list of its runs of consecutive days.

    Parameters
    ----------
    frame : pandas.DataFrame
        Indexed by date and sorted, e.g. from ``load_weather`` or a part of
        ``chronological_split``. A frame with another kind of index is one run.

    Returns
    -------
    list of pandas.DataFrame
        The runs in time order; together they hold every row of ``frame``. Data
        without gaps is one run.

    Notes
    -----
    Windows are cut inside each run, so no window spans a gap (``weather_windows``).
    The gaps are explained in ``05_weather_data``.
    """
    if not isinstance(frame.index, pd.DatetimeIndex) or len(frame) == 0:
        return [frame] if len(frame) else []
    cuts = [0, *(np.flatnonzero(_day_steps(frame.index) != 1) + 1), len(frame)]
    return [frame.iloc[start:stop] for start, stop in zip(cuts, cuts[1:])]


def make_windows(inputs, targets, length):
    """Cut aligned sequences into overlapping windows of ``length`` consecutive days.

    Parameters
    ----------
    inputs : ndarray, shape (rows, F)
    targets : ndarray, shape (rows,) or (rows, O)
    length : int
        Window length T.

    Returns
    -------
    (ndarray, ndarray)
        Windows of shape (rows - T + 1, T, F) and (rows - T + 1, T, O); window i
        covers rows i ... i + T - 1.

    Notes
    -----
    Derived in ``05_weather_data``.
    """
    inputs = np.asarray(inputs, dtype=float)
    targets = np.asarray(targets, dtype=float)
    if targets.ndim == 1:
        targets = targets[:, None]
    if inputs.ndim != 2 or targets.ndim != 2 or len(inputs) != len(targets):
        raise ValueError(
            f"make_windows needs inputs (rows, F) and targets (rows,) or (rows, O) with "
            f"the same number of rows; got {inputs.shape} and {targets.shape}."
        )
    if not 1 <= length <= len(inputs):
        raise ValueError(
            f"A window of {length} days does not fit in {len(inputs)} rows. Use a "
            f"window length between 1 and {len(inputs)}, or more data."
        )
    input_windows = np.lib.stride_tricks.sliding_window_view(inputs, length, axis=0)
    target_windows = np.lib.stride_tricks.sliding_window_view(targets, length, axis=0)
    # sliding_window_view puts the window axis last: (N, F, T) -> (N, T, F).
    return input_windows.transpose(0, 2, 1).copy(), target_windows.transpose(0, 2, 1).copy()


def weather_windows(frame, length=7, train_fraction=0.7, valid_fraction=0.15):
    """Split, scale (fit on train only) and window the weather data in one call.

    Parameters
    ----------
    frame : pandas.DataFrame
        From ``load_weather``.
    length : int
        Window length T in days.

    Returns
    -------
    windows : dict
        ``{"train": (x, y), "valid": (x, y), "test": (x, y)}`` with ``x`` of shape
        (N, T, 3) holding the scaled predictors and ``y`` of shape (N, T, 1) holding
        ``tmax_tomorrow`` in degrees F (unscaled).
    scaler : sklearn.preprocessing.StandardScaler
        Fitted on the training days only.

    Notes
    -----
    Derived in ``05_weather_data``. The split is by rows, in time order. Each part is
    cut into its runs of consecutive days (``continuous_runs``) and each run into
    windows, so no window spans a gap in the dates or two parts; a run shorter than
    the window gives none. ``window_last_days`` gives the date of each window's last day.
    """
    parts = chronological_split(frame, train_fraction, valid_fraction)
    runs = [continuous_runs(part) for part in parts]
    _check_room_for_windows(frame, parts, runs, length, train_fraction, valid_fraction)
    scaler = fit_scaler(parts[0])
    windows = {}
    for name, part_runs in zip(("train", "valid", "test"), runs):
        pieces = [
            make_windows(scale(run, scaler), run[TARGET].to_numpy(), length) for run in part_runs if len(run) >= length
        ]
        windows[name] = tuple(np.concatenate(arrays) for arrays in zip(*pieces))
    return windows, scaler


def window_last_days(part, length=7):
    """The date of the last day of each window of ``part``, in the order of ``weather_windows``.

    Window i ends on day ``window_last_days(part, length)[i]``; its last target is the
    ``tmax`` of the day after. Use it instead of ``part.index[length - 1:]``, which is
    the same only for data without gaps.

    Notes
    -----
    The windows are cut in ``05_weather_data``; ``06_training_loop`` plots forecasts by date.
    """
    ends = [run.index[length - 1 :] for run in continuous_runs(part)]
    return ends[0].append(ends[1:]) if ends else pd.DatetimeIndex([])


def _check_room_for_windows(frame, parts, runs, length, train_fraction, valid_fraction):
    """Refuse a part too short for one window, saying how many days the data needs."""
    names = ("train", "valid", "test")
    shortest = min(len(part) for part in parts)
    if shortest < length:
        name = names[[len(part) for part in parts].index(shortest)]
        needed = next(
            (
                days
                for days in range(length, 1000 * length + 3)
                if min(_part_sizes(days, train_fraction, valid_fraction)) >= length
            ),
            None,
        )
        need = (
            f"{length}-day windows need at least {needed} days of data"
            if needed is not None
            else "these fractions leave a part too small for any window"
        )
        shorter = (
            f"Use a window of at most {shortest} days, or more data"
            if shortest >= 1
            else "Use larger fractions for every part, or more data"
        )
        raise ValueError(
            f"The {name} part has {shortest} days, fewer than the window length {length}: "
            f"{need}, and there are {len(frame)}. {shorter}."
        )
    longest = [max(len(run) for run in part_runs) for part_runs in runs]
    if min(longest) < length:
        index = longest.index(min(longest))
        part = parts[index]
        raise ValueError(
            f"The {names[index]} part ({part.index[0].date()} to {part.index[-1].date()}, {len(part)} days) "
            f"has gaps in its dates, and its longest run of consecutive days is {longest[index]} days, "
            f"fewer than the window length {length}; a window never spans a gap. Use a window of at "
            f"most {longest[index]} days, other fractions, or data with longer runs."
        )


def _part_sizes(days, train_fraction, valid_fraction):
    """Rows in the train, valid and test parts of ``days`` rows (the split's rounding)."""
    train_end = round(train_fraction * days)
    valid_end = round((train_fraction + valid_fraction) * days)
    return train_end, valid_end - train_end, days - valid_end
