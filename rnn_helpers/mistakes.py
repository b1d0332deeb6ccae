"""The catalogue of known mistakes, shared by the self-checks and the mutation proof.

Each :class:`Mistake` says, in plain words, what went wrong and how to fix it, which
self-check in ``rnn_helpers.checks`` recognises it, and how to reproduce it:

* ``edits``: replacements in the source of ``rnn_helpers`` that put the mistake into the
  verified helpers. The mutation proof (``scripts/mutations.py``) applies them to a copy of
  the package and shows the tests and notebooks catch each; the self-check runs its own
  reference computation with the same edits applied (:func:`helpers_with`) and names the
  mistake when the learner's result equals that wrong result.
* ``wrong``: functions that compute what a learner's function with this mistake returns,
  for the case a self-check is running (``case`` holds the inputs, ``case.expected`` the
  right answer, in the form the learner's function returns it).

A few mistakes are recognised by what the learner's function does rather than by its
result (it changed its input, the parts of a split overlap); they have neither, and
the self-check names them directly. The diagnosis may contain ``{name}``, the parameter
whose value is wrong.
"""

import importlib
import inspect
import sys
import types
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .data import fit_scaler, scale
from .optim import clip_by_global_norm, sgd_step
from .rnn import rnn_backward, rnn_forward


@dataclass(frozen=True)
class Mistake:
    """One known mistake: its id, the self-checks that name it, and how to reproduce it."""

    id: str
    checks: tuple
    diagnosis: str
    edits: tuple = ()  # (file in rnn_helpers, old text, new text), each old text found exactly once
    notebooks: tuple = ()  # notebooks expected to catch the edited helpers (mutation proof)
    wrong: tuple = ()  # functions case -> what a learner's function with this mistake returns

    def describe(self, name=""):
        """The diagnosis in plain words, with ``{name}`` filled in."""
        return self.diagnosis.replace("{name}", name or "this")


GRADIENT_NOTEBOOKS = ("03_manual_backprop", "04_bptt_loop")


# ----------------------------------------------------------------------------- forward


def _forward(
    x,
    params,
    activation="tanh",
    *,
    apply_activation=True,
    transpose_h_weight=False,
    carry_hidden=True,
    bias_at_step_0=True,
    reset_between_sequences=True,
    first_step=0,
    zero_outputs_before=False,
    output_bias=True,
):
    """A per-step forward pass in which each argument can switch one mistake on.

    ``first_step=1`` is a time loop that starts at t = 1: step 0 is never computed, so its
    row of ``hiddens`` stays 0 (and of ``outputs`` too, with ``zero_outputs_before``).
    """
    x = np.asarray(x, dtype=float)
    single = x.ndim == 2
    batch = x[None] if single else x
    if not apply_activation:
        act = lambda pre_activation: pre_activation  # noqa: E731
    elif activation == "relu":
        act = lambda pre_activation: np.maximum(0.0, pre_activation)  # noqa: E731
    else:
        act = np.tanh
    h_weight = params["h_weight"].T if transpose_h_weight else params["h_weight"]
    n_hidden = h_weight.shape[0]
    hiddens = np.zeros(batch.shape[:2] + (n_hidden,))
    hidden = np.zeros(n_hidden)
    for sequence_index, sequence in enumerate(batch):
        if reset_between_sequences:
            hidden = np.zeros(n_hidden)
        for step, x_t in enumerate(sequence):
            if step < first_step:
                continue
            pre_activation = x_t @ params["i_weight"]
            if carry_hidden:
                pre_activation = pre_activation + hidden @ h_weight
            if bias_at_step_0 or step > 0:
                pre_activation = pre_activation + params["h_bias"][0]
            hidden = act(pre_activation)
            hiddens[sequence_index, step] = hidden
    outputs = hiddens @ params["o_weight"] + (params["o_bias"] if output_bias else 0.0)
    if zero_outputs_before:
        outputs[:, :first_step] = 0.0
    return (outputs[0], hiddens[0]) if single else (outputs, hiddens)


def _forward_with(**mistake):
    return lambda case: case.adapt(_forward(case.x, case.params, case.activation, **mistake))


def _other_activation(case):
    other = "relu" if case.activation == "tanh" else "tanh"
    return case.adapt(_forward(case.x, case.params, other))


def _hiddens_returned(case):
    return _forward(case.x, case.params, case.activation)[1]


def _step_pre_activation(case, transpose=False, carry=True, bias=True, act=None):
    """One step of the layer with one slip switched on (``act=None``: no activation at all)."""
    h_weight = case.params["h_weight"].T if transpose else case.params["h_weight"]
    pre_activation = case.x_t @ case.params["i_weight"]
    if carry:
        pre_activation = pre_activation + case.previous_hidden @ h_weight
    if bias:
        pre_activation = pre_activation + case.params["h_bias"]
    return pre_activation if act is None else act(pre_activation)


# ---------------------------------------------------------------------------- backward


def _pre_activation_grads(case):
    """dL/dz_t for every step, shaped (N, T, H), from a plain tanh BPTT loop."""
    x = np.asarray(case.x, dtype=float)
    batch_shape = (1,) + x.shape[:-1] if x.ndim == 2 else x.shape[:-1]
    hiddens = np.asarray(case.hiddens, dtype=float).reshape(batch_shape + (-1,))
    output_grad = np.asarray(case.output_grad, dtype=float).reshape(batch_shape + (-1,))
    grads = np.zeros_like(hiddens)
    next_hidden_grad = np.zeros_like(hiddens[:, 0])
    for step in reversed(range(hiddens.shape[1])):
        hidden_grad = output_grad[:, step] @ case.params["o_weight"].T + next_hidden_grad
        grads[:, step] = hidden_grad * (1 - hiddens[:, step] ** 2)
        next_hidden_grad = grads[:, step] @ case.params["h_weight"].T
    return hiddens, output_grad, grads


