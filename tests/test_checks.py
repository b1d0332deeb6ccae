"""The self-checks: every catalogued mistake is named, correct variants pass, garbage gets a clear message.

The learner functions below are written the way a learner would write them (loops over
sequences and steps, in place, with pandas), each with a ``mistake`` switch that injects
one catalogued mistake into otherwise correct code.
"""

import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnn_helpers import checks
from rnn_helpers._provided import PROVIDED_HELPERS
from rnn_helpers.mistakes import BY_ID, HELPER_MODULES, MISTAKES, apply_edits, for_check, helpers_with
from rnn_helpers.rnn import rnn_backward, rnn_backward_with_input_grad, rnn_forward
from rnn_helpers.truncated import chunk_backward, truncated_bptt

ROOT = Path(__file__).resolve().parent.parent
CHECK_NAMES = [name for name in checks.NOTEBOOK_OF_CHECK]


# ------------------------------------------------------------- learner-style functions


def learner_forward(x, params, activation="tanh", mistake=None):
    x = np.asarray(x)
    sequences = x if x.ndim == 3 else x[np.newaxis]
    if mistake in ("relu_instead_of_tanh", "tanh_instead_of_relu"):
        activation = "relu" if activation == "tanh" else "tanh"
    act = np.tanh if activation == "tanh" else (lambda z: np.maximum(z, 0))
    n_hidden = params["h_weight"].shape[0]
    recurrent_weight = params["h_weight"].T if mistake == "forward_h_weight_transposed" else params["h_weight"]
    all_outputs, all_hiddens = [], []
    state = np.zeros(n_hidden)
    for sequence in sequences:
        if mistake != "hidden_not_reset":
            state = np.zeros(n_hidden)
        states = []
        if mistake == "loop_skips_step_0":
            states.append(np.zeros(n_hidden))  # a preallocated row that the loop never fills
        for t, x_t in enumerate(sequence):
            if mistake == "loop_skips_step_0" and t == 0:
                continue
            recurrent = 0 if mistake == "hidden_not_carried" else state @ recurrent_weight
            bias = 0 if mistake == "bias_skipped_at_step_0" and t == 0 else params["h_bias"][0]
            pre_activation = x_t @ params["i_weight"] + recurrent + bias
            state = pre_activation if mistake == "no_activation" else act(pre_activation)
            states.append(state)
        states = np.array(states)
        all_hiddens.append(states)
        output_bias = 0 if mistake == "output_bias_missing" else params["o_bias"][0]
        all_outputs.append(states @ params["o_weight"] + output_bias)
    outputs, hiddens = np.array(all_outputs), np.array(all_hiddens)
    if mistake == "outputs_and_hiddens_swapped":
        outputs, hiddens = hiddens, outputs
    return (outputs, hiddens) if x.ndim == 3 else (outputs[0], hiddens[0])


def learner_relu_forward(x, i_weight, h_weight, o_weight, mistake=None):
    params = {
        "i_weight": i_weight,
        "h_weight": h_weight,
        "h_bias": np.zeros((1, h_weight.shape[0])),
        "o_weight": o_weight,
        "o_bias": np.zeros((1, o_weight.shape[1])),
    }
    outputs, hiddens = learner_forward(x, params, "relu", mistake)
    return hiddens if mistake == "returned_hiddens" else outputs


def learner_numerical_gradient(loss_fn, params, epsilon=1e-6, mistake=None):
    if mistake == "epsilon_ignored":
        epsilon = 1e-5  # a step of its own, whatever it is given
    grads = {}
    for name, value in params.items():
        grads[name] = np.zeros(value.shape)
        if mistake == "nudges_whole_array":
            keep = value.copy()
            value += epsilon
            plus = loss_fn(params)
            value[...] = keep - epsilon
            minus = loss_fn(params)
            value[...] = keep
            grads[name][...] = (plus - minus) / (2 * epsilon)
            continue
        for index in np.ndindex(*value.shape):
            keep = value[index]
            value[index] = keep + epsilon
            plus = loss_fn(params)
            value[index] = keep - epsilon
            minus = loss_fn(params)
            if mistake == "forward_difference":
                value[index] = keep
                grads[name][index] = (plus - loss_fn(params)) / epsilon
            elif mistake == "divides_by_epsilon":
                grads[name][index] = (plus - minus) / epsilon
            else:
                grads[name][index] = (plus - minus) / (2 * epsilon)
            if mistake != "params_modified":
                value[index] = keep
    return grads


