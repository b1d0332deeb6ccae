"""Whether a learner's function is, or only calls, the helper its exercise asks them to write.

One table and one rule for both judges: the teacher's checker (``rnn_helpers.grading``)
fails a function that is or calls the helper; a self-check (``rnn_helpers.checks``)
refuses the helper itself, and adds a note when a right function only calls it.
"""

import dis
import sys
import types

# The helpers each exercise asks the learner to write for themselves: a function that is one
# of them, or calls one, is not the learner's code. An empty tuple says that no helper does
# the exercise's work (the training step, for one, is built from the forward and backward helpers).
PROVIDED_HELPERS = {
    "check_relu_forward": ("rnn_forward", "forward_batch"),
    "check_forward": ("rnn_forward", "forward_batch"),
    "check_tanh_step": (),
    "check_hidden_grad": (),
    "check_numerical_gradient": ("numerical_gradient",),
    "check_backward": ("rnn_backward", "rnn_backward_with_input_grad", "backward_batch"),
    "check_clip": ("clip_by_global_norm",),
    "check_split": ("chronological_split",),
    "check_scaling": ("fit_scaler", "scale"),
    "check_schedule": ("linear_schedule",),
    "check_training_step": ("reference_training_step",),
    "check_stack_backward": ("stack_backward",),
    "check_carry": ("truncated_bptt",),
}


def package_function(function):
    """The name of ``function`` when it is itself one of rnn_helpers' objects (not the learner's), else None."""
    top = _unwrapped(function)
    return getattr(top, "__name__", type(top).__name__) if _from_package(top) else None


def provided_helper(function, check_name):
    """The name of the helper of ``rnn_helpers`` that ``function`` is or calls for ``check_name``, or None.

    ``function`` is the helper when it is any object defined in ``rnn_helpers`` (also behind
    ``functools.partial`` or a decorator). It calls one of ``PROVIDED_HELPERS[check_name]``
    when its code (nested functions and lambdas included) loads that helper by a global
    name, under any name, or as an attribute of a module (``rnn_helpers.rnn.rnn_backward``),
    holds it in a closure or a default argument, or calls another function of the learner's
    that does.
    """
    top = _unwrapped(function)
    if _from_package(top):
        return getattr(top, "__name__", type(top).__name__)
    wanted = PROVIDED_HELPERS.get(check_name, ())
    seen = set()

    def search(candidate):
        code = getattr(candidate, "__code__", None)
        if code is None or id(candidate) in seen:
            return None
        seen.add(id(candidate))
        referred = [cell.cell_contents for cell in candidate.__closure__ or () if _has_contents(cell)]
        referred += list(candidate.__defaults__ or ()) + list((candidate.__kwdefaults__ or {}).values())
        referred += _loaded(code, getattr(candidate, "__globals__", {}))
        for value in referred:
            value = _unwrapped(value)
            if _from_package(value) and getattr(value, "__name__", None) in wanted:
                return value.__name__
        for value in referred:
            if _learners(value, candidate):
                found = search(value)
                if found is not None:
                    return found
        return None

    return search(top)


def _loaded(code, namespace):
    """The objects ``code`` loads by a global name or as an attribute of a module, its nested code's too."""
    loaded, current = [], None
    for instruction in dis.get_instructions(code):
        if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
            current = namespace.get(instruction.argval)
        elif instruction.opname in ("LOAD_ATTR", "LOAD_METHOD") and isinstance(current, types.ModuleType):
            current = getattr(current, instruction.argval, None)
        else:
            current = None
        if current is not None:
            loaded.append(current)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            loaded += _loaded(constant, namespace)
    return loaded


def _unwrapped(function):
    for _ in range(20):  # functools.partial, bound methods and decorators, one layer at a time
        inner = getattr(function, "func", None) or getattr(function, "__func__", None)
        inner = inner or getattr(function, "__wrapped__", None)
        if inner is None:
            return function
        function = inner
    return function


def _from_package(value):
    """Whether ``value`` is one of the installed rnn_helpers' own objects (a name of one of its modules)."""
    module, name = getattr(value, "__module__", None) or "", getattr(value, "__name__", None)
    if module != "rnn_helpers" and not module.startswith("rnn_helpers."):
        return False
    return name is not None and getattr(sys.modules.get(module), name, None) is value


def _learners(value, function):
    """Whether ``value`` is a Python function written where ``function`` was (the learner's notebook)."""
    return hasattr(value, "__code__") and getattr(value, "__module__", None) == getattr(function, "__module__", None)


def _has_contents(cell):
    try:
        cell.cell_contents  # noqa: B018 (an empty cell raises)
        return True
    except ValueError:
        return False
