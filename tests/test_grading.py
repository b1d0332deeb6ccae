"""The grader, ``python -m rnn_helpers.checks``: the teacher's own checks, a time limit per cell, a gradebook.

Most tests grade learners' copies of one small classroom notebook, built here in the
series' format; a kernel start costs about two seconds, so the cases share notebooks.
"""

import copy
import csv
import functools
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from contextlib import redirect_stdout
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

import rnn_helpers
from rnn_helpers import checks, grading
from rnn_helpers._provided import PROVIDED_HELPERS, provided_helper
from rnn_helpers.optim import clip_by_global_norm, linear_schedule

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import make_handout  # noqa: E402
import make_student_copies as maker  # noqa: E402

TIMEOUT = 6  # seconds per cell in the tests: the slowest cell, the imports, takes about one

SOLUTIONS = {
    "your-turn": (
        "def my_hidden_grad(output_grad, next_pre_grad, params):\n"
        '    return output_grad @ params["o_weight"].T + next_pre_grad @ params["h_weight"].T\n',
        "check_hidden_grad(my_hidden_grad)",
    ),
    "exercise-1": (
        "def my_relu_forward(x, i_weight, h_weight, o_weight):\n"
        "    hidden, outputs = np.zeros(h_weight.shape[0]), []\n"
        "    for x_t in x:\n"
        "        hidden = np.maximum(0, x_t @ i_weight + hidden @ h_weight)\n"
        "        outputs.append(hidden @ o_weight)\n"
        "    return np.array(outputs)\n",
        "check_relu_forward(my_relu_forward)",
    ),
    "exercise-2": (
        "def my_schedule(lr, step, total_steps):\n    return lr * (1 - step / total_steps)\n",
        "check_schedule(my_schedule)",
    ),
    "exercise-3": (
        "def my_clip(grads, max_norm):\n"
        "    norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))\n"
        "    return {name: g * min(1, max_norm / norm) for name, g in grads.items()}\n",
        "check_clip(my_clip)",
    ),
}
DISCUSSION = "# Exercise 4: your code here. Write what you find, and why, as comments.\n"
EXERCISES = [
    "Your turn (check_hidden_grad)",
    "Exercise 1 (check_relu_forward)",
    "Exercise 2 (check_schedule)",
    "Exercise 3 (check_clip)",
    "Exercise 4 (discussion)",
]


def _stub(solution):
    return solution.splitlines()[0] + "\n    raise NotImplementedError\n"


def _solution_cell(number, solution, check):
    renamed = solution.replace("def my_", "def solution_")
    first = "# Solution: your turn" if number is None else f"# Solution to exercise {number}"
    return nbformat.v4.new_code_cell(
        f"{first}\n{renamed}\n{check.replace('(my_', '(solution_')}",
        metadata={"tags": ["solution"] + (["your-turn"] if number is None else []), "jupyter": {"source_hidden": True}},
    )


def classroom_notebook():
    """A small full notebook in the series' format: a "your turn" in the teaching part, three
    write-code exercises (a stub, its check, the collapsed solution) and one discussion."""
    cells = [
        nbformat.v4.new_code_cell(
            "import numpy as np\n\n"
            "from rnn_helpers.checks import check_clip, check_hidden_grad, check_relu_forward, check_schedule"
        ),
        nbformat.v4.new_markdown_cell("**Your turn.** Write the gradient of the hidden state."),
        nbformat.v4.new_code_cell(_stub(SOLUTIONS["your-turn"][0]), metadata={"tags": ["exercise", "your-turn"]}),
        nbformat.v4.new_code_cell(SOLUTIONS["your-turn"][1]),
        _solution_cell(None, *SOLUTIONS["your-turn"]),
        nbformat.v4.new_markdown_cell(
            "## Exercises\nTry each exercise before you open its solution: the solutions are in the collapsed "
            "cells after it (click the three dots to open one)."
        ),
    ]
    for number in (1, 2, 3):
        solution, check = SOLUTIONS[f"exercise-{number}"]
        cells += [
            nbformat.v4.new_markdown_cell(f"**Exercise {number}.** Write it."),
            nbformat.v4.new_code_cell(_stub(solution), metadata={"tags": ["exercise", f"exercise-{number}"]}),
            nbformat.v4.new_code_cell(check),
            _solution_cell(number, solution, check),
        ]
    cells += [
        nbformat.v4.new_markdown_cell("**Exercise 4.** Halve `h_weight`: what happens to the outputs, and why?"),
        nbformat.v4.new_code_cell(DISCUSSION, metadata={"tags": ["exercise", "exercise-4"]}),
        nbformat.v4.new_code_cell(
            "# Solution to exercise 4\n# The outputs shrink: the state is multiplied by a smaller matrix.",
            metadata={"tags": ["solution"]},
        ),
    ]
    return nbformat.v4.new_notebook(cells=cells)