def learner_backward(x, hiddens, output_grad, params, mistake=None, dtype=float):
    single = np.ndim(x) == 2
    x, hiddens, output_grad = (
        np.asarray(a, dtype=dtype)[np.newaxis] if single else np.asarray(a, dtype=dtype)
        for a in (x, hiddens, output_grad)
    )
    params = {name: value.astype(dtype) for name, value in params.items()}
    grads = {name: np.zeros_like(value) for name, value in params.items()}
    n_sequences, n_steps, n_hidden = hiddens.shape
    h_bias_per_sequence, o_bias_per_sequence, all_dz = [], [], []
    for n in range(n_sequences):
        next_grad = np.zeros(n_hidden, dtype=dtype)
        h_bias_sum, o_bias_sum = np.zeros(n_hidden, dtype=dtype), np.zeros(output_grad.shape[2], dtype=dtype)
        for t in reversed(range(1 if mistake == "backward_skips_step_0" else 0, n_steps)):
            dy = output_grad[n, t]
            grads["o_weight"] += np.outer(hiddens[n, t], dy)
            o_bias_sum += dy
            dh = dy @ params["o_weight"].T
            if mistake != "next_step_grad_not_carried":
                dh = dh + next_grad
            h_t = np.tanh(hiddens[n, t]) if mistake == "tanh_applied_again" else hiddens[n, t]
            dz = dh if mistake == "tanh_derivative_dropped" else dh * (1 - h_t**2)
            previous = hiddens[n, t - 1] if t > 0 else np.zeros(n_hidden, dtype=dtype)
            if mistake == "previous_hidden_wraps_at_step_0":
                previous = hiddens[n, t - 1]  # at t = 0, index -1: the last state
            if mistake == "h_weight_grad_uses_current_hidden":
                previous = hiddens[n, t]
            if mistake == "h_weight_grad_not_summed":
                grads["h_weight"] = np.outer(previous, dz)  # = instead of +=
            else:
                grads["h_weight"] += np.outer(previous, dz)
            grads["i_weight"] += np.outer(x[n, t], dz)
            if not (mistake == "h_bias_grad_skips_step_0" and t == 0):
                h_bias_sum += dz
            all_dz.append(dz)
            back = params["h_weight"] if mistake == "carry_h_weight_not_transposed" else params["h_weight"].T
            next_grad = (dh if mistake == "carry_skips_tanh_derivative" else dz) @ back
        h_bias_per_sequence.append(h_bias_sum)
        o_bias_per_sequence.append(o_bias_sum)
    grads["h_bias"] = np.sum(h_bias_per_sequence, axis=0, keepdims=True)
    grads["o_bias"] = np.sum(o_bias_per_sequence, axis=0, keepdims=True)
    if mistake == "h_bias_grad_scalar_mean":
        grads["h_bias"] = np.full((1, n_hidden), np.mean(all_dz))
    if mistake == "bias_grad_not_summed_over_batch":
        grads["h_bias"], grads["o_bias"] = np.array(h_bias_per_sequence), np.array(o_bias_per_sequence)
    if mistake == "grad_mean_over_batch":
        grads = {name: grad / n_sequences for name, grad in grads.items()}
    if mistake == "grad_transposed":
        grads["h_weight"] = grads["h_weight"].T
    return grads


def einsum_backward(x, hiddens, output_grad, params):
    """Vectorised over the batch with einsum, different names, same mathematics."""
    xs, hs, dys = (np.asarray(a)[None] if np.ndim(x) == 2 else np.asarray(a) for a in (x, hiddens, output_grad))
    dzs = np.zeros_like(hs)
    carry = np.zeros_like(hs[:, 0])
    for step in range(hs.shape[1] - 1, -1, -1):
        dzs[:, step] = (dys[:, step] @ params["o_weight"].T + carry) * (1 - hs[:, step] ** 2)
        carry = dzs[:, step] @ params["h_weight"].T
    h_prev = np.concatenate([np.zeros_like(hs[:, :1]), hs[:, :-1]], axis=1)
    return {
        "o_bias": dys.sum((0, 1))[None],
        "o_weight": np.einsum("nth,nto->ho", hs, dys),
        "h_bias": dzs.sum((0, 1))[None],
        "h_weight": np.einsum("nth,ntk->hk", h_prev, dzs),
        "i_weight": np.einsum("ntf,nth->fh", xs, dzs),
    }


def einsum_forward(x, params):
    xs = np.asarray(x)[None] if np.ndim(x) == 2 else np.asarray(x)
    states = np.zeros(xs.shape[:2] + params["h_weight"].shape[:1])
    state = np.zeros((xs.shape[0], params["h_weight"].shape[0]))
    for step in range(xs.shape[1]):
        state = np.tanh(
            np.einsum("nf,fh->nh", xs[:, step], params["i_weight"])
            + np.einsum("nk,kh->nh", state, params["h_weight"])
            + params["h_bias"]
        )
        states[:, step] = state
    ys = np.einsum("nth,ho->nto", states, params["o_weight"]) + params["o_bias"]
    return (ys[0], states[0]) if np.ndim(x) == 2 else (ys, states)


def float32_forward(x, params):
    return learner_forward(
        np.asarray(x, dtype=np.float32), {name: value.astype(np.float32) for name, value in params.items()}
    )


def learner_clip(grads, max_norm, mistake=None):
    total = sum(float((grad**2).sum()) for grad in grads.values()) ** 0.5
    if mistake == "clip_norm_without_sqrt":
        total = total**2
    if mistake == "clip_sum_of_norms":
        total = sum(np.linalg.norm(grad) for grad in grads.values())
    if mistake == "clip_factor_inverted":
        return {name: grad * min(1.0, total / max_norm) for name, grad in grads.items()}
    if mistake == "clip_max_instead_of_min":
        return {name: grad * max(1.0, max_norm / total) for name, grad in grads.items()}
    if mistake == "clip_per_parameter":
        return {name: grad * min(1.0, max_norm / np.linalg.norm(grad)) for name, grad in grads.items()}
    if mistake == "clip_entries":
        return {name: np.clip(grad, -max_norm, max_norm) for name, grad in grads.items()}
    factor = max_norm / total if mistake == "clip_always_rescales" else min(1.0, max_norm / total)
    if mistake == "clip_changes_grads":  # right values, but the input scaled in place
        for grad in grads.values():
            grad *= factor
        return grads
    return {name: grad * factor for name, grad in grads.items()}


