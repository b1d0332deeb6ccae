"""Self-checks for the exercises: pass your own function, learn whether it is right, and if not, why.

Each ``check_*`` runs the learner's function on several small, non-degenerate cases
(T >= 3, H >= 2, non-zero biases, asymmetric weights, one sequence and a batch) and
compares it with the verified helper. On success it prints one short line. On a
mismatch it raises ``AssertionError`` naming the first quantity that differs (and the
time step, where there is one), with the expected and the learner's value, and, when
the learner's result equals the result of a known mistake from the catalogue in
``rnn_helpers.mistakes``, that mistake in plain words (never a mistake that gives the
right result on that case). A function that raises, returns ``None`` or returns something
of the wrong type or shape gets a message saying so; right values in the wrong shape are
told how to fix the shape.

The signatures the learner's functions must have (one exercise each):

=========================  ==========================================================  ==========
check                      learner's function                                          notebook
=========================  ==========================================================  ==========
check_relu_forward         ``f(x, i_weight, h_weight, o_weight) -> outputs (T, O)``     01
check_forward              ``f(x, params) -> (outputs, hiddens)``, tanh, (T,F)|(N,T,F)  02
check_tanh_step            ``f(x_t, previous_hidden, params) -> hidden (1, H)``         02
check_hidden_grad          ``f(output_grad, next_pre_grad, params) -> dL/dh_t (1, H)``  03
check_numerical_gradient   ``f(loss_fn, params, epsilon=1e-6) -> dict``                 03
check_backward             ``f(x, hiddens, output_grad, params) -> dict``, tanh         04
check_clip                 ``f(grads, max_norm) -> dict``                               04
check_split                ``f(frame, train_fraction=0.7, valid_fraction=0.15)``        05
check_scaling              ``f(train, valid, test) -> three (rows, 3) arrays``          05
check_schedule             ``f(lr, step, total_steps) -> float``                        06
check_training_step        ``f(params, x, y, lr, clip_norm) -> (new_params, loss)``     06
check_stack_backward       ``f(cache, output_grad, layers) -> list of dict``            06
check_carry                ``f(x, y, params, chunk_length) -> (hiddens, chunk_grads)``  07
=========================  ==========================================================  ==========

Checking a whole notebook, as a teacher does, is ``rnn_helpers.grading``
(``python -m rnn_helpers.checks NOTEBOOK`` runs it).
"""

import functools
import re
import sys
import traceback
from pathlib import Path
from types import SimpleNamespace, TracebackType

import numpy as np
import pandas as pd

from ._provided import package_function, provided_helper
from .data import PREDICTORS, chronological_split, fit_scaler, scale
from .gradcheck import numerical_gradient
from .mistakes import BY_ID, for_check, helpers_with
from .optim import clip_by_global_norm, linear_schedule, sgd_step
from .rnn import PARAM_NAMES, init_params, rnn_backward, rnn_forward
from .stack import init_stack, stack_backward, stack_forward
from .truncated import chunk_bounds, truncated_bptt

# Relative to the largest expected entry: float32 arithmetic stays well inside it, every
# catalogued mistake far outside.
TOLERANCE = 1e-5

NOTEBOOK_OF_CHECK = {
    "check_relu_forward": "01_relu_toy",
    "check_forward": "02_tanh_forward",
    "check_tanh_step": "02_tanh_forward",
    "check_hidden_grad": "03_manual_backprop",
    "check_numerical_gradient": "03_manual_backprop",
    "check_backward": "04_bptt_loop",
    "check_clip": "04_bptt_loop",
    "check_split": "05_weather_data",
    "check_scaling": "05_weather_data",
    "check_schedule": "06_training_loop",
    "check_training_step": "06_training_loop",
    "check_stack_backward": "06_training_loop",
    "check_carry": "07_memory",
}


class _Unusable(Exception):
    """The learner's result has the wrong structure; the message says what was expected."""


def _cases(n_inputs=3, n_hidden=4, n_outputs=2, steps=5, seed=1):
    """A few non-degenerate problems: non-zero biases, asymmetric weights, T >= 3."""
    random = np.random.default_rng(seed)
    params = init_params(n_inputs, n_hidden, n_outputs, seed=seed)
    params["h_bias"] = params["h_bias"] + 0.1
    params["o_bias"] = params["o_bias"] - 0.2
    single = random.normal(size=(steps, n_inputs))
    batch = random.normal(size=(3, steps, n_inputs))
    return params, [single, batch]


def _copy(params):
    return {name: np.array(value, dtype=float) for name, value in params.items()}


def _x_text(x):
    kind = "one sequence" if np.ndim(x) == 2 else "a batch"
    return f"for {kind} x of shape {np.shape(x)}"


# ------------------------------------------------------------------ calling the learner


_calls = 0  # calls of the learner's function in the running check


class _NotWrittenYet(Exception):
    """The learner's function is still the stub: it raises NotImplementedError."""