def _bptt_with(
    *, carry_before_derivative=False, tanh_again=False, last_step=0, wrap_at_step_0=False, carry_untransposed=False
):
    """The gradients of a plain tanh BPTT loop with one slip switched on."""

    def grads(case):
        x = np.asarray(case.x, dtype=float)
        xs = x[None] if x.ndim == 2 else x
        hiddens = np.asarray(case.hiddens, dtype=float).reshape(xs.shape[:-1] + (-1,))
        output_grad = np.asarray(case.output_grad, dtype=float).reshape(xs.shape[:-1] + (-1,))
        params = case.params
        result = {name: np.zeros_like(value, dtype=float) for name, value in params.items()}
        carried = np.zeros_like(hiddens[:, 0])
        for step in reversed(range(last_step, hiddens.shape[1])):
            hidden = hiddens[:, step]
            hidden_grad = output_grad[:, step] @ params["o_weight"].T + carried
            pre_grad = hidden_grad * (1 - (np.tanh(hidden) if tanh_again else hidden) ** 2)
            previous = hiddens[:, step - 1] if step > 0 or wrap_at_step_0 else np.zeros_like(hidden)
            result["i_weight"] += xs[:, step].T @ pre_grad
            result["h_weight"] += previous.T @ pre_grad
            result["h_bias"] += pre_grad.sum(axis=0)
            result["o_weight"] += hidden.T @ output_grad[:, step]
            result["o_bias"] += output_grad[:, step].sum(axis=0)
            h_weight = params["h_weight"] if carry_untransposed else params["h_weight"].T
            carried = (hidden_grad if carry_before_derivative else pre_grad) @ h_weight
        return result

    return grads


def _h_weight_last_step_only(case):
    hiddens, _, pre_grads = _pre_activation_grads(case)
    return dict(case.expected, h_weight=hiddens[:, -2].T @ pre_grads[:, -1])


def _bias_grads_per_sequence(case):
    _, output_grad, pre_grads = _pre_activation_grads(case)
    return dict(case.expected, h_bias=pre_grads.sum(axis=1), o_bias=output_grad.sum(axis=1))


def _h_bias_grad_one_number(divisor):
    """h_bias gradient = one number for every unit: the sum of dL/dz over everything, divided.

    The edit in the catalogue adds np.mean(dL/dz_t) at every step (as 04_bptt_loop shows),
    which divides by N * H. A loop over the sequences divides by H only (``divisor`` 1);
    one np.mean over every step at once divides by N * T * H (``divisor`` "steps").
    """

    def wrong(case):
        shape = (1,) + np.shape(case.x) if np.ndim(case.x) == 2 else np.shape(case.x)
        h_bias = np.asarray(case.expected["h_bias"], dtype=float)
        value = h_bias.mean() / (1 if divisor == 1 else shape[0] * shape[1])
        return dict(case.expected, h_bias=np.full_like(h_bias, value))

    return wrong


def _split_with_int(separate_valid_cut):
    """The parts cut at int(fraction * rows), which rounds 1021.9999... down to 1021."""

    def wrong(case):
        rows = len(case.frame)
        train_fraction, valid_fraction = case.fractions
        train_end = int(train_fraction * rows)
        valid_end = (
            train_end + int(valid_fraction * rows)
            if separate_valid_cut
            else int((train_fraction + valid_fraction) * rows)
        )
        return case.frame.iloc[:train_end], case.frame.iloc[train_end:valid_end], case.frame.iloc[valid_end:]

    return wrong


def _mean_over_batch(case):
    n_sequences = 1 if np.ndim(case.x) == 2 else np.shape(case.x)[0]
    return _map_grads(case.expected, lambda grad: grad / n_sequences)


def _transposed(case):
    return _map_grads(case.expected, np.transpose)


def _map_grads(grads, function):
    if isinstance(grads, list):
        return [_map_grads(layer, function) for layer in grads]
    return {name: function(grad) for name, grad in grads.items()}


# ------------------------------------------------------------------ numerical gradient


def _one_sided_gradient(case, direction):
    gradient = {}
    base_loss = case.loss_fn({name: value.copy() for name, value in case.params.items()})
    for name, value in case.params.items():
        gradient[name] = np.zeros_like(value, dtype=float)
        for index in np.ndindex(value.shape):
            nudged = {key: array.astype(float) for key, array in case.params.items()}
            nudged[name][index] += direction * case.epsilon
            gradient[name][index] = direction * (case.loss_fn(nudged) - base_loss) / case.epsilon
    return gradient


def _whole_array_nudges(case):
    """For each parameter, the central difference of nudging every entry at once."""
    slopes = {}
    for name in case.params:
        losses = []
        for direction in (+1.0, -1.0):
            nudged = {key: array.astype(float) for key, array in case.params.items()}
            nudged[name] += direction * case.epsilon
            losses.append(case.loss_fn(nudged))
        slopes[name] = (losses[0] - losses[1]) / (2 * case.epsilon)
    return slopes


def _whole_array_nudges_filled(case):
    slopes = _whole_array_nudges(case)
    return {name: np.full(np.shape(value), slopes[name]) for name, value in case.params.items()}


# -------------------------------------------------------------------------- clipping


def _clip_per_parameter(case):
    clipped = {}
    for name, grad in case.grads.items():
        norm = np.linalg.norm(grad)
        clipped[name] = grad * min(1.0, case.max_norm / norm) if norm > 0 else grad
    return clipped


def _clip_always(case):
    norm = np.sqrt(sum(np.sum(grad**2) for grad in case.grads.values()))
    return {name: grad * case.max_norm / norm for name, grad in case.grads.items()}


def _global_norm(grads):
    return float(np.sqrt(sum(np.sum(np.square(grad)) for grad in grads)))


def _clip_with_norm(case, norm_of):
    """Clipping with another 'norm': factor min(1, max_norm / norm_of(grads))."""
    factor = min(1.0, case.max_norm / norm_of(list(case.grads.values())))
    return {name: grad * factor for name, grad in case.grads.items()}


def _clip_factor_inverted(case):
    factor = min(1.0, _global_norm(case.grads.values()) / case.max_norm)
    return {name: grad * factor for name, grad in case.grads.items()}