def learner_split(frame, train_fraction=0.7, valid_fraction=0.15, mistake=None):
    rows = len(frame)
    cut = int if mistake == "split_int_truncates" else round
    train_end, valid_end = cut(rows * train_fraction), cut(rows * (train_fraction + valid_fraction))
    if mistake == "split_not_chronological":
        frame = frame.sample(frac=1.0, random_state=0)
    if mistake == "split_overlap":
        return frame[: train_end + 1], frame[train_end:valid_end], frame[valid_end:]
    if mistake == "split_drops_rows":
        return frame[:train_end], frame[train_end + 1 : valid_end], frame[valid_end:]
    return frame[:train_end], frame[train_end:valid_end], frame[valid_end:]


def learner_scale_parts(train, valid, test, mistake=None):
    columns = list(train.columns) if mistake == "scaled_every_column" else ["tmax", "tmin", "rain"]
    fit_on = pd.concat([train, valid, test]) if mistake == "scaler_fit_on_all_rows" else train
    scaled = []
    for part in (train, valid, test):
        source = part if mistake == "scaler_fit_per_part" else fit_on
        mean, std = source[columns].mean(), source[columns].std(ddof=1 if mistake == "scaler_sample_std" else 0)
        if mistake == "scaler_mean_only":
            std = 1
        if mistake == "scaler_min_max":
            mean, std = source[columns].min(), source[columns].max() - source[columns].min()
        scaled.append(((part[columns] - mean) / std).to_numpy())
    return scaled


def learner_schedule(lr, step, total_steps, mistake=None):
    if mistake == "schedule_step_plus_one":
        step += 1
    if mistake == "schedule_reaches_zero":
        total_steps -= 1
    if mistake == "schedule_rises":
        return lr * step / total_steps
    if mistake == "schedule_constant":
        return lr
    if mistake == "schedule_not_divided":
        return lr * (total_steps - step)
    return lr - lr * step / total_steps


def learner_training_step(params, x, y, lr, clip_norm, mistake=None):
    outputs, hiddens = rnn_forward(x, params)
    error = outputs - y
    loss = (np.sum if mistake == "step_loss_summed" else np.mean)(error**2) * (
        1.0 if mistake == "step_loss_without_half" else 0.5
    )
    grads = rnn_backward(x, hiddens, error if mistake == "step_grad_not_divided" else error / error.size, params)
    norm = np.sqrt(sum(np.sum(grad**2) for grad in grads.values()))
    if mistake == "step_clips_each_tensor":
        grads = {name: grad * min(1.0, clip_norm / np.linalg.norm(grad)) for name, grad in grads.items()}
    elif mistake != "step_no_clipping" and norm > clip_norm:
        grads = {name: grad * clip_norm / norm for name, grad in grads.items()}
    if mistake == "step_changes_params":
        for name in params:
            params[name] -= lr * grads[name]
        return params, loss
    if mistake == "step_returns_gradients":
        return grads, loss
    sign = 1.0 if mistake == "step_adds_gradient" else -1.0
    new_params = {name: params[name] + sign * lr * grads[name] for name in params}
    if mistake == "step_loss_after_update":
        loss = 0.5 * np.mean((rnn_forward(x, new_params)[0] - y) ** 2)
    return new_params, loss


def learner_stack_backward(cache, output_grad, layers, mistake=None):
    grads, grad = [], output_grad
    for (layer_input, hiddens), params in reversed(list(zip(cache, layers))):
        layer_grads, input_grad = rnn_backward_with_input_grad(layer_input, hiddens, grad, params)
        grads.append(layer_grads)
        if mistake == "stack_layer_missing":
            return grads  # the top layer only
        if mistake == "stack_top_grad_to_every_layer":
            continue  # grad stays the stack's output gradient
        grad = np.zeros_like(input_grad) if mistake == "stack_no_grad_to_layer_below" else input_grad
    if mistake == "grad_transposed":
        grads[-1]["h_weight"] = grads[-1]["h_weight"].T
    return grads if mistake == "stack_grads_reversed" else grads[::-1]


def learner_tanh_step(x_t, previous_hidden, params, mistake=None):
    """One step written unit by unit, with np.dot: a different route to the same numbers."""
    i_weight, h_weight, h_bias = params["i_weight"], params["h_weight"], params["h_bias"][0]
    if mistake == "step_h_weight_transposed":
        h_weight = h_weight.T
    new = []
    for unit in range(h_weight.shape[1]):
        z = np.dot(x_t[0], i_weight[:, unit])
        if mistake != "step_previous_hidden_missing":
            z += np.dot(previous_hidden[0], h_weight[:, unit])
        if mistake != "step_bias_missing":
            z += h_bias[unit]
        if mistake == "step_relu_instead_of_tanh":
            z = max(0.0, z)
        elif mistake == "step_returned_prediction":
            z = np.tanh(z)
        elif mistake != "step_no_activation":
            z = np.tanh(z)
        new.append(z)
    if mistake == "step_returned_prediction":
        return np.array([new]) @ params["o_weight"] + params["o_bias"]
    return np.array([new])


def learner_hidden_grad(output_grad, next_pre_grad, params, mistake=None):
    through_output = np.einsum("to,ho->th", output_grad, params["o_weight"])
    through_next = np.einsum("tj,hj->th", next_pre_grad, params["h_weight"])
    if mistake == "hidden_grad_h_weight_not_transposed":
        through_next = next_pre_grad @ params["h_weight"]
    if mistake == "hidden_grad_next_step_missing":
        return through_output
    if mistake == "hidden_grad_output_path_missing":
        return through_next
    return through_output + through_next


