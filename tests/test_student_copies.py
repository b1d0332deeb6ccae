"""Student copies: in sync, the solutions left out, runnable to the end.

The copies are written by ``scripts/make_student_copies.py``; the grader that checks
a learner's copy, ``python -m rnn_helpers.checks``, is tested in ``tests/test_grading.py``.
"""

import sys
from pathlib import Path

import nbformat
import pytest

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


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.stem)
def test_a_copy_is_its_notebook_without_the_solutions(path):
    source = nbformat.read(path, as_version=4)
    student = nbformat.reads(maker.student_text(path), as_version=4)
    kept = [cell for cell in source.cells if "solution" not in cell.metadata.get("tags", [])]
    assert len(kept) < len(source.cells), "the notebook has solutions to leave out"
    assert len(student.cells) == len(kept)
    for copied, original in zip(student.cells, kept):
        if copied.cell_type == "markdown" and "## Exercises" in copied.source:
            assert "your teacher has the worked solutions" in copied.source
            assert "collapsed" not in copied.source
        else:
            assert copied == original
    stubs = [cell for cell in student.cells if "exercise" in cell.metadata.get("tags", [])]
    assert stubs and all("solution_" not in cell.source for cell in student.cells)


def test_a_student_copy_runs_to_the_end_and_each_check_says_not_written_yet(tmp_path):
    path = min(SOURCES, key=lambda source: len(nbformat.read(source, as_version=4).cells))
    student = nbformat.reads(maker.student_text(path), as_version=4)
    grading.execute_in_fresh_kernel(student, path.parent, timeout=60)
    checks = [cell for cell in student.cells if cell.cell_type == "code" and grading.CHECK_CALL.search(cell.source)]
    assert checks, f"{path.name} has no check cell"
    for cell in checks:
        printed = "".join(output.get("text", "") for output in cell.outputs)
        assert "not written yet: fill in `my_" in printed and "then run this cell again" in printed
    assert not any(output.output_type == "error" for cell in student.cells for output in cell.get("outputs", []))
