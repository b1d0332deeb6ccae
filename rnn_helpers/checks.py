"""Self-checks for the exercises: pass your own function, learn whether it is right.

Each ``check_*`` runs the learner's function on several small cases and compares it
with the verified helper. On success it prints one short line; on a mismatch it raises
``AssertionError`` naming the first quantity that differs.

The signatures the learner's functions must have (one exercise each):

=========================  ==========================================================  ==========
check                      learner's function                                          notebook
=========================  ==========================================================  ==========
check_relu_forward         ``f(x, i_weight, h_weight, o_weight) -> outputs (T, O)``     01
check_forward              ``f(x, params) -> (outputs, hiddens)``, tanh, (T,F)|(N,T,F)  02
check_numerical_gradient   ``f(loss_fn, params, epsilon=1e-6) -> dict``                 03
check_backward             ``f(x, hiddens, output_grad, params) -> dict``, tanh         04
check_clip                 ``f(grads, max_norm) -> dict``                               04
check_split                ``f(frame, train_fraction=0.7, valid_fraction=0.15)``        05
check_scaling              ``f(train, valid, test) -> three (rows, 3) arrays``          05
check_schedule             ``f(lr, step, total_steps) -> float``                        06
check_training_step        ``f(params, x, y, lr, clip_norm) -> (new_params, loss)``     06
check_stack_backward       ``f(cache, output_grad, layers) -> list of dict``            06
=========================  ==========================================================  ==========
"""

import numpy as np
import pandas as pd

from .data import PREDICTORS, chronological_split, fit_scaler, scale
from .gradcheck import numerical_gradient
from .optim import clip_by_global_norm, linear_schedule, sgd_step
from .rnn import init_params, rnn_backward, rnn_forward
from .stack import init_stack, stack_backward, stack_forward

TOLERANCE = 1e-6


def _cases(n_inputs=3, n_hidden=4, n_outputs=2, steps=5, seed=1):
    """A few non-degenerate problems: non-zero biases, asymmetric weights, T >= 3."""
    random = np.random.default_rng(seed)
    params = init_params(n_inputs, n_hidden, n_outputs, seed=seed)
    params["h_bias"] = params["h_bias"] + 0.1
    params["o_bias"] = params["o_bias"] - 0.2
    single = random.normal(size=(steps, n_inputs))
    batch = random.normal(size=(3, steps, n_inputs))
    return params, [single, batch]


def _compare(label, expected, got):
    got = np.asarray(got, dtype=float)
    if got.shape != np.shape(expected):
        raise AssertionError(f"{label}: expected shape {np.shape(expected)}, got {got.shape}.")
    if not np.allclose(got, expected, rtol=TOLERANCE, atol=TOLERANCE):
        raise AssertionError(f"{label} differs: expected\n{np.round(expected, 6)}\ngot\n{np.round(got, 6)}")


def _compare_dicts(label, expected, got):
    if not isinstance(got, dict):
        raise AssertionError(f"{label}: expected a dict with keys {sorted(expected)}, got {type(got).__name__}.")
    for name in expected:
        if name not in got:
            raise AssertionError(f"{label}: the key {name!r} is missing.")
        _compare(f"{label} {name}", expected[name], got[name])


def check_relu_forward(my_relu_forward):
    """Check ``my_relu_forward(x, i_weight, h_weight, o_weight) -> outputs`` (no biases, ReLU).

    Derived in ``01_relu_toy``.
    """
    params, (single, _) = _cases()
    params["h_bias"][:] = 0
    params["o_bias"][:] = 0
    expected, _ = rnn_forward(single, params, activation="relu")
    got = my_relu_forward(single, params["i_weight"], params["h_weight"], params["o_weight"])
    _compare("outputs", expected, got)
    print("check_relu_forward: correct.")


def check_forward(my_forward):
    """Check ``my_forward(x, params) -> (outputs, hiddens)`` with tanh, for (T, F) and (N, T, F).

    Derived in ``02_tanh_forward``.
    """
    params, cases = _cases()
    for x in cases:
        expected_outputs, expected_hiddens = rnn_forward(x, params)
        outputs, hiddens = my_forward(x, params)
        _compare(f"hiddens for x of shape {x.shape}", expected_hiddens, hiddens)
        _compare(f"outputs for x of shape {x.shape}", expected_outputs, outputs)
    print("check_forward: correct for one sequence and for a batch.")


def check_numerical_gradient(my_numerical_gradient):
    """Check ``my_numerical_gradient(loss_fn, params, epsilon=1e-6) -> dict`` (central differences).

    Derived in ``03_manual_backprop``.
    """
    params, (single, _) = _cases()

    def loss_fn(candidate):
        outputs, _ = rnn_forward(single, candidate)
        return float(np.sum(np.sin(outputs)))

    before = {name: value.copy() for name, value in params.items()}
    expected = numerical_gradient(loss_fn, params)
    got = my_numerical_gradient(loss_fn, params)
    _compare_dicts("numerical gradient of", expected, got)
    _compare_dicts("params after your function (they must not change):", before, params)
    print("check_numerical_gradient: correct.")


