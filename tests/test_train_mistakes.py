"""Three mistakes a training loop can make without crashing, each caught here: no
shuffling, no clipping, and a gradient not divided by the batch size; plus restore_best."""

import numpy as np
import pytest

import rnn_helpers.train as training
from conftest import STEP
from rnn_helpers import GRADIENT_TOLERANCE, check_gradients, init_stack, load_weather, stack_forward, weather_windows


@pytest.fixture(scope="module")
def tiny():
    random = np.random.default_rng(3)
    x = random.normal(size=(10, 4, 3))
    return x, 3 * x.sum(axis=2, keepdims=True) + 50


def recorded_sgd_grads(monkeypatch):
    """Record the gradients train() hands to sgd_step (after clipping; one call per layer), then apply them."""
    seen, original = [], training.sgd_step
    monkeypatch.setattr(
        training, "sgd_step", lambda params, grads, lr: seen.append(grads) or original(params, grads, lr)
    )
    return seen


def per_step(layer_grads, n_layers):
    return [layer_grads[start : start + n_layers] for start in range(0, len(layer_grads), n_layers)]


def global_norm(layers):
    return np.sqrt(sum(np.sum(grad**2) for layer in layers for grad in layer.values()))


def test_every_epoch_visits_the_windows_in_a_new_shuffled_order(tiny, monkeypatch):
    x, y = tiny
    batches, original = [], training.stack_backward
    monkeypatch.setattr(
        training,
        "stack_backward",
        lambda cache, *args, **kwargs: batches.append(np.array(cache[0][0])) or original(cache, *args, **kwargs),
    )
    training.train(x, y, epochs=2, batch_size=4, seed=5)
    assert [len(batch) for batch in batches] == [4, 4, 2, 4, 4, 2]
    epochs = [np.concatenate(batches[:3]), np.concatenate(batches[3:])]
    rows = {window.tobytes(): index for index, window in enumerate(x)}
    orders = [[rows[window.tobytes()] for window in epoch] for epoch in epochs]
    for order in orders:
        assert sorted(order) == list(range(10))  # each window exactly once per epoch
    assert orders[0] != list(range(10)) and orders[1] != orders[0]
    assert orders[0] == np.random.default_rng(5).permutation(10).tolist()  # the seed decides the order


def test_each_batch_gradient_is_clipped_to_clip_norm_keeping_its_direction(tiny, monkeypatch):
    x, y = tiny
    recorded = recorded_sgd_grads(monkeypatch)
    training.train(x, y, optimizer="sgd", lr=0.01, clip_norm=None, epochs=2, batch_size=5)
    unclipped = per_step(recorded, 1)
    assert min(global_norm(grads) for grads in unclipped) > 0.05  # so clipping at 0.05 has work to do
    monkeypatch.undo()
    clipped = recorded_sgd_grads(monkeypatch)
    training.train(x, y, optimizer="sgd", lr=0.01, clip_norm=0.05, epochs=2, batch_size=5)
    clipped = per_step(clipped, 1)
    assert len(clipped) == 4
    for grads in clipped:
        assert global_norm(grads) == pytest.approx(0.05, rel=1e-12)
    scale = 0.05 / global_norm(unclipped[0])  # the first batch: same parameters, same windows
    for clipped_layer, unclipped_layer in zip(clipped[0], unclipped[0]):
        for name in clipped_layer:
            np.testing.assert_allclose(clipped_layer[name], unclipped_layer[name] * scale, rtol=1e-12)


@pytest.mark.parametrize("hidden_sizes", [(3,), (3, 2)])
def test_the_gradient_train_uses_is_that_of_half_the_mean_squared_error_of_scaled_targets(
    tiny, monkeypatch, hidden_sizes
):
    x, y = tiny
    seen = recorded_sgd_grads(monkeypatch)
    training.train(
        x, y, hidden_sizes=hidden_sizes, optimizer="sgd", clip_norm=None, epochs=1, batch_size=len(x), seed=2
    )
    scaled_y = (y - y.mean()) / y.std()

    def objective(layers):  # written out here, independently of train()
        return 0.5 * np.mean((stack_forward(x, layers)[0] - scaled_y) ** 2)

    errors = check_gradients(
        objective, init_stack(3, hidden_sizes, 1, seed=2), per_step(seen, len(hidden_sizes))[0], epsilon=STEP
    )
    assert max(errors.values()) < GRADIENT_TOLERANCE / 10, errors


@pytest.fixture(scope="module")
def windows():
    return weather_windows(load_weather())[0]


def test_restore_best_returns_the_parameters_of_the_best_validation_epoch(windows):
    settings = dict(epochs=6, schedule="constant", lr=0.05)
    last = training.train(*windows["train"], *windows["valid"], **settings)
    best = training.train(*windows["train"], *windows["valid"], restore_best=True, **settings)
    assert best.history == last.history and 0 <= best.best_epoch < 5  # the last epoch is not the best here
    assert best.score(*windows["valid"]) == min(best.history["valid"]) == best.history["valid"][best.best_epoch]
    assert last.score(*windows["valid"]) == last.history["valid"][-1] > min(last.history["valid"])


def test_training_with_the_defaults_beats_both_baselines_on_validation_days():
    from rnn_helpers import baseline_scores

    windows, scaler = weather_windows(load_weather())
    result = training.train(*windows["train"], *windows["valid"])
    baselines = baseline_scores(windows, scaler)
    assert result.score(*windows["valid"]) < min(parts["valid"] for parts in baselines.values())
