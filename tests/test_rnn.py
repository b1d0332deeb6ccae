"""Forward pass, initialisation and the exact gradients of rnn_backward."""

import numpy as np
import pytest

from conftest import STEP, random_problem
from rnn_helpers import (
    GRADIENT_TOLERANCE,
    check_gradients,
    half_sse,
    half_sse_grad,
    init_params,
    mse,
    mse_grad,
    numerical_gradient,
    rnn_backward,
    rnn_backward_with_input_grad,
    rnn_forward,
    sgd_step,
)


def test_relu_toy_reproduces_the_seed(toy_params):
    outputs, hiddens = rnn_forward(np.array([[66.0], [70.0], [62.0]]), toy_params, activation="relu")
    np.testing.assert_allclose(outputs.ravel(), [57.94406231, 124.54916092, 190.94853131], rtol=1e-9)
    np.testing.assert_allclose(hiddens[0], [36.22169126, 47.20249818], rtol=1e-9)


def test_init_params_matches_the_seed_draw():
    params = init_params(3, 4, 1, seed=0)
    np.random.seed(0)
    k = 1 / np.sqrt(4)
    expected = [np.random.rand(*shape) * 2 * k - k for shape in [(3, 4), (4, 4), (1, 4), (4, 1), (1, 1)]]
    for name, value in zip(["i_weight", "h_weight", "h_bias", "o_weight", "o_bias"], expected):
        np.testing.assert_array_equal(params[name], value)
    assert all(np.abs(v).max() < k for v in params.values())


def test_init_params_leaves_global_random_state_alone():
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    init_params(2, 3, 1, seed=5)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_forward_applies_the_bias_at_step_zero():
    params = init_params(1, 3, 1)
    outputs, hiddens = rnn_forward(np.zeros((1, 1)), params)
    np.testing.assert_allclose(hiddens[0], np.tanh(params["h_bias"][0]))
    np.testing.assert_allclose(outputs, np.tanh(params["h_bias"]) @ params["o_weight"] + params["o_bias"])


def test_batch_forward_equals_one_sequence_at_a_time():
    params, x, _ = random_problem(3, 5, 2, steps=6, batch=4)
    outputs, hiddens = rnn_forward(x, params)
    assert outputs.shape == (4, 6, 2) and hiddens.shape == (4, 6, 5)
    for index in range(4):
        single_outputs, single_hiddens = rnn_forward(x[index], params)
        np.testing.assert_allclose(outputs[index], single_outputs, rtol=1e-12)
        np.testing.assert_allclose(hiddens[index], single_hiddens, rtol=1e-12)


def test_each_window_starts_from_a_zero_hidden_state():
    params, x, _ = random_problem(2, 3, 1, steps=5, batch=3)
    outputs, _ = rnn_forward(x, params)
    reversed_outputs, _ = rnn_forward(x[::-1], params)
    np.testing.assert_allclose(outputs, reversed_outputs[::-1], rtol=1e-12)
    again, _ = rnn_forward(x, params)
    np.testing.assert_array_equal(outputs, again)


def loss_of(x, y, activation):
    """The objective rnn_backward differentiates when output_grad = mse_grad: 0.5 * SSE."""
    return lambda params: half_sse(y, rnn_forward(x, params, activation)[0])


SHAPES = [  # (F, H, O, T, N)
    (1, 1, 1, 1, None),
    (1, 2, 1, 3, None),
    (3, 4, 1, 7, None),
    (2, 5, 3, 10, None),
    (3, 4, 2, 1, 5),
    (3, 4, 1, 7, 6),
    (2, 3, 2, 10, 3),
]


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("n_inputs, n_hidden, n_outputs, steps, batch", SHAPES)
def test_rnn_backward_matches_central_differences(activation, n_inputs, n_hidden, n_outputs, steps, batch):
    params, x, y = random_problem(n_inputs, n_hidden, n_outputs, steps, batch, seed=steps + n_hidden)
    outputs, hiddens = rnn_forward(x, params, activation)
    grads = rnn_backward(x, hiddens, mse_grad(y, outputs), params, activation)
    assert {name: g.shape for name, g in grads.items()} == {name: p.shape for name, p in params.items()}
    errors = check_gradients(loss_of(x, y, activation), params, grads, epsilon=STEP)
    assert max(errors.values()) < GRADIENT_TOLERANCE / 10, errors


