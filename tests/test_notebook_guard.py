"""One execution per notebook: nbval hands the browser test its cells, which judges them as nbval would.

``tests/notebook_guard.py`` takes nbval's cells of every notebook the browser test runs;
the browser test then compares its Run All's outputs with the stored ones through
``compare_with_stored``. These tests collect small notebooks with nbval in a pytest
session of their own (``pytester``) and check both halves without a browser.
"""

import base64
import copy
import textwrap
from types import SimpleNamespace

import nbformat
import pytest
import test_browser
from test_figures import draw

from notebook_guard import HANDED_OVER, compare_with_stored, why_not_comparable


def png_output(png):
    return nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(png).decode(),
                                                        "text/plain": "<Figure size 500x300 with 1 Axes>"})


def small_notebook():
    """Four cells as the series stores them: text, text nbval must not check, markdown, a figure."""
    printed = nbformat.v4.new_code_cell("print(f'{1 / 3:.4f}')\nprint('done')", execution_count=1, outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="0.3333\n"),
        nbformat.v4.new_output("stream", name="stdout", text="done\n")])
    ignored = nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT\nprint(id(object()))", execution_count=2,
                                        outputs=[nbformat.v4.new_output("stream", name="stdout", text="1234\n")])
    figure = nbformat.v4.new_code_cell("plot()", execution_count=3, outputs=[png_output(draw())])
    return nbformat.v4.new_notebook(cells=[printed, ignored, nbformat.v4.new_markdown_cell("# The end"), figure])


def nbval_cells(pytester, notebook, *options):
    nbformat.write(notebook, pytester.path / "small.ipynb")
    items, _ = pytester.inline_genitems("-p", "notebook_guard", "--nbval", "-p", "no:cacheprovider",
                                        *options, "small.ipynb")
    return items


def stored_outputs(notebook):
    return [[dict(output) for output in cell.get("outputs", [])] if cell.cell_type == "code" else None
            for cell in notebook.cells]


def test_a_faithful_run_passes_and_the_stored_notebook_is_not_changed(pytester):
    notebook = small_notebook()
    cells = nbval_cells(pytester, notebook)
    assert [cell.name for cell in cells] == ["Cell 0", "Cell 1", "Cell 2"]
    stored_before = copy.deepcopy(cells[0].parent.nb)
    fresh = stored_outputs(notebook)
    fresh[0] = [{"output_type": "stream", "name": "stdout", "text": ["0.3333\n", "do"]},  # as a browser may
                {"output_type": "stream", "name": "stdout", "text": "ne\n"}]             # hold the same text
    assert compare_with_stored(cells, fresh, []) == []
    assert cells[0].parent.nb == stored_before, "judging a run must not change the stored notebook"


def test_a_missing_or_an_extra_output_fails(pytester):
    notebook = small_notebook()
    cells = nbval_cells(pytester, notebook)
    fresh = stored_outputs(notebook)
    fresh[0] = []
    [problem] = compare_with_stored(cells, fresh, [])
    assert "cell 0 (nbval's Cell 0)" in problem and "Missing output fields" in problem
    fresh = stored_outputs(notebook)
    fresh[0].append(nbformat.v4.new_output("execute_result", data={"text/plain": "42"}, execution_count=1))
    [problem] = compare_with_stored(cells, fresh, [])
    assert "Unexpected output fields" in problem


def test_a_stored_cell_never_run_but_with_outputs_fails(pytester):
    notebook = small_notebook()
    notebook.cells[0].execution_count = None
    cells = nbval_cells(pytester, notebook)
    [problem] = compare_with_stored(cells, stored_outputs(notebook), [])
    assert problem == "cell 0 (nbval's Cell 0): the stored cell was never run but has outputs"


def test_changed_text_fails_with_nbvals_diff_and_ignored_output_does_not(pytester):
    notebook = small_notebook()
    cells = nbval_cells(pytester, notebook, "--color=no")
    fresh = stored_outputs(notebook)
    fresh[1][0]["text"] = "5678\n"           # NBVAL_IGNORE_OUTPUT: not compared
    assert compare_with_stored(cells, fresh, []) == []
    fresh[0][0]["text"] = "0.3334\n"
    [problem] = compare_with_stored(cells, fresh, [])
    assert problem.startswith("cell 0 (nbval's Cell 0): the outputs differ from the stored ones")
    assert "mismatch 'stdout'" in problem and "0.3333" in problem and "0.3334" in problem


