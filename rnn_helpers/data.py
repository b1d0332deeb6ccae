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
    """Load daily weather as a DataFrame indexed by date, one row per calendar day.

    Parameters
    ----------
    path : str or Path, optional
        A comma-separated UTF-8 text file whose first column is the date, written
        year-month-day (``2020-01-31``), with the columns ``tmax``, ``tmin`` (degrees F)
        and ``rain`` (inches). Rows may come in any order, but every day from the first
        to the last needs a row. ``tmax_tomorrow`` is derived from the next day's
        ``tmax`` when absent. Default: the bundled Seattle record, 2012-2015.
    verbose : bool
        Report how many blank cells were forward-filled.

    Returns
    -------
    pandas.DataFrame
        Columns ``tmax, tmin, rain, tmax_tomorrow`` (float), one row per day,
        sorted by date. Blank cells (or ``NA``) are forward-filled; the rows of a
        derived ``tmax_tomorrow`` end one day before the data does.

    Raises
    ------
    FileNotFoundError, ValueError
        With the file name, the first offending line and what to do: for a file that
        is not UTF-8 comma-separated text, dates that are not year-month-day, a blank,
        repeated or missing day, a row with too many or too few fields, text or
        infinite values in a numeric column, or a column that is blank on every row.

    Notes
    -----
    Used from ``01_relu_toy`` on; the cleaning is explained in ``05_weather_data``.
    A target must be the next calendar day's maximum, so a file with a missing,
    repeated or blank date is refused rather than guessed at.
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
    _check_one_row_per_day(frame.index, lines, path)

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
    gaps = int(frame.isna().sum().sum())
    frame[PREDICTORS] = frame[PREDICTORS].ffill()
    # Every row is the day after the one before (checked above), so the next row is tomorrow.
    tomorrow = frame["tmax"].shift(-1)
    frame[TARGET] = frame[TARGET].fillna(tomorrow) if TARGET in frame.columns else tomorrow
    if np.isnan(frame[TARGET].iloc[-1]):
        gaps -= TARGET in columns
        frame = frame.iloc[:-1]
    if len(frame) == 0:
        raise ValueError(
            f"The weather file '{path}' has one day and no tomorrow for it. It needs a row "
            "for every day of a period of at least a few weeks."
        )
    if gaps and verbose:
        print(f"load_weather: forward-filled {gaps} missing value(s) in {path.name}")
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


def _check_one_row_per_day(index, lines, path):
    steps = np.diff(index.to_numpy()).astype("timedelta64[D]").astype(int)
    if (steps == 0).any():
        later = int(np.argmax(steps == 0)) + 1
        raise ValueError(
            f"The date {index[later].date()} appears twice in '{path}' (lines "
            f"{min(lines[later - 1], lines[later])} and {max(lines[later - 1], lines[later])}). "
            "Keep one row per day."
        )
    if (steps > 1).any():
        after = int(np.argmax(steps > 1))
        missing = int(steps[after]) - 1
        raise ValueError(
            f"'{path}' has no row for the {missing} day(s) between {index[after].date()} (line "
            f"{lines[after]}) and {index[after + 1].date()} (line {lines[after + 1]}). Each "
            "day's target is the next calendar day's tmax, so every day needs a row: add the "
            "missing days (blank cells are forward-filled) or use only the days after the gap."
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


class Scaler:
    """Per-column standardisation: ``(values - mean_) / scale_``, and back.

    The arithmetic of scikit-learn's ``StandardScaler`` (population standard deviation;
    a constant column gets ``scale_`` 1), with its attribute and method names, in a few
    lines of NumPy: importing scikit-learn would take longer than training on the
    bundled data.

    Notes
    -----
    The arithmetic is worked out by hand in ``05_weather_data``.
    """

    def __init__(self, mean, scale):
        self.mean_, self.scale_ = np.asarray(mean, dtype=float), np.asarray(scale, dtype=float)
        self.var_ = self.scale_**2
        self.n_features_in_ = len(self.mean_)

    @classmethod
    def fit(cls, values):
        """Fit on ``values`` (rows, F): the mean and standard deviation of every column."""
        values = np.asarray(values, dtype=float)
        mean = values.mean(axis=0)
        variance = ((values - mean) ** 2).mean(axis=0)
        # A column that is constant up to rounding keeps its values' spread: scale 1.
        eps, rows = np.finfo(float).eps, len(values)
        constant = (variance <= rows * eps * variance + (rows * mean * eps) ** 2) | (np.sqrt(variance) < 10 * eps)
        return cls(mean, np.where(constant, 1.0, np.sqrt(variance)))

    def transform(self, values):
        """Scaled copy of ``values`` (rows, F)."""
        return (np.asarray(values, dtype=float) - self.mean_) / self.scale_

    def inverse_transform(self, values):
        """Undo ``transform``: values in their own units again."""
        return np.asarray(values, dtype=float) * self.scale_ + self.mean_

    def __repr__(self):
        return f"Scaler(mean_={np.round(self.mean_, 4).tolist()}, scale_={np.round(self.scale_, 4).tolist()})"


def fit_scaler(train, columns=PREDICTORS):
    """Fit a scaler on the training part only (no peeking at later days).

    Returns
    -------
    Scaler
        ``mean_`` and ``scale_`` (standard deviation) of every column of ``train[columns]``,
        as ``sklearn.preprocessing.StandardScaler`` computes them; apply it with
        ``scale(part, scaler, columns)``.

    Notes
    -----
    Derived in ``05_weather_data``.
    """
    return Scaler.fit(train[columns].to_numpy())


def scale(part, scaler, columns=PREDICTORS):
    """Scale ``part[columns]`` with an already fitted scaler; returns an (rows, F) array.

    The arithmetic is worked out by hand in ``05_weather_data``.
    """
    return scaler.transform(part[columns].to_numpy())


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
    scaler : Scaler
        Fitted on the training days only.

    Notes
    -----
    Derived in ``05_weather_data``.
    """
    parts = chronological_split(frame, train_fraction, valid_fraction)
    windows = {}
    shortest = min(len(part) for part in parts)
    if shortest < length:
        name = ("train", "valid", "test")[[len(part) for part in parts].index(shortest)]
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
    scaler = fit_scaler(parts[0])
    for name, part in zip(("train", "valid", "test"), parts):
        windows[name] = make_windows(scale(part, scaler), part[TARGET].to_numpy(), length)
    return windows, scaler


def _part_sizes(days, train_fraction, valid_fraction):
    """Rows in the train, valid and test parts of ``days`` rows (the split's rounding)."""
    train_end = round(train_fraction * days)
    valid_end = round((train_fraction + valid_fraction) * days)
    return train_end, valid_end - train_end, days - valid_end
