"""Student copies and the notebook checker: in sync, stubs only where solutions were, runnable.

The copies are written by ``scripts/make_student_copies.py``; the checker is
``python -m rnn_helpers.checks NOTEBOOK``.
"""

import copy
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from rnn_helpers import grading

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import make_student_copies as maker  # noqa: E402

SOURCES = maker.sources()


def test_the_committed_student_copies_are_up_to_date():
    problems = maker.out_of_date()
    assert not problems, f"{problems}: run `uv run python scripts/make_student_copies.py` and commit notebooks/student/"


def test_two_runs_write_identical_files(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    maker.write_copies(first)
    maker.write_copies(second)
    names = sorted(path.name for path in first.iterdir())
    assert names == [path.name for path in SOURCES]
    assert all((first / name).read_bytes() == (second / name).read_bytes() for name in names)
    assert maker.out_of_date(first) == []


def is_check_cell_after_stub(cells, index):
    return (
        index > 0
        and "exercise" in cells[index - 1].metadata.get("tags", [])
        and cells[index].cell_type == "code"
        and maker.CHECK_CALL.search(cells[index].source) is not None
    )


def put_solutions_back(student, source):
    """The student copy with each worked solution, the outputs of its check cell and the line
    saying where the solutions are put back."""
    restored = copy.deepcopy(student)
    for index, (cell, original) in enumerate(zip(restored.cells, source.cells)):
        if (
            "exercise" in cell.metadata.get("tags", [])
            or cell.source != original.source
            and cell.cell_type == "markdown"
            and "## Exercises" in cell.source
        ):
            restored.cells[index] = copy.deepcopy(original)
        elif is_check_cell_after_stub(student.cells, index) and cell.source == original.source:
            restored.cells[index] = copy.deepcopy(original)
    return restored


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.stem)
def test_a_copy_differs_only_in_its_stubs_and_passes_with_the_solutions_put_back(path):
    source = nbformat.read(path, as_version=4)
    student = nbformat.reads(maker.student_text(path), as_version=4)
    assert len(student.cells) == len(source.cells)
    solutions = [index for index, cell in enumerate(source.cells) if "solution" in cell.metadata.get("tags", [])]
    stubs = [index for index, cell in enumerate(student.cells) if "exercise" in cell.metadata.get("tags", [])]
    assert stubs == solutions and stubs, "every solution, and nothing else, becomes an exercise stub"
    for index in stubs:
        stub = student.cells[index]
        assert stub.outputs == [] and stub.execution_count is None and "jupyter" not in stub.metadata
        assert "raise NotImplementedError(" in stub.source and "Exercise " in stub.source
        assert "solution" not in stub.metadata["tags"]
    check_cells = [index for index in range(len(student.cells)) if is_check_cell_after_stub(student.cells, index)]
    for index in check_cells:  # no stored "correct." before the learner has written anything
        assert student.cells[index].outputs == [] and student.cells[index].execution_count is None
    # The source notebooks pass nbval; equal to them with the solutions back, so does the copy.
    assert put_solutions_back(student, source) == source


def test_a_stub_names_the_function_its_check_cell_needs():
    solution = nbformat.v4.new_code_cell(
        '# Solution to exercise 2\ndef my_forward(x, params, activation="tanh"):\n    return None, None\n',
        metadata={"tags": ["solution"]},
    )
    check = nbformat.v4.new_code_cell("check_forward(my_forward)")
    stub = maker.stub_source(2, solution.source, check)
    assert "#     def my_forward(x, params, activation='tanh'):" in stub
    with pytest.raises(
        NotImplementedError,
        match=r"Exercise 2: write my_forward\(x, params, activation='tanh'\) "
        r"in this cell, then run the check cell below \(check_forward\)",
    ):
        exec(stub, {})