def waits_for_the_learner(check):
    """Make ``check`` print one friendly line, and pass, while the learner's function is still the stub.

    When the check fails, Jupyter shows the learner's own call and the check's message, no
    frame of this module: IPython skips a frame that sets ``__tracebackhide__`` except the
    last one, and an exception's ``_render_traceback_`` replaces the whole traceback.
    """

    @functools.wraps(check)
    def waiting(function, *args, **kwargs):
        __tracebackhide__ = True
        global _calls
        _calls = 0
        try:
            provided = package_function(function)
            if provided:
                raise AssertionError(
                    f"{check.__name__}: that is rnn_helpers' own `{provided}`, not a function of yours. Write "
                    "the computation yourself in the cell above; the check compares it with the helper."
                )
            result = check(function, *args, **kwargs)
            helper = provided_helper(function, check.__name__)
            if helper:
                print(
                    f"{check.__name__}: note: your function calls `{helper}`, the helper this exercise asks you to "
                    "write; the teacher's checker does not count it. Try it without."
                )
            return result
        except _NotWrittenYet:
            name = getattr(function, "__name__", "your function")
            print(f"{check.__name__}: not written yet: fill in `{name}` above, then run this cell again.")
            return None
        except AssertionError as error:
            error._render_traceback_ = functools.partial(_learner_traceback, error)
            raise

    return waiting


def _learner_traceback(error):
    """IPython's traceback of ``error`` cut before the first frame of this module."""
    try:
        from IPython import get_ipython

        kept, entry = [], error.__traceback__
        while entry is not None and Path(entry.tb_frame.f_code.co_filename).resolve() != Path(__file__).resolve():
            kept.append(entry)
            entry = entry.tb_next
        trimmed = None
        for entry in reversed(kept):
            trimmed = TracebackType(trimmed, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
        return get_ipython().InteractiveTB.structured_traceback(type(error), error, trimmed)
    except Exception:  # outside IPython, or another IPython: the message alone
        return traceback.format_exception_only(type(error), error)


def _call(check, function, args, call_text, returns):
    """Call the learner's function; turn an exception or a missing result into a clear message."""
    if not callable(function):
        raise AssertionError(
            f"{check}: pass your function itself, without parentheses after its name, e.g. "
            f"{check}(my_function); got {type(function).__name__} {function!r:.60}."
        )
    global _calls
    _calls += 1
    try:
        result = function(*args)
    except NotImplementedError:
        if _calls == 1:  # the stub; a NotImplementedError on a later case is a bug like any other
            raise _NotWrittenYet from None
        raise AssertionError(
            f"{check}: your function raised NotImplementedError when called as {call_text}, although it ran "
            "for an earlier case: is a branch (one sequence, or a batch) not written yet?"
        ) from None
    except Exception as error:  # the learner's bug, reported as what it is and where
        raise AssertionError(
            f"{check}: your function raised {type(error).__name__}: {error}\n"
            f"  when called as {call_text}{_where(error)}"
        ) from None
    if result is None:
        raise AssertionError(
            f"{check}: your function returned None when called as {call_text}; it must return "
            f"{returns}. Is the `return` line missing, or does a branch (an `if`) end without one? "
            "A function that only changes its input in place returns None."
        )
    return result


def _where(error):
    """``(in f, line 3: code)`` for the innermost frame of the learner's own code.

    Frames in this package and in installed libraries (NumPy, pandas) are skipped: the
    line to look at is the learner's line that called them.
    """
    package = Path(__file__).resolve().parent
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if package not in Path(frame.filename).resolve().parents
        and not re.search(r"[/\\](site|dist)-packages[/\\]", frame.filename)
    ]
    if not frames:
        return ""
    frame = frames[-1]
    code = f": {frame.line.strip()}" if frame.line else ""
    return f"\n  (in {frame.name}, line {frame.lineno}{code})"


def _as_array(label, value):
    if value is None:
        raise _Unusable(f"the {label} is None.")
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise _Unusable(f"the {label} cannot be read as numbers (got {type(value).__name__}).") from None


def _grad_dict(label, result, names=PARAM_NAMES):
    if not isinstance(result, dict):
        raise _Unusable(f"expected a dict with the keys {list(names)}, got {type(result).__name__}.")
    missing = [name for name in names if name not in result]
    if missing:
        raise _Unusable(f"the dict you returned has no key {missing[0]!r}; it needs the keys {list(names)}.")
    return {label.format(name=name): result[name] for name in names}


def _pair(result, first, second):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        kind = (
            f"a {type(result).__name__} of length {len(result)}"
            if isinstance(result, (tuple, list))
            else type(result).__name__
        )
        raise _Unusable(f"expected two values ({first}, {second}), got {kind}.")
    return result


# ------------------------------------------------------------------------- comparing


def _close(expected, got):
    """Entry-wise agreement, relative to the largest expected entry (NaN never agrees)."""
    largest = np.abs(expected).max(initial=0.0)
    return np.abs(got - expected) <= TOLERANCE * largest + 1e-12


def _same(expected, got, loose_shape=False):
    if got.shape != expected.shape:
        if not (loose_shape and np.squeeze(got).shape == np.squeeze(expected).shape):
            return False
        expected, got = np.squeeze(expected), np.squeeze(got)
    return bool(_close(expected, got).all())


def _param_name(label):
    return next((name for name in PARAM_NAMES if name in label.split()), "")


def _subject(label):
    """``the `outputs` array`` for the forward results, the label itself otherwise."""
    return f"`{label}` array" if label in ("outputs", "hiddens") else label


