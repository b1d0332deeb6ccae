"""The stored notebooks are complete and stable, and regeneration never half-writes one.

nbval itself (enabled in pyproject.toml) re-runs every notebook and compares outputs.
"""

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
sys.path.insert(0, str(ROOT / "scripts"))
from run_notebooks import regenerate  # noqa: E402


def test_the_series_is_complete():
    assert [path.stem for path in NOTEBOOKS] == [
        "01_relu_toy", "02_tanh_forward", "03_manual_backprop", "04_bptt_loop", "05_full_training"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_stored_outputs_are_complete_and_stable(path):
    notebook = json.loads(path.read_text())
    code_cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert [cell["execution_count"] for cell in code_cells] == list(range(1, len(code_cells) + 1)), \
        "cells out of execution order or not executed: regenerate the notebook"
    outputs = [output for cell in code_cells for output in cell["outputs"]]
    assert outputs, "no stored outputs"
    assert not [o for o in outputs if o["output_type"] == "error"], "a stored error output"
    assert not [o for o in outputs if o.get("name") == "stderr"], "stderr (a warning?) in a stored output"
    text = json.dumps(outputs)
    assert not re.search(r" at 0x[0-9a-f]+", text), "a memory address in a stored output"
    assert "np.float64(" not in text, "a bare NumPy scalar repr: print formatted values"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_every_notebook_has_solutions_and_checks_against_the_helpers(path):
    notebook = nbformat.read(path, as_version=4)
    sources = "\n".join(cell.source for cell in notebook.cells)
    assert "What you will learn" in sources and "## Recap" in sources and "## Exercises" in sources
    assert any("solution" in cell.metadata.get("tags", []) for cell in notebook.cells)
    assert "from rnn_helpers" in sources
    assert "assert_allclose" in sources or "assert " in sources


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_markdown_cells_read_as_prose_not_as_a_page_of_headings(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            lines = cell.source.splitlines()
            headings = [line for line in lines if line.startswith("#")]
            comment_style = [line for line in headings if not re.match(r"#{1,4} [^\s#*$-]", line)
                             or re.match(r"# \d+\.", line)]
            assert not comment_style and len(headings) <= 2, \
                f"markdown cell starting {lines[0]!r}: lines {comment_style or headings} render as headings"


def test_a_failing_notebook_is_left_byte_identical(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("print('first cell runs')"),
        nbformat.v4.new_code_cell("raise RuntimeError('broken on purpose')"),
    ])
    path = tmp_path / "broken.ipynb"
    nbformat.write(notebook, path)
    before = path.read_bytes()
    with pytest.raises(Exception, match="broken on purpose"):
        regenerate(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.ipynb"]


def test_a_warning_refuses_to_store(tmp_path):
    path = tmp_path / "warns.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import warnings; warnings.warn('unstable text')")]), path)
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="wrote to stderr"):
        regenerate(path)
    assert path.read_bytes() == before


def test_regeneration_stores_outputs_and_drops_timing(tmp_path):
    path = tmp_path / "ok.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")]), path)
    regenerate(path)
    stored = nbformat.read(path, as_version=4)
    assert stored.cells[0].outputs[0].text == "42\n"
    assert "execution" not in stored.cells[0].metadata