def _clip_max_instead_of_min(case):
    factor = max(1.0, case.max_norm / _global_norm(case.grads.values()))
    return {name: grad * factor for name, grad in case.grads.items()}


def _stack_top_grad_everywhere(case):
    return [
        rnn_backward(layer_input, hiddens, case.output_grad, layer)
        for (layer_input, hiddens), layer in zip(case.cache, case.layers)
    ]


def _clip_entries(case):
    return {name: np.clip(grad, -case.max_norm, case.max_norm) for name, grad in case.grads.items()}


# --------------------------------------------------------------------------- scaling


def _scaled_with(scaler, parts, columns):
    return tuple(scale(part, scaler, columns) for part in parts)


def _scaler_fit_on_all_rows(case):
    return _scaled_with(fit_scaler(pd.concat(case.parts), case.columns), case.parts, case.columns)


def _scaler_per_part(case):
    return tuple(scale(part, fit_scaler(part, case.columns), case.columns) for part in case.parts)


def _scaled_every_column(case):
    columns = list(case.parts[0].columns)
    return _scaled_with(fit_scaler(case.parts[0], columns), case.parts, columns)


def _scaled_by(case, center, spread):
    """Every part's predictors as (value - center(train)) / spread(train), column by column."""
    train = case.parts[0][case.columns].to_numpy(dtype=float)
    return tuple((part[case.columns].to_numpy(dtype=float) - center(train)) / spread(train) for part in case.parts)


# --------------------------------------------------------------------- training step


def _training_step(
    case, *, divide_by_size=True, clip=True, sign=-1.0, half=True, loss_after=False, summed=False, return_grads=False
):
    outputs, hiddens = rnn_forward(case.x, case.params)
    errors = outputs - case.y
    loss = (0.5 if half else 1.0) * float(np.sum(errors**2) if summed else np.mean(errors**2))
    grads = rnn_backward(case.x, hiddens, errors / outputs.size if divide_by_size else errors, case.params)
    if clip == "each tensor":
        grads = {name: clip_by_global_norm({name: grad}, case.clip_norm)[name] for name, grad in grads.items()}
    elif clip:
        grads = clip_by_global_norm(grads, case.clip_norm)
    new_params = sgd_step(case.params, grads, -sign * case.lr)
    if loss_after:
        loss = 0.5 * float(np.mean((rnn_forward(case.x, new_params)[0] - case.y) ** 2))
    return (grads if return_grads else new_params), loss


def _step_with(**mistake):
    return lambda case: _training_step(case, **mistake)


# ------------------------------------------------ truncated BPTT, the state carried (07_memory)


def _tanh_bptt(xs, start, hiddens, output_grad, params):
    """The gradients of a tanh layer over steps (N, T, ...) that started from the state ``start``."""
    grads = {name: np.zeros_like(value, dtype=float) for name, value in params.items()}
    carried = np.zeros_like(hiddens[:, 0])
    for step in reversed(range(hiddens.shape[1])):
        hidden = hiddens[:, step]
        previous = hiddens[:, step - 1] if step > 0 else start
        hidden_grad = output_grad[:, step] @ params["o_weight"].T + carried
        pre_grad = hidden_grad * (1 - hidden**2)
        grads["i_weight"] += xs[:, step].T @ pre_grad
        grads["h_weight"] += previous.T @ pre_grad
        grads["h_bias"] += pre_grad.sum(axis=0)
        grads["o_weight"] += hidden.T @ output_grad[:, step]
        grads["o_bias"] += output_grad[:, step].sum(axis=0)
        carried = pre_grad @ params["h_weight"].T
    return grads


def _carry_with(*, carry=True, reset_inside=None, start_in_backward=True, stop=True, mean=False):
    """What a learner's truncated BPTT returns, ``(hiddens, chunk_grads)``, with one slip switched on.

    ``reset_inside``: every step of a chunk starts again from ``"zero"``, or from the
    chunk's ``"start"`` state, instead of from the step before it. ``stop=False``: each
    chunk's gradient goes back through every step so far (from h_{-1} = 0). ``mean=True``:
    the gradient of half the mean squared error of a chunk, not of half its sum.
    """

    def result(case):
        x = np.asarray(case.x, dtype=float)
        xs = x[None] if x.ndim == 2 else x
        ys = np.asarray(case.y, dtype=float).reshape(xs.shape[:-1] + (-1,))
        params = case.params
        n_sequences, n_steps, _ = xs.shape
        n_hidden = params["h_weight"].shape[0]
        hiddens = np.zeros((n_sequences, n_steps, n_hidden))
        chunk_grads, hidden = [], np.zeros((n_sequences, n_hidden))
        for first in range(0, n_steps, case.chunk_length):
            end = min(first + case.chunk_length, n_steps)
            start = hidden if carry else np.zeros_like(hidden)
            state = start
            for step in range(first, end):
                previous = {None: state, "zero": np.zeros_like(state), "start": start}[reset_inside]
                state = np.tanh(xs[:, step] @ params["i_weight"] + previous @ params["h_weight"] + params["h_bias"])
                hiddens[:, step] = state
            output_grad = np.zeros(ys[:, :end].shape)
            output_grad[:, first:] = hiddens[:, first:end] @ params["o_weight"] + params["o_bias"] - ys[:, first:end]
            if mean:
                output_grad = output_grad / output_grad[:, first:].size
            if stop:
                backward_start = start if start_in_backward else np.zeros_like(start)
                grads = _tanh_bptt(
                    xs[:, first:end], backward_start, hiddens[:, first:end], output_grad[:, first:], params
                )
            else:  # back through the chunks before too, to h_{-1} = 0
                grads = _tanh_bptt(xs[:, :end], np.zeros_like(start), hiddens[:, :end], output_grad, params)
            chunk_grads.append(grads)
            hidden = state
        return (hiddens[0] if x.ndim == 2 else hiddens), chunk_grads

    return result


# --------------------------------------------------------------------------- catalogue

