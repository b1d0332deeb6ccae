"""rnn_helpers: the verified functions of the RNN from Scratch notebook series.

Each function's docstring names the notebook where it is derived. The training
loop lives in ``rnn_helpers.train`` (``from rnn_helpers.train import train``),
which is also the command line ``python -m rnn_helpers.train``.
"""

from .baselines import baseline_scores, fit_window_regression, persistence_forecast
from .data import (
    PREDICTORS,
    TARGET,
    chronological_split,
    continuous_runs,
    fit_scaler,
    load_weather,
    make_windows,
    scale,
    weather_windows,
    window_last_days,
)
from .gradcheck import EPSILON, GRADIENT_TOLERANCE, check_gradients, numerical_gradient, relative_error
from .losses import half_sse, half_sse_grad, mse, mse_grad
from .optim import Adam, clip_by_global_norm, linear_schedule, sgd_step
from .rnn import (
    PARAM_NAMES,
    get_activation,
    init_params,
    rnn_backward,
    rnn_backward_with_input_grad,
    rnn_forward,
)
from .stack import init_stack, stack_backward, stack_forward

__all__ = [
    "EPSILON",
    "GRADIENT_TOLERANCE",
    "PARAM_NAMES",
    "PREDICTORS",
    "TARGET",
    "Adam",
    "baseline_scores",
    "check_gradients",
    "chronological_split",
    "clip_by_global_norm",
    "continuous_runs",
    "fit_scaler",
    "fit_window_regression",
    "get_activation",
    "half_sse",
    "half_sse_grad",
    "init_params",
    "init_stack",
    "linear_schedule",
    "load_weather",
    "make_windows",
    "mse",
    "mse_grad",
    "numerical_gradient",
    "persistence_forecast",
    "relative_error",
    "rnn_backward",
    "rnn_backward_with_input_grad",
    "rnn_forward",
    "scale",
    "sgd_step",
    "stack_backward",
    "stack_forward",
    "weather_windows",
    "window_last_days",
]