def learner_carry(x, y, params, chunk_length, mistake=None):
    """Truncated BPTT as a learner writes it: each chunk's forward step by step, then chunk_backward."""
    single = np.ndim(x) == 2
    xs, ys = (np.asarray(a)[np.newaxis] if single else np.asarray(a) for a in (x, y))
    start = np.zeros((len(xs), params["h_weight"].shape[0]))  # h_{-1} = 0 before the first chunk only
    all_hiddens, chunk_grads = [], []
    for first in range(0, xs.shape[1], chunk_length):
        chunk_x, chunk_y = xs[:, first : first + chunk_length], ys[:, first : first + chunk_length]
        hidden, hiddens = start, []
        for t in range(chunk_x.shape[1]):
            if mistake == "chunk_state_reset_inside":
                hidden = start
            hidden = np.tanh(chunk_x[:, t] @ params["i_weight"] + hidden @ params["h_weight"] + params["h_bias"])
            hiddens.append(hidden)
        hiddens = np.stack(hiddens, axis=1)
        outputs = hiddens @ params["o_weight"] + params["o_bias"]
        if mistake == "chunk_start_ignored_in_backward":
            grads = rnn_backward(chunk_x, hiddens, outputs - chunk_y, params)
        elif mistake == "chunk_gradient_not_stopped":  # back through every step so far
            so_far = np.concatenate([*all_hiddens, hiddens], axis=1)
            output_grad = np.zeros(so_far.shape[:2] + ys.shape[2:])
            output_grad[:, first:] = outputs - chunk_y
            grads = rnn_backward(xs[:, : so_far.shape[1]], so_far, output_grad, params)
        elif mistake == "chunk_mean_loss":  # the loop of the notebook's training cell, not the exercise's loss
            grads, _ = chunk_backward(chunk_x, start, hiddens, (outputs - chunk_y) / outputs.size, params)
        else:
            grads, _ = chunk_backward(chunk_x, start, hiddens, outputs - chunk_y, params)  # dL/ds dropped
        all_hiddens.append(hiddens)
        chunk_grads.append(grads)
        if mistake != "chunk_state_not_carried":
            start = hiddens[:, -1]
    hiddens = np.concatenate(all_hiddens, axis=1)
    return (hiddens[0] if single else hiddens), chunk_grads


def whole_sequence_carry(x, y, params, chunk_length):
    """The whole sequence forward at once (what the carried state gives), then each chunk's stopped gradient."""
    outputs, hiddens = rnn_forward(x, params)
    chunk_grads = []
    for first in range(0, np.shape(x)[-2], chunk_length):
        window = slice(first, first + chunk_length)
        start = hiddens[..., first - 1, :] if first else None
        grads, _ = chunk_backward(
            x[..., window, :], start, hiddens[..., window, :], (outputs - y)[..., window, :], params
        )
        chunk_grads.append(grads)
    return hiddens, chunk_grads


LEARNERS = {
    "check_relu_forward": learner_relu_forward,
    "check_tanh_step": learner_tanh_step,
    "check_hidden_grad": learner_hidden_grad,
    "check_forward": learner_forward,
    "check_numerical_gradient": learner_numerical_gradient,
    "check_backward": learner_backward,
    "check_clip": learner_clip,
    "check_split": learner_split,
    "check_scaling": learner_scale_parts,
    "check_schedule": learner_schedule,
    "check_training_step": learner_training_step,
    "check_stack_backward": learner_stack_backward,
    "check_carry": learner_carry,
}
ARITY = {
    "check_relu_forward": 4,
    "check_tanh_step": 3,
    "check_hidden_grad": 3,
    "check_forward": 2,
    "check_numerical_gradient": None,
    "check_backward": 4,
    "check_clip": 2,
    "check_split": None,
    "check_scaling": 3,
    "check_schedule": 3,
    "check_training_step": 5,
    "check_stack_backward": 3,
    "check_carry": 4,
}


def with_mistake(check, mistake_id):
    """The learner's function for ``check`` with ``mistake_id`` injected, keeping the exercise's signature."""
    learner = LEARNERS[check]
    if ARITY[check] is None:  # functions with defaults: keep them
        if check == "check_split":
            return lambda frame, train_fraction=0.7, valid_fraction=0.15: learner(
                frame, train_fraction, valid_fraction, mistake=mistake_id
            )
        return lambda loss_fn, params, epsilon=1e-6: learner(loss_fn, params, epsilon, mistake=mistake_id)
    return lambda *args: learner(*args, mistake=mistake_id)


def diagnosis_fragments(mistake):
    return [fragment for fragment in mistake.diagnosis.split("{name}") if fragment.strip(" .,;:()")]


PAIRS = [(mistake.id, check) for mistake in MISTAKES for check in mistake.checks]


# ------------------------------------------------------------------------- the catalogue


def test_the_catalogue_covers_every_check_and_the_ten_helper_mutations():
    assert set(CHECK_NAMES) == {check for mistake in MISTAKES for check in mistake.checks}
    assert all(callable(getattr(checks, check)) for check in CHECK_NAMES)
    assert len([mistake for mistake in MISTAKES if mistake.edits]) >= 10
    for mistake in MISTAKES:
        assert mistake.diagnosis.strip() and mistake.diagnosis[0].islower(), mistake.id
        if mistake.edits:
            assert mistake.notebooks, f"{mistake.id}: say which notebooks catch the edited helpers"


@pytest.mark.parametrize("mistake", [m for m in MISTAKES if m.edits], ids=lambda m: m.id)
def test_every_edit_applies_to_the_current_source(mistake):
    # Both the mutation proof and the diagnosis apply these edits: they must still fit the helpers.
    for file in {file for file, _, _ in mistake.edits}:
        assert file[:-3] in HELPER_MODULES
        text = (ROOT / "rnn_helpers" / file).read_text()
        assert apply_edits(text, file, mistake.edits) != text
    assert helpers_with(mistake.edits) is not None


