"""The forward/backward explorer of notebook 04: its curves are right and show the physics."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from rnn_helpers.gradient_explorer import (
    explorer_inputs,
    explorer_params,
    gradient_flow,
    plot_gradient_flow,
    plot_gradient_flow_grid,
)


def last_output_from(hidden, start, inputs, params):
    """L_T = h_{T-1} @ o_weight, running the recurrence on from a given h_start."""
    for step in range(start + 1, len(inputs)):
        hidden = np.tanh(inputs[step] @ params["i_weight"] + hidden @ params["h_weight"] + params["h_bias"][0])
    return float(hidden @ params["o_weight"][:, 0])


def test_the_backward_curve_equals_central_differences():
    radius, input_scale, steps = 1.3, 1.0, 8
    params = explorer_params(radius)
    inputs = explorer_inputs(input_scale, steps)
    hiddens = np.zeros((steps, 8))
    hidden = np.zeros(8)
    for step in range(steps):
        hidden = np.tanh(inputs[step] @ params["i_weight"] + hidden @ params["h_weight"])
        hiddens[step] = hidden
    flow = gradient_flow(radius, input_scale, steps)
    np.testing.assert_allclose(flow["hidden_norms"], np.linalg.norm(hiddens, axis=1), rtol=1e-12)
    epsilon = 1e-6
    for start in range(steps):
        numeric = np.zeros(8)
        for unit in range(8):
            nudge = np.zeros(8)
            nudge[unit] = epsilon
            numeric[unit] = (
                last_output_from(hiddens[start] + nudge, start, inputs, params)
                - last_output_from(hiddens[start] - nudge, start, inputs, params)
            ) / (2 * epsilon)
        np.testing.assert_allclose(flow["hidden_grad_norms"][start], np.linalg.norm(numeric), rtol=1e-6)
    assert 0 < flow["saturation_share"] < 1
    np.testing.assert_allclose(flow["mean_derivative"], np.mean(1 - hiddens**2))


def test_radius_below_one_with_small_inputs_falls_geometrically():
    radius, steps = 0.7, 25
    grad_norms = gradient_flow(radius, 0.001, steps)["hidden_grad_norms"]
    # tanh' is ~1 for tiny states, and a scaled rotation shrinks every direction by the radius.
    np.testing.assert_allclose(grad_norms[:-1] / grad_norms[1:], radius, rtol=1e-3)
    np.testing.assert_allclose(grad_norms[0], radius ** (steps - 1), rtol=1e-2)


def test_radius_above_one_without_clipping_grows():
    grad_norms = gradient_flow(1.5, 0.01, 20)["hidden_grad_norms"]
    assert grad_norms[-1] == pytest.approx(1.0)
    assert grad_norms[0] > 1.5**10
    assert grad_norms[0] / grad_norms[1] == pytest.approx(1.5, rel=1e-3)


def test_saturated_tanh_collapses_the_backward_norm():
    calm = gradient_flow(1.0, 0.3, 30)
    saturated = gradient_flow(1.0, 10.0, 30)
    assert calm["saturation_share"] == 0 and saturated["saturation_share"] > 0.5
    assert saturated["mean_derivative"] < 0.3 < calm["mean_derivative"]
    assert calm["hidden_grad_norms"][0] > 1e-2
    assert saturated["hidden_grad_norms"][0] < 1e-10


def test_the_recurrent_weights_have_the_requested_spectral_radius():
    h_weight = explorer_params(1.7, n_hidden=6, seed=3)["h_weight"]
    assert np.max(np.abs(np.linalg.eigvals(h_weight))) == pytest.approx(1.7)
    np.testing.assert_allclose(np.linalg.svd(h_weight, compute_uv=False), 1.7)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: gradient_flow(-1.0, 0.5, 10), "spectral_radius must be a positive"),
        (lambda: gradient_flow(1.0, 0.0, 10), "input_scale must be a positive"),
        (lambda: gradient_flow(1.0, 0.5, 1), "steps must be a whole number of at least 2"),
        (lambda: gradient_flow(1.0, 0.5, 10, n_hidden=0), "n_hidden must be a whole number of at least 1"),
    ],
)
def test_bad_settings_get_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_figures_draw_both_curves():
    fig = plot_gradient_flow(0.9, 0.5, 12)
    forward_ax, backward_ax = fig.axes
    np.testing.assert_allclose(forward_ax.lines[0].get_ydata(), gradient_flow(0.9, 0.5, 12)["hidden_norms"])
    assert backward_ax.get_yscale() == "log"
    plt.close(fig)
    grid = plot_gradient_flow_grid([(0.8, 0.3, "vanishing"), (1.0, 5.0, "saturated")], steps=10)
    assert len(grid.axes) == 4
    plt.close(grid)