STUDENT_COPY = maker.student_copy(classroom_notebook())  # one copy: the learners' cells keep its cell ids


def _position(notebook, tag):
    return next(index for index, cell in enumerate(notebook.cells) if tag in cell.metadata.get("tags", []))


def learner(answers=(), check_cells=(), after=()):
    """The student copy as a learner left it.

    ``answers`` maps an exercise's tag to the code of its cell; ``check_cells`` maps a tag to
    the code of the check cell after it (None: deleted); ``after`` maps a tag to cells the
    learner inserted after its exercise cell (the tag ``import`` means after the first cell).
    """
    notebook = copy.deepcopy(STUDENT_COPY)
    answers, check_cells, after = dict(answers), dict(check_cells), dict(after)
    for tag, code in answers.items():
        notebook.cells[_position(notebook, tag)].source = code
    for tag, code in check_cells.items():
        index = _position(notebook, tag) + 1
        if code is None:
            del notebook.cells[index]
        else:
            notebook.cells[index].source = code
    for tag, cells in after.items():
        index = 0 if tag == "import" else _position(notebook, tag)
        notebook.cells[index + 1 : index + 1] = cells
    return notebook


def write(notebook, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


WRONG_RELU_NO_ACTIVATION = SOLUTIONS["exercise-1"][0].replace(
    "np.maximum(0, x_t @ i_weight + hidden @ h_weight)", "x_t @ i_weight + hidden @ h_weight"
)
SCHEDULE_ONE_STEP_AHEAD = "def my_schedule(lr, step, total_steps):\n    return lr * (1 - (step + 1) / total_steps)\n"
HIDDEN_GRAD_WITHOUT_NEXT_STEP = (
    'def my_hidden_grad(output_grad, next_pre_grad, params):\n    return output_grad @ params["o_weight"].T\n'
)

# alice games the checks: a check in try/except, an edited one, a deleted one, the helper as her answer.
ALICE = learner(
    answers={
        "your-turn": HIDDEN_GRAD_WITHOUT_NEXT_STEP,
        "exercise-1": WRONG_RELU_NO_ACTIVATION,
        "exercise-2": SCHEDULE_ONE_STEP_AHEAD,
        "exercise-3": "from rnn_helpers import clip_by_global_norm\n\nmy_clip = clip_by_global_norm\n",
        "exercise-4": "# Halving h_weight makes the outputs smaller.\nprint('outputs halve')",
    },
    check_cells={
        "your-turn": None,
        "exercise-1": (
            "try:\n    check_relu_forward(my_relu_forward)\nexcept AssertionError:\n"
            "    print('check_relu_forward: correct.')"
        ),
        "exercise-2": "from rnn_helpers import linear_schedule\n\ncheck_schedule(linear_schedule)",
    },
    after={
        "import": [nbformat.v4.new_code_cell("temperatures = load_temperatures()")],
        "exercise-4": [nbformat.v4.new_markdown_cell("The state is multiplied by a smaller matrix at every step.")],
    },
)
# bob's relu forward never returns; his schedule only wraps the helper; his "your turn" does not parse.
BOB = learner(
    answers={
        "your-turn": "def my_hidden_grad(output_grad, next_pre_grad, params)\n    pass\n",
        "exercise-1": "def my_relu_forward(x, i_weight, h_weight, o_weight):\n    while True:\n        pass\n",
        "exercise-2": (
            "from rnn_helpers import linear_schedule as decay\n\n\n"
            "def my_schedule(lr, step, total_steps):\n    return decay(lr, step, total_steps)\n"
        ),
        "exercise-3": SOLUTIONS["exercise-3"][0],
    }
)
# carol writes every answer, in her own way.
CAROL_ANSWERS = {
    **{tag: code for tag, (code, _) in SOLUTIONS.items()},
    "exercise-4": "# The outputs shrink, since the state is multiplied by a smaller matrix.",
}
CAROL = learner(answers=CAROL_ANSWERS)


def _gina():
    # gina deleted the import cell and added a cell that uses a name never defined; her relu
    # forward does not parse, her clip needs NumPy, and she deleted its check cell.
    notebook = learner(
        answers={
            "exercise-1": "def my_relu_forward(x, i_weight, h_weight, o_weight)\n    pass\n",
            "exercise-2": SOLUTIONS["exercise-2"][0],
            "exercise-3": SOLUTIONS["exercise-3"][0],
        },
        check_cells={"exercise-3": None},
    )
    notebook.cells[0] = nbformat.v4.new_code_cell("temperatures = load_temperatures()")
    return notebook


GINA = _gina()


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory):
    """A class graded in one run: ``(exit code, stdout, stderr, CSV rows, folder)``."""
    folder = tmp_path_factory.mktemp("class")
    reference = write(STUDENT_COPY, folder / "student" / "classroom.ipynb")
    submissions = folder / "submissions"
    write(ALICE, submissions / "alice" / "classroom.ipynb")
    write(BOB, submissions / "bob" / "classroom.ipynb")
    write(CAROL, submissions / "carol" / "classroom.ipynb")
    write(STUDENT_COPY, submissions / "dave" / "classroom.ipynb")  # handed in untouched
    (submissions / "erin").mkdir()
    (submissions / "erin" / "classroom.ipynb").write_text("my answers: 1) tanh 2) 0.5")
    (submissions / "frank").mkdir()  # handed in nothing
    write(GINA, submissions / "gina" / "classroom.ipynb")
    grades = folder / "grades.csv"
    command = [sys.executable, "-m", "rnn_helpers.checks", str(submissions), "--against", str(reference.parent)]
    command += ["--csv", str(grades), "--timeout", str(TIMEOUT)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=folder, timeout=300)
    with open(grades, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    return done.returncode, done.stdout, done.stderr, rows, folder


def result(rows, learner_name, exercise):
    """``(result, message)`` of one learner's exercise in the CSV rows."""
    found = [row for row in rows[1:] if row[0] == learner_name and row[2] == exercise]
    assert len(found) == 1, (learner_name, exercise, found)
    return found[0][3], found[0][4]


# ---------------------------------------------------------------- the gradebook


def test_the_csv_has_one_row_per_learner_and_exercise(gradebook):
    code, _, _, rows, _ = gradebook
    assert code == 1
    assert rows[0] == ["learner", "notebook", "exercise", "result", "message"]
    learners = ["alice", "bob", "carol", "dave", "erin", "frank", "gina"]
    assert [(row[0], row[1], row[2]) for row in rows[1:]] == [
        (name, "classroom", exercise) for name in learners for exercise in EXERCISES
    ]


def test_an_edited_a_wrapped_or_a_deleted_check_cell_changes_nothing(gradebook):
    rows = gradebook[3]
    relu = result(rows, "alice", "Exercise 1 (check_relu_forward)")  # its check cell in try/except
    assert relu[0] == "failed" and relu[1].startswith("check_relu_forward: wrong outputs")
    schedule = result(rows, "alice", "Exercise 2 (check_schedule)")  # check_schedule(linear_schedule)
    assert schedule[0] == "failed" and "Likely mistake: your schedule is one step ahead" in schedule[1]
    hidden = result(rows, "alice", "Your turn (check_hidden_grad)")  # its check cell deleted
    assert hidden[0] == "failed" and hidden[1].startswith("check_hidden_grad: wrong dL/dh_t")


def test_the_provided_helper_is_not_the_learners_code(gradebook):
    rows = gradebook[3]
    clip = result(rows, "alice", "Exercise 3 (check_clip)")  # my_clip = clip_by_global_norm
    assert clip == (
        "failed",
        "check_clip: `my_clip` uses the provided helper `clip_by_global_norm`, not your own code. "
        "Write the computation yourself, without calling `clip_by_global_norm`.",
    )
    schedule = result(rows, "bob", "Exercise 2 (check_schedule)")  # a wrapper of the helper, renamed
    assert schedule[0] == "failed" and "uses the provided helper `linear_schedule`" in schedule[1]


def test_an_endless_loop_costs_one_timed_out_row_and_the_others_are_graded(gradebook):
    rows = gradebook[3]
    relu = result(rows, "bob", "Exercise 1 (check_relu_forward)")
    assert relu[0] == "timed out"
    assert relu[1].startswith(f"timed out after {TIMEOUT} s: cell [") and "Look for a loop that never ends" in relu[1]
    assert result(rows, "bob", "Exercise 3 (check_clip)") == ("passed", "check_clip: correct.")
    hidden = result(rows, "bob", "Your turn (check_hidden_grad)")
    assert hidden[0] == "missing"
    assert re.fullmatch(
        r"`my_hidden_grad` is not defined: its exercise cell, cell \[\d+\], raised SyntaxError: .+", hidden[1]
    )


def test_a_discussion_is_for_the_teacher_to_read_with_the_learners_text(gradebook):
    rows = gradebook[3]
    text = result(rows, "alice", "Exercise 4 (discussion)")
    assert text == (
        "to read",
        "# Halving h_weight makes the outputs smaller.\nprint('outputs halve')\nprinted:\noutputs halve\n"
        "The state is multiplied by a smaller matrix at every step.",
    )
    assert result(rows, "bob", "Exercise 4 (discussion)") == ("to read", "nothing written yet")


def test_a_right_answer_written_differently_passes_and_an_untouched_copy_is_not_written_yet(gradebook):
    rows = gradebook[3]
    for exercise in EXERCISES[:4]:
        assert result(rows, "carol", exercise)[0] == "passed"
        assert result(rows, "dave", exercise)[0] == "not written yet"
    assert result(rows, "dave", "Exercise 2 (check_schedule)")[1] == (
        "check_schedule: not written yet: fill in `my_schedule`."
    )


def test_a_file_that_is_not_a_notebook_and_a_missing_notebook_each_fill_their_rows(gradebook):
    rows = gradebook[3]
    for exercise in EXERCISES:
        erin = result(rows, "erin", exercise)
        assert erin[0] == "failed" and "cannot be read as a Jupyter notebook" in erin[1]
        assert result(rows, "frank", exercise) == ("missing", "frank/ has no classroom.ipynb.")


def test_stdout_shows_a_summary_and_the_cells_outside_the_exercises_and_stderr_is_quiet(gradebook):
    _, printed, errors, _, folder = gradebook
    lines = printed.splitlines()
    assert lines[0].split() == ["learner", "notebook", "points", "to", "read", "notes"]
    table = {tuple(line.split()[:4]) for line in lines[2:8]}
    assert table >= {
        ("alice", "classroom", "0/4", "1"),
        ("bob", "classroom", "1/4", "0"),
        ("carol", "classroom", "4/4", "1"),
        ("dave", "classroom", "0/4", "0"),
    }
    assert "1 timed out" in next(line for line in lines if line.startswith("bob "))
    problems = [line for line in lines if line.startswith(("alice/", "gina/"))]
    assert problems == [
        "alice/classroom: cell [2] raised NameError: name 'load_temperatures' is not defined; "
        "the cells after it may fail because of it.",
        "gina/classroom: cell [1] raised NameError: name 'load_temperatures' is not defined; "
        "the cells after it may fail because of it.",
    ]
    assert f"wrote 35 rows (7 learners) to {folder / 'grades.csv'}" in printed
    assert errors == ""


def test_a_notebook_that_does_not_run_line_by_line_is_still_graded_on_its_functions(gradebook):
    rows = gradebook[3]
    # Her check cells cannot find the checks (no import), the grader's own calls can.
    assert result(rows, "gina", "Your turn (check_hidden_grad)")[0] == "not written yet"
    assert result(rows, "gina", "Exercise 2 (check_schedule)") == ("passed", "check_schedule: correct.")
    relu = result(rows, "gina", "Exercise 1 (check_relu_forward)")
    assert relu[0] == "missing" and "raised SyntaxError: " in relu[1]
    clip = result(rows, "gina", "Exercise 3 (check_clip)")  # check cell deleted: graded all the same
    assert clip[0] == "failed"
    assert clip[1].startswith("check_clip: your function raised NameError: name 'np' is not defined\n")
    assert "(in my_clip, line 2: norm = np.sqrt(" in clip[1]


# ---------------------------------------------------------------- one notebook


def test_one_notebook_prints_a_table_and_fails_when_one_exercise_is_wrong(tmp_path, capsys):
    # Exercise 2 is wrong; exercise 3 passing after it shows the notebook runs on past a failure.
    path = write(learner(answers={**CAROL_ANSWERS, "exercise-2": SCHEDULE_ONE_STEP_AHEAD}), tmp_path / "one.ipynb")
    assert grading.main([str(path), "--timeout", str(TIMEOUT)]) == 1
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert lines[1].split() == ["exercise", "result", "message"]
    assert "Exercise 1 (check_relu_forward)  passed   check_relu_forward: correct." in printed
    assert "Exercise 2 (check_schedule)      failed   check_schedule: wrong learning rate at step 0" in printed
    assert "Likely mistake: your schedule is one step ahead" in printed
    assert "Exercise 3 (check_clip)          passed   check_clip: correct." in printed
    assert lines[-1] == "3 of 4 exercise(s) passed; 1 for your teacher to read."


def test_one_notebook_prints_a_table_and_exits_0_when_all_passed(tmp_path, capsys):
    path = write(CAROL, tmp_path / "carol.ipynb")  # no student copy of that name: it is its own reference
    assert grading.main([str(path), "--timeout", str(TIMEOUT)]) == 0
    printed = capsys.readouterr()
    lines = printed.out.splitlines()
    assert lines[0] == "carol.ipynb:"
    assert lines[1].split() == ["exercise", "result", "message"]
    assert lines[3].split(None, 4) == ["Your", "turn", "(check_hidden_grad)", "passed", "check_hidden_grad: correct."]
    assert "Exercise 4 (discussion)          to read  # The outputs shrink" in printed.out
    assert lines[-1] == "4 of 4 exercise(s) passed; 1 for your teacher to read."
    assert printed.err == ""


def test_one_notebook_that_cannot_be_read_or_found_exits_2(tmp_path, capsys):
    path = tmp_path / "notes.ipynb"
    path.write_text("my answers: 1) tanh 2) 0.5")
    assert grading.main([str(path)]) == 2
    assert "notes.ipynb cannot be read as a Jupyter notebook" in capsys.readouterr().out
    assert grading.main([str(tmp_path / "missing.ipynb")]) == 2
    assert "no such file" in capsys.readouterr().out
    assert grading.main([str(tmp_path)]) == 2
    assert "no notebooks in its sub-folders" in capsys.readouterr().out


def test_a_kernel_that_ignores_the_interrupt_stops_the_run_and_the_rows_say_so(tmp_path):
    stubborn = (
        "import time\nwhile True:\n    try:\n        time.sleep(0.2)\n    except KeyboardInterrupt:\n        pass\n"
    )
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("x = 1"),
            nbformat.v4.new_code_cell(stubborn),
            nbformat.v4.new_code_cell(SOLUTIONS["exercise-2"][0], metadata={"tags": ["exercise", "exercise-1"]}),
            nbformat.v4.new_code_cell("from rnn_helpers.checks import check_schedule\n\ncheck_schedule(my_schedule)"),
        ]
    )
    grade = grading.grade_notebook(write(notebook, tmp_path / "stubborn.ipynb"), timeout=2)
    stopped = "cell [2] kept running after an interrupt, so the cells after it did not run"
    assert [(row.exercise, row.result, row.message) for row in grade.rows] == [
        ("Exercise 1 (check_schedule)", "failed", f"not graded: {stopped}.")
    ]
    assert grade.problems == ["cell [2] timed out after 2 s and was interrupted.", f"C{stopped[1:]}."]