def check_backward(my_backward):
    """Check ``my_backward(x, hiddens, output_grad, params) -> dict`` (tanh BPTT).

    Derived in ``04_bptt_loop``.
    """
    params, cases = _cases()
    random = np.random.default_rng(2)
    for x in cases:
        _, hiddens = rnn_forward(x, params)
        output_grad = random.normal(size=hiddens.shape[:-1] + (params["o_weight"].shape[1],))
        expected = rnn_backward(x, hiddens, output_grad, params)
        got = my_backward(x, hiddens, output_grad, params)
        _compare_dicts(f"gradient for x of shape {x.shape}:", expected, got)
    print("check_backward: correct for one sequence and for a batch.")


def check_clip(my_clip):
    """Check ``my_clip(grads, max_norm) -> dict`` (clipping by the global norm).

    Derived in ``04_bptt_loop``.
    """
    params, _ = _cases()
    for max_norm in (0.5, 1e6):
        grads = {name: value * 3 for name, value in params.items()}
        _compare_dicts(f"clipped gradient (max_norm={max_norm}):",
                       clip_by_global_norm(grads, max_norm), my_clip(grads, max_norm))
    print("check_clip: correct.")


def _toy_frame(rows=40, seed=3):
    random = np.random.default_rng(seed)
    index = pd.date_range("2020-01-01", periods=rows, freq="D", name="date")
    frame = pd.DataFrame(random.normal(size=(rows, 3)) * [8, 5, 0.2] + [60, 45, 0.1],
                         index=index, columns=PREDICTORS)
    frame["tmax_tomorrow"] = frame["tmax"].shift(-1).fillna(frame["tmax"].iloc[-1])
    return frame


def check_split(my_split):
    """Check ``my_split(frame, train_fraction=0.7, valid_fraction=0.15) -> (train, valid, test)``.

    Derived in ``05_full_training``.
    """
    frame = _toy_frame()
    for fractions in ((0.7, 0.15), (0.5, 0.25)):
        expected = chronological_split(frame, *fractions)
        got = my_split(frame, *fractions)
        for name, want, have in zip(("train", "valid", "test"), expected, got):
            if list(have.index) != list(want.index):
                raise AssertionError(f"the {name} part (fractions {fractions}) holds other days than expected.")
    print("check_split: correct.")


def check_scaling(my_scale_parts):
    """Check ``my_scale_parts(train, valid, test)``: predictors scaled with training statistics only.

    Derived in ``05_full_training``.
    """
    parts = chronological_split(_toy_frame())
    scaler = fit_scaler(parts[0])
    got = my_scale_parts(*parts)
    for name, part, have in zip(("train", "valid", "test"), parts, got):
        _compare(f"scaled {name} part", scale(part, scaler), have)
    print("check_scaling: correct.")


def check_schedule(my_schedule):
    """Check ``my_schedule(lr, step, total_steps) -> float`` (linear decay to zero).

    Derived in ``06_training_loop``.
    """
    for lr, step, total in ((0.02, 0, 100), (0.02, 50, 100), (0.1, 99, 100), (0.5, 3, 7)):
        _compare(f"learning rate at step {step} of {total} (lr={lr})",
                 linear_schedule(lr, step, total), my_schedule(lr, step, total))
    print("check_schedule: correct.")


def reference_training_step(params, x, y, lr, clip_norm):
    """One SGD step on the mean objective 0.5 * mean((outputs - y)**2); returns (params, loss).

    Derived in ``06_training_loop``.
    """
    outputs, hiddens = rnn_forward(x, params)
    loss = 0.5 * float(np.mean((outputs - y) ** 2))
    grads = rnn_backward(x, hiddens, (outputs - y) / outputs.size, params)
    return sgd_step(params, clip_by_global_norm(grads, clip_norm), lr), loss


def check_training_step(my_training_step):
    """Check ``my_training_step(params, x, y, lr, clip_norm) -> (new_params, loss)``.

    Derived in ``06_training_loop``.
    """
    params, (_, batch) = _cases(n_outputs=1)
    y = np.random.default_rng(4).normal(size=batch.shape[:-1] + (1,))
    for clip_norm in (1e6, 0.05):
        expected_params, expected_loss = reference_training_step(params, batch, y, 0.1, clip_norm)
        got_params, got_loss = my_training_step(params, batch, y, 0.1, clip_norm)
        _compare(f"loss (clip_norm={clip_norm})", expected_loss, got_loss)
        _compare_dicts(f"updated params (clip_norm={clip_norm}):", expected_params, got_params)
    print("check_training_step: correct.")


def check_stack_backward(my_stack_backward):
    """Check ``my_stack_backward(cache, output_grad, layers) -> list of dict`` (tanh).

    Derived in ``06_training_loop``.
    """
    layers = init_stack(3, (4, 3), 2, seed=5)
    x = np.random.default_rng(5).normal(size=(2, 5, 3))
    outputs, cache = stack_forward(x, layers)
    output_grad = np.random.default_rng(6).normal(size=outputs.shape)
    expected = stack_backward(cache, output_grad, layers)
    got = my_stack_backward(cache, output_grad, layers)
    if not isinstance(got, list) or len(got) != len(expected):
        raise AssertionError(f"expected a list of {len(expected)} gradient dicts, one per layer.")
    for index, (want, have) in enumerate(zip(expected, got)):
        _compare_dicts(f"layer {index} gradient:", want, have)
    print("check_stack_backward: correct.")