def test_a_check_cell_loses_its_stored_correct_output():
    source = classroom_notebook()
    for cell in source.cells:
        if cell.cell_type == "code":
            cell.execution_count = 7
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="check_clip: correct.\n")]
    student = maker.student_copy(source)
    check_cells = [index for index, cell in enumerate(student.cells) if maker.CHECK_CALL.search(cell.source)]
    assert len(check_cells) == 3
    for index in check_cells:
        assert student.cells[index].outputs == [] and student.cells[index].execution_count is None
    # Cells that are neither a solution nor its check keep what they had.
    assert student.cells[0].outputs == source.cells[0].outputs and student.cells[0].execution_count == 7


def test_an_exercise_without_a_check_points_to_the_instructor_not_to_a_solution():
    stub = maker.stub_source(4, "# Solution to exercise 4\nanswer = 2\n", nbformat.v4.new_markdown_cell("Next."))
    assert "full notebook" not in stub and "worked solution" not in stub
    with pytest.raises(
        NotImplementedError,
        match="There is no self-check for this exercise: discuss your answer "
        "with your instructor or compare with a classmate",
    ):
        exec(stub, {})


def test_exercise_text_that_mentions_the_collapsed_solution_does_not_stop_the_copy():
    # Such a sentence is worded to read right in both versions; the copy keeps it as it is.
    source = classroom_notebook()
    text = "**Exercise 1.** Write it, then run the check cell below the collapsed solution (skip the solution cell)."
    source.cells[2].source = text
    student = maker.student_copy(source)
    assert student.cells[2].source == text
    assert "exercise-1" in student.cells[3].metadata["tags"]


# ---------------------------------------------------------------- the notebook checker

SOLUTIONS = {
    1: (
        "def my_relu_forward(x, i_weight, h_weight, o_weight):\n"
        "    hidden, outputs = np.zeros(h_weight.shape[0]), []\n"
        "    for x_t in x:\n"
        "        hidden = np.maximum(0, x_t @ i_weight + hidden @ h_weight)\n"
        "        outputs.append(hidden @ o_weight)\n"
        "    return np.array(outputs)\n",
        "check_relu_forward(my_relu_forward)",
    ),
    2: (
        "def my_schedule(lr, step, total_steps):\n    return lr * (1 - step / total_steps)\n",
        "check_schedule(my_schedule)",
    ),
    3: (
        "def my_clip(grads, max_norm):\n"
        "    norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))\n"
        "    return {name: g * min(1, max_norm / norm) for name, g in grads.items()}\n",
        "check_clip(my_clip)",
    ),
}
SCHEDULE_ONE_STEP_AHEAD = "def my_schedule(lr, step, total_steps):\n    return lr * (1 - (step + 1) / total_steps)\n"


def classroom_notebook():
    """A small full notebook in the series' format: three write-code exercises with solutions and checks."""
    cells = [
        nbformat.v4.new_code_cell(
            "import numpy as np\n\nfrom rnn_helpers.checks import check_clip, check_relu_forward, check_schedule"
        ),
        nbformat.v4.new_markdown_cell(
            "## Exercises\nTry each exercise before you open its solution: the "
            "solutions are in the collapsed cells below each exercise (click the "
            "three dots to open one)."
        ),
    ]
    for number, (solution, check) in SOLUTIONS.items():
        cells += [
            nbformat.v4.new_markdown_cell(f"**Exercise {number}.** Write it."),
            nbformat.v4.new_code_cell(
                f"# Solution to exercise {number}\n{solution}",
                metadata={"tags": ["solution"], "jupyter": {"source_hidden": True, "outputs_hidden": True}},
            ),
            nbformat.v4.new_code_cell(check),
        ]
    return nbformat.v4.new_notebook(cells=cells)


def learner_notebook(tmp_path, answers, drop_cells=()):
    """The student copy of ``classroom_notebook`` with the learner's ``answers`` {exercise: code}."""
    student = maker.student_copy(classroom_notebook())
    assert "Write your answer in the cell below each exercise" in student.cells[1].source
    stubs = [cell for cell in student.cells if "exercise" in cell.metadata.get("tags", [])]
    for number, code in answers.items():
        stubs[number - 1].source = code
    student.cells = [cell for index, cell in enumerate(student.cells) if index not in drop_cells]
    path = tmp_path / "submission.ipynb"
    nbformat.write(student, path)
    nbformat.write(maker.student_copy(classroom_notebook()), tmp_path / "student_copy.ipynb")
    return path