def test_a_plot_that_lost_a_line_or_its_figure_fails(pytester):
    notebook = small_notebook()
    if why_not_comparable(draw(), draw()) is not None:
        pytest.skip(f"figures are not compared with this matplotlib: {why_not_comparable(draw(), draw())}")
    cells = nbval_cells(pytester, notebook)
    fresh = stored_outputs(notebook)
    fresh[3] = [png_output(draw(lines=("tmax",)))]
    [problem] = compare_with_stored(cells, fresh, [])
    assert "cell 3 (nbval's Cell 2), figure 1: RMS difference" in problem
    fresh[3] = [nbformat.v4.new_output("display_data", data={"text/plain": "<Figure size 500x300 with 1 Axes>"})]
    [problem] = compare_with_stored(cells, fresh, [])
    assert "cell 3 (nbval's Cell 2) drew 0 figure(s); the notebook stores 1" in problem
    fresh[3] = []
    [problem] = compare_with_stored(cells, fresh, [])
    assert "Missing output fields from running code" in problem


def test_nbval_lax_and_skipped_cells_are_not_compared(pytester):
    notebook = small_notebook()
    notebook.cells[0].metadata["tags"] = ["nbval-skip"]
    fresh = stored_outputs(notebook)
    fresh[0] = []
    assert compare_with_stored(nbval_cells(pytester, notebook), fresh, []) == []
    notebook.cells[0].metadata["tags"] = []
    assert compare_with_stored(nbval_cells(pytester, notebook, "--nbval-lax"), fresh, []) == []
    assert len(compare_with_stored(nbval_cells(pytester, notebook), fresh, [])) == 1


BROWSER_TEST = textwrap.dedent("""
    from pathlib import Path

    import pytest

    WILL_RUN = {will_run}


    def browser_will_run():
        return WILL_RUN


    def runs_to_the_end(path):
        return {to_the_end}


    @pytest.mark.parametrize("path", [Path(__file__).parent / "small.ipynb"])
    def test_notebook_in_jupyterlab(path):
        pass
""")


@pytest.mark.parametrize(("will_run", "to_the_end", "printed", "options", "handed_over"), [
    (True, True, "0.3333\n", (), True),
    (False, True, "0.3333\n", (), False),                      # no Chromium: nbval runs the notebook
    (True, True, "0.3333\n", ("--nbval-own-kernel",), False),  # asked for: both run it
    (True, True, "0.3333\n", ("-k", "not jupyterlab"), False),  # the browser test deselected
    (True, False, "0.3333\n", (), False),                      # a student copy stops at its first exercise
    (True, True, "0.3\r0.3333\n", (), False),                  # JupyterLab would rewrite this text
])
def test_nbval_hands_over_only_the_notebooks_the_browser_test_runs(pytester, will_run, to_the_end, printed, options,
                                                                   handed_over):
    # (Not test_browser.py: this process may have imported the real one under that name.)
    pytester.makepyfile(test_stand_in_browser=BROWSER_TEST.format(will_run=will_run, to_the_end=to_the_end))
    notebook = small_notebook()
    notebook.cells[0].outputs[0].text = printed
    nbformat.write(notebook, pytester.path / "small.ipynb")
    _, recorder = pytester.inline_genitems("-p", "notebook_guard", "--nbval", "-p", "no:cacheprovider",
                                           *options, "test_stand_in_browser.py", "small.ipynb")
    names = [item.name for item in recorder.getcall("pytest_collection_finish").session.items]
    assert ("Cell 0" not in names) == handed_over
    deselected = [item.name for report in recorder.getcalls("pytest_deselected") for item in report.items]
    assert ("Cell 0" in deselected) == handed_over, "handed-over cells are reported as deselected"


def test_a_browser_test_that_cannot_run_fails_when_nbval_handed_it_cells(monkeypatch):
    monkeypatch.setattr(test_browser, "REQUIRE_BROWSER", False)
    config = SimpleNamespace(stash=pytest.Stash())
    with pytest.raises(pytest.skip.Exception):
        test_browser.skip_or_fail("No Chromium found.", config)
    config.stash[HANDED_OVER] = {"notebook.ipynb": ["a cell"]}
    with pytest.raises(pytest.fail.Exception, match="nbval handed this test its notebooks' cells"):
        test_browser.skip_or_fail("No Chromium found.", config)
