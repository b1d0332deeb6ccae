"""Write student copies of the notebooks: the worked solutions left out.

    uv run python scripts/make_student_copies.py           # notebooks/*.ipynb -> notebooks/student/
    uv run python scripts/make_student_copies.py --check   # exit 1 if notebooks/student/ is out of date

A full notebook already holds, under each exercise, the learner's cell (tagged
``exercise`` and ``exercise-N``, with a stub that raises ``NotImplementedError`` for a
write-code exercise) and the check cell, whose stored output says "not written yet".
A student copy drops the solution cells (tagged ``solution``) and says, in the
``## Exercises`` cell, that the teacher has the solutions. Everything else is
identical; two runs give identical files.

Run it after every change to a notebook (a test fails while the copies are out of date).
"""

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
STUDENT = NOTEBOOKS / "student"

SOLUTION_TAG = "solution"
WHERE_SOLUTIONS_ARE = re.compile(
    r"the solutions are in the collapsed\s+cells after it \(click the three dots to open one\)\."
)
NO_SOLUTIONS_HERE = "your teacher has the worked solutions."


def _is_solution(cell):
    return cell.cell_type == "code" and SOLUTION_TAG in cell.metadata.get("tags", [])


def student_copy(notebook):
    """A copy of ``notebook`` without its solution cells."""
    student = copy.deepcopy(notebook)
    student.cells = [cell for cell in student.cells if not _is_solution(cell)]
    for cell in student.cells:
        if cell.cell_type == "markdown" and "## Exercises" in cell.source:
            cell.source = WHERE_SOLUTIONS_ARE.sub(NO_SOLUTIONS_HERE, cell.source)
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
