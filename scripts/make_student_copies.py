"""Write student copies of the notebooks: every worked solution replaced by a stub.

    uv run python scripts/make_student_copies.py           # notebooks/*.ipynb -> notebooks/student/
    uv run python scripts/make_student_copies.py --check   # exit 1 if notebooks/student/ is out of date

In a student copy, each solution cell (tagged ``solution``) becomes an exercise cell:
tagged ``exercise`` and ``exercise-N`` (N its number, which the checker reports), visible,
without stored outputs, holding a stub that raises
``NotImplementedError`` naming the exercise (and, for a write-code exercise, the function
to write and its signature). The check cell after it keeps its code but loses its stored
output (which would say "correct" before anything is written), so a learner writes the
function, runs the check cell and reads what is wrong. The one sentence of the
``## Exercises`` cell that says where the solutions are is replaced by one saying where to
write. Everything else is identical; two runs give identical files.

Run it after every change to a notebook (a test fails while the copies are out of date).
"""

import argparse
import ast
import copy
import re
import sys
from pathlib import Path

import nbformat

from rnn_helpers.grading import CHECK_CALL, EXERCISE_NUMBER

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
STUDENT = NOTEBOOKS / "student"

SOLUTION_TAG, EXERCISE_TAG = "solution", "exercise"
WHERE_SOLUTIONS_ARE = re.compile(
    r"Try each exercise before you open its solution:.*?\(click the three dots to open one\)\.", flags=re.S
)
WHERE_TO_WRITE = (
    "Write your answer in the cell below each exercise, in place of the line that raises "
    "`NotImplementedError`; then run the check cell after it, where there is one: it tells you "
    "whether your function is right and, if not, what is wrong."
)


def _is_solution(cell):
    return cell.cell_type == "code" and SOLUTION_TAG in cell.metadata.get("tags", [])


def _check_calls(cell):
    return CHECK_CALL.findall(cell.source) if cell is not None and cell.cell_type == "code" else []


def _function_to_write(solution_source, check_source):
    """``name(arguments)`` of the function the check cell uses, defined in the solution; or None."""
    try:
        tree = ast.parse(solution_source)
    except SyntaxError:
        return None
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    used = [node for node in functions if re.search(rf"\b{re.escape(node.name)}\b", check_source)]
    chosen = (used or functions or [None])[0]
    return None if chosen is None else f"{chosen.name}({ast.unparse(chosen.args)})"


def stub_source(number, solution_source, check_cell=None):
    """The code of the exercise cell that replaces the solution to exercise ``number``."""
    checks = _check_calls(check_cell)
    function = _function_to_write(solution_source, check_cell.source if checks else "")
    name = f"Exercise {number}"
    if function and checks:
        comment = (
            f"# {name}: replace these lines with your function\n"
            f"#     def {function}:\n"
            f"#         ...\n"
            f"# then run the check cell below.\n"
        )
        message = f"{name}: write {function} in this cell, then run the check cell below ({checks[0]})."
    elif checks:
        comment = f"# {name}: replace these lines with your code, then run the check cell below.\n"
        message = f"{name}: write your code in this cell, then run the check cell below ({checks[0]})."
    else:
        comment = (
            f"# {name}: replace these lines with your code. There is no self-check for this\n"
            f"# exercise: discuss your answer with your instructor or compare with a classmate.\n"
        )
        message = (
            f"{name}: write your code in this cell. There is no self-check for this exercise: "
            "discuss your answer with your instructor or compare with a classmate."
        )
    return f"{comment}raise NotImplementedError({message!r})"


def student_copy(notebook):
    """A copy of ``notebook`` with every solution cell replaced by an exercise stub."""
    student = copy.deepcopy(notebook)
    count = 0
    for index, cell in enumerate(student.cells):
        if cell.cell_type == "markdown" and "## Exercises" in cell.source:
            cell.source = WHERE_SOLUTIONS_ARE.sub(WHERE_TO_WRITE, cell.source)
        if not _is_solution(cell):
            continue
        count += 1
        first_line = cell.source.splitlines()[0] if cell.source else ""
        match = EXERCISE_NUMBER.search(first_line)
        number = int(match.group(1)) if match else count
        following = student.cells[index + 1] if index + 1 < len(student.cells) else None
        cell.source = stub_source(number, cell.source, following)
        tags = [tag for tag in cell.metadata.get("tags", []) if tag != SOLUTION_TAG]
        tags = [EXERCISE_TAG, f"{EXERCISE_TAG}-{number}", *tags]  # the number survives the learner's edits
        cell.metadata = nbformat.NotebookNode(
            {key: value for key, value in cell.metadata.items() if key not in ("jupyter", "tags")}
        )
        cell.metadata["tags"] = tags
        cell.outputs = []
        cell.execution_count = None
        if _check_calls(following):
            following.outputs = []
            following.execution_count = None
    return student


def student_text(path):
    """The text of the student copy of the notebook at ``path``."""
    return nbformat.writes(student_copy(nbformat.read(path, as_version=4))) + "\n"


def sources():
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def out_of_date(student_dir=STUDENT):
    """What differs between ``student_dir`` and fresh copies: a list of file names with the reason."""
    problems = []
    for path in sources():
        target = student_dir / path.name
        if not target.is_file():
            problems.append(f"{target.name}: missing")
        elif target.read_text(encoding="utf-8") != student_text(path):
            problems.append(f"{target.name}: out of date")
    expected = {path.name for path in sources()}
    problems += [
        f"{path.name}: no such notebook in {NOTEBOOKS.name}/ any more"
        for path in sorted(student_dir.glob("*.ipynb"))
        if path.name not in expected
    ]
    return problems


def write_copies(student_dir=STUDENT):
    """Write every student copy into ``student_dir`` and remove copies of notebooks that are gone."""
    student_dir.mkdir(parents=True, exist_ok=True)
    names = set()
    for path in sources():
        (student_dir / path.name).write_text(student_text(path), encoding="utf-8")
        names.add(path.name)
    for stale in student_dir.glob("*.ipynb"):
        if stale.name not in names:
            stale.unlink()
    return sorted(names)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether the copies are up to date")
    args = parser.parse_args(argv)
    if args.check:
        problems = out_of_date()
        for problem in problems:
            print(problem)
        print("student copies are up to date" if not problems else "run: uv run python scripts/make_student_copies.py")
        return 1 if problems else 0
    names = write_copies()
    print(f"wrote {len(names)} student copies to {STUDENT.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