# ---------------------------------------------------------------- what a learner sees in JupyterLab


def test_a_failing_check_shows_the_learners_call_and_the_message_and_no_frame_of_checks_py(tmp_path):
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("from rnn_helpers.checks import check_schedule"),
            nbformat.v4.new_code_cell(SCHEDULE_ONE_STEP_AHEAD + "\n\ncheck_schedule(my_schedule)"),
        ]
    )
    grading.execute_in_fresh_kernel(notebook, tmp_path, timeout=60, allow_errors=True)
    (error,) = [output for output in notebook.cells[1].outputs if output.output_type == "error"]
    shown = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(error.traceback))
    assert error.ename == "AssertionError" and error.evalue.startswith("check_schedule: wrong learning rate")
    assert "Cell In[2], line 5" in shown and "check_schedule(my_schedule)" in shown
    assert "checks.py" not in shown and "skipping hidden" not in shown
    assert shown.rstrip().endswith("lr * (1 - step / total_steps).")


# ---------------------------------------------------------------- the pieces, without a kernel


def test_the_exercises_come_from_the_reference_notebook():
    exercises = grading.reference_exercises(STUDENT_COPY)
    assert [exercise.name for exercise in exercises] == EXERCISES
    assert [(exercise.check, exercise.function) for exercise in exercises[:2]] == [
        ("check_hidden_grad", "my_hidden_grad"),
        ("check_relu_forward", "my_relu_forward"),
    ]
    assert exercises[-1].check is None and exercises[-1].handed_out == DISCUSSION


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks" / "student").glob("*.ipynb")), ids=lambda path: path.stem)
def test_every_check_a_student_copy_calls_has_an_entry_for_its_provided_helpers(path):
    exercises = grading.reference_exercises(nbformat.read(path, as_version=4))
    assert any(exercise.check for exercise in exercises)
    for exercise in exercises:
        if exercise.check:
            assert exercise.check in PROVIDED_HELPERS
            assert exercise.function.startswith("my_")


