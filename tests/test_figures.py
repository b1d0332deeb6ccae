"""The figure guard (tests/notebook_guard.py) fails on a broken plot and passes a faithful one."""

import io
import os
import subprocess
import sys
from pathlib import Path

import matplotlib
import nbformat
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from notebook_guard import (  # noqa: E402
    FIGURE_RMS_TOLERANCE, FigureMismatch, compare_pngs, stored_pngs, why_not_comparable)

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS.parent / "scripts"))
from run_notebooks import execute  # noqa: E402


def draw(lines=("tmax", "tmin"), size=(5, 3)):
    """The PNG of a small two-line plot, as the notebooks draw them."""
    days = range(30)
    figure = plt.figure(figsize=size)
    if "tmax" in lines:
        plt.plot(days, [50 + day % 7 for day in days], label="tmax")
    if "tmin" in lines:
        plt.plot(days, [40 + day % 5 for day in days], label="tmin")
    plt.xlabel("day")
    plt.ylabel("temperature (°F)")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=72)
    plt.close(figure)
    return buffer.getvalue()


def test_the_same_figure_passes():
    assert compare_pngs(draw(), draw()) is None


def test_a_removed_line_fails_with_its_rms_difference(tmp_path):
    rms = compare_pngs(draw(), draw(lines=("tmax",)), keep_dir=tmp_path)
    assert rms is not None and rms > FIGURE_RMS_TOLERANCE
    assert (tmp_path / "fresh-failed-diff.png").exists(), "matplotlib's difference image is kept"


def test_a_resized_figure_fails():
    with pytest.raises(FigureMismatch, match="pixels"):
        compare_pngs(draw(), draw(size=(6, 3)))


def test_figures_from_another_matplotlib_release_are_not_compared():
    from PIL import Image, PngImagePlugin

    tag = PngImagePlugin.PngInfo()
    tag.add_text("Software", "Matplotlib version3.0.0, https://matplotlib.org/")
    buffer = io.BytesIO()
    Image.open(io.BytesIO(draw())).save(buffer, format="png", pnginfo=tag)
    assert why_not_comparable(draw(), draw()) is None
    assert "3.0.0" in why_not_comparable(buffer.getvalue(), draw())


def test_nbval_fails_a_notebook_whose_plot_lost_a_line(tmp_path):
    """02's tanh plot, stored as 02 stores it, re-run by nbval without its thin zero line.

    (That the stored notebooks themselves pass is shown by the suite: the browser test's
    Run All judged by nbval's rules, or nbval's own run without a browser.)
    """
    source = nbformat.read(TESTS.parent / "notebooks" / "02_tanh_forward.ipynb", as_version=4)
    plot = next(cell for cell in source.cells if cell.cell_type == "code" and "ax.axhline(0" in cell.source)
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nimport numpy as np"), plot])
    nbformat.write(notebook, tmp_path / "planted.ipynb")
    if why_not_comparable(stored_pngs(plot.outputs)[0], draw()) is not None:
        # Another matplotlib release drew 02's figures: store this one's drawing first.
        notebook = execute(tmp_path / "planted.ipynb")
        assert stored_pngs(notebook.cells[1].outputs)
    notebook.cells[1].source = "\n".join(line for line in plot.source.splitlines() if "ax.axhline(0" not in line)
    nbformat.write(notebook, tmp_path / "planted.ipynb")
    # The project's warning filters (pyproject.toml): errors, except old matplotlib
    # releases calling names that newer pyparsing deprecates.
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nfilterwarnings =\n    error\n    ignore::DeprecationWarning:matplotlib.*\n")

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(tmp_path / "pytest.ini"), "-p", "no:cacheprovider",
         "-p", "notebook_guard", "--nbval", "--nbval-current-env", "-q", "planted.ipynb"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])))
    assert "1 failed, 1 passed" in run.stdout, run.stdout
    assert "planted.ipynb: the figures differ from the stored ones: cell 1 (nbval's Cell 1), figure 1: " \
           "RMS difference" in run.stdout, run.stdout
