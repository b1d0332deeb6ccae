"""The training explorer's logic: short runs whose curves respond to the settings."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from rnn_helpers.train import train  # noqa: E402
from rnn_helpers.training_explorer import (  # noqa: E402
    _bundled_windows,
    compare_settings,
    describe_settings,
    plot_training_curves,
    training_curves,
)

FAST = {"epochs": 3, "every": 8}


def test_the_curves_are_those_of_train_on_every_nth_window():
    curves = training_curves(lr=0.05, batch_size=32, clip=True, schedule="constant", **FAST)
    windows = _bundled_windows()
    result = train(
        windows["train"][0][::8],
        windows["train"][1][::8],
        *windows["valid"],
        epochs=3,
        batch_size=32,
        lr=0.05,
        schedule="constant",
        clip_norm=1.0,
    )
    assert curves["train"] == result.history["train"]
    assert curves["valid"] == result.history["valid"]
    assert curves["diverged"] is None and len(curves["valid"]) == 3
    assert curves["settings"]["schedule"] == "constant"


def test_a_large_sgd_step_blows_up_without_clipping_and_stays_sane_with_it():
    unclipped = training_curves(lr=2.0, clip=False, optimizer="sgd", **FAST)
    clipped = training_curves(lr=2.0, clip=True, optimizer="sgd", **FAST)
    default = training_curves(**FAST)
    # Either train() stopped the run, or the loss went astronomically high.
    assert unclipped["diverged"] or max(unclipped["valid"]) > 1e6
    assert clipped["diverged"] is None
    assert max(clipped["valid"]) < 200
    assert default["valid"][-1] < 60


def test_a_much_larger_learning_rate_gives_a_worse_curve():
    default = training_curves(**FAST)
    reckless = training_curves(lr=1.0, clip=False, **FAST)
    assert reckless["diverged"] or reckless["valid"][-1] > 1.5 * default["valid"][-1]


def test_the_schedule_changes_the_curve():
    linear = training_curves(schedule="linear", **FAST)
    constant = training_curves(schedule="constant", **FAST)
    assert linear["valid"][0] != constant["valid"][0]
    assert not np.allclose(linear["train"], constant["train"])


def test_a_diverging_run_is_reported_not_raised():
    windows = _bundled_windows()
    curves = training_curves(lr=1e200, clip=False, optimizer="sgd", epochs=1, every=16, windows=windows)
    assert curves["train"] == [] and "diverged" in curves["diverged"]
    fig = plot_training_curves(curves)
    assert "diverged" in " ".join(text.get_text() for text in fig.axes[0].texts)
    plt.close(fig)


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"schedule": "cosine"}, "Unknown schedule"),
        ({"optimizer": "rmsprop"}, "Unknown optimizer"),
        ({"batch_size": 0}, "batch_size must be"),
        ({"lr": -0.1}, "lr must be a positive number"),
    ],
)
def test_bad_settings_get_a_clear_error(settings, message):
    with pytest.raises(ValueError, match=message):
        training_curves(**settings)


def test_the_small_multiples_have_one_panel_per_run_and_mark_cut_values():
    runs = [training_curves(**FAST), training_curves(lr=2.0, clip=False, optimizer="sgd", **FAST)]
    fig = compare_settings(runs)
    assert len(fig.axes) == 2
    assert "cut at the top" in " ".join(text.get_text() for text in fig.axes[1].texts)
    assert describe_settings(runs[0]["settings"]) == "adam, lr=0.02, batch 16, clip on, linear"
    plt.close(fig)
    with pytest.raises(ValueError, match="runs is empty"):
        compare_settings([])