MISTAKES = [
    # Forward pass (01_relu_toy, 02_tanh_forward).
    Mistake(
        "no_activation",
        ("check_relu_forward", "check_forward"),
        "your hidden state skips the activation: h_t = act(x_t @ i_weight + h_{t-1} @ h_weight), with"
        " act = ReLU in the toy (no biases) and tanh, with + h_bias inside it, from 02_tanh_forward on.",
        wrong=(_forward_with(apply_activation=False),),
    ),
    Mistake(
        "forward_h_weight_transposed",
        ("check_relu_forward", "check_forward"),
        "you multiply the previous state by h_weight transposed; the formulation is"
        " h_{t-1} @ h_weight (row i of h_weight holds what unit i of the previous state sends).",
        wrong=(_forward_with(transpose_h_weight=True),),
    ),
    Mistake(
        "hidden_not_carried",
        ("check_relu_forward", "check_forward"),
        "your hidden state uses only x_t; it must also add h_{t-1} @ h_weight, the previous"
        " state carried forward (h_{-1} = 0 at step 0).",
        wrong=(_forward_with(carry_hidden=False),),
    ),
    Mistake(
        "output_bias_missing",
        ("check_forward",),
        "your hidden states are right but the outputs miss o_bias: y_t = h_t @ o_weight + o_bias.",
        wrong=(_forward_with(output_bias=False),),
    ),
    Mistake(
        "loop_skips_step_0",
        ("check_relu_forward", "check_forward"),
        "your time loop starts at t = 1, so step 0 is never computed: loop over every step,"
        " `for t in range(T)`, starting from h_{-1} = 0.",
        wrong=(_forward_with(first_step=1), _forward_with(first_step=1, zero_outputs_before=True)),
    ),
    Mistake(
        "bias_skipped_at_step_0",
        ("check_forward",),
        "you skip h_bias at step 0; the bias is added at every step, step 0 included.",
        wrong=(_forward_with(bias_at_step_0=False),),
    ),
    Mistake(
        "hidden_not_reset",
        ("check_forward",),
        "your hidden state is not reset between sequences: every sequence of a batch starts"
        " from h_{-1} = 0, not from where the previous sequence (or call) ended.",
        edits=(
            (
                "rnn.py",
                "np.zeros((n_sequences, n_hidden)) if start_hidden is None",
                "_ended.get(n_hidden, np.zeros((1, n_hidden)))[-1:] + np.zeros((n_sequences, 1))"
                " if start_hidden is None",
            ),
            ("rnn.py", "    return outputs, hiddens\n", "    _ended[n_hidden] = hidden\n    return outputs, hiddens\n"),
            ("rnn.py", "\ndef forward_batch(", "\n_ended = {}\n\n\ndef forward_batch("),
        ),
        notebooks=("01_relu_toy", "02_tanh_forward"),
        wrong=(_forward_with(reset_between_sequences=False),),
    ),
    Mistake(
        "tanh_instead_of_relu",
        ("check_relu_forward",),
        "you used tanh; this toy uses ReLU: h_t = max(0, x_t @ i_weight + h_{t-1} @ h_weight) (np.maximum(0, ...)).",
        wrong=(_other_activation,),
    ),
    Mistake(
        "relu_instead_of_tanh",
        ("check_forward",),
        "you used ReLU; this forward pass uses tanh: h_t = np.tanh(x_t @ i_weight + h_{t-1} @ h_weight + h_bias).",
        wrong=(_other_activation,),
    ),
    Mistake(
        "returned_hiddens",
        ("check_relu_forward",),
        "did you return the hidden states instead of the outputs h_t @ o_weight? Return the"
        " outputs, one row per step: shape (T, O).",
        wrong=(_hiddens_returned,),
    ),
    Mistake(
        "outputs_and_hiddens_swapped",
        ("check_forward",),
        "did you swap outputs and hiddens? Return (outputs, hiddens), in that order.",
        wrong=(lambda case: tuple(case.expected)[::-1],),
    ),
    # One step forward (02_tanh_forward) and one step of dL/dh back (03_manual_backprop).
    Mistake(
        "step_no_activation",
        ("check_tanh_step",),
        "your new hidden state skips tanh: h_t = np.tanh(x_t @ i_weight + h_{t-1} @ h_weight + h_bias).",
        wrong=(lambda case: _step_pre_activation(case),),
    ),
    Mistake(
        "step_h_weight_transposed",
        ("check_tanh_step",),
        "you multiply the previous state by h_weight transposed; the formulation is h_{t-1} @ h_weight.",
        wrong=(lambda case: _step_pre_activation(case, transpose=True, act=np.tanh),),
    ),
    Mistake(
        "step_previous_hidden_missing",
        ("check_tanh_step",),
        "your new hidden state uses only x_t; add the previous state's term h_{t-1} @ h_weight.",
        wrong=(lambda case: _step_pre_activation(case, carry=False, act=np.tanh),),
    ),
    Mistake(
        "step_bias_missing",
        ("check_tanh_step",),
        "you left out h_bias; it is added at every step, inside the tanh.",
        wrong=(lambda case: _step_pre_activation(case, bias=False, act=np.tanh),),
    ),
    Mistake(
        "step_relu_instead_of_tanh",
        ("check_tanh_step",),
        "you used ReLU; this step uses tanh: np.tanh(x_t @ i_weight + h_{t-1} @ h_weight + h_bias).",
        wrong=(lambda case: _step_pre_activation(case, act=lambda z: np.maximum(0.0, z)),),
    ),
    Mistake(
        "step_returned_prediction",
        ("check_tanh_step",),
        "you returned the prediction y_t = h_t @ o_weight + o_bias; return the new hidden state h_t itself.",
        wrong=(lambda case: _step_pre_activation(case, act=np.tanh) @ case.params["o_weight"] + case.params["o_bias"],),
    ),
    Mistake(
        "hidden_grad_next_step_missing",
        ("check_hidden_grad",),
        "your dL/dh_t has only the path through the output y_t; add the path through the next step,"
        " next_pre_grad @ h_weight.T.",
        wrong=(lambda case: case.output_grad @ case.params["o_weight"].T,),
    ),
    Mistake(
        "hidden_grad_output_path_missing",
        ("check_hidden_grad",),
        "your dL/dh_t has only the path through the next step; add the path through the output,"
        " output_grad @ o_weight.T.",
        wrong=(lambda case: case.next_pre_grad @ case.params["h_weight"].T,),
    ),
    Mistake(
        "hidden_grad_h_weight_not_transposed",
        ("check_hidden_grad",),
        "you multiply next_pre_grad by h_weight; going back through z = h @ h_weight needs h_weight.T.",
        wrong=(
            lambda case: case.output_grad @ case.params["o_weight"].T + case.next_pre_grad @ case.params["h_weight"],
        ),
    ),
    # Numerical gradient (03_manual_backprop).
    Mistake(
        "forward_difference",
        ("check_numerical_gradient",),
        "you use a one-sided difference (L(w + eps) - L(w)) / eps; the central difference"
        " (L(w + eps) - L(w - eps)) / (2 eps) is far more accurate.",
        wrong=(lambda case: _one_sided_gradient(case, +1.0), lambda case: _one_sided_gradient(case, -1.0)),
    ),
    Mistake(
        "divides_by_epsilon",
        ("check_numerical_gradient",),
        "you divide by eps; the two nudged points are 2 eps apart, so divide by 2 * eps.",
        wrong=(lambda case: _map_grads(case.expected, lambda grad: 2 * grad),),
    ),
    Mistake(
        "epsilon_ignored",
        ("check_numerical_gradient",),
        "your function does not use its epsilon argument (a fixed step inside it?): nudge each"
        " entry by the epsilon you are given, w + epsilon and w - epsilon.",
    ),
    Mistake(
        "params_modified",
        ("check_numerical_gradient",),
        "your function left params changed ({name}): put each entry back after nudging it,"
        " or nudge a copy. Note that `dict(params)` copies the dict but not its arrays: nudging"
        " an entry of the copy changes params too. Use `value.copy()`, e.g."
        " `{key: value.copy() for key, value in params.items()}` (or put each entry back).",
    ),
    Mistake(
        "nudges_whole_array",
        ("check_numerical_gradient",),
        "you nudge a whole array at once (params[name] + eps); nudge one entry at a time"
        " (loop over np.ndindex(value.shape)), so that each entry gets its own partial"
        " derivative.",
        wrong=(_whole_array_nudges_filled, _whole_array_nudges),
    ),
    # Backpropagation through time (03_manual_backprop, 04_bptt_loop): the helpers' mutations.
    Mistake(
        "h_weight_grad_uses_current_hidden",
        ("check_backward",),
        "your h_weight gradient at step t uses h_t; it needs the previous state h_{t-1} (h_{-1} = 0 at step 0).",
        edits=(("rnn.py", '"h_weight"] += previous_hidden.T', '"h_weight"] += hidden.T'),),
        notebooks=GRADIENT_NOTEBOOKS,
    ),
    Mistake(
        "h_bias_grad_skips_step_0",
        ("check_backward",),
        "your h_bias gradient leaves out step 0; the bias is added at every step, step 0"
        " included, so every step's dL/dz_t adds to its gradient.",
        edits=(("rnn.py", '"h_bias"] += pre_grad.sum(axis=0)', '"h_bias"] += pre_grad.sum(axis=0) * (t > 0)'),),
        notebooks=GRADIENT_NOTEBOOKS,
    ),
    Mistake(
        "h_bias_grad_scalar_mean",
        ("check_backward",),
        "your h_bias gradient is one number for all units (a mean over the units of dL/dz_t);"
        " it needs one value per unit: the sum over steps (and sequences) of dL/dz_t.",
        edits=(("rnn.py", '"h_bias"] += pre_grad.sum(axis=0)', '"h_bias"] += np.mean(pre_grad)'),),
        notebooks=GRADIENT_NOTEBOOKS,
        wrong=(_h_bias_grad_one_number(1), _h_bias_grad_one_number("steps")),
    ),
    Mistake(
        "tanh_derivative_dropped",
        ("check_backward",),
        "you skipped the tanh derivative: multiply dL/dh_t by (1 - h_t**2) to get dL/dz_t before using it.",
        edits=(("rnn.py", "return 1.0 - hidden**2", "return np.ones_like(hidden)"),),
        notebooks=("02_tanh_forward", *GRADIENT_NOTEBOOKS),
    ),
    Mistake(
        "next_step_grad_not_carried",
        ("check_backward",),
        "the gradient from step t+1 is not carried back: dL/dh_t is the gradient through the"
        " output y_t PLUS dL/dz_{t+1} @ h_weight.T from the next step.",
        edits=(("rnn.py", '"o_weight"].T + next_hidden_grad', '"o_weight"].T'),),
        notebooks=GRADIENT_NOTEBOOKS,
    ),
    Mistake(
        "carry_skips_tanh_derivative",
        ("check_backward",),
        "you carry dL/dh_t @ h_weight.T back to step t-1; carry dL/dz_t @ h_weight.T, the"
        " gradient after multiplying by the tanh derivative (1 - h_t**2), since h_weight"
        " acts on z_t, not on h_t.",
        wrong=(_bptt_with(carry_before_derivative=True),),
    ),
    Mistake(
        "backward_skips_step_0",
        ("check_backward",),
        "your loop back in time stops at t = 1, so step 0 adds nothing to the gradients: walk"
        " every step, `for t in reversed(range(T))`, down to t = 0.",
        wrong=(_bptt_with(last_step=1),),
    ),
    Mistake(
        "previous_hidden_wraps_at_step_0",
        ("check_backward",),
        "at t = 0 your previous state is hiddens[:, t - 1], which NumPy reads as the LAST state"
        " (index -1): at step 0 the previous state is h_{-1} = 0, e.g."
        " `hiddens[:, t - 1] if t > 0 else np.zeros_like(hiddens[:, 0])`.",
        wrong=(_bptt_with(wrap_at_step_0=True),),
    ),
    Mistake(
        "carry_h_weight_not_transposed",
        ("check_backward",),
        "you send the gradient back to step t-1 with dL/dz_t @ h_weight; going back through"
        " z_t = h_{t-1} @ h_weight needs h_weight.T: dL/dz_t @ h_weight.T.",
        wrong=(_bptt_with(carry_untransposed=True),),
    ),
    Mistake(
        "tanh_applied_again",
        ("check_backward",),
        "your tanh derivative uses 1 - tanh(h_t)**2; hiddens already holds h_t = tanh(z_t), so"
        " the derivative is 1 - h_t**2 (no second tanh).",
        wrong=(_bptt_with(tanh_again=True),),
    ),
    Mistake(
        "h_weight_grad_not_summed",
        ("check_backward",),
        "your h_weight gradient keeps only one step; h_weight acts at every step, so its"
        " gradient is the sum over all steps (accumulate with +=, do not assign with =;"
        " in a loop running backward, = keeps only step 0, where h_{-1} = 0 makes it zero).",
        edits=(("rnn.py", '"h_weight"] += previous_hidden.T', '"h_weight"] = previous_hidden.T'),),
        notebooks=GRADIENT_NOTEBOOKS,
        wrong=(_h_weight_last_step_only,),
    ),
    Mistake(
        "bias_grad_not_summed_over_batch",
        ("check_backward",),
        "your {name} gradient is not summed over the sequences of the batch: add up every"
        " sequence's contribution, so that it keeps the shape of {name}.",
        wrong=(_bias_grads_per_sequence,),
    ),
    Mistake(
        "grad_mean_over_batch",
        ("check_backward",),
        "your {name} gradient is averaged over the sequences of the batch; rnn_backward sums"
        " them (the loss is a sum, and a mean belongs in the output gradient you are given).",
        wrong=(_mean_over_batch,),
    ),
    Mistake(
        "grad_transposed",
        ("check_backward", "check_stack_backward"),
        "your {name} gradient is transposed: for z = a @ W the gradient is a.T @ dL/dz, which has the shape of W.",
        wrong=(_transposed,),
    ),
    # Clipping (04_bptt_loop).
    Mistake(
        "clip_per_parameter",
        ("check_clip",),
        "you clip each parameter's gradient by its own norm; clip by the global norm of all"
        " the gradients together, so that the direction of the whole update is kept.",
        wrong=(_clip_per_parameter,),
    ),
    Mistake(
        "clip_always_rescales",
        ("check_clip",),
        "you always rescale to max_norm; rescale only when the global norm is above"
        " max_norm (factor min(1, max_norm / norm)), otherwise return the gradients unchanged.",
        wrong=(_clip_always,),
    ),
    Mistake(
        "clip_entries",
        ("check_clip",),
        "you clip each entry to [-max_norm, max_norm] (np.clip); that changes the direction."
        " Multiply every gradient by min(1, max_norm / global norm) instead.",
        wrong=(_clip_entries,),
    ),
    Mistake(
        "clip_norm_without_sqrt",
        ("check_clip",),
        "your global norm has no square root: it is sqrt(sum of every squared entry of every"
        " gradient), not the sum of squares.",
        wrong=(lambda case: _clip_with_norm(case, lambda grads: sum(np.sum(g**2) for g in grads)),),
    ),
    Mistake(
        "clip_sum_of_norms",
        ("check_clip",),
        "you add up the norms of the separate gradients; the global norm is the norm of all"
        " entries together: sqrt(sum over every gradient of np.sum(grad**2)).",
        wrong=(lambda case: _clip_with_norm(case, lambda grads: sum(np.linalg.norm(g) for g in grads)),),
    ),
    Mistake(
        "clip_factor_inverted",
        ("check_clip",),
        "your factor is upside down: multiply by min(1, max_norm / norm), not norm / max_norm.",
        wrong=(_clip_factor_inverted,),
    ),
    Mistake(
        "clip_max_instead_of_min",
        ("check_clip",),
        "you take max(1, max_norm / norm) where it is min(1, max_norm / norm): small gradients get"
        " scaled up and large ones are not clipped.",
        wrong=(_clip_max_instead_of_min,),
    ),
    Mistake(
        "clip_changes_grads",
        ("check_clip",),
        "your function changed the grads it was given ({name}); build a new dict of scaled"
        " arrays (grad * factor for each grad in grads.values()) instead of scaling them in"
        " place (`*=`), and leave the input as it was.",
    ),
    # Split and scaling (05_weather_data).
    Mistake(
        "split_overlap",
        ("check_split",),
        "your parts overlap: {name}. Each day must be in exactly one part: train = rows"
        " [0, a), valid = rows [a, b), test = rows [b, end).",
        edits=(("data.py", "frame.iloc[train_end:valid_end]", "frame.iloc[train_end - 7:valid_end]"),),
        notebooks=("05_weather_data",),
    ),
    Mistake(
        "split_drops_rows",
        ("check_split",),
        "some days are in no part ({name}); the three parts together must cover every row.",
    ),
    Mistake(
        "split_int_truncates",
        ("check_split",),
        "you cut with int(), which rounds 1021.9999... down; use round(): 0.7 * 1460 is"
        " 1021.9999999999999 in floating point, so int() gives 1021 where round() gives 1022.",
        wrong=(_split_with_int(separate_valid_cut=False), _split_with_int(separate_valid_cut=True)),
    ),
    Mistake(
        "split_not_chronological",
        ("check_split",),
        "your parts are not in time order ({name}): train takes the first days, then valid,"
        " then test, without shuffling, so the model is tested on days after those it saw.",
    ),
    Mistake(
        "scaler_fit_on_all_rows",
        ("check_scaling",),
        "your scaler was fit on all rows (train, valid and test): fit it on the training part"
        " only and apply those statistics to every part, or the test days leak into training.",
        edits=(("data.py", "scaler = fit_scaler(parts[0])", "scaler = fit_scaler(frame)"),),
        notebooks=("05_weather_data",),
        wrong=(_scaler_fit_on_all_rows,),
    ),
    Mistake(
        "scaler_fit_per_part",
        ("check_scaling",),
        "you fit a separate scaler on each part; fit one on the training part and use it for"
        " valid and test too, so that the same temperature gets the same scaled value everywhere.",
        wrong=(_scaler_per_part,),
    ),
    Mistake(
        "scaled_every_column",
        ("check_scaling",),
        "you scaled every column, the target tmax_tomorrow included; scale only the predictors tmax, tmin and rain.",
        wrong=(_scaled_every_column,),
    ),
    Mistake(
        "scaler_sample_std",
        ("check_scaling",),
        "you divide by the sample standard deviation (pandas `.std()` uses ddof=1); the scaler"
        " uses the population one: `.std(ddof=0)` in pandas, or np.std.",
        wrong=(
            lambda case: _scaled_by(case, lambda train: train.mean(axis=0), lambda train: train.std(axis=0, ddof=1)),
        ),
    ),
    Mistake(
        "scaler_mean_only",
        ("check_scaling",),
        "you subtract the training mean but do not divide by the training standard deviation: (value - mean) / std.",
        wrong=(lambda case: _scaled_by(case, lambda train: train.mean(axis=0), lambda train: 1.0),),
    ),
    Mistake(
        "scaler_min_max",
        ("check_scaling",),
        "you rescaled to [0, 1] with the minimum and maximum; standardise instead:"
        " (value - training mean) / training standard deviation.",
        wrong=(
            lambda case: _scaled_by(
                case, lambda train: train.min(axis=0), lambda train: train.max(axis=0) - train.min(axis=0)
            ),
        ),
    ),
    # Training loop (06_training_loop).
    Mistake(
        "schedule_step_plus_one",
        ("check_schedule",),
        "your schedule is one step ahead: update 0 must use lr itself, lr * (1 - step / total_steps).",
        wrong=(lambda case: case.lr * (1 - (case.step + 1) / case.total_steps),),
    ),
    Mistake(
        "schedule_reaches_zero",
        ("check_schedule",),
        "your schedule reaches zero at the last update (step / (total_steps - 1)), which then"
        " changes nothing; use lr * (1 - step / total_steps), which ends at lr / total_steps.",
        wrong=(lambda case: case.lr * (1 - case.step / (case.total_steps - 1)),),
    ),
    Mistake(
        "schedule_rises",
        ("check_schedule",),
        "your learning rate rises (lr * step / total_steps); it must start at lr and fall"
        " linearly: lr * (1 - step / total_steps).",
        wrong=(lambda case: case.lr * case.step / case.total_steps,),
    ),
    Mistake(
        "schedule_constant",
        ("check_schedule",),
        "your learning rate stays at lr; it must fall linearly: lr * (1 - step / total_steps).",
        wrong=(lambda case: case.lr,),
    ),
    Mistake(
        "schedule_not_divided",
        ("check_schedule",),
        "divide the step by total_steps: lr * (1 - step / total_steps) falls from lr towards 0.",
        wrong=(lambda case: case.lr * (case.total_steps - case.step), lambda case: case.lr * (1 - case.step)),
    ),
    Mistake(
        "step_grad_not_divided",
        ("check_training_step",),
        "your gradient is not divided by its size: the loss is a mean, so the output gradient"
        " is (outputs - y) / outputs.size.",
        wrong=(_step_with(divide_by_size=False),),
    ),
    Mistake(
        "step_no_clipping",
        ("check_training_step",),
        "your training step does not clip: pass the gradients through clipping by the global"
        " norm (clip_norm) before the update.",
        wrong=(_step_with(clip=False),),
    ),
    Mistake(
        "step_clips_each_tensor",
        ("check_training_step",),
        "you clip each gradient array by its own norm; clip them together, by the global norm of"
        " all of them (clip_by_global_norm(grads, clip_norm)), so the update keeps its direction.",
        wrong=(_step_with(clip="each tensor"),),
    ),
    Mistake(
        "step_adds_gradient",
        ("check_training_step",),
        "you add the gradient (or take the error as y - outputs); a descent step subtracts the"
        " gradient: params - lr * grads, with the output gradient (outputs - y) / outputs.size.",
        wrong=(_step_with(sign=+1.0),),
    ),
    Mistake(
        "step_loss_without_half",
        ("check_training_step",),
        "your loss is mean((outputs - y)**2); the objective here is 0.5 * mean((outputs - y)**2),"
        " whose gradient wrt the outputs is (outputs - y) / outputs.size.",
        wrong=(_step_with(half=False),),
    ),
    Mistake(
        "step_loss_after_update",
        ("check_training_step",),
        "your loss is computed after the update; return the loss of the params you were given,"
        " from the same forward pass as the gradient (before the step).",
        wrong=(_step_with(loss_after=True),),
    ),
    Mistake(
        "step_loss_summed",
        ("check_training_step",),
        "your loss is a sum over every entry; the objective is the mean: 0.5 * mean((outputs - y)**2).",
        wrong=(lambda case: _training_step(case, summed=True),),
    ),
    Mistake(
        "step_returns_gradients",
        ("check_training_step",),
        "you returned the gradients, not the updated params: return"
        " {name: params[name] - lr * grads[name]} (with the clipped grads).",
        wrong=(_step_with(return_grads=True),),
    ),
    Mistake(
        "step_changes_params",
        ("check_training_step",),
        "your training step changed the params it was given ({name}); return new arrays"
        " (params[name] - lr * grads[name]) and leave the input as it was.",
    ),
    Mistake(
        "stack_no_grad_to_layer_below",
        ("check_stack_backward",),
        "no gradient reaches the layer below: the gradient wrt a layer's input,"
        " dL/dz @ i_weight.T, is the output gradient of the layer beneath it.",
        edits=(
            (
                "stack.py",
                "layers[index], activation)\n",
                "layers[index], activation)\n        output_grad = 0 * output_grad\n",
            ),
        ),
        notebooks=("06_training_loop",),
    ),
    Mistake(
        "stack_grads_reversed",
        ("check_stack_backward",),
        "your list of gradients runs from the top layer down; return it in the order of"
        " layers (layer 0, the one reading x, first).",
        wrong=(lambda case: list(case.expected)[::-1],),
    ),
    Mistake(
        "stack_layer_missing",
        ("check_stack_backward",),
        "return one gradient dict per layer: after a layer's backward pass, hand dL/d(its input)"
        " to the layer below and run that layer's backward pass too, down to layer 0.",
    ),
    Mistake(
        "stack_top_grad_to_every_layer",
        ("check_stack_backward",),
        "every layer got the stack's output gradient; only the top layer does. The layer below gets"
        " the gradient wrt the top layer's input (the second result of rnn_backward_with_input_grad).",
        wrong=(_stack_top_grad_everywhere,),
    ),
    # Truncated BPTT with the state carried across chunks (07_memory).
    Mistake(
        "chunk_state_not_carried",
        ("check_carry",),
        "every chunk starts again from h = 0: carry the state. The next chunk starts from the last"
        " hidden state of this one, hiddens[..., -1, :], and only the very first chunk from zeros"
        " (rnn_forward always starts from zeros; rnn_forward_from(x, params, start_hidden) does not).",
        edits=(("truncated.py", "return hiddens[:, -1].copy()", "return np.zeros_like(hiddens[:, -1])"),),
        notebooks=("07_memory",),
        wrong=(_carry_with(carry=False),),
    ),
    Mistake(
        "chunk_state_reset_inside",
        ("check_carry",),
        "your state is reset inside the chunk: each step starts from the state of the step before"
        " it, h_{t-1}, and only the chunk's first step from the carried state. Is the line that sets"
        " the start state inside the loop over the steps?",
        edits=(
            (
                "rnn.py",
                '+ hidden @ params["h_weight"] +',
                '+ (0 * hidden if start_hidden is None else start_hidden) @ params["h_weight"] +',
            ),
        ),
        notebooks=("07_memory",),
        wrong=(_carry_with(reset_inside="zero"), _carry_with(reset_inside="start")),
    ),
    Mistake(
        "chunk_start_ignored_in_backward",
        ("check_carry",),
        "your backward pass treats the chunk as if it started from h = 0 (rnn_backward does:"
        " h_{-1} = 0). The chunk's first step starts from the carried state s, so its h_weight"
        " gradient gets s.T @ dL/dz_0 as well: use chunk_backward(x, start_hidden, hiddens,"
        " output_grad, params).",
        edits=(
            (
                "rnn.py",
                "if t > 0 else start_hidden",
                "if t > 0 else np.zeros_like(hidden)",
            ),
        ),
        notebooks=("07_memory",),
        wrong=(_carry_with(start_in_backward=False),),
    ),
    Mistake(
        "chunk_gradient_not_stopped",
        ("check_carry",),
        "the gradient of your chunk flows on past its first step, into the chunks before it."
        " Truncated BPTT stops it there: the start state is a constant, so drop the dL/ds that"
        " chunk_backward returns and go back through the chunk's own steps only.",
        edits=(("truncated.py", "stop = first  # the gradient stops", "stop = 0  # the gradient stops"),),
        notebooks=("07_memory",),
        wrong=(_carry_with(stop=False),),
    ),
    Mistake(
        "chunk_mean_loss",
        ("check_carry",),
        "your gradients are those of half the mean squared error of each chunk; the exercise's loss is"
        " half the sum, 0.5 * sum((y_hat - y)**2), whose output gradient is y_hat - y (mse_grad), not"
        " divided by the number of entries.",
        wrong=(_carry_with(mean=True),),
    ),
]

