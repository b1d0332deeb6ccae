"""What a data scientist tries first: "tomorrow = today" and a linear regression.

Both predict ``tmax_tomorrow`` for the last day of each window, the same target
days the RNN is scored on. Derived in ``05_weather_data``.
"""

import numpy as np

from .data import PREDICTORS


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


class WindowRegression:
    """A fitted linear model: ``predict(flat) = flat @ coef_ + intercept_``.

    A baseline of ``05_weather_data``; ``06_training_loop`` compares the RNN with it.
    """

    def __init__(self, coef, intercept):
        self.coef_, self.intercept_ = coef, intercept

    def predict(self, flat):
        """Predictions for ``flat`` of shape (N, T * F), one per row."""
        return np.asarray(flat, dtype=float) @ self.coef_ + self.intercept_


def fit_window_regression(x, y):
    """Least-squares linear regression from every feature of a window to its last target.

    Centre the features and the target, then solve least squares for the weights (as
    ``sklearn.linear_model.LinearRegression`` does); the intercept puts the means back.

    Parameters
    ----------
    x : ndarray, shape (N, T, F)
    y : ndarray, shape (N, T, 1)

    Returns
    -------
    WindowRegression
        ``coef_`` (T * F,), ``intercept_``; predict with ``model.predict(x.reshape(len(x), -1))``.

    Notes
    -----
    A baseline of ``05_weather_data``; ``06_training_loop`` compares the RNN with it.
    """
    flat, target = x.reshape(len(x), -1), y[:, -1, 0]
    flat_mean, target_mean = flat.mean(axis=0), target.mean()
    coef = np.linalg.lstsq(flat - flat_mean, target - target_mean, rcond=None)[0]
    return WindowRegression(coef, float(target_mean - flat_mean @ coef))


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
        scores["tomorrow = today"][part] = float(np.mean((persistence_forecast(x, scaler) - actual) ** 2))
        predicted = regression.predict(x.reshape(len(x), -1))
        scores["linear regression (window)"][part] = float(np.mean((predicted - actual) ** 2))
    return scores