def test_every_check_has_its_provided_helpers_or_an_explicit_none():
    names = [name for name in dir(checks) if name.startswith("check_")]
    wrapped = {name for name in names if hasattr(getattr(checks, name), "__wrapped__")}
    assert wrapped == set(PROVIDED_HELPERS)
    modules = [rnn_helpers, checks] + [getattr(rnn_helpers, name) for name in ("rnn", "truncated", "stack")]
    for helpers in PROVIDED_HELPERS.values():
        for name in helpers:
            assert any(callable(getattr(module, name, None)) for module in modules), name


def _uses_rnn_backward_by_name(x, hiddens, output_grad, params):
    return rnn_helpers.rnn_backward(x, hiddens, output_grad, params)


def _backward_with_a_default(x, hiddens, output_grad, params, backward=rnn_helpers.rnn.backward_batch):
    return backward(x, hiddens, output_grad, params)


def _own_backward(x, hiddens, output_grad, params):  # its own loop, and the forward helper: fine
    outputs, _ = rnn_helpers.rnn_forward(x, params)
    return {name: outputs.sum() * value for name, value in params.items()}


def _calls_a_helper_of_its_own(x, hiddens, output_grad, params):
    return _uses_rnn_backward_by_name(x, hiddens, output_grad, params)


def _closure():
    backward = rnn_helpers.rnn_backward_with_input_grad

    def my_backward(x, hiddens, output_grad, params):
        return backward(x, hiddens, output_grad, params)[0]

    return my_backward