def _location(expected, got, steps, label=""):
    """Where the first difference is: 'step t=2 (sequence 1), hidden unit 0' or 'entry [0, 1]'."""
    differs = ~_close(expected, got)
    positions = np.argwhere(differs)
    if steps and expected.ndim >= 2:
        time_axis = expected.ndim - 2
        position = min(positions.tolist(), key=lambda index: (index[time_axis], index))
        text = f"step t={position[time_axis]}"
        if expected.ndim == 3:
            text += f" (sequence {position[0]} of the batch)"
        unit = "output" if label == "outputs" else "hidden unit" if label == "hiddens" else "unit"
        text += f", {unit} {position[-1]}"
    else:
        position = positions[0].tolist()
        text = f"entry {position}" if position else "its value"
    value = tuple(position)
    return text, expected[value], got[value]


def _array_text(array):
    return np.array2string(np.asarray(array), precision=6, suppress_small=True, floatmode="fixed", max_line_width=100)


def _difference_message(check, label, case_text, expected, got, steps, transposed_hint=True):
    if got.shape != expected.shape:
        text = f"{check}: your {_subject(label)} {case_text} has shape {got.shape}, expected {expected.shape}."
        if transposed_hint and got.ndim == 2 and got.shape == expected.shape[::-1]:
            text += " It looks transposed."
        return text
    where, want, have = _location(expected, got, steps, label)
    text = f"{check}: wrong {label} {case_text}; first difference at {where}: expected {want:.6g}, got {have:.6g}."
    if expected.size <= 8:
        text += f"\nexpected:\n{_array_text(expected)}\ngot:\n{_array_text(got)}"
    return text


def _verify(check, case_text, expected, got, candidates, steps=False):
    """Raise AssertionError at the first quantity of ``got`` that differs from ``expected``.

    ``expected`` and ``got`` map labels to arrays, in the order to compare; ``candidates()``
    yields ``(mistake, quantities)``, the results of the check's known mistakes.
    """
    for label, want in expected.items():
        have = got[label]
        if _same(want, have):
            continue
        if _same(want, have, loose_shape=True):
            message = _difference_message(check, label, case_text, want, have, steps)
            raise AssertionError(message + "\n" + _shape_advice(check, label, want, have))
        # A mistake that gives the right result here (e.g. not resetting the state, on a
        # single sequence) says nothing about this difference.
        mistake = next(
            (
                mistake
                for mistake, wrong in candidates()
                if label in wrong
                and not _same(want, wrong[label], loose_shape=True)
                and _same(wrong[label], have, loose_shape=True)
            ),
            None,
        )
        # A swapped shape only looks transposed when no other known mistake explains it.
        message = _difference_message(
            check,
            label,
            case_text,
            want,
            have,
            steps,
            transposed_hint=mistake is None or mistake.id == "grad_transposed",
        )
        raise AssertionError(message + "\n" + _advice(check, mistake, _param_name(label)))


def _shape_advice(check, label, want, have):
    """The values are right, only an axis of length 1 is extra or missing."""
    text = "The values are right, only the shape is not: "
    if have.ndim == want.ndim + 1 and have.shape[0] != 1 and 1 in have.shape[1:]:
        return text + (
            f"your result has shape {have.shape}: each step's row kept an axis of length 1 (a list of (1, "
            f"{want.shape[-1]}) arrays?). Stack the rows into one array of shape {want.shape} with "
            "`np.vstack(rows)`, or store each step in row t of an array made with `np.zeros`."
        )
    if have.ndim > want.ndim:
        if check == "check_forward" and want.ndim == 2:
            return text + "for a (T, F) input return (T, O) and (T, H): drop the batch axis (e.g. with `[0]`)."
        if check == "check_relu_forward":
            return text + "for a (T, F) input return outputs of shape (T, O): drop the batch axis (e.g. with `[0]`)."
        if want.ndim == 0:
            return text + "return one number (e.g. `float(value)`), not an array of one entry."
        return text + f"drop the extra axis of length 1 (e.g. with `[0]` or `np.squeeze`) to get shape {want.shape}."
    name = _param_name(label)
    like = f", the shape of {name}" if name and want.ndim == 2 else ""
    return text + f"reshape it to {want.shape}{like} (e.g. `.reshape{want.shape}`, or `keepdims=True` when you sum)."


def _advice(check, mistake, name=""):
    if mistake is not None:
        return "Likely mistake: " + mistake.describe(name)
    return (
        f"No known mistake gives this result; go back over the derivation in "
        f"{NOTEBOOK_OF_CHECK[check]} one step at a time."
    )


def _named(check, mistake_id, name, summary):
    """Raise the AssertionError for a mistake recognised by what the function did."""
    raise AssertionError(f"{check}: {summary}\nLikely mistake: {BY_ID[mistake_id].describe(name)}")


def _run_case(check, case, got, to_quantities, reference=None, steps=False, case_text="", mistakes=None):
    """Compare one case: the learner's result ``got`` against ``case.expected``.

    ``to_quantities`` turns a result (the learner's, the expected one, or a known
    mistake's) into labelled values; ``reference(helpers)`` recomputes the expected
    result with other helpers (those with a catalogued mistake's edits applied).
    ``mistakes`` limits the known mistakes that may be named (default: all of the check's).
    """
    try:
        got_quantities = {label: _as_array(label, value) for label, value in to_quantities(got).items()}
    except _Unusable as problem:
        raise AssertionError(f"{check}: {problem}") from None
    expected = {label: np.asarray(value, dtype=float) for label, value in to_quantities(case.expected).items()}

    def candidates():
        for mistake in for_check(check) if mistakes is None else mistakes:
            producers = list(mistake.wrong)
            if mistake.edits and reference is not None:
                producers.append(lambda _, edits=mistake.edits: reference(helpers_with(edits)))
            for produce in producers:
                try:
                    wrong = to_quantities(produce(case))
                    yield mistake, {label: np.asarray(value, dtype=float) for label, value in wrong.items()}
                except Exception:  # a mistake that cannot be reproduced for this case names nothing
                    continue

    _verify(check, case_text, expected, got_quantities, candidates, steps)


