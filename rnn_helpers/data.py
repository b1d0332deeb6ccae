"""Load the weather data, split it in time order, scale it, and cut it into windows.

Derived in ``05_full_training``.
"""

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

PREDICTORS = ["tmax", "tmin", "rain"]
TARGET = "tmax_tomorrow"
REQUIRED_COLUMNS = ["tmax", "tmin", "rain"]
CSV_NAME = "seattle_weather.csv"


def bundled_data_path():
    """Path of the bundled Seattle CSV, in an installed wheel or in a checkout."""
    packaged = resources.files("rnn_helpers") / "_data" / CSV_NAME
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "data" / CSV_NAME


def load_weather(path=None, verbose=True):
    """Load daily weather as a DataFrame indexed by date.

    Parameters
    ----------
    path : str or Path, optional
        A CSV whose first column is the date and which has the columns ``tmax``,
        ``tmin`` (degrees F) and ``rain`` (inches). ``tmax_tomorrow`` is derived
        from ``tmax`` when absent. Default: the bundled Seattle record, 2012-2015.
    verbose : bool
        Report how many gaps were forward-filled.

    Returns
    -------
    pandas.DataFrame
        Columns ``tmax, tmin, rain, tmax_tomorrow`` (float), one row per day,
        sorted by date. Gaps are forward-filled; the rows of a derived
        ``tmax_tomorrow`` end one day before the data does.

    Notes
    -----
    Used from ``01_relu_toy`` on; the cleaning is explained in ``05_full_training``.
    """
    path = bundled_data_path() if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"No weather file at '{path}'. Pass the path of a CSV with the columns "
            f"date, {', '.join(REQUIRED_COLUMNS)}, or call load_weather() with no "
            "argument to use the bundled Seattle data."
        )
    try:
        frame = pd.read_csv(path, index_col=0)
    except pd.errors.EmptyDataError:
        raise ValueError(
            f"The weather file '{path}' is empty. It needs a header row "
            f"(date, {', '.join(REQUIRED_COLUMNS)}) and one row per day."
        ) from None

    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        raise ValueError(
            f"The weather file '{path}' lacks the column(s) {missing}; it has "
            f"{list(frame.columns)}. Rename or add columns so that it has "
            f"{REQUIRED_COLUMNS} (tmax_tomorrow is optional)."
        )
    if len(frame) == 0:
        raise ValueError(f"The weather file '{path}' has a header but no rows of data.")

    columns = [*REQUIRED_COLUMNS, *([TARGET] if TARGET in frame.columns else [])]
    frame = frame[columns]
    for column in columns:
        numeric = pd.to_numeric(frame[column], errors="coerce")
        bad = frame[column].notna() & numeric.isna()
        if bad.any():
            first = bad.idxmax()
            raise ValueError(
                f"Column '{column}' of '{path}' must be numeric, but holds "
                f"{int(bad.sum())} value(s) that are not numbers, the first "
                f"{frame.loc[first, column]!r} on {first}. Fix or blank those cells "
                "(blank cells are forward-filled)."
            )
        frame[column] = numeric.astype(float)

    frame.index = pd.to_datetime(frame.index, errors="raise")
    frame.index.name = "date"
    frame = frame.sort_index()

    if frame[REQUIRED_COLUMNS].iloc[0].isna().any():
        raise ValueError(
            f"The first day in '{path}' has a blank value, so there is nothing to "
            "forward-fill it from. Fill it in or drop that day."
        )
    gaps = int(frame.isna().sum().sum())
    frame[REQUIRED_COLUMNS] = frame[REQUIRED_COLUMNS].ffill()
    tomorrow = frame["tmax"].shift(-1)
    # A missing "tomorrow" is tomorrow's (forward-filled) tmax; the last day has none.
    frame[TARGET] = frame[TARGET].fillna(tomorrow) if TARGET in frame.columns else tomorrow
    if np.isnan(frame[TARGET].iloc[-1]):
        gaps -= TARGET in columns
        frame = frame.iloc[:-1]
    if gaps and verbose:
        print(f"load_weather: forward-filled {gaps} missing value(s) in {path.name}")
    return frame


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
    Derived in ``05_full_training``.
    """
    if not (0 < train_fraction and 0 < valid_fraction and train_fraction + valid_fraction < 1):
        raise ValueError(
            f"train_fraction={train_fraction} and valid_fraction={valid_fraction} must "
            "be positive and add up to less than 1 so the test part is not empty."
        )
    train_end = round(train_fraction * len(frame))
    valid_end = round((train_fraction + valid_fraction) * len(frame))
    return frame.iloc[:train_end], frame.iloc[train_end:valid_end], frame.iloc[valid_end:]


def fit_scaler(train, columns=PREDICTORS):
    """Fit a StandardScaler on the training part only (no peeking at later days).

    Returns
    -------
    sklearn.preprocessing.StandardScaler
        Fitted on ``train[columns]``; apply it with ``scale(part, scaler, columns)``.

    Notes
    -----
    Derived in ``05_full_training``.
    """
    return StandardScaler().fit(train[columns].to_numpy())


def scale(part, scaler, columns=PREDICTORS):
    """Scale ``part[columns]`` with an already fitted scaler; returns an (rows, F) array."""
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
    Derived in ``05_full_training``.
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
    scaler : StandardScaler
        Fitted on the training days only.

    Notes
    -----
    Derived in ``05_full_training``.
    """
    parts = chronological_split(frame, train_fraction, valid_fraction)
    scaler = fit_scaler(parts[0])
    windows = {}
    for name, part in zip(("train", "valid", "test"), parts):
        if len(part) < length:
            raise ValueError(
                f"The {name} part has {len(part)} days, fewer than the window length "
                f"{length}. Use a shorter window or more data (the whole file has "
                f"{len(frame)} days)."
            )
        windows[name] = make_windows(scale(part, scaler), part[TARGET].to_numpy(), length)
    return windows, scaler
