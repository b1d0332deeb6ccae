"""Truncated BPTT with the state carried across chunks (rnn_helpers.truncated) and the delayed-recall task.

The carried forward pass is the forward pass over the whole sequence; a chunk's backward
pass, from a given start state, is exact for that start state held constant (central
differences) and stops there; the training loop is the loop of 07_memory.
"""

import numpy as np
import pytest

from conftest import STEP, random_problem
from rnn_helpers import (
    GRADIENT_TOLERANCE,
    Adam,
    check_gradients,
    clip_by_global_norm,
    half_sse,
    init_params,
    linear_schedule,
    relative_error,
    rnn_backward,
    rnn_forward,
)
from rnn_helpers.memory import delayed_recall
from rnn_helpers.truncated import (
    carried_state,
    chunk_backward,
    chunk_bounds,
    rnn_forward_from,
    train_truncated,
    truncated_bptt,
)

# ------------------------------------------------------------- hand-written loops (as in 07_memory)


def loop_forward(x, params, start):
    """One sequence x (T, F) from the start state (H,), step by step."""
    hidden, hiddens = np.asarray(start, dtype=float), []
    for x_t in x:
        hidden = np.tanh(x_t @ params["i_weight"] + hidden @ params["h_weight"] + params["h_bias"][0])
        hiddens.append(hidden)
    hiddens = np.array(hiddens)
    return hiddens @ params["o_weight"] + params["o_bias"][0], hiddens


def loop_backward(x, start, hiddens, output_grad, params):
    """BPTT over one sequence whose step 0 started from ``start``; returns (grads, dL/dstart)."""
    grads = {name: np.zeros_like(value) for name, value in params.items()}
    carried = np.zeros(hiddens.shape[1])
    for t in reversed(range(len(x))):
        previous = hiddens[t - 1] if t > 0 else start
        hidden_grad = output_grad[t] @ params["o_weight"].T + carried
        pre_grad = hidden_grad * (1 - hiddens[t] ** 2)
        grads["i_weight"] += np.outer(x[t], pre_grad)
        grads["h_weight"] += np.outer(previous, pre_grad)
        grads["h_bias"] += pre_grad
        grads["o_weight"] += np.outer(hiddens[t], output_grad[t])
        grads["o_bias"] += output_grad[t]
        carried = pre_grad @ params["h_weight"].T
    return grads, carried


def loop_truncated(x, y, params, chunk_length):
    """Chunk after chunk of one sequence: the state carried, each chunk's gradient stopped at its start."""
    start, all_hiddens, chunk_grads = np.zeros(params["h_weight"].shape[0]), [], []
    for first in range(0, len(x), chunk_length):
        chunk_x, chunk_y = x[first : first + chunk_length], y[first : first + chunk_length]
        outputs, hiddens = loop_forward(chunk_x, params, start)
        grads, _ = loop_backward(chunk_x, start, hiddens, outputs - chunk_y, params)
        all_hiddens.append(hiddens)
        chunk_grads.append(grads)
        start = hiddens[-1]
    return np.concatenate(all_hiddens), chunk_grads


@pytest.fixture
def problem():
    """A batch of 3 sequences of 11 steps (chunks of 4 leave a last chunk of 3) and a non-zero start state."""
    params, x, y = random_problem(2, 4, 2, steps=11, batch=3, seed=3)
    start = np.random.default_rng(4).uniform(-0.8, 0.8, size=(3, 4))
    return params, x, y, start


# ------------------------------------------------------------------------------ forward


def test_from_zeros_it_is_rnn_forward(problem):
    params, x, _, _ = problem
    for inputs in (x, x[0]):
        outputs, hiddens = rnn_forward_from(inputs, params)
        expected_outputs, expected_hiddens = rnn_forward(inputs, params)
        np.testing.assert_array_equal(outputs, expected_outputs)
        np.testing.assert_array_equal(hiddens, expected_hiddens)