def _reproduces(case, got, to_quantities, mistake_id):
    """Whether the learner's whole result is the catalogued mistake's (and not the right one)."""
    try:
        have = {label: _as_array(label, value) for label, value in to_quantities(got).items()}
        want = to_quantities(case.expected)
        wrongs = [to_quantities(wrong(case)) for wrong in BY_ID[mistake_id].wrong]
    except Exception:  # an unusable result is reported by the comparison that follows
        return False
    is_right = all(_same(np.asarray(want[label], dtype=float), have[label]) for label in want)
    return not is_right and any(
        wrong.keys() == have.keys() and all(_same(np.asarray(wrong[label], dtype=float), have[label]) for label in have)
        for wrong in wrongs
    )


def _same_dicts(first, second):
    """Whether two results are dicts with the same keys and exactly equal arrays."""
    try:
        return first.keys() == second.keys() and all(
            np.array_equal(np.asarray(first[key], dtype=float), np.asarray(second[key], dtype=float)) for key in first
        )
    except (AttributeError, TypeError, ValueError):
        return False


def _first_change(before, after):
    """The first parameter of ``after`` that no longer equals ``before``, or None."""
    for name, value in before.items():
        now = np.asarray(after.get(name), dtype=float) if name in after else None
        if now is None or now.shape != value.shape or not _close(value, now).all():
            return name
    return None


# ----------------------------------------------------------------------------- checks


@waits_for_the_learner
def check_relu_forward(my_relu_forward):
    """Check ``my_relu_forward(x, i_weight, h_weight, o_weight) -> outputs`` (no biases, ReLU).

    Derived in ``01_relu_toy``.
    """
    check = "check_relu_forward"
    params, (single, _) = _cases()
    single = single[::-1].copy()  # under ReLU every unit of this case's first row is off; its last row is not
    params["h_bias"][:] = 0
    params["o_bias"][:] = 0
    expected, _ = rnn_forward(single, params, activation="relu")
    case = SimpleNamespace(
        x=single, params=params, activation="relu", expected=expected, adapt=lambda result: result[0]
    )
    got = _call(
        check,
        my_relu_forward,
        (single.copy(), *(params[name].copy() for name in ("i_weight", "h_weight", "o_weight"))),
        f"my_relu_forward(x, i_weight, h_weight, o_weight) with x of shape {single.shape}",
        "the outputs, an array of shape (T, O)",
    )

    def to_quantities(outputs):
        if isinstance(outputs, tuple):
            raise _Unusable(
                f"you returned a tuple of {len(outputs)} values; return only `outputs`, not a "
                "tuple: one array of shape (T, O)."
            )
        return {"outputs": outputs}

    _run_case(check, case, got, to_quantities, steps=True, case_text=_x_text(single))
    print("check_relu_forward: correct.")


@waits_for_the_learner
def check_forward(my_forward):
    """Check ``my_forward(x, params) -> (outputs, hiddens)`` with tanh, for (T, F) and (N, T, F).

    Derived in ``02_tanh_forward``.
    """
    check = "check_forward"
    params, cases = _cases()

    def to_quantities(result):
        outputs, hiddens = _pair(result, "outputs", "hiddens")
        return {"hiddens": hiddens, "outputs": outputs}

    for index, x in enumerate(cases):
        case = SimpleNamespace(
            x=x, params=params, activation="tanh", expected=rnn_forward(x, params), adapt=lambda result: result
        )
        got = _call(
            check,
            my_forward,
            (x.copy(), _copy(params)),
            f"my_forward(x, params) with x of shape {x.shape}",
            "(outputs, hiddens)",
        )

        def reference(helpers, index=index):
            # The same calls in the same order: a mistake may carry state from one call to the next.
            return [helpers.rnn_forward(earlier, params) for earlier in cases[: index + 1]][-1]

        _run_case(check, case, got, to_quantities, reference, steps=True, case_text=_x_text(x))
    print("check_forward: correct for one sequence and for a batch.")


@waits_for_the_learner
def check_tanh_step(my_tanh_step):
    """Check ``my_tanh_step(x_t, previous_hidden, params) -> hidden``: one step of the tanh layer.

    ``x_t`` is (1, F), ``previous_hidden`` and the result (1, H). Derived in ``02_tanh_forward``.
    """
    check = "check_tanh_step"
    params, (single, _) = _cases()
    previous = np.tanh(single[:1] @ params["i_weight"] + params["h_bias"])  # h_0 of that sequence
    x_t = single[1:2]
    expected = np.tanh(x_t @ params["i_weight"] + previous @ params["h_weight"] + params["h_bias"])
    case = SimpleNamespace(x_t=x_t, previous_hidden=previous, params=params, expected=expected)
    got = _call(
        check,
        my_tanh_step,
        (x_t.copy(), previous.copy(), _copy(params)),
        "my_tanh_step(x_t, previous_hidden, params) with x_t of shape (1, 3) and previous_hidden (1, 4)",
        "the new hidden state, shape (1, H)",
    )
    _run_case(
        check, case, got, lambda hidden: {"hidden": hidden}, case_text="for step t = 1, called with a non-zero h_0"
    )
    print("check_tanh_step: correct.")


