"""The figure guard (tests/notebook_guard.py) fails on a broken plot and passes a faithful one."""

import base64
import io
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import nbformat
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from notebook_guard import (  # noqa: E402
    FIGURE_RMS_TOLERANCE,
    OutputMismatch,
    check_figures,
    compare_pngs,
    stored_pngs,
    why_not_comparable,
)

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


def png_output(png):
    return nbformat.v4.new_output(
        "display_data",
        data={"image/png": base64.b64encode(png).decode(), "text/plain": "<Figure size 500x300 with 1 Axes>"},
    )


def nbval_cell(stored, fresh, check=True):
    """A stand-in for nbval's cell after its run: ``stored`` and ``fresh`` outputs."""
    cell = nbformat.v4.new_code_cell("plot()", execution_count=1, outputs=stored)
    return SimpleNamespace(
        cell=cell,
        test_outputs=fresh,
        options={"check": check},
        cell_num=3,
        path=Path("small.ipynb"),
        user_properties=[],
    )


def test_the_same_figure_passes(tmp_path):
    assert compare_pngs(draw(), draw(), tmp_path) is None


def test_a_removed_line_fails_with_its_rms_difference(tmp_path):
    rms = compare_pngs(draw(), draw(lines=("tmax",)), tmp_path)
    assert rms is not None and rms > FIGURE_RMS_TOLERANCE
    assert (tmp_path / "fresh-failed-diff.png").exists(), "matplotlib's difference image is kept"


def test_a_resized_figure_fails(tmp_path):
    with pytest.raises(OutputMismatch, match="pixels"):
        compare_pngs(draw(), draw(size=(6, 3)), tmp_path)


def test_figures_from_another_matplotlib_release_are_not_compared():
    from PIL import Image, PngImagePlugin

    tag = PngImagePlugin.PngInfo()
    tag.add_text("Software", "Matplotlib version3.0.0, https://matplotlib.org/")
    buffer = io.BytesIO()
    Image.open(io.BytesIO(draw())).save(buffer, format="png", pnginfo=tag)
    assert why_not_comparable(draw(), draw()) is None
    assert "3.0.0" in why_not_comparable(buffer.getvalue(), draw())
    item = nbval_cell([png_output(buffer.getvalue())], [png_output(draw(lines=("tmax",)))])
    check_figures(item)
    assert item.user_properties == [("figure_not_compared", why_not_comparable(buffer.getvalue(), draw()))]


def test_a_cell_that_no_longer_draws_its_figure_fails():
    check_figures(nbval_cell([png_output(draw())], [png_output(draw())]))
    with pytest.raises(OutputMismatch, match=r"Cell 3 drew 0 figure\(s\); the notebook stores 1"):
        check_figures(nbval_cell([png_output(draw())], []))


def test_a_cell_nbval_does_not_check_is_not_compared_but_fails_on_stderr():
    check_figures(nbval_cell([png_output(draw())], [], check=False))
    warning = nbformat.v4.new_output("stream", name="stderr", text="UserWarning: the learner sees this\n")
    with pytest.raises(OutputMismatch, match="Cell 3 wrote to stderr:\nUserWarning: the learner sees this"):
        check_figures(nbval_cell([], [warning], check=False))


def test_nbval_fails_a_plot_that_lost_a_line_and_an_unchecked_cell_that_writes_to_stderr(tmp_path):
    """02's tanh plot, stored as 02 stores it, re-run by nbval without its thin zero line.

    (That the stored notebooks themselves pass is shown by nbval's run of them.)
    """
    source = nbformat.read(TESTS.parent / "notebooks" / "02_tanh_forward.ipynb", as_version=4)
    plot = next(cell for cell in source.cells if cell.cell_type == "code" and "ax.axhline(0" in cell.source)
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nimport numpy as np"), plot]
    )
    nbformat.write(notebook, tmp_path / "planted.ipynb")
    if why_not_comparable(stored_pngs(plot.outputs)[0], draw()) is not None:
        # Another matplotlib release drew 02's figures: store this one's drawing first.
        notebook = execute(tmp_path / "planted.ipynb")
        assert stored_pngs(notebook.cells[1].outputs)
    notebook.cells[1].source = "\n".join(line for line in plot.source.splitlines() if "ax.axhline(0" not in line)
    notebook.cells.append(
        nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT\nimport sys\nprint('a warning', file=sys.stderr)")
    )
    nbformat.write(notebook, tmp_path / "planted.ipynb")
    # The project's warning filters (pyproject.toml): errors, except old matplotlib
    # releases calling names that newer pyparsing deprecates.
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nfilterwarnings =\n    error\n    ignore::DeprecationWarning:matplotlib.*\n"
    )

    options = "-p no:cacheprovider -p notebook_guard --nbval --nbval-current-env -q".split()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(tmp_path / "pytest.ini"), *options, "planted.ipynb"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])),
    )
    assert "2 failed, 1 passed" in run.stdout, run.stdout
    assert "planted.ipynb: Cell 1, figure 1: RMS difference" in run.stdout, run.stdout
    assert "planted.ipynb: Cell 2 wrote to stderr:\na warning" in run.stdout, run.stdout
