"""train() and the helpers it builds on refuse arguments that would give a silently wrong result."""

import numpy as np
import pytest

from conftest import random_problem
from rnn_helpers import Adam, init_params, init_stack, relative_error, stack_backward, stack_forward
from rnn_helpers.train import train


@pytest.fixture(scope="module")
def tiny():
    random = np.random.default_rng(0)
    x = random.normal(size=(12, 4, 3))
    return x, x.sum(axis=2, keepdims=True) + 50


@pytest.mark.parametrize(
    "setting, message",
    [
        ({"batch_size": -1}, r"batch_size must be a whole number of at least 1; got -1"),
        ({"batch_size": 0}, r"batch_size must be a whole number of at least 1; got 0"),
        ({"batch_size": 2.5}, r"batch_size must be a whole number"),
        ({"epochs": 0}, r"epochs must be a whole number of at least 1; got 0"),
        ({"clip_norm": -1}, r"clip_norm must be a positive finite number such as 1.0, or None"),
        ({"clip_norm": 0}, r"clip_norm must be a positive finite number"),
        ({"clip_norm": float("nan")}, r"clip_norm must be a positive finite number"),
        ({"lr": 0}, r"lr must be a positive finite number such as 0.02; got 0"),
        ({"lr": -0.1}, r"lr must be a positive finite number"),
        ({"lr": float("nan")}, r"lr must be a positive finite number such as 0.02; got nan"),
        ({"lr": float("inf")}, r"lr must be a positive finite number"),
        ({"lr": "0.02"}, r"lr must be a positive finite number"),
        ({"hidden_sizes": 8}, r"hidden_sizes must be a sequence of positive whole numbers.*\(8,\).*got 8"),
        ({"hidden_sizes": ()}, r"hidden_sizes must be a sequence"),
        ({"hidden_sizes": (8, 0)}, r"hidden_sizes must be a sequence"),
        ({"hidden_sizes": "8"}, r"hidden_sizes must be a sequence"),
        ({"seed": None}, r"seed must be a whole number.*got None"),
        ({"seed": 1.5}, r"seed must be a whole number"),
        ({"activation": "sigmoid"}, r"Unknown activation 'sigmoid'"),
        ({"optimizer": "rmsprop"}, r"Unknown optimizer 'rmsprop'"),
        ({"schedule": "cosine"}, r"Unknown schedule 'cosine'"),
        ({"on_epoch_end": "print"}, r"on_epoch_end must be a function"),
    ],
)
def test_bad_settings_are_refused_before_training(tiny, setting, message):
    with pytest.raises(ValueError, match=message):
        train(*tiny, **setting)


def test_numpy_whole_numbers_are_accepted(tiny):
    result = train(*tiny, hidden_sizes=[np.int64(3)], epochs=np.int64(1), batch_size=np.int32(4), seed=np.int64(2))
    assert len(result.history["train"]) == 1


def test_validation_windows_come_in_pairs(tiny):
    x, y = tiny
    with pytest.raises(ValueError, match="Pass valid_x and valid_y together"):
        train(x, y, valid_y=y)
    with pytest.raises(ValueError, match="Pass valid_x and valid_y together"):
        train(x, y, x)


def test_valid_targets_must_have_the_training_width(tiny):
    x, y = tiny
    with pytest.raises(ValueError, match="valid_y has 2 targets per step but train_y has 1"):
        train(x, y, x, np.concatenate([y, y], axis=2))


def test_score_refuses_targets_of_another_shape(tiny):
    x, y = tiny
    result = train(x, y, epochs=1)
    expected = float(np.mean((result.predict(x)[:, -1, 0] - y[:, -1, 0]) ** 2))
    assert result.score(x, y) == pytest.approx(expected, rel=1e-12)
    for wrong in (y[..., 0], y[:, -1], y[:5]):
        with pytest.raises(ValueError, match=r"y must have the shape of the predictions for x, \(12, 4, 1\)"):
            result.score(x, wrong)


def test_adam_matches_moments_by_name_not_by_key_order():
    random = np.random.default_rng(1)
    params = init_params(2, 3, 1, seed=4)
    grads = [{name: random.normal(size=value.shape) for name, value in params.items()} for _ in range(2)]
    in_order, shuffled = Adam(lr=0.1), Adam(lr=0.1)
    first = in_order.step(params, grads[0])
    second = in_order.step(first, grads[1])
    reordered = shuffled.step(params, grads[0])
    reordered = {name: reordered[name] for name in reversed(list(reordered))}
    reversed_grads = {name: grads[1][name] for name in reversed(list(grads[1]))}
    second_reordered = shuffled.step(reordered, reversed_grads)
    assert list(second_reordered) == list(reordered)  # the caller's key order is kept
    for name in params:
        np.testing.assert_array_equal(second_reordered[name], second[name])


def test_adam_refuses_parameters_with_other_names():
    adam = Adam()
    params = init_params(2, 3, 1)
    adam.step(params, params)
    renamed = {("w_in" if name == "i_weight" else name): value for name, value in params.items()}
    with pytest.raises(ValueError, match="different size or with other names"):
        adam.step(renamed, renamed)


def test_stack_backward_refuses_a_cache_from_another_stack():
    _, x, y = random_problem(3, 1, 1, steps=4, batch=2)
    two_layers, three_layers = init_stack(3, [4, 4], 1), init_stack(3, [4, 4, 4], 1)
    outputs, cache = stack_forward(x, two_layers)
    with pytest.raises(ValueError, match="The cache holds 2 layer\\(s\\) but the stack has 3"):
        stack_backward(cache, outputs - y, three_layers)


def test_relative_error_refuses_gradients_with_other_names():
    grads = {"a": np.ones(2), "b": np.zeros(3)}
    assert relative_error(grads, dict(reversed(list(grads.items())))) == 0.0
    with pytest.raises(ValueError, match=r"different names: \['a', 'b'\] and \['a', 'c'\]"):
        relative_error(grads, {"a": np.ones(2), "c": np.zeros(3)})
    with pytest.raises(ValueError, match="2 and 1 layers"):
        relative_error([grads, grads], [grads])


@pytest.mark.parametrize("max_norm", [0, -1.0, float("nan")])
def test_clipping_refuses_a_norm_that_is_not_positive(max_norm):
    from rnn_helpers import clip_by_global_norm

    with pytest.raises(ValueError, match="max_norm must be a positive finite number"):
        clip_by_global_norm({"i_weight": np.ones((2, 2))}, max_norm)