def edited_helper_as_learner(mistake):
    """The helper with the mistake's edits applied, in the shape of the check's learner function."""
    helpers = helpers_with(mistake.edits)
    check = mistake.checks[0]
    if check == "check_scaling":  # the edit sits in weather_windows: scale through it, one-day windows

        def scale_parts(train, valid, test):
            windows, _ = helpers.weather_windows(pd.concat([train, valid, test]), length=1)
            return tuple(windows[name][0][:, 0] for name in ("train", "valid", "test"))

        return scale_parts
    return {
        "check_forward": helpers.rnn_forward,
        "check_backward": helpers.rnn_backward,
        "check_split": helpers.chronological_split,
        "check_stack_backward": helpers.stack_backward,
        "check_carry": helpers.truncated_bptt,
    }[check]


@pytest.mark.parametrize("mistake", [m for m in MISTAKES if m.edits], ids=lambda m: m.id)
def test_each_helper_mutation_is_named_by_its_self_check(mistake):
    """The same edits the mutation proof injects, run through the self-check, get their diagnosis."""
    with pytest.raises(AssertionError) as raised:
        getattr(checks, mistake.checks[0])(edited_helper_as_learner(mistake))
    assert all(fragment in str(raised.value) for fragment in diagnosis_fragments(mistake)), str(raised.value)


# ------------------------------------------------------------ one test per known mistake


def test_every_mistake_has_an_injection_test():
    assert {check for _, check in PAIRS} <= set(LEARNERS)


@pytest.mark.parametrize(("mistake_id", "check"), PAIRS, ids=[f"{m}-{c}" for m, c in PAIRS])
def test_an_injected_mistake_is_named(mistake_id, check, capsys):
    with pytest.raises(AssertionError) as raised:
        getattr(checks, check)(with_mistake(check, mistake_id))
    message = str(raised.value)
    assert message.startswith(f"{check}: ")
    assert "Likely mistake: " in message
    assert all(fragment in message for fragment in diagnosis_fragments(BY_ID[mistake_id])), message
    others = [m for m in for_check(check) if m.id != mistake_id]
    assert not any(m.describe("") in message for m in others if "{name}" not in m.diagnosis)
    assert capsys.readouterr().out == ""


def test_a_forward_mistake_names_the_time_step_where_it_starts():
    with pytest.raises(AssertionError, match=r"wrong hiddens for one sequence .* step t=1, hidden unit"):
        checks.check_forward(with_mistake("check_forward", "forward_h_weight_transposed"))
    with pytest.raises(AssertionError, match=r"step t=0 \(sequence 1 of the batch\)"):
        checks.check_forward(with_mistake("check_forward", "hidden_not_reset"))


def test_a_gradient_mistake_names_the_parameter_with_expected_and_got():
    with pytest.raises(AssertionError) as raised:
        checks.check_backward(with_mistake("check_backward", "h_bias_grad_skips_step_0"))
    message = str(raised.value)
    assert "wrong h_bias gradient for one sequence x of shape (5, 3)" in message
    assert "expected" in message and "got" in message


def test_a_transposed_gradient_of_another_shape_is_named():
    def transposed_i_weight(x, hiddens, output_grad, params):
        grads = learner_backward(x, hiddens, output_grad, params)
        return dict(grads, i_weight=grads["i_weight"].T)

    with pytest.raises(
        AssertionError,
        match=r"(?s)has shape \(4, 3\), expected \(3, 4\)\. It looks transposed\..*"
        r"your i_weight gradient is transposed",
    ):
        checks.check_backward(transposed_i_weight)


def test_an_h_weight_gradient_kept_from_the_last_step_only_is_named():
    def last_step_only(x, hiddens, output_grad, params):
        grads = learner_backward(x, hiddens, output_grad, params)
        hs = np.asarray(hiddens)[None] if np.ndim(x) == 2 else np.asarray(hiddens)
        dz = einsum_dz(x, hiddens, output_grad, params)
        return dict(grads, h_weight=hs[:, -2].T @ dz[:, -1])

    with pytest.raises(AssertionError, match="keeps only one step"):
        checks.check_backward(last_step_only)


@pytest.mark.parametrize(
    ("batch_only", "per_sequence"),
    [(False, False), (True, False), (True, True)],
    ids=["one-sequence", "steps-of-the-batch", "loop-over-sequences"],
)
def test_a_sum_over_steps_of_the_mean_bias_gradient_is_named(batch_only, per_sequence):
    # 04_bptt_loop's slip: add np.mean(pre_grad) into the h_bias gradient at every step.
    # With a batch, np.mean over a step's (N, H) gradients divides by N too; a loop over
    # the sequences does not. ``batch_only``: right on one sequence, so the batch case is reached.
    def my_backward(x, hiddens, output_grad, params):
        grads = learner_backward(x, hiddens, output_grad, params)
        if batch_only and np.ndim(x) == 2:
            return grads
        dz = einsum_dz(x, hiddens, output_grad, params)  # (N, T, H)
        if per_sequence:
            total = sum(np.mean(dz[n, t]) for n in range(dz.shape[0]) for t in range(dz.shape[1]))
        else:
            total = sum(np.mean(dz[:, t]) for t in range(dz.shape[1]))
        return dict(grads, h_bias=np.full_like(grads["h_bias"], total))

    message = run_check("check_backward", my_backward)
    assert f"wrong h_bias gradient for {'a batch' if batch_only else 'one sequence'} x" in message
    assert (
        "Likely mistake: your h_bias gradient is one number for all units (a mean over the units of"
        " dL/dz_t); it needs one value per unit: the sum over steps (and sequences) of dL/dz_t."
    ) in message


