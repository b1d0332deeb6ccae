"""Stacked layers, the optimisers and the training loop."""

import numpy as np
import pytest

from conftest import STEP, random_problem
from rnn_helpers import (
    GRADIENT_TOLERANCE,
    Adam,
    check_gradients,
    half_sse,
    init_params,
    init_stack,
    load_weather,
    mse_grad,
    stack_backward,
    stack_forward,
    weather_windows,
)
from rnn_helpers.train import train


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("hidden_sizes, batch", [([3, 4], None), ([4, 3, 2], 3)])
def test_stack_backward_matches_central_differences(activation, hidden_sizes, batch):
    _, x, y = random_problem(2, 1, 2, steps=5, batch=batch, seed=len(hidden_sizes))
    layers = init_stack(2, hidden_sizes, 2, seed=3)
    outputs, cache = stack_forward(x, layers, activation)
    grads = stack_backward(cache, mse_grad(y, outputs), layers, activation)
    errors = check_gradients(lambda ls: half_sse(y, stack_forward(x, ls, activation)[0]), layers, grads, epsilon=STEP)
    assert len(errors) == 5 * len(hidden_sizes)
    assert max(errors.values()) < GRADIENT_TOLERANCE / 10, errors


def test_each_layer_reads_the_output_sequence_of_the_layer_below():
    layers = init_stack(3, [4, 5], 1)
    assert layers[0]["o_weight"].shape == (4, 4) and layers[1]["i_weight"].shape == (4, 5)
    _, x, _ = random_problem(3, 1, 1, steps=6, batch=2)
    outputs, cache = stack_forward(x, layers)
    np.testing.assert_array_equal(cache[1][0], stack_forward(x, layers[:1])[0])
    assert outputs.shape == (2, 6, 1)


def test_one_layer_stack_is_init_params():
    layer = init_stack(3, [4], 1, seed=7)[0]
    for name, value in init_params(3, 4, 1, seed=7).items():
        np.testing.assert_array_equal(layer[name], value)


def test_adam_moves_against_the_gradient():
    params = {"w": np.array([1.0, -2.0])}
    updated = Adam(lr=0.1).step(params, {"w": np.array([3.0, -0.5])})
    np.testing.assert_allclose(updated["w"], [0.9, -1.9])


def test_adam_follows_the_published_update_for_every_array_and_step():
    """Algorithm 1 of Kingma & Ba, one scalar at a time, against the flat-vector Adam."""
    random = np.random.default_rng(0)
    layers = init_stack(2, [3, 2], 1, seed=1)
    adam, lr_per_step = Adam(lr=0.05), [0.05, 0.02, 0.01, 0.004]
    expected = {(index, name): value.copy() for index, layer in enumerate(layers) for name, value in layer.items()}
    moments = {key: (np.zeros_like(value), np.zeros_like(value)) for key, value in expected.items()}
    for step, lr in enumerate(lr_per_step, start=1):
        grads = [{name: random.normal(size=value.shape) for name, value in layer.items()} for layer in layers]
        adam.lr = lr
        layers = adam.step(layers, grads)
        for (index, name), value in expected.items():
            first, second = moments[index, name]
            for position, grad in np.ndenumerate(grads[index][name]):
                first[position] = 0.9 * first[position] + 0.1 * grad
                second[position] = 0.999 * second[position] + 0.001 * grad * grad
                corrected_first = first[position] / (1 - 0.9**step)
                corrected_second = second[position] / (1 - 0.999**step)
                value[position] -= lr * corrected_first / (corrected_second**0.5 + 1e-8)
    for (index, name), value in expected.items():
        np.testing.assert_allclose(layers[index][name], value, rtol=1e-12, atol=1e-15)


def test_adam_rejects_gradients_that_do_not_fit():
    adam = Adam()
    params = init_params(2, 3, 1)
    with pytest.raises(ValueError, match="gradient for h_weight has shape"):
        adam.step(params, {**params, "h_weight": np.zeros((2, 2))})
    adam.step(params, params)
    with pytest.raises(ValueError, match="different size"):
        adam.step(init_params(2, 4, 1), init_params(2, 4, 1))


@pytest.fixture(scope="module")
def windows():
    return weather_windows(load_weather())


