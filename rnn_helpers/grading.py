"""Checking a learner's notebook: run it in a fresh kernel and report each exercise.

Usage (needs ``nbclient``)::

    python -m rnn_helpers.grading notebooks/student/04_bptt_loop.ipynb

runs it in a fresh kernel, cell after cell even past errors, and prints one row per
exercise: the exercise, ``passed`` or ``failed``, and the self-check's message. An
exercise is a code cell tagged ``exercise`` (in a student copy, with ``exercise-N`` giving
its number) or ``solution`` (in a full notebook) together with the check cell after it, a code cell that calls a
``check_*`` function; a check cell with no exercise cell before it is an exercise of
its own. The exit code is 1 when any exercise fails or a cell outside the exercises
raises, 2 when the notebook cannot be read or run at all.
``python -m rnn_helpers.checks NOTEBOOK`` is the same command. The regeneration
script (``scripts/run_notebooks.py``) uses ``execute_in_fresh_kernel`` too.
"""

import argparse
import re
import sys
from pathlib import Path

try:  # the package itself needs neither; checking a notebook does
    import nbformat
    from nbclient import NotebookClient
except ImportError:
    nbformat = NotebookClient = None

CHECK_CALL = re.compile(r"^\s*(check_\w+)\(", flags=re.M)
NOT_WRITTEN_YET = "not written yet"  # what a self-check prints while the learner's function is the stub
EXERCISE_NUMBER = re.compile(r"exercise\s+(\d+)", flags=re.I)


def _error_text(outputs):
    for output in outputs:
        if output.get("output_type") == "error":
            if output["ename"] == "AssertionError" and output["evalue"].startswith("check_"):
                return output["evalue"]  # a self-check's message says it all
            return f"{output['ename']}: {output['evalue']}"
    return None


def _printed(outputs):
    text = "".join(output.get("text", "") for output in outputs if output.get("name") == "stdout")
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "ran without error"


def _exercise_label(cell, fallback):
    """``Exercise N`` from the tag ``exercise-N`` (student copies) or the first line (solutions)."""
    for tag in cell.metadata.get("tags", []):
        if re.fullmatch(r"exercise-\d+", tag):
            return f"Exercise {tag.split('-')[1]}"
    first_line = cell.source.splitlines()[0] if cell.source else ""
    match = EXERCISE_NUMBER.search(first_line)
    return f"Exercise {match.group(1)}" if match else fallback


def exercise_rows(notebook):
    """One ``(exercise, passed, message)`` per exercise of an executed notebook, and other errors.

    Returns ``(rows, problems)``: ``problems`` lists cells outside the exercises that raised.
    """
    rows, problems, pending = [], [], None
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for position, cell in enumerate(code_cells, start=1):
        tags = cell.metadata.get("tags", [])
        error = _error_text(cell.get("outputs", []))
        calls = CHECK_CALL.findall(cell.source)
        if "solution" in tags:  # a full notebook's worked solution: not the learner's work
            continue
        if "exercise" in tags:
            if pending is not None:
                rows.append(_row_without_check(*pending))
            pending = (_exercise_label(cell, f"Exercise in code cell {position}"), error)
        elif calls:
            label, exercise_error = pending if pending is not None else (f"code cell {position}", None)
            pending = None
            name = f"{label} ({', '.join(calls)})"
            printed = _printed(cell.get("outputs", []))
            if error is None and NOT_WRITTEN_YET in printed:
                rows.append((name, False, printed))
            elif error is None:
                rows.append((name, True, printed))
            elif exercise_error is not None:
                rows.append((name, False, f"the exercise cell raised {exercise_error}"))
            else:
                rows.append((name, False, error))
        elif error is not None:
            problems.append(
                f"code cell {position} raised {error.splitlines()[0]}; the cells after it may fail because of it."
            )
    if pending is not None:
        rows.append(_row_without_check(*pending))
    return rows, problems


def _row_without_check(label, error):
    if error is None:
        return (f"{label} (no self-check)", True, "ran without error")
    return (f"{label} (no self-check)", False, f"raised {error}")