def test_clipping_the_given_grads_in_place_is_named():
    def my_clip(grads, max_norm):
        norm = np.sqrt(sum(np.sum(grad**2) for grad in grads.values()))
        for name in grads:
            grads[name] *= min(1.0, max_norm / norm)
        return dict(grads)

    message = run_check("check_clip", my_clip)
    assert "after my_clip(grads, 0.5), the grads passed in (grads['i_weight']) have changed." in message
    assert (
        "Likely mistake: your function changed the grads it was given (grads['i_weight']); build a new dict" in message
    )


def test_a_split_cut_with_int_is_named():
    def my_split(frame, train_fraction=0.7, valid_fraction=0.15):
        train_end = int(train_fraction * len(frame))  # 1021.9999999999999 -> 1021
        valid_end = train_end + int(valid_fraction * len(frame))
        return frame[:train_end], frame[train_end:valid_end], frame[valid_end:]

    message = run_check("check_split", my_split)
    assert "the train part has 1021 days (fractions (0.7, 0.15), 1460 days), expected 1022" in message
    assert "Likely mistake: you cut with int(), which rounds 1021.9999... down; use round()" in message


def test_a_split_off_by_one_otherwise_names_no_mistake():
    def my_split(frame, train_fraction=0.7, valid_fraction=0.15):
        train_end = round(train_fraction * len(frame)) + 1
        valid_end = round((train_fraction + valid_fraction) * len(frame))
        return frame[:train_end], frame[train_end:valid_end], frame[valid_end:]

    message = run_check("check_split", my_split)
    assert "the train part has 29 days" in message and "Likely mistake" not in message


def test_stack_gradients_in_reverse_order_are_named_first_without_a_transpose_hint():
    message = run_check("check_stack_backward", with_mistake("check_stack_backward", "stack_grads_reversed"))
    first_line, diagnosis = message.splitlines()[:2]
    assert first_line == (
        "check_stack_backward: your gradients for a batch x of shape (2, 5, 3) are in reverse"
        " order: the first dict holds the gradients of layer 1 (the top layer), expected those"
        " of layer 0."
    )
    assert diagnosis.startswith("Likely mistake: your list of gradients runs from the top layer down")
    assert "transposed" not in message


def einsum_dz(x, hiddens, output_grad, params):
    hs, dys = (np.asarray(a)[None] if np.ndim(x) == 2 else np.asarray(a) for a in (hiddens, output_grad))
    dzs, carry = np.zeros_like(hs), np.zeros_like(hs[:, 0])
    for step in reversed(range(hs.shape[1])):
        dzs[:, step] = (dys[:, step] @ params["o_weight"].T + carry) * (1 - hs[:, step] ** 2)
        carry = dzs[:, step] @ params["h_weight"].T
    return dzs


# ------------------------------------------------ slips a first-time learner reported


def test_right_values_with_a_batch_axis_on_one_sequence_are_told_to_drop_it():
    # The "not reset" mistake gives the right result on one sequence: it must not be named.
    def my_forward(x, params):
        outputs, hiddens = rnn_forward(np.asarray(x).reshape((-1,) + np.shape(x)[-2:]), params)
        return outputs, hiddens

    message = run_check("check_forward", my_forward)
    assert "your `hiddens` array for one sequence x of shape (5, 3) has shape (1, 5, 4), expected (5, 4)" in message
    assert "for a (T, F) input return (T, O) and (T, H): drop the batch axis (e.g. with `[0]`)" in message
    assert "Likely mistake" not in message and "reset" not in message


def test_a_mistake_that_is_right_on_this_case_is_never_named():
    # Expected ones; the learner's has an extra axis and other values. "Not reset" gives the
    # expected values (it is right here), so only "no activation", which gives the learner's, is named.
    def candidates():
        return iter(
            [
                (BY_ID["hidden_not_reset"], {"outputs": np.ones((2, 2))}),
                (BY_ID["no_activation"], {"outputs": np.full((2, 2), 2.0)}),
            ]
        )

    with pytest.raises(AssertionError) as raised:
        checks._verify(
            "check_forward", "", {"outputs": np.ones((2, 2))}, {"outputs": np.ones((1, 2, 2)) * 2}, candidates
        )
    assert "not reset" not in str(raised.value) and "skips the activation" in str(raised.value)


@pytest.mark.parametrize(
    ("check", "function", "expected"),
    [
        (
            "check_forward",
            lambda x, params: rnn_forward(x, params)[::-1],
            "did you swap outputs and hiddens? Return (outputs, hiddens)",
        ),
        (
            "check_forward",
            lambda x, params: rnn_forward(x, params, activation="relu"),
            "you used ReLU; this forward pass uses tanh",
        ),
        (
            "check_relu_forward",
            lambda x, i_weight, h_weight, o_weight: learner_relu_forward(
                x, i_weight, h_weight, o_weight, mistake="tanh_instead_of_relu"
            ),
            "you used tanh; this toy uses ReLU",
        ),
        (
            "check_relu_forward",
            lambda x, i_weight, h_weight, o_weight: learner_forward(
                x,
                {
                    "i_weight": i_weight,
                    "h_weight": h_weight,
                    "h_bias": np.zeros((1, 4)),
                    "o_weight": o_weight,
                    "o_bias": np.zeros((1, 2)),
                },
                "relu",
            ),
            "return only `outputs`, not a tuple",
        ),
        (
            "check_relu_forward",
            lambda x, i_weight, h_weight, o_weight: learner_relu_forward(
                x, i_weight, h_weight, o_weight, mistake="returned_hiddens"
            ),
            "your `outputs` array for one sequence x of shape (5, 3) has shape (5, 4), expected (5, 2).\n"
            "Likely mistake: did you return the hidden states instead of the outputs h_t @ o_weight?",
        ),
    ],
)
def test_reported_forward_slips_are_named(check, function, expected):
    message = run_check(check, function)
    assert expected in message, message