def test_the_checker_prints_a_table_and_fails_when_one_exercise_is_wrong(tmp_path, capsys):
    # Exercise 2 is wrong; exercise 3 passing after it shows the notebook runs on past a failure.
    path = learner_notebook(tmp_path, {1: SOLUTIONS[1][0], 2: SCHEDULE_ONE_STEP_AHEAD, 3: SOLUTIONS[3][0]})
    assert grading.main([str(path)]) == 1
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert lines[1].split() == ["exercise", "result", "message"]
    assert "Exercise 1 (check_relu_forward)  passed  check_relu_forward: correct." in printed
    assert "Exercise 2 (check_schedule)      failed  check_schedule: wrong learning rate at step 0" in printed
    assert "Likely mistake: your schedule is one step ahead" in printed
    assert "Exercise 3 (check_clip)          passed  check_clip: correct." in printed
    assert lines[-1] == "2 of 3 exercise(s) passed."


def test_the_checker_reports_a_notebook_that_does_not_run_line_by_line(tmp_path, capsys):
    # The import cell was deleted and a cell uses a name never defined; exercise 1 has a
    # syntax error, exercise 2 is still the stub, exercise 3's check cell was deleted.
    path = learner_notebook(
        tmp_path,
        {1: "def my_relu_forward(x, i_weight, h_weight, o_weight)\n    pass", 3: SOLUTIONS[3][0]},
        drop_cells=(0, 10),
    )
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell("temperatures = load_temperatures()"))
    nbformat.write(notebook, path)
    assert grading.main([str(path), "--against", str(tmp_path / "student_copy.ipynb")]) == 1
    printed = capsys.readouterr().out
    assert "Traceback" not in printed
    assert "code cell 1 raised NameError: name 'load_temperatures' is not defined; the cells after it" in printed
    assert "Exercise 1 (check_relu_forward)  failed  the exercise cell raised SyntaxError" in printed
    assert (
        "Exercise 2 (check_schedule)      failed  the exercise cell raised NotImplementedError: Exercise 2: "
        "write my_schedule(lr, step, total_steps) in this cell" in printed
    )
    assert "Exercise 3 (check_clip)          failed  its check cell is missing" in printed
    assert printed.splitlines()[-1] == "0 of 3 exercise(s) passed."


def test_the_checker_says_when_a_file_is_not_a_notebook(tmp_path, capsys):
    path = tmp_path / "notes.ipynb"
    path.write_text("my answers: 1) tanh 2) 0.5")
    assert grading.main([str(path)]) == 2
    assert "cannot be read as a Jupyter notebook" in capsys.readouterr().out
    assert grading.main([str(tmp_path / "missing.ipynb")]) == 2
    assert "no such file" in capsys.readouterr().out


def test_a_student_copy_runs_to_its_first_stub_and_stops_there(tmp_path):
    # A real copy runs like its source up to the first stub: the cells before it are the
    # source's (test above), which run without error (nbval). What is left to show is that a
    # copy stops at its first stub, with the stub's message; a light notebook shows it.
    source = classroom_notebook()
    source.cells[0].source = "import numpy as np"
    student = maker.student_copy(source)
    first_stub = next(index for index, cell in enumerate(student.cells) if "exercise" in cell.metadata.get("tags", []))
    with pytest.raises(CellExecutionError):
        grading.execute_in_fresh_kernel(student, tmp_path, timeout=60)
    error = next(output for output in student.cells[first_stub].outputs if output.output_type == "error")
    assert error.ename == "NotImplementedError"
    assert error.evalue.startswith("Exercise 1: write my_relu_forward(x, i_weight, h_weight, o_weight) in this cell")
    ran = [index for index, cell in enumerate(student.cells) if cell.get("execution_count")]
    errors = [
        index
        for index, cell in enumerate(student.cells)
        if any(output.get("output_type") == "error" for output in cell.get("outputs", []))
    ]
    assert ran == [0, first_stub] and errors == [first_stub]