def _nested_lambda(lr, step, total_steps):
    return (lambda: linear_schedule(lr, step, total_steps))()


def scale(part):  # a learner's own function that has a helper's name
    return part


def _with_its_own_scale(train, valid, test):
    return tuple(scale(part) for part in (train, valid, test))


_STATISTICS = SimpleNamespace(scale=lambda part: part)


def _with_an_attribute_named_scale(train, valid, test):
    return tuple(_STATISTICS.scale(part) for part in (train, valid, test))


@pytest.mark.parametrize(
    "function, check, helper",
    [
        (clip_by_global_norm, "check_clip", "clip_by_global_norm"),
        (functools.partial(linear_schedule, 0.1), "check_schedule", "linear_schedule"),
        (checks.reference_training_step, "check_training_step", "reference_training_step"),
        (rnn_helpers.rnn_forward, "check_tanh_step", "rnn_forward"),  # any object of the package
        (_uses_rnn_backward_by_name, "check_backward", "rnn_backward"),
        (_backward_with_a_default, "check_backward", "backward_batch"),
        (_calls_a_helper_of_its_own, "check_backward", "rnn_backward"),
        (_closure(), "check_backward", "rnn_backward_with_input_grad"),
        (_nested_lambda, "check_schedule", "linear_schedule"),
        (lambda grads, max_norm: clip_by_global_norm(grads, max_norm), "check_clip", "clip_by_global_norm"),
        (lambda *args: rnn_helpers.rnn.backward_batch(*args), "check_backward", "backward_batch"),
        (_with_its_own_scale, "check_scaling", None),
        (_with_an_attribute_named_scale, "check_scaling", None),
        (_own_backward, "check_backward", None),
        (_closure(), "check_stack_backward", None),  # one layer's backward is allowed in a stack's
        (_uses_rnn_backward_by_name, "check_training_step", None),
    ],
)
def test_a_function_that_is_or_calls_the_provided_helper_is_named(function, check, helper):
    assert provided_helper(function, check) == helper