def test_outputs_differ_at_an_output_and_hiddens_at_a_hidden_unit():
    def off_output(x, i_weight, h_weight, o_weight):
        return learner_relu_forward(x, i_weight, h_weight, o_weight) + 0.5

    assert "step t=0, output 0:" in run_check("check_relu_forward", off_output)

    def off_hidden(x, params):
        outputs, hiddens = rnn_forward(x, params)
        return outputs, hiddens + 0.5

    assert "step t=0, hidden unit 0:" in run_check("check_forward", off_hidden)


def test_a_shallow_copy_of_params_is_explained():
    def my_numerical_gradient(loss_fn, params, epsilon=1e-6):
        grads = {}
        for name, value in params.items():
            grads[name] = np.zeros_like(value)
            for index in np.ndindex(value.shape):
                plus, minus = dict(params), dict(params)  # copies the dict, not the arrays
                plus[name][index] += epsilon
                loss_plus = loss_fn(plus)
                minus[name][index] -= 2 * epsilon
                grads[name][index] = (loss_plus - loss_fn(minus)) / (2 * epsilon)
        return grads

    message = run_check("check_numerical_gradient", my_numerical_gradient)
    assert "`dict(params)` copies the dict but not its arrays" in message and "value.copy()" in message


@pytest.mark.parametrize("as_number", [True, False], ids=["one-number-per-array", "filled-array"])
def test_nudging_a_whole_array_at_once_is_named(as_number):
    def my_numerical_gradient(loss_fn, params, epsilon=1e-6):
        grads = {}
        for name in params:
            plus = {key: value.copy() for key, value in params.items()}
            minus = {key: value.copy() for key, value in params.items()}
            plus[name] += epsilon
            minus[name] -= epsilon
            slope = (loss_fn(plus) - loss_fn(minus)) / (2 * epsilon)
            grads[name] = slope if as_number else np.full(params[name].shape, slope)
        return grads

    message = run_check("check_numerical_gradient", my_numerical_gradient)
    assert "Likely mistake: you nudge a whole array at once" in message, message


def test_an_unknown_mistake_points_back_to_the_notebook():
    def off_by_a_little(x, params):
        outputs, hiddens = rnn_forward(x, params)
        return outputs + 0.01, hiddens

    with pytest.raises(AssertionError, match="(?s)wrong outputs.*No known mistake gives this result.*02_tanh_forward"):
        checks.check_forward(off_by_a_little)


# ----------------------------------------------------------- correct, written differently

CORRECT_VARIANTS = [
    ("check_relu_forward", learner_relu_forward),
    ("check_forward", learner_forward),
    ("check_forward", einsum_forward),
    ("check_forward", float32_forward),
    ("check_numerical_gradient", learner_numerical_gradient),
    ("check_backward", learner_backward),
    ("check_backward", einsum_backward),
    (
        "check_backward",
        lambda x, hiddens, output_grad, params: learner_backward(x, hiddens, output_grad, params, dtype=np.float32),
    ),
    ("check_clip", learner_clip),
    ("check_split", learner_split),
    (
        "check_split",
        lambda frame, a=0.7, b=0.15: (
            frame.iloc[: round(len(frame) * a)],
            frame.iloc[round(len(frame) * a) : round(len(frame) * (a + b))],
            frame.iloc[round(len(frame) * (a + b)) :],
        ),
    ),
    ("check_scaling", learner_scale_parts),
    ("check_schedule", learner_schedule),
    ("check_schedule", lambda lr, step, total_steps: np.float32(lr * (total_steps - step) / total_steps)),
    ("check_training_step", learner_training_step),
    ("check_stack_backward", learner_stack_backward),
    ("check_carry", learner_carry),
    ("check_carry", whole_sequence_carry),
]


@pytest.mark.parametrize(
    ("check", "function"),
    CORRECT_VARIANTS,
    ids=[f"{check}-{index}" for index, (check, _) in enumerate(CORRECT_VARIANTS)],
)
def test_a_correct_function_written_differently_passes(check, function, capsys):
    getattr(checks, check)(function)
    printed = capsys.readouterr().out
    assert printed.startswith(f"{check}: correct") and printed.count("\n") == 1


# ------------------------------------------------------------------- garbage and errors


def run_check(check, function):
    with pytest.raises(AssertionError) as raised:
        getattr(checks, check)(function)
    error = raised.value
    # A message of our own, not an exception from deep inside chained to it.
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    return str(error)


def test_a_function_that_raises_gets_its_error_and_line():
    def my_forward(x, params):
        hidden = x @ params["h_weight"]  # a shape slip
        return hidden, hidden

    message = run_check("check_forward", my_forward)
    assert message.startswith("check_forward: your function raised ValueError")
    assert "when called as my_forward(x, params) with x of shape (5, 3)" in message
    assert 'hidden = x @ params["h_weight"]' in message


@pytest.mark.parametrize("check", CHECK_NAMES)
def test_an_untouched_stub_prints_not_written_yet_and_does_not_fail(check, capsys):
    def my_function(*args):
        raise NotImplementedError

    assert getattr(checks, check)(my_function) is None
    assert capsys.readouterr().out == (
        f"{check}: not written yet: fill in `my_function` above, then run this cell again.\n"
    )