def _against(rows, notebook, against):
    """``rows`` with what was deleted from the notebook ``against`` (the student copy) reported too."""
    original = nbformat.read(against, as_version=4)
    for cell in original.cells:
        cell.outputs = []
    present = {call for cell in notebook.cells if cell.cell_type == "code" for call in CHECK_CALL.findall(cell.source)}
    missing = [
        name
        for name, _, _ in exercise_rows(original)[0]
        if any(call not in present for call in re.findall(r"check_\w+", name))
    ]
    updated = []
    for name, passed, message in rows:
        label = name.removesuffix(" (no self-check)")
        deleted = next((wanted for wanted in missing if wanted.startswith(label + " (")), None)
        if name.endswith(" (no self-check)") and deleted:
            missing.remove(deleted)
            name, passed, message = deleted, False, "its check cell is missing; copy it back from the student copy"
        updated.append((name, passed, message))
    updated += [
        (name, False, "the exercise and its check cell are missing; copy them back from the student copy")
        for name in missing
    ]
    return updated


def run_notebook(path, timeout=120):
    """Execute the notebook at ``path`` in a fresh kernel, past errors; return it executed."""
    notebook = nbformat.read(path, as_version=4)
    return execute_in_fresh_kernel(notebook, Path(path).resolve().parent, timeout, allow_errors=True)


def execute_in_fresh_kernel(notebook, folder, timeout, allow_errors=False):
    """Execute ``notebook`` (in place, and return it) in a new python3 kernel started in ``folder``.

    A kernel that dies before its first reply is started once more: jupyter_client
    chooses a kernel's TCP ports before the kernel binds them, and on a busy machine
    another process can take one of them in between ("Address already in use").
    """
    for attempt in (1, 2):
        try:
            NotebookClient(
                notebook,
                timeout=timeout,
                kernel_name="python3",
                allow_errors=allow_errors,
                resources={"metadata": {"path": str(folder)}},
            ).execute()
            return notebook
        except RuntimeError as error:
            if attempt == 2 or "Kernel died before replying to kernel_info" not in str(error):
                raise


def format_table(rows):
    """The rows as a plain-text table; a message of several lines continues under its column."""
    width = max([len("exercise")] + [len(name) for name, _, _ in rows])
    lines = [f"{'exercise':{width}s}  result  message", f"{'-' * width}  ------  -------"]
    for name, passed, message in rows:
        first, *rest = str(message).splitlines() or [""]
        lines.append(f"{name:{width}s}  {'passed' if passed else 'failed':6s}  {first}")
        lines.extend(f"{'':{width}s}          {line}" for line in rest)
    return "\n".join(lines)


def main(argv=None):
    """Run a learner's notebook and print passed / failed per exercise; exit 1 if any failed."""
    parser = argparse.ArgumentParser(
        prog="python -m rnn_helpers.checks", description="Run a notebook and report each exercise's self-check."
    )
    parser.add_argument("notebook", type=Path, help="the learner's notebook (.ipynb)")
    parser.add_argument(
        "--against", type=Path, help="the student copy it came from: report check cells that were deleted"
    )
    parser.add_argument("--timeout", type=float, default=120, help="seconds allowed per cell (default 120)")
    args = parser.parse_args(argv)
    if NotebookClient is None:
        print("Checking a notebook needs nbclient and nbformat: pip install nbclient nbformat")
        return 2
    if not args.notebook.is_file():
        print(f"{args.notebook}: no such file. Give the path of the notebook to check.")
        return 2
    if args.against is not None and not args.against.is_file():
        print(f"{args.against}: no such file. Give --against the path of the student copy it was made from.")
        return 2
    try:
        notebook = run_notebook(args.notebook, args.timeout)
    except (nbformat.reader.NotJSONError, nbformat.ValidationError, ValueError, KeyError) as error:
        print(
            f"{args.notebook}: cannot be read as a Jupyter notebook ({type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''}). Save it from Jupyter as .ipynb and try again."
        )
        return 2
    except Exception as error:  # the kernel died or a cell ran past the timeout
        print(
            f"{args.notebook}: the notebook stopped running: {type(error).__name__}: "
            f"{(str(error).strip().splitlines() or [''])[-1]}"
        )
        return 2
    rows, problems = exercise_rows(notebook)
    if args.against is not None:
        rows = _against(rows, notebook, args.against)
    print(f"{args.notebook.name}:")
    for problem in problems:
        print(problem)
    if not rows:
        print("no exercises found: no cell is tagged 'exercise' or 'solution' and no cell calls a check_ function.")
        return 1
    print(format_table(rows))
    failed = sum(not passed for _, passed, _ in rows)
    print(f"{len(rows) - failed} of {len(rows)} exercise(s) passed.")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
