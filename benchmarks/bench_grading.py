"""Grading a class: 5 learners × the 6 student copies, graded as a folder, timed.

    uv run python benchmarks/bench_grading.py             # updates its section of benchmarks/RESULTS.md
    uv run python benchmarks/bench_grading.py --quick     # prints the figures without writing RESULTS.md
    uv run python benchmarks/bench_grading.py --copies 7  # the first 7 student copies (default 6: 01-06)

Each learner hands in the first six notebooks of ``notebooks/student/``. Their write-code
exercises hold the worked solutions of the full notebooks, renamed back to ``my_…``,
or the stubs as handed out:

- ``solved``: every exercise written; a sentence under each discussion exercise;
- ``first-half``: the first write-code exercise of each notebook, the rest left as stubs;
- ``second-half``: the others;
- ``stubs``: the copies as handed out;
- ``one-wrong``: every exercise written, the schedule one step ahead.

The command is the one in the instructor's guide, two notebooks at a time; no cell hangs.
The figure is its wall time, beside the CPU seconds of the grader, its workers and the
kernels, and the machine's load average before and after.
"""

import argparse
import csv
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from results import RESULTS, write_section

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
STUDENT = NOTEBOOKS / "student"
SECTION = "## Grading a class"
DEF = re.compile(r"^def (solution_\w+)\(", flags=re.M)


def worked_solutions():
    """``{my_name: code}``: each full notebook's solution function, renamed to the learner's name."""
    solutions = {}
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if "solution" not in cell.metadata.get("tags", []) or not DEF.search(cell.source):
                continue
            lines = cell.source.splitlines()[1:]  # without "# Solution to exercise N"
            while lines and (not lines[-1].strip() or lines[-1].startswith("check_")):
                lines.pop()
            code = "\n".join(lines).replace("solution_", "my_") + "\n"
            solutions[DEF.search(cell.source).group(1).replace("solution_", "my_")] = code
    return solutions


def _defined(cell):
    found = re.match(r"def (my_\w+)\(", cell.source)
    return found.group(1) if found else None


def learner_copy(path, profile, solutions):
    """The student copy at ``path`` as the learner of ``profile`` hands it in."""
    notebook = nbformat.read(path, as_version=4)
    exercises = [cell for cell in notebook.cells if "exercise" in cell.metadata.get("tags", [])]
    to_write = [cell for cell in exercises if _defined(cell) in solutions]
    for position, cell in enumerate(to_write):
        wanted = {
            "solved": True,
            "one-wrong": True,
            "first-half": position == 0,
            "second-half": position > 0,
            "stubs": False,
        }[profile]
        if wanted:
            cell.source = solutions[_defined(cell)]
            if profile == "one-wrong" and _defined(cell) == "my_schedule":
                cell.source = cell.source.replace("step / total_steps", "(step + 1) / total_steps")
    if profile in ("solved", "one-wrong"):
        for cell in exercises:
            if cell.source.startswith("# Exercise") and "your code here" in cell.source:
                cell.source += "# What I saw: the numbers change as the text says, because of the step above.\n"
    return notebook


PROFILES = ("solved", "first-half", "second-half", "stubs", "one-wrong")


def build_class(folder, copies=6):
    """Write one sub-folder per learner into ``folder``, each with the first ``copies`` student copies.

    Returns the number of notebooks written.
    """
    solutions = worked_solutions()
    count = 0
    for number, profile in enumerate(PROFILES, start=1):
        learner = folder / f"learner{number}-{profile}"
        learner.mkdir(parents=True)
        for path in sorted(STUDENT.glob("*.ipynb"))[:copies]:
            nbformat.write(learner_copy(path, profile, solutions), learner / path.name)
            count += 1
    return count


def grade_class(folder, against, grades):
    """Run the grader on ``folder``; return ``(wall s, CPU s, exit code, stdout)``."""
    command = [sys.executable, "-m", "rnn_helpers.checks", str(folder), "--against", str(against), "--jobs", "2"]
    command += ["--csv", str(grades)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=folder)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.stderr.strip():
        print(f"the grader wrote to stderr:\n{done.stderr}", file=sys.stderr)
    return wall, cpu, done.returncode, done.stdout


def section(notebooks, wall, cpu, loads, points, rows):
    cores = os.cpu_count()
    return f"""{SECTION}

Machine: {platform.machine()}, {cores} cores, Linux; Python {platform.python_version()}. The machine was shared with
other work: load average {loads[0]:.1f} before and {loads[1]:.1f} after (1-minute figures, {cores} cores).

`uv run python benchmarks/bench_grading.py` builds {notebooks} submissions, 5 learners × the
{notebooks // 5} student copies (worked solutions pasted in for some exercises, stubs left for
others, nothing that hangs), and grades them with the instructor's command,
`python -m rnn_helpers.checks FOLDER --against COPIES --csv grades.csv`, where COPIES holds
those {notebooks // 5} student copies, two notebooks at a time.

| | |
|---|---:|
| wall time, the whole command | **{wall:.0f} s** |
| CPU time: the grader, its two workers and the {notebooks} kernels | {cpu:.0f} s |
| CSV rows (learner × exercise) | {rows} |

Points per learner (write-code exercises passed): {points}.
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="print the figures without writing RESULTS.md")
    parser.add_argument("--copies", type=int, default=6, help="student copies per learner (default 6)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "submissions"
        notebooks = build_class(folder, args.copies)
        against = Path(scratch) / "student"  # the copies handed out, and only those
        against.mkdir()
        for path in sorted(STUDENT.glob("*.ipynb"))[: args.copies]:
            shutil.copy(path, against / path.name)
        grades = Path(scratch) / "grades.csv"
        load_before = os.getloadavg()[0]
        wall, cpu, code, printed = grade_class(folder, against, grades)
        load_after = os.getloadavg()[0]
        with open(grades, newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
    print(printed)
    points = {}
    for row in rows:
        scored = "discussion" not in row["exercise"]
        passed, total = points.get(row["learner"], (0, 0))
        points[row["learner"]] = (passed + (row["result"] == "passed"), total + scored)
    summary = ", ".join(f"{name} {passed}/{total}" for name, (passed, total) in sorted(points.items()))
    for row in rows:  # the worked solutions pass: anything else is worth a look
        if row["learner"].endswith("-solved") and row["result"] not in ("passed", "to read"):
            print(f"{row['learner']} {row['notebook']} {row['exercise']}: {row['result']}: {row['message']}")
    print(f"{notebooks} notebooks graded in {wall:.1f} s wall, {cpu:.1f} s CPU (exit {code}); ", end="")
    print(f"load average {load_before:.1f} before, {load_after:.1f} after; {len(rows)} CSV rows")
    if not args.quick:
        write_section(SECTION, section(notebooks, wall, cpu, (load_before, load_after), summary, len(rows)))
        print(f"updated {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
