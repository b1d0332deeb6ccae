"""Build the hand-out for learners: the student copies, the data and the package, without the answers.

    uv run python scripts/make_handout.py            # -> dist/rnn-from-scratch-handout.zip
    uv run python scripts/make_handout.py --out DIR  # the zip in another folder

The zip holds one folder, ``rnn-from-scratch-handout/``, with

- ``notebooks/``: every notebook of ``notebooks/student/`` (no solution cells);
- ``data/seattle_weather.csv``: the bundled data, for a look in a spreadsheet;
- the wheel of ``rnn_helpers`` (``uv build --wheel``), which carries the data too;
- ``README.txt``: how to install the wheel and open the notebooks.

The full notebooks, with the worked solutions, stay out. The script refuses to build
when the student copies are out of date, when a copy still holds a cell tagged
``solution``, or when the wheel holds a notebook.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
STUDENT = ROOT / "notebooks" / "student"
DATA = ROOT / "data" / "seattle_weather.csv"
NAME = "rnn-from-scratch-handout"

README = """RNN from Scratch: the notebooks

1. Install Python 3.11 or newer, then, in this folder:

       python -m venv .venv
       source .venv/bin/activate          (Windows: .venv\\Scripts\\activate)
       pip install "{wheel}[notebooks]"

2. Open the notebooks:

       jupyter lab notebooks/

3. Start with 01_relu_toy.ipynb. In each notebook run the cells from the top
   (Run > Run All Cells). A cell that runs too long is stopped with the square
   button in the toolbar, or Kernel > Interrupt Kernel.

Under each exercise, write your function in the cell that says so, then run the
check cell below it. It says "correct", or what is wrong and where.
"""


def solution_cells(path):
    """The indexes of the cells tagged ``solution`` in the notebook at ``path``."""
    notebook = nbformat.read(path, as_version=4)
    return [index for index, cell in enumerate(notebook.cells) if "solution" in cell.metadata.get("tags", [])]


def build_wheel(folder):
    """Build the wheel of the package into ``folder`` with ``uv build``; return its path."""
    subprocess.run(
        ["uv", "build", "--wheel", "--quiet", "--out-dir", str(folder), str(ROOT)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wheels = sorted(Path(folder).glob("*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"uv build wrote {len(wheels)} wheels to {folder}, expected one")
    return wheels[0]


def problems_with_copies():
    """What keeps the student copies from being handed out, as a list of lines."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_student_copies
    finally:
        sys.path.pop(0)
    problems = make_student_copies.out_of_date()
    for path in sorted(STUDENT.glob("*.ipynb")):
        if solution_cells(path):
            problems.append(f"{path.name}: holds solution cells")
    return problems


def make_handout(out_dir):
    """Write ``out_dir/rnn-from-scratch-handout.zip``; return its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{NAME}.zip"
    with tempfile.TemporaryDirectory() as scratch:
        wheel = build_wheel(scratch)
        with zipfile.ZipFile(wheel) as built:
            inside = [name for name in built.namelist() if name.endswith(".ipynb")]
        if inside:
            raise RuntimeError(f"the wheel holds notebooks: {inside}")
        partial = target.with_suffix(".zip.tmp")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as handout:
            handout.writestr(f"{NAME}/README.txt", README.format(wheel=wheel.name))
            for path in sorted(STUDENT.glob("*.ipynb")):
                handout.write(path, f"{NAME}/notebooks/{path.name}")
            handout.write(DATA, f"{NAME}/data/{DATA.name}")
            handout.write(wheel, f"{NAME}/{wheel.name}")
        shutil.move(partial, target)
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="folder for the zip (default: dist/)")
    args = parser.parse_args(argv)
    problems = problems_with_copies()
    if problems:
        for problem in problems:
            print(problem)
        print("not built: run `uv run python scripts/make_student_copies.py` first")
        return 1
    target = make_handout(args.out)
    with zipfile.ZipFile(target) as handout:
        names = handout.namelist()
    print(f"wrote {target} ({len(names)} files: {sum(name.endswith('.ipynb') for name in names)} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