@pytest.mark.parametrize(
    ("check", "function", "expected"),
    [
        (
            "check_forward",
            lambda x, params: None,
            "returned None when called as my_forward(x, params) with x of "
            "shape (5, 3); it must return (outputs, hiddens)",
        ),
        ("check_backward", lambda *args: None, "Is the `return` line missing, or does a branch (an `if`) end"),
        ("check_forward", lambda x, params: rnn_forward(x, params)[0], "expected two values (outputs, hiddens)"),
        ("check_backward", lambda *args: [1, 2], "expected a dict with the keys"),
        ("check_backward", lambda *args: {"i_weight": 1}, "has no key 'h_weight'"),
        (
            "check_backward",
            lambda *args: dict(rnn_backward(*args), h_bias="zero"),
            "the h_bias gradient cannot be read as numbers",
        ),
        (
            "check_backward",
            lambda *args: dict(rnn_backward(*args), h_bias=rnn_backward(*args)["h_bias"][0]),
            "has shape (4,), expected (1, 4)",
        ),
        ("check_relu_forward", lambda *args: np.full((5, 2), np.nan), "got nan"),
        ("check_schedule", lambda lr, step, total_steps: [lr, lr], "has shape (2,), expected ()"),
        (
            "check_schedule",
            lambda lr, step, total_steps: np.array([lr * (1 - step / total_steps)]),
            "The values are right, only the shape is not: return one number",
        ),
        ("check_training_step", lambda *args: ({}, 0.0), "has no key 'i_weight'"),
        ("check_split", lambda frame, *fractions: frame, "expected three DataFrames"),
        ("check_scaling", lambda *parts: parts[0], "expected three arrays"),
        ("check_stack_backward", lambda cache, output_grad, layers: {}, "expected a list of 2 gradient dicts"),
        ("check_clip", 42, "pass your function itself"),
        ("check_carry", lambda *args: truncated_bptt(*args)[1], "expected two values (hiddens, chunk_grads)"),
        (
            "check_carry",
            lambda *args: (truncated_bptt(*args)[0], truncated_bptt(*args)[1][:1]),
            "expected a list of 3 gradient dicts, one per chunk (10 steps in chunks of 4",
        ),
        (
            "check_carry",
            lambda x, y, params, chunk_length: (
                truncated_bptt(x, y, params, chunk_length)[0],
                [(grads, None) for grads in truncated_bptt(x, y, params, chunk_length)[1]],
            ),
            "chunk_backward returns (grads, start_grad). Keep the first",
        ),
    ],
)
def test_garbage_gets_a_clear_message(check, function, expected):
    message = run_check(check, function)
    assert message.startswith(f"{check}: ") and expected in message, message


def test_a_branch_without_a_return_is_pointed_at_with_the_call_that_hit_it():
    def my_clip(grads, max_norm):
        norm = np.sqrt(sum(np.sum(grad**2) for grad in grads.values()))
        if norm > max_norm:
            return {name: grad * max_norm / norm for name, grad in grads.items()}

    message = run_check("check_clip", my_clip)
    assert "returned None when called as my_clip(grads, 1000000.0)" in message
    assert "does a branch (an `if`) end without one?" in message


def test_an_error_inside_a_helper_points_at_the_learners_line():
    def my_forward(x, params):
        return rnn_forward(x.T, params)  # a transposed input, rejected by the helper

    message = run_check("check_forward", my_forward)
    assert "raised ValueError: x must have shape (T, F) or (N, T, F)" in message
    assert "(in my_forward, line " in message and "return rnn_forward(x.T, params)" in message


def test_a_state_not_carried_is_named_where_the_second_chunk_starts():
    message = run_check("check_carry", with_mistake("check_carry", "chunk_state_not_carried"))
    assert "wrong hiddens for one sequence x of shape (10, 3) in chunks of 4 steps" in message
    assert "first difference at step t=4, hidden unit" in message
    assert message.endswith("(The chunks start at steps t = 0, 4, 8.)")


def test_a_list_of_one_row_arrays_is_told_to_stack_them_not_to_drop_an_axis():
    def my_relu_forward(x, i_weight, h_weight, o_weight):
        hidden, outputs = np.zeros((1, h_weight.shape[0])), []
        for t in range(len(x)):
            hidden = np.maximum(0, x[t : t + 1] @ i_weight + hidden @ h_weight)
            outputs.append(hidden @ o_weight)  # (1, O) rows, never stacked
        return outputs

    message = run_check("check_relu_forward", my_relu_forward)
    assert "np.vstack(rows)" in message and "[0]" not in message


@pytest.mark.parametrize("check", CHECK_NAMES)
def test_a_function_of_the_package_itself_is_refused(check):
    helpers = PROVIDED_HELPERS[check] or ("rnn_forward",)
    helper = getattr(checks, helpers[0], None) or getattr(importlib.import_module("rnn_helpers"), helpers[0])
    with pytest.raises(AssertionError, match="that is rnn_helpers' own `.*`, not a function of yours"):
        getattr(checks, check)(helper)


def test_a_right_function_that_calls_the_helper_passes_with_a_note(capsys):
    def my_forward(x, params):
        return rnn_forward(x, params)

    checks.check_forward(my_forward)
    printed = capsys.readouterr().out
    assert "check_forward: correct" in printed
    assert "note: your function calls `rnn_forward`" in printed


def test_not_implemented_after_a_first_case_is_a_bug_not_the_stub():
    def my_forward(x, params):
        if np.ndim(x) == 3:
            raise NotImplementedError
        return rnn_forward(x, params)

    assert "although it ran for an earlier case" in run_check("check_forward", my_forward)