def test_training_lowers_the_validation_loss_and_keeps_a_history(windows):
    (train_x, train_y), (valid_x, valid_y) = windows[0]["train"], windows[0]["valid"]
    result = train(train_x, train_y, valid_x, valid_y, epochs=5)
    assert len(result.history["train"]) == len(result.history["valid"]) == 5
    untrained = train(train_x, train_y, valid_x, valid_y, epochs=1, lr=1e-9)
    assert result.score(valid_x, valid_y) < untrained.score(valid_x, valid_y) / 2
    assert result.history["valid"][result.best_epoch] == min(result.history["valid"])


def test_training_is_reproducible_for_a_seed(windows):
    first = train(*windows[0]["train"], epochs=2, seed=4)
    second = train(*windows[0]["train"], epochs=2, seed=4)
    assert first.history == second.history


def test_sgd_and_a_two_layer_stack_train_too(windows):
    (train_x, train_y), (valid_x, valid_y) = windows[0]["train"], windows[0]["valid"]
    result = train(train_x, train_y, valid_x, valid_y, hidden_sizes=(6, 6), optimizer="sgd", lr=0.05, epochs=5)
    assert np.all(np.diff(result.history["valid"]) < 0)  # better after every epoch
    # Well below predicting the mean of the validation days (which scores their variance).
    assert result.history["valid"][-1] < 0.6 * valid_y[:, -1, 0].var()


@pytest.mark.parametrize("hidden_sizes", [(8,), (4, 4)])
def test_a_diverging_learning_rate_names_the_epoch(windows, hidden_sizes):
    with pytest.raises(FloatingPointError, match=r"diverged at epoch 0.*smaller learning rate"):
        train(
            *windows[0]["train"],
            *windows[0]["valid"],
            hidden_sizes=hidden_sizes,
            optimizer="sgd",
            lr=1e6,
            clip_norm=None,
            epochs=3,
        )


def test_a_stack_whose_layers_do_not_fit_is_named():
    layers = init_stack(3, [4, 5], 1)
    layers[1] = init_params(3, 5, 1)
    with pytest.raises(ValueError, match="Layer 1 takes 3 inputs per step but the layer below outputs 4"):
        stack_forward(np.zeros((2, 6, 3)), layers)


def test_training_rejects_windows_of_the_wrong_shape(windows):
    train_x, train_y = windows[0]["train"]
    with pytest.raises(ValueError, match=r"\(N, T, F\).*make_windows"):
        train(train_x[0], train_y[0])
    with pytest.raises(ValueError, match="2 features per step but train_x has 3"):
        train(train_x, train_y, train_x[..., :2], train_y)
    with pytest.raises(ValueError, match="Unknown optimizer 'rmsprop'"):
        train(train_x, train_y, optimizer="rmsprop")
    with pytest.raises(ValueError, match="Unknown schedule 'cosine'"):
        train(train_x, train_y, schedule="cosine")


def test_the_linear_schedule_falls_from_lr_to_zero(windows, monkeypatch):
    import rnn_helpers.train as training

    used = []
    monkeypatch.setattr(training, "sgd_step", lambda params, grads, lr: used.append(lr) or params)
    train_x, train_y = windows[0]["train"]
    steps_per_epoch = -(-len(train_x) // 100)
    training.train(train_x, train_y, optimizer="sgd", lr=0.3, batch_size=100, epochs=2)
    total = 2 * steps_per_epoch
    np.testing.assert_allclose(used[::steps_per_epoch], [0.3, 0.3 * (1 - steps_per_epoch / total)])
    assert len(used) == total and 0 < used[-1] == pytest.approx(0.3 / total)
    used.clear()
    training.train(train_x, train_y, optimizer="sgd", lr=0.3, batch_size=100, epochs=2, schedule="constant")
    assert used == [0.3] * total


@pytest.mark.parametrize("shape", [(2, 7, 2), (2, 5, 3), (5, 2)])
def test_stack_backward_refuses_an_output_gradient_of_the_wrong_shape(shape):
    layers = init_stack(3, [4, 3], 2, seed=1)
    _, cache = stack_forward(np.zeros((2, 5, 3)), layers)
    with pytest.raises(ValueError, match=r"output_grad must have shape \(2, 5, 2\)"):
        stack_backward(cache, np.zeros(shape), layers)