def _graded(check, name, namespace):
    printed = io.StringIO()
    with redirect_stdout(printed):
        grading.grade_in_kernel(check, name, namespace, str(grading.PACKAGE))
    (line,) = printed.getvalue().splitlines()
    assert line.startswith(grading.GRADE_MARK)
    outcome = json.loads(line[len(grading.GRADE_MARK) :])
    return outcome["result"], outcome["message"]


def test_the_graders_call_in_the_kernel_prints_one_line_with_the_result():
    namespace = {}
    exec(SOLUTIONS["exercise-2"][0], namespace)
    assert _graded("check_schedule", "my_schedule", namespace) == ("passed", "check_schedule: correct.")
    exec(SCHEDULE_ONE_STEP_AHEAD, namespace)
    outcome = _graded("check_schedule", "my_schedule", namespace)
    assert outcome[0] == "failed" and outcome[1].startswith("check_schedule: wrong learning rate at step 0")
    exec(_stub(SOLUTIONS["exercise-2"][0]), namespace)
    assert _graded("check_schedule", "my_schedule", namespace)[0] == "not written yet"
    assert _graded("check_clip", "my_clip", namespace) == ("missing", "`my_clip` is not defined")
    assert _graded("check_clip", "my_clip", {"my_clip": 3})[1].startswith("check_clip: pass your function itself")


# ---------------------------------------------------------------- the hand-out


@pytest.mark.skipif(shutil.which("uv") is None, reason="building the wheel needs uv")
def test_the_handout_holds_the_student_copies_the_data_and_the_wheel_and_no_solution(tmp_path):
    target = make_handout.make_handout(tmp_path)
    assert target == tmp_path / "rnn-from-scratch-handout.zip"
    with zipfile.ZipFile(target) as handout:
        names = handout.namelist()
        notebooks = [name for name in names if name.endswith(".ipynb")]
        assert sorted(notebooks) == [
            f"rnn-from-scratch-handout/notebooks/{path.name}"
            for path in sorted((ROOT / "notebooks" / "student").glob("*.ipynb"))
        ]
        for name in notebooks:
            cells = nbformat.reads(handout.read(name).decode(), as_version=4).cells
            assert not any("solution" in cell.metadata.get("tags", []) for cell in cells), name
        (wheel,) = [name for name in names if name.endswith(".whl")]
        assert "rnn-from-scratch-handout/data/seattle_weather.csv" in names
        assert wheel.split("/")[-1] in handout.read("rnn-from-scratch-handout/README.txt").decode()