@waits_for_the_learner
def check_hidden_grad(my_hidden_grad):
    """Check ``my_hidden_grad(output_grad, next_pre_grad, params) -> dL/dh_t`` at one step.

    ``output_grad`` is dL/dy_t (1, O), ``next_pre_grad`` dL/dz_{t+1} (1, H); the result is
    dL/dh_t (1, H). Derived in ``03_manual_backprop``.
    """
    check = "check_hidden_grad"
    params, _ = _cases(n_hidden=4, n_outputs=2)
    random = np.random.default_rng(7)
    output_grad, next_pre_grad = random.normal(size=(1, 2)), random.normal(size=(1, 4))
    expected = output_grad @ params["o_weight"].T + next_pre_grad @ params["h_weight"].T
    case = SimpleNamespace(output_grad=output_grad, next_pre_grad=next_pre_grad, params=params, expected=expected)
    got = _call(
        check,
        my_hidden_grad,
        (output_grad.copy(), next_pre_grad.copy(), _copy(params)),
        "my_hidden_grad(output_grad, next_pre_grad, params) with output_grad (1, 2) and next_pre_grad (1, 4)",
        "dL/dh_t, shape (1, H)",
    )
    _run_case(check, case, got, lambda hidden_grad: {"dL/dh_t": hidden_grad}, case_text="at step t = 1")
    print("check_hidden_grad: correct.")


@waits_for_the_learner
def check_numerical_gradient(my_numerical_gradient):
    """Check ``my_numerical_gradient(loss_fn, params, epsilon=1e-6) -> dict`` (central differences).

    Run once with ``epsilon=1e-3``, where a one-sided difference is visibly off, and
    once with the default. Derived in ``03_manual_backprop``.
    """
    check = "check_numerical_gradient"
    params, (single, _) = _cases()

    def loss_fn(candidate):
        outputs, _ = rnn_forward(single, candidate)
        return float(np.sum(np.sin(outputs)))

    results = []
    for epsilon in (1e-3, None):
        given = _copy(params)
        arguments = (loss_fn, given) if epsilon is None else (loss_fn, given, epsilon)
        call_text = "my_numerical_gradient(loss_fn, params" + ("" if epsilon is None else f", {epsilon}") + ")"
        got = _call(check, my_numerical_gradient, arguments, call_text, "a dict of gradients, one per parameter")
        changed = _first_change(params, given)
        if changed:
            _named(
                check, "params_modified", changed, f"after {call_text}, params[{changed!r}] is no longer what it was."
            )
        results.append((epsilon, got))
    if _same_dicts(results[0][1], results[1][1]):
        _named(
            check,
            "epsilon_ignored",
            "",
            "your function returns exactly the same gradients with epsilon=1e-3 and with the default 1e-6.",
        )
    for epsilon, got in results:
        case = SimpleNamespace(
            loss_fn=loss_fn,
            params=params,
            epsilon=epsilon or 1e-6,
            expected=numerical_gradient(loss_fn, params, epsilon or 1e-6),
        )
        _run_case(
            check,
            case,
            got,
            lambda result: _grad_dict("numerical gradient for {name}", result),
            case_text=f"with epsilon={epsilon}" if epsilon else "with the default epsilon",
        )
    print("check_numerical_gradient: correct.")


@waits_for_the_learner
def check_backward(my_backward):
    """Check ``my_backward(x, hiddens, output_grad, params) -> dict`` (tanh BPTT).

    Derived in ``04_bptt_loop``.
    """
    check = "check_backward"
    params, cases = _cases()
    random = np.random.default_rng(2)
    for x in cases:
        _, hiddens = rnn_forward(x, params)
        output_grad = random.normal(size=hiddens.shape[:-1] + (params["o_weight"].shape[1],))
        case = SimpleNamespace(
            x=x,
            hiddens=hiddens,
            output_grad=output_grad,
            params=params,
            expected=rnn_backward(x, hiddens, output_grad, params),
        )
        got = _call(
            check,
            my_backward,
            (x.copy(), hiddens.copy(), output_grad.copy(), _copy(params)),
            f"my_backward(x, hiddens, output_grad, params) with x of shape {x.shape}",
            "a dict of gradients with the keys of params",
        )
        _run_case(
            check,
            case,
            got,
            lambda result: _grad_dict("{name} gradient", result),
            lambda helpers: helpers.rnn_backward(x, hiddens, output_grad, params),
            case_text=_x_text(x),
        )
    print("check_backward: correct for one sequence and for a batch.")


