"""What a data scientist tries first: "tomorrow = today" and a linear regression.

Both predict ``tmax_tomorrow`` for the last day of each window, the same target
days the RNN is scored on. Derived in ``05_weather_data``.
"""

from .data import PREDICTORS
from .losses import mse


def persistence_forecast(x, scaler):
    """Tomorrow's tmax = today's tmax (degrees F), for the last day of each window.

    Parameters
    ----------
    x : ndarray, shape (N, T, F)
        Scaled windows; ``scaler`` undoes the scaling.

    Returns
    -------
    ndarray, shape (N,)

    Notes
    -----
    A baseline of ``05_weather_data``; ``06_training_loop`` compares the RNN with it.
    """
    today = scaler.inverse_transform(x[:, -1, :])
    return today[:, PREDICTORS.index("tmax")]


def fit_window_regression(x, y):
    """Least-squares linear regression from every feature of a window to its last target.

    Parameters
    ----------
    x : ndarray, shape (N, T, F)
    y : ndarray, shape (N, T, 1)

    Returns
    -------
    sklearn.linear_model.LinearRegression
        Fitted on the flattened windows: ``coef_`` (T * F,), ``intercept_``; predict
        with ``model.predict(x.reshape(len(x), -1))``.

    Notes
    -----
    A baseline of ``05_weather_data``, which solves the same least-squares problem with
    ``np.linalg.lstsq``; ``06_training_loop`` compares the RNN with it.
    """
    # Imported here for the reason given in data.fit_scaler (import time).
    from sklearn.linear_model import LinearRegression

    return LinearRegression().fit(x.reshape(len(x), -1), y[:, -1, 0])


def baseline_scores(windows, scaler):
    """MSE (degrees F squared) of both baselines on every part.

    Returns
    -------
    dict
        ``{"tomorrow = today": {"train": mse, "valid": mse, "test": mse},
        "linear regression (window)": {...}}``

    Notes
    -----
    Used in ``05_weather_data`` and ``06_training_loop``.
    """
    regression = fit_window_regression(*windows["train"])
    scores = {"tomorrow = today": {}, "linear regression (window)": {}}
    for part, (x, y) in windows.items():
        actual = y[:, -1, 0]
        scores["tomorrow = today"][part] = mse(actual, persistence_forecast(x, scaler))
        scores["linear regression (window)"][part] = mse(actual, regression.predict(x.reshape(len(x), -1)))
    return scores