def test_from_a_start_state_it_is_the_hand_written_loop(problem):
    params, x, _, start = problem
    outputs, hiddens = rnn_forward_from(x, params, start)
    for n in range(len(x)):
        expected_outputs, expected_hiddens = loop_forward(x[n], params, start[n])
        np.testing.assert_allclose(hiddens[n], expected_hiddens, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(outputs[n], expected_outputs, rtol=1e-12, atol=1e-14)
    for shape in ((4,), (1, 4)):  # one sequence: either shape of start state
        np.testing.assert_allclose(rnn_forward_from(x[0], params, start[0].reshape(shape))[1], hiddens[0])


def test_the_carried_state_gives_the_forward_pass_of_the_whole_sequence(problem):
    params, x, y, start = problem
    whole = rnn_forward(x, params)[1]
    for chunk_length in (1, 3, 4, 11, 50):
        np.testing.assert_allclose(truncated_bptt(x, y, params, chunk_length)[0], whole, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(truncated_bptt(x[1], y[1], params, chunk_length)[0], whole[1], atol=1e-14)
    # From a start state: the whole sequence from that state. Chunk by chunk by hand too.
    carried, hidden = [], start
    for first, end in chunk_bounds(11, 4):
        _, hiddens = rnn_forward_from(x[:, first:end], params, hidden)
        carried.append(hiddens)
        hidden = carried_state(hiddens)
    np.testing.assert_allclose(np.concatenate(carried, axis=1), rnn_forward_from(x, params, start)[1], atol=1e-14)
    np.testing.assert_allclose(truncated_bptt(x, y, params, 4, start)[0], rnn_forward_from(x, params, start)[1])


def test_chunks_that_start_from_zeros_are_not_the_whole_sequence(problem):
    params, x, _, _ = problem
    whole = rnn_forward(x, params)[1]
    reset = np.concatenate([rnn_forward(x[:, first:end], params)[1] for first, end in chunk_bounds(11, 4)], axis=1)
    np.testing.assert_allclose(reset[:, :4], whole[:, :4])
    assert np.abs(reset[:, 4] - whole[:, 4]).max() > 1e-2  # the first step of the second chunk


def test_the_carried_state_is_the_last_hidden_state_as_a_copy():
    hiddens = np.arange(24.0).reshape(2, 3, 4)
    state = carried_state(hiddens)
    np.testing.assert_array_equal(state, hiddens[:, -1])
    state[:] = -1
    assert hiddens[0, -1, 0] == 8.0


@pytest.mark.parametrize(
    ("n_steps", "chunk_length", "bounds"),
    [(10, 4, [(0, 4), (4, 8), (8, 10)]), (8, 4, [(0, 4), (4, 8)]), (3, 5, [(0, 3)]), (2, 1, [(0, 1), (1, 2)])],
)
def test_chunk_bounds(n_steps, chunk_length, bounds):
    assert chunk_bounds(n_steps, chunk_length) == bounds


# ----------------------------------------------------------------------------- backward


def test_from_zeros_the_chunk_backward_is_rnn_backward(problem):
    params, x, y, _ = problem
    for inputs, targets in ((x, y), (x[0], y[0])):
        outputs, hiddens = rnn_forward(inputs, params)
        grads, _ = chunk_backward(inputs, None, hiddens, outputs - targets, params)
        expected = rnn_backward(inputs, hiddens, outputs - targets, params)
        for name in params:
            np.testing.assert_allclose(grads[name], expected[name], rtol=1e-12, atol=1e-14)


def test_the_chunk_backward_is_the_hand_written_loop(problem):
    params, x, y, start = problem
    outputs, hiddens = rnn_forward_from(x, params, start)
    grads, start_grad = chunk_backward(x, start, hiddens, outputs - y, params)
    expected = {name: np.zeros_like(value) for name, value in params.items()}
    for n in range(len(x)):
        sequence_grads, sequence_start_grad = loop_backward(x[n], start[n], hiddens[n], outputs[n] - y[n], params)
        np.testing.assert_allclose(start_grad[n], sequence_start_grad, rtol=1e-12, atol=1e-14)
        expected = {name: expected[name] + sequence_grads[name] for name in params}
    for name in params:
        np.testing.assert_allclose(grads[name], expected[name], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("batch", [False, True], ids=["one-sequence", "batch"])
def test_a_chunk_from_a_given_start_state_passes_a_central_difference_check(problem, batch):
    params, x, y, start = problem
    x, y, start = (x, y, start) if batch else (x[1, :4], y[1, :4], start[1])

    def loss(candidate):  # the chunk's loss, its start state held constant
        return half_sse(y, rnn_forward_from(x, candidate, start)[0])

    outputs, hiddens = rnn_forward_from(x, params, start)
    grads, start_grad = chunk_backward(x, start, hiddens, outputs - y, params)
    errors = check_gradients(loss, params, grads, epsilon=STEP)
    assert max(errors.values()) < GRADIENT_TOLERANCE / 10, errors
    # The gradient the truncation drops, dL/ds, is right too: it is what would flow into the chunk before.
    start_error = check_gradients(
        lambda nudged: half_sse(y, rnn_forward_from(x, params, nudged["s"])[0]), {"s": start}, {"s": start_grad}, STEP
    )
    assert start_error["s"] < GRADIENT_TOLERANCE / 10
    assert np.shape(start_grad) == np.shape(start)


def test_the_start_state_enters_the_h_weight_gradient(problem):
    params, x, y, start = problem
    outputs, hiddens = rnn_forward_from(x, params, start)
    grads, _ = chunk_backward(x, start, hiddens, outputs - y, params)
    as_if_from_zero = rnn_backward(x, hiddens, outputs - y, params)  # h_{-1} = 0 in its step 0
    assert relative_error(grads["h_weight"], as_if_from_zero["h_weight"]) > 1e-2
    np.testing.assert_allclose(grads["i_weight"], as_if_from_zero["i_weight"])


# ---------------------------------------------------------------------- truncated BPTT


@pytest.mark.parametrize("chunk_length", [1, 3, 4, 11])
def test_truncated_bptt_is_the_hand_written_loop(problem, chunk_length):
    params, x, y, _ = problem
    hiddens, chunk_grads = truncated_bptt(x, y, params, chunk_length)
    expected = [loop_truncated(x[n], y[n], params, chunk_length) for n in range(len(x))]
    assert len(chunk_grads) == len(chunk_bounds(11, chunk_length))
    for index, grads in enumerate(chunk_grads):
        for name in params:
            summed = sum(sequence_grads[index][name] for _, sequence_grads in expected)
            np.testing.assert_allclose(grads[name], summed, rtol=1e-11, atol=1e-13)
    single_hiddens, single_grads = truncated_bptt(x[2], y[2], params, chunk_length)
    np.testing.assert_allclose(single_hiddens, expected[2][0], atol=1e-14)
    for grads, loop_grads in zip(single_grads, expected[2][1]):
        for name in params:
            np.testing.assert_allclose(grads[name], loop_grads[name], rtol=1e-11, atol=1e-13)


def test_each_chunk_gradient_stops_at_the_chunk_boundary(problem):
    params, x, y, _ = problem
    hiddens, chunk_grads = truncated_bptt(x, y, params, 4)
    for index, (first, end) in enumerate(chunk_bounds(11, 4)):
        start = hiddens[:, first - 1] if first else np.zeros((3, 4))

        def chunk_loss(candidate, first=first, end=end, start=start):  # the start state is a constant
            return half_sse(y[:, first:end], rnn_forward_from(x[:, first:end], candidate, start)[0])

        assert max(check_gradients(chunk_loss, params, chunk_grads[index], STEP).values()) < GRADIENT_TOLERANCE / 10
        # Not the full gradient of the chunk's loss, which would go back through the chunks before it.
        output_grad = np.zeros(y[:, :end].shape)
        output_grad[:, first:] = rnn_forward(x, params)[0][:, first:end] - y[:, first:end]
        full = rnn_backward(x[:, :end], hiddens[:, :end], output_grad, params)
        if first == 0:
            np.testing.assert_allclose(chunk_grads[index]["i_weight"], full["i_weight"])
        else:
            assert relative_error(chunk_grads[index], full) > 1e-3


# ---------------------------------------------------------------------------- training


def loop_training(x, y, params, chunk_length, epochs, lr, clip_norm):
    """The training loop of 07_memory, written out with the public helpers."""
    adam, bounds = Adam(lr), chunk_bounds(x.shape[1], chunk_length)
    step, total_steps, history = 0, epochs * len(bounds), []
    for _ in range(epochs):
        hidden, losses = np.zeros((len(x), params["h_weight"].shape[0])), []
        for first, end in bounds:
            outputs, hiddens = rnn_forward_from(x[:, first:end], params, hidden)
            errors = outputs - y[:, first:end]
            losses.append(0.5 * float(np.mean(errors**2)))
            grads, _ = chunk_backward(x[:, first:end], hidden, hiddens, errors / errors.size, params)
            adam.lr = linear_schedule(lr, step, total_steps)
            params = adam.step(params, clip_by_global_norm(grads, clip_norm))
            step += 1
            hidden = hiddens[:, -1]
        history.append(float(np.mean(losses)))
    return params, history


def test_train_truncated_is_the_hand_written_loop():
    x, y = delayed_recall(4, 30, 3, seed=5)
    params = init_params(1, 5, 1, seed=2)
    given = {name: value.copy() for name, value in params.items()}
    run = train_truncated(x, y, params, 7, epochs=3, lr=0.05, clip_norm=0.05)
    expected_params, expected_history = loop_training(x, y, params, 7, 3, 0.05, 0.05)
    np.testing.assert_allclose(run.history, expected_history, rtol=1e-12)
    for name in params:
        np.testing.assert_allclose(run.params[name], expected_params[name], rtol=1e-12, atol=1e-14)
        np.testing.assert_array_equal(params[name], given[name])  # the starting parameters are left alone
    assert len(run.grad_norms) == 3 * 5 and max(run.grad_norms) > 0.05  # some updates were clipped


def test_train_truncated_learns_a_short_delayed_recall():
    x, y = delayed_recall(16, 200, 2, seed=1)
    run = train_truncated(x, y, init_params(1, 8, 1, seed=0), 10, epochs=15)
    test_x, test_y = delayed_recall(2, 100, 2, seed=2)
    error = np.mean((rnn_forward(test_x, run.params)[0][:, 2:] - test_y[:, 2:]) ** 2)
    assert run.history[-1] < run.history[0] / 10 and error < 0.05


def test_clipping_changes_nothing_while_the_gradient_is_below_the_threshold():
    x, y = delayed_recall(4, 40, 3, seed=5)
    params = init_params(1, 5, 1, seed=2)
    clipped = train_truncated(x, y, params, 8, epochs=2, clip_norm=1e3)
    unclipped = train_truncated(x, y, params, 8, epochs=2, clip_norm=None)
    assert max(clipped.grad_norms) < 1e3 and clipped.history == unclipped.history


# ------------------------------------------------------------------------------ the task


def test_delayed_recall_targets_are_the_inputs_lag_steps_earlier():
    x, y = delayed_recall(3, 20, 4, seed=7)
    assert x.shape == y.shape == (3, 20, 1)
    assert set(np.unique(x)) == {-1.0, 1.0}
    np.testing.assert_array_equal(y[:, 4:], x[:, :-4])
    np.testing.assert_array_equal(y[:, :4], 0)
    again, _ = delayed_recall(3, 20, 4, seed=7)
    np.testing.assert_array_equal(again, x)
    assert not np.array_equal(delayed_recall(3, 20, 4, seed=8)[0], x)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p, x, y: rnn_forward_from(x, p, np.zeros((2, 4))), r"start_hidden must have shape \(3, 4\)"),
        (lambda p, x, y: rnn_forward_from(x[0], p, np.zeros(3)), r"shape \(4,\) or \(1, 4\) for one sequence"),
        (lambda p, x, y: rnn_forward_from(x, p, np.full((3, 4), np.nan)), "start_hidden contains NaN"),
        (lambda p, x, y: rnn_forward_from(x[..., :1], p), "F=2 features"),
        (lambda p, x, y: chunk_backward(x, np.zeros((3, 5)), np.zeros((3, 11, 4)), y, p), "start_hidden must"),
        (lambda p, x, y: chunk_backward(x, None, np.zeros((3, 11, 5)), y, p), "hiddens must have shape"),
        (lambda p, x, y: truncated_bptt(x, y[..., :1], p, 4), r"y must have shape \(3, 11, 2\)"),
        (lambda p, x, y: truncated_bptt(x, y * np.nan, p, 4), "y contains NaN"),
        (lambda p, x, y: truncated_bptt(x, y, p, 0), "chunk_length must be a whole number of at least 1"),
        (lambda p, x, y: truncated_bptt(x, y, p, 2.5), "chunk_length must be a whole number"),
        (lambda p, x, y: train_truncated(x, y, p, True), "chunk_length must be a whole number"),
        (lambda p, x, y: train_truncated(x, y, p, 4, epochs=0), "epochs must be a whole number"),
        (lambda p, x, y: train_truncated(x, y, p, 4, lr=-0.1), "lr must be a positive finite number"),
        (lambda p, x, y: train_truncated(x, y, p, 4, clip_norm=0), "clip_norm must be a positive finite number"),
        (lambda p, x, y: train_truncated(x, y, {"i_weight": 1}, 4), "params must be a dict with the keys"),
        (lambda p, x, y: delayed_recall(2, 10, 0), "lag must be a whole number of at least 1"),
        (lambda p, x, y: delayed_recall(0, 10, 2), "n_sequences must be a whole number"),
        (lambda p, x, y: delayed_recall(2, 10, 2, seed=-1), "seed must be a whole number of at least 0"),
    ],
)
def test_bad_input_gets_a_clear_message(problem, call, message):
    params, x, y, _ = problem
    with pytest.raises(ValueError, match=message):
        call(params, x, y)