@waits_for_the_learner
def check_clip(my_clip):
    """Check ``my_clip(grads, max_norm) -> dict`` (clipping by the global norm).

    Derived in ``04_bptt_loop``.
    """
    check = "check_clip"
    params, _ = _cases()
    grads = {name: value * 3 for name, value in params.items()}

    def to_quantities(result):
        return _grad_dict("clipped {name} gradient", result)

    runs = []
    for max_norm in (0.5, 1e6):  # a norm above max_norm, then one below it
        case = SimpleNamespace(grads=grads, max_norm=max_norm, expected=clip_by_global_norm(grads, max_norm))
        given = _copy(grads)
        got = _call(check, my_clip, (given, max_norm), f"my_clip(grads, {max_norm})", "a dict of clipped gradients")
        changed = _first_change(grads, given)
        if changed:
            _named(
                check,
                "clip_changes_grads",
                f"grads[{changed!r}]",
                f"after my_clip(grads, {max_norm}), the grads passed in (grads[{changed!r}]) have changed.",
            )
        runs.append((case, got))
    # Two mistakes can give the same result on one case (for a norm above max_norm, an upside-down
    # factor and max for min both leave the gradients as they are): name only one that fits both.
    fitting = [
        mistake
        for mistake in for_check(check)
        if mistake.wrong and all(_reproduces(case, got, to_quantities, mistake.id) for case, got in runs)
    ]
    for case, got in runs:
        _run_case(
            check,
            case,
            got,
            to_quantities,
            lambda helpers, max_norm=case.max_norm: helpers.clip_by_global_norm(grads, max_norm),
            case_text=f"(max_norm={case.max_norm})",
            mistakes=fitting or None,
        )
    print("check_clip: correct.")


def _toy_frame(rows=40, seed=3):
    random = np.random.default_rng(seed)
    index = pd.date_range("2020-01-01", periods=rows, freq="D", name="date")
    frame = pd.DataFrame(random.normal(size=(rows, 3)) * [8, 5, 0.2] + [60, 45, 0.1], index=index, columns=PREDICTORS)
    frame["tmax_tomorrow"] = frame["tmax"].shift(-1).fillna(frame["tmax"].iloc[-1])
    return frame


def _days(text):
    days = [str(day.date()) if hasattr(day, "date") else str(day) for day in text]
    return ", ".join(days[:3]) + (" ..." if len(days) > 3 else "")


def _same_split(parts, indexes):
    """Whether the parts hold exactly the days of ``indexes``, part by part."""
    return all(list(part.index) == list(index) for part, index in zip(parts, indexes))


@waits_for_the_learner
def check_split(my_split):
    """Check ``my_split(frame, train_fraction=0.7, valid_fraction=0.15) -> (train, valid, test)``.

    Derived in ``05_weather_data``.
    """
    check = "check_split"
    names = ("train", "valid", "test")
    # 0.7 * 1460 is 1021.9999999999999: int() cuts at 1021, round() at 1022.
    for frame, fractions in (
        (_toy_frame(), (0.7, 0.15)),
        (_toy_frame(), (0.5, 0.25)),
        (_toy_frame(rows=1460), (0.7, 0.15)),
    ):
        expected = chronological_split(frame, *fractions)
        got = _call(
            check,
            my_split,
            (frame.copy(), *fractions),
            f"my_split(frame, {fractions[0]}, {fractions[1]})",
            "(train, valid, test), three DataFrames",
        )
        if not isinstance(got, (tuple, list)) or len(got) != 3 or not all(hasattr(part, "index") for part in got):
            raise AssertionError(
                f"{check}: expected three DataFrames (train, valid, test), got "
                f"{type(got).__name__}{f' of length {len(got)}' if hasattr(got, '__len__') else ''}."
            )
        indexes = [pd.Index(part.index) for part in got]
        case_text = f"(fractions {fractions}, {len(frame)} days)"
        for first in range(3):
            for second in range(first + 1, 3):
                shared = indexes[first].intersection(indexes[second])
                if len(shared):
                    _named(
                        check,
                        "split_overlap",
                        f"{len(shared)} day(s) are in both {names[first]} and {names[second]}",
                        f"the {names[first]} and {names[second]} parts share "
                        f"{len(shared)} day(s) {case_text}: {_days(shared)}",
                    )
        missing = frame.index.difference(indexes[0].append(indexes[1:]))
        if len(missing):
            _named(
                check,
                "split_drops_rows",
                f"{len(missing)} day(s), from {_days(missing)}",
                f"{len(missing)} day(s) are in no part {case_text}.",
            )
        ends = [(index.min(), index.max()) for index in indexes if len(index)]
        in_order = all(index.is_monotonic_increasing for index in indexes) and all(
            earlier[1] < later[0] for earlier, later in zip(ends, ends[1:])
        )
        if not in_order:
            _named(
                check,
                "split_not_chronological",
                "a later part holds days before an earlier one",
                f"the parts are not consecutive stretches of days in time order {case_text}.",
            )
        for name, want, have in zip(names, expected, indexes):
            if list(have) != list(want.index):
                message = (
                    f"{check}: the {name} part has {len(have)} days {case_text}, expected {len(want)}: "
                    f"train ends at row round({fractions[0]} * rows) and valid at row "
                    f"round(({fractions[0]} + {fractions[1]}) * rows)."
                )
                case = SimpleNamespace(frame=frame, fractions=fractions, expected=expected)
                # The learner's parts differ from the expected ones, so a match is never right here.
                mistake = next(
                    (
                        mistake
                        for mistake in for_check(check)
                        for wrong in mistake.wrong
                        if _same_split(wrong(case), indexes)
                    ),
                    None,
                )
                raise AssertionError(message + ("\n" + _advice(check, mistake) if mistake else ""))
    print("check_split: correct.")