HELPER_MODULES = ("data", "gradcheck", "optim", "rnn", "stack", "truncated")

BY_ID = {mistake.id: mistake for mistake in MISTAKES}
if len(BY_ID) != len(MISTAKES):
    raise RuntimeError("two mistakes share an id")


def for_check(check_name):
    """The mistakes the self-check ``check_name`` recognises, in catalogue order."""
    return [mistake for mistake in MISTAKES if check_name in mistake.checks]


def apply_edits(text, file, edits):
    """``text`` (the source of ``file``) with the edits for that file applied.

    Raises ValueError when an old text is not found exactly once.
    """
    for edited_file, old, new in edits:
        if edited_file == file:
            if text.count(old) != 1:
                raise ValueError(f"mistake edit target not found exactly once in {file}: {old!r}")
            text = text.replace(old, new)
    return text


def helpers_with(edits):
    """The helpers' modules, those named by ``edits`` rebuilt from edited source.

    A helper module that imports from a rebuilt one is rebuilt too, on the rebuilt module
    (``truncated`` runs the loops of an edited ``rnn``). Returns a namespace of every public
    name of the modules the self-checks use, or ``None`` when an edit no longer applies
    (its target text changed).
    """
    modules = [importlib.import_module(f"rnn_helpers.{name}") for name in HELPER_MODULES]
    namespace = {name: value for module in modules for name, value in vars(module).items() if not name.startswith("__")}
    rebuilt = {}  # the real module's name -> the module rebuilt with the mistake
    for module in modules:  # in HELPER_MODULES order: a module after those it imports
        file = module.__name__.rsplit(".", 1)[1] + ".py"
        try:
            source = inspect.getsource(module)
            edited = apply_edits(source, file, edits)
        except (OSError, ValueError):
            return None
        imports_rebuilt = any(f"from .{name.rsplit('.', 1)[1]} import" in source for name in rebuilt)
        if edited == source and not imports_rebuilt:
            continue
        mutated = types.ModuleType(module.__name__ + "_with_mistake")
        mutated.__package__ = "rnn_helpers"
        saved = {name: sys.modules[name] for name in rebuilt}
        sys.modules.update(rebuilt)  # its relative imports find the rebuilt modules
        try:
            exec(compile(edited, f"<{file} with a known mistake>", "exec"), mutated.__dict__)  # noqa: S102
        finally:
            sys.modules.update(saved)
        rebuilt[module.__name__] = mutated
        # Only what the rebuilt module defines itself: what it imports stays as it was.
        namespace.update(
            {
                name: value
                for name, value in vars(mutated).items()
                if getattr(value, "__module__", None) == mutated.__name__
            }
        )
    return types.SimpleNamespace(**namespace)