@pytest.mark.parametrize("steps", range(1, 11))
def test_every_sequence_length_from_1_to_10(steps):
    params, x, y = random_problem(2, 3, 2, steps, batch=2, seed=steps)
    outputs, hiddens = rnn_forward(x, params)
    grads = rnn_backward(x, hiddens, mse_grad(y, outputs), params)
    errors = check_gradients(loss_of(x, y, "tanh"), params, grads, epsilon=STEP)
    assert max(errors.values()) < GRADIENT_TOLERANCE / 10, errors


def test_input_gradient_matches_central_differences():
    params, x, y = random_problem(3, 4, 2, steps=5, batch=2)
    outputs, hiddens = rnn_forward(x, params)
    _, input_grad = rnn_backward_with_input_grad(x, hiddens, mse_grad(y, outputs), params)
    errors = check_gradients(
        lambda p: half_sse(y, rnn_forward(p["x"], params)[0]), {"x": x}, {"x": input_grad}, epsilon=STEP
    )
    assert errors["x"] < GRADIENT_TOLERANCE / 10


def test_batch_gradient_is_the_sum_over_its_windows():
    params, x, y = random_problem(3, 4, 1, steps=7, batch=5)
    outputs, hiddens = rnn_forward(x, params)
    batch_grads = rnn_backward(x, hiddens, mse_grad(y, outputs), params)
    summed = {name: np.zeros_like(value) for name, value in params.items()}
    for window_x, window_y in zip(x, y):
        window_outputs, window_hiddens = rnn_forward(window_x, params)
        for name, grad in rnn_backward(window_x, window_hiddens, mse_grad(window_y, window_outputs), params).items():
            summed[name] += grad
    for name in params:
        np.testing.assert_allclose(batch_grads[name], summed[name], rtol=1e-12, atol=1e-14)


def test_backward_updates_nothing():
    params, x, y = random_problem(2, 3, 1, steps=4)
    copies = {name: value.copy() for name, value in params.items()}
    outputs, hiddens = rnn_forward(x, params)
    rnn_backward(x, hiddens, mse_grad(y, outputs), params)
    for name in params:
        np.testing.assert_array_equal(params[name], copies[name])


def test_one_sgd_step_lowers_the_loss():
    params, x, y = random_problem(3, 4, 1, steps=7)
    outputs, hiddens = rnn_forward(x, params)
    grads = rnn_backward(x, hiddens, mse_grad(y, outputs), params)
    updated = sgd_step(params, grads, lr=0.01)
    assert mse(y, rnn_forward(x, updated)[0]) < mse(y, outputs)
    assert updated["i_weight"] is not params["i_weight"]


def test_mse_and_its_gradient_match_the_seed():
    actual, predicted = np.array([70.0, 62.0, 65.0]), np.array([74.0, 80.0, 77.0])
    assert mse(actual, predicted) == pytest.approx((16 + 324 + 144) / 3)
    np.testing.assert_array_equal(mse_grad(actual, predicted), [4.0, 18.0, 12.0])
    assert half_sse(actual, predicted) == pytest.approx(0.5 * (16 + 324 + 144))


def test_the_gradient_check_has_margin_and_catches_a_small_error():
    """With the default step, a right gradient sits far below the tolerance; one 0.1% off is far above it."""
    params, x, y = random_problem(3, 4, 2, steps=6, batch=3, seed=11)
    outputs, hiddens = rnn_forward(x, params)
    grads = rnn_backward(x, hiddens, mse_grad(y, outputs), params)
    errors = check_gradients(loss_of(x, y, "tanh"), params, grads, epsilon=STEP)
    assert max(errors.values()) < GRADIENT_TOLERANCE / 10, errors
    slightly_off = {**grads, "h_weight": grads["h_weight"] * 1.001}
    assert (
        check_gradients(loss_of(x, y, "tanh"), params, slightly_off, epsilon=STEP)["h_weight"]
        > 100 * GRADIENT_TOLERANCE
    )


def test_an_empty_batch_gives_empty_outputs():
    params = init_params(3, 4, 2)
    outputs, hiddens = rnn_forward(np.zeros((0, 5, 3)), params)
    assert outputs.shape == (0, 5, 2) and hiddens.shape == (0, 5, 4)


def test_half_sse_grad_is_the_gradient_of_half_sse_and_mse_grad_its_alias():
    random = np.random.default_rng(4)
    actual, predicted = random.normal(size=(5, 2)), random.normal(size=(5, 2))
    numerical = numerical_gradient(lambda values: half_sse(actual, values["predicted"]), {"predicted": predicted})
    np.testing.assert_allclose(half_sse_grad(actual, predicted), numerical["predicted"], rtol=1e-6)
    assert mse_grad is half_sse_grad