@waits_for_the_learner
def check_scaling(my_scale_parts):
    """Check ``my_scale_parts(train, valid, test)``: predictors scaled with training statistics only.

    Derived in ``05_weather_data``.
    """
    check = "check_scaling"
    parts = chronological_split(_toy_frame())
    case = SimpleNamespace(
        parts=parts, columns=PREDICTORS, expected=tuple(scale(part, fit_scaler(parts[0])) for part in parts)
    )
    got = _call(
        check,
        my_scale_parts,
        tuple(part.copy() for part in parts),
        "my_scale_parts(train, valid, test)",
        "three arrays: the scaled train, valid and test predictors",
    )

    def to_quantities(result):
        if not isinstance(result, (tuple, list)) or len(result) != 3:
            raise _Unusable(f"expected three arrays (train, valid, test), got {type(result).__name__}.")
        return {f"scaled {name} part": part for name, part in zip(("train", "valid", "test"), result)}

    def reference(helpers):
        scaler = helpers.fit_scaler(parts[0])
        return tuple(helpers.scale(part, scaler) for part in parts)

    _run_case(check, case, got, to_quantities, reference, case_text="(rows x tmax, tmin, rain)")
    print("check_scaling: correct.")


@waits_for_the_learner
def check_schedule(my_schedule):
    """Check ``my_schedule(lr, step, total_steps) -> float`` (linear decay to zero).

    Derived in ``06_training_loop``.
    """
    check = "check_schedule"
    for lr, step, total in ((0.02, 0, 100), (0.02, 50, 100), (0.1, 99, 100), (0.5, 3, 7)):
        case = SimpleNamespace(lr=lr, step=step, total_steps=total, expected=linear_schedule(lr, step, total))
        got = _call(
            check, my_schedule, (lr, step, total), f"my_schedule({lr}, {step}, {total})", "the learning rate, a number"
        )
        _run_case(
            check,
            case,
            got,
            lambda rate: {"learning rate": rate},
            lambda helpers: helpers.linear_schedule(lr, step, total),
            case_text=f"at step {step} of {total} (lr={lr})",
        )
    print("check_schedule: correct.")


def _training_step(helpers, params, x, y, lr, clip_norm):
    outputs, hiddens = helpers.rnn_forward(x, params)
    loss = 0.5 * float(np.mean((outputs - y) ** 2))
    grads = helpers.rnn_backward(x, hiddens, (outputs - y) / outputs.size, params)
    return helpers.sgd_step(params, helpers.clip_by_global_norm(grads, clip_norm), lr), loss


def reference_training_step(params, x, y, lr, clip_norm):
    """One SGD step on the mean objective 0.5 * mean((outputs - y)**2); returns (params, loss).

    Derived in ``06_training_loop``.
    """
    helpers = SimpleNamespace(
        rnn_forward=rnn_forward, rnn_backward=rnn_backward, sgd_step=sgd_step, clip_by_global_norm=clip_by_global_norm
    )
    return _training_step(helpers, params, x, y, lr, clip_norm)


@waits_for_the_learner
def check_training_step(my_training_step):
    """Check ``my_training_step(params, x, y, lr, clip_norm) -> (new_params, loss)``.

    Derived in ``06_training_loop``.
    """
    check = "check_training_step"
    params, (_, batch) = _cases(n_outputs=1)
    y = np.random.default_rng(4).normal(size=batch.shape[:-1] + (1,))

    def to_quantities(result):
        new_params, loss = _pair(result, "new_params", "loss")
        if not np.ndim(loss) == 0 and np.size(loss) != 1:
            raise _Unusable(f"the loss must be one number, got an array of shape {np.shape(loss)}.")
        return {"loss": np.ravel(loss)[0] if np.ndim(loss) else loss, **_grad_dict("updated {name}", new_params)}

    for clip_norm in (1e6, 0.05):
        case = SimpleNamespace(
            params=params,
            x=batch,
            y=y,
            lr=0.1,
            clip_norm=clip_norm,
            expected=reference_training_step(params, batch, y, 0.1, clip_norm),
        )
        given = _copy(params)
        got = _call(
            check,
            my_training_step,
            (given, batch.copy(), y.copy(), 0.1, clip_norm),
            f"my_training_step(params, x, y, 0.1, {clip_norm}) with x of shape {batch.shape}",
            "(new_params, loss)",
        )
        changed = _first_change(params, given)
        if changed:
            _named(
                check,
                "step_changes_params",
                changed,
                f"after the call, the params passed in (params[{changed!r}]) have changed.",
            )
        _run_case(
            check,
            case,
            got,
            to_quantities,
            lambda helpers: _training_step(helpers, params, batch, y, 0.1, clip_norm),
            case_text=f"(clip_norm={clip_norm})",
        )
    print("check_training_step: correct.")


@waits_for_the_learner
def check_stack_backward(my_stack_backward):
    """Check ``my_stack_backward(cache, output_grad, layers) -> list of dict`` (tanh).

    Derived in ``06_training_loop``.
    """
    check = "check_stack_backward"
    layers = init_stack(3, (2, 3), 2, seed=5)  # layer 0 outputs 2 values: the top's gradient fits it too
    x = np.random.default_rng(5).normal(size=(2, 5, 3))
    outputs, cache = stack_forward(x, layers)
    output_grad = np.random.default_rng(6).normal(size=outputs.shape)
    case = SimpleNamespace(
        expected=stack_backward(cache, output_grad, layers), cache=cache, output_grad=output_grad, layers=layers
    )
    got = _call(
        check,
        my_stack_backward,
        (
            [(layer_input.copy(), hiddens.copy()) for layer_input, hiddens in cache],
            output_grad.copy(),
            [_copy(layer) for layer in layers],
        ),
        f"my_stack_backward(cache, output_grad, layers) for {len(layers)} layers",
        "a list of gradient dicts, one per layer",
    )

    def to_quantities(result):
        if isinstance(result, (list, tuple)) and 0 < len(result) < len(layers):
            present = [
                index
                for index, expected in enumerate(case.expected)
                if any(_same_dicts(layer_grads, expected) for layer_grads in result)
            ]
            missing = [index for index in range(len(layers)) if index not in present]
            if present and missing:
                raise _Unusable(
                    f"your list holds {len(result)} gradient dict(s) but the stack has {len(layers)} layers: "
                    f"the gradients of layer(s) {missing} are missing. " + _advice(check, BY_ID["stack_layer_missing"])
                )
        if not isinstance(result, (list, tuple)) or len(result) != len(layers):
            raise _Unusable(
                f"expected a list of {len(layers)} gradient dicts, one per layer "
                f"(layer 0 first), got {type(result).__name__}"
                f"{f' of length {len(result)}' if isinstance(result, (list, tuple)) else ''}."
            )
        quantities = {}
        for index, layer_grads in enumerate(result):
            quantities.update(_grad_dict(f"layer {index} {{name}} gradient", layer_grads))
        return quantities

    case_text = f"for a batch x of shape {x.shape}"
    if _reproduces(case, got, to_quantities, "stack_grads_reversed"):
        # Said first: the shapes of the first layer that differs would otherwise suggest a transpose.
        _named(
            check,
            "stack_grads_reversed",
            "",
            f"your gradients {case_text} are in reverse order: the first dict holds the gradients of "
            f"layer {len(layers) - 1} (the top layer), expected those of layer 0.",
        )
    _run_case(
        check,
        case,
        got,
        to_quantities,
        lambda helpers: helpers.stack_backward(cache, output_grad, layers),
        case_text=case_text,
    )
    print("check_stack_backward: correct.")


@waits_for_the_learner
def check_carry(my_carry):
    """Check ``my_carry(x, y, params, chunk_length) -> (hiddens, chunk_grads)``: truncated BPTT.

    ``hiddens`` are the hidden states of the whole sequence, computed chunk after chunk
    with the state carried across; ``chunk_grads`` holds one gradient dict per chunk, for
    the chunk's loss 0.5 * sum((y_hat - y)**2), stopped at the chunk's first step (tanh).
    Derived in ``07_memory``.
    """
    check = "check_carry"
    params, (single, batch) = _cases(steps=10)
    random = np.random.default_rng(7)
    for x, chunk_length in ((single, 4), (batch, 3)):
        y = random.normal(size=x.shape[:-1] + (params["o_weight"].shape[1],))
        bounds = chunk_bounds(x.shape[-2], chunk_length)
        case = SimpleNamespace(
            x=x, y=y, params=params, chunk_length=chunk_length, expected=truncated_bptt(x, y, params, chunk_length)
        )
        got = _call(
            check,
            my_carry,
            (x.copy(), y.copy(), _copy(params), chunk_length),
            f"my_carry(x, y, params, {chunk_length}) with x of shape {x.shape}",
            "(hiddens, chunk_grads): every hidden state, and one gradient dict per chunk",
        )

        def hidden_states(result):
            return {"hiddens": _pair(result, "hiddens", "chunk_grads")[0]}

        def chunk_gradients(result, n_chunks=len(bounds), chunk_length=chunk_length, n_steps=x.shape[-2]):
            chunk_grads = _pair(result, "hiddens", "chunk_grads")[1]
            if not isinstance(chunk_grads, (list, tuple)) or len(chunk_grads) != n_chunks:
                length = f" of length {len(chunk_grads)}" if isinstance(chunk_grads, (list, tuple)) else ""
                raise _Unusable(
                    f"expected a list of {n_chunks} gradient dicts, one per chunk ({n_steps} steps in chunks of "
                    f"{chunk_length}, the last one shorter), got {type(chunk_grads).__name__}{length}."
                )
            quantities = {}
            for index, grads in enumerate(chunk_grads):
                if isinstance(grads, (tuple, list)) and len(grads) == 2 and isinstance(grads[0], dict):
                    raise _Unusable(
                        f"the gradients of chunk {index} are a pair, not a dict: chunk_backward returns "
                        "(grads, start_grad). Keep the first and drop dL/ds: `grads, _ = chunk_backward(...)`."
                    )
                quantities.update(_grad_dict(f"chunk {index} {{name}} gradient", grads))
            return quantities

        def reference(helpers, x=x, y=y, chunk_length=chunk_length):
            return helpers.truncated_bptt(x, y, params, chunk_length)

        case_text = f"{_x_text(x)} in chunks of {chunk_length} steps"
        try:
            _run_case(check, case, got, hidden_states, reference, steps=True, case_text=case_text)
        except AssertionError as error:
            starts = ", ".join(str(start) for start, _ in bounds)
            raise AssertionError(f"{error}\n(The chunks start at steps t = {starts}.)") from None
        _run_case(check, case, got, chunk_gradients, reference, case_text=case_text)
    print("check_carry: correct for one sequence and for a batch.")


if __name__ == "__main__":  # python -m rnn_helpers.checks NOTEBOOK: the checker of rnn_helpers.grading
    from .grading import main

    sys.exit(main())
