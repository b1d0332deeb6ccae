"""pytest plugin for the notebooks, loaded by ``-p notebook_guard`` (see pyproject.toml).

Figures guarded. nbval re-runs every notebook and compares each cell's text outputs
with the stored ones, but it ignores images, so a broken plot (a wrong axis, a missing
line, an empty figure) would pass. After nbval has run a cell, this plugin compares
every PNG the cell drew with the PNG stored at the same place, using matplotlib's own
``matplotlib.testing.compare.compare_images``, and fails the cell when the RMS
difference (0-255 grey levels over all pixels) exceeds ``FIGURE_RMS_TOLERANCE``, or when
the number or the size of the figures changed. The message names the cell, the RMS
difference, and a folder holding the stored, the fresh and the difference image.
Cells whose output nbval does not check (``# NBVAL_IGNORE_OUTPUT``, ``--nbval-lax``) are
not compared either.

The tolerance: the same matplotlib draws the same pixels (RMS 0 on every stored
figure), while removing one line from a plot gives an RMS difference well above
``FIGURE_RMS_TOLERANCE``: 4.3 for the thin grey zero line of the tanh plot in
``02_tanh_forward``, 13.2 for its derivative curve (``tests/test_figures.py`` plants such
a change and proves the check fails on it). Another matplotlib release lays text out differently (RMS 21 on
the unrolled-network diagram and figures one pixel taller, matplotlib 3.9.0 against
3.11.2), and so may a matplotlib built on the system's FreeType. Figures are therefore
compared only where they are drawn exactly as the stored ones were: by the matplotlib
release named in the stored PNG (its "Software" tag), with the FreeType that
matplotlib's own wheels bundle, which is what ``uv.lock`` installs. Elsewhere (the
lowest-versions check in CI, a conda environment) nbval still checks the text and the
session ends with a note saying how many figures were not compared and why.

Each notebook runs once. When the browser test (``tests/test_browser.py``) will run a
notebook in JupyterLab in this session (Chromium found, the test not deselected), nbval's
cells of that notebook are taken from nbval (deselected there) and handed to the
browser test, which judges its "Restart Kernel and Run All Cells" as nbval judges its own
run: each cell's text by nbval's ``IPyNbCell.compare_outputs`` (with the cell's markers,
tags and ``--nbval-lax``/``--nbval-sanitize-with``), each figure as above
(``compare_with_stored``). Without a browser, or when only notebooks are named, nbval runs
them in its own kernel as usual; ``--nbval-own-kernel`` makes it do so in any case (every
notebook then runs twice). The session ends with a line saying how many cells were judged
on the browser's run. The browser run is stricter than nbval in two ways, on purpose: any
error or stderr output fails it (a learner would see it), and cells nbval skips still run
(a learner runs them too). Where JupyterLab would show printed text or displays
differently from what nbval compares (carriage returns, ``clear_output``, updated
displays, widget capture), nbval keeps that notebook and runs it itself.

It also lists, at the end of the session, how long each notebook took to run all its
cells in the browser (``tests/test_browser.py`` records it).

The whole suite in parallel. A bare ``pytest`` (no file or folder named, no ``-n``)
runs on ``-n auto --dist loadfile`` (pytest-xdist): one worker per core, each file (and
so each notebook, whose cells share one kernel) kept whole on one worker, the longest
files first (``pytest_collection_modifyitems``). Naming files,
``--pdb``, or ``-n 0`` runs in one process as usual.
"""

import base64
import copy
import io
import os
import tempfile
from collections import Counter
from pathlib import Path

import pytest

FIGURE_RMS_TOLERANCE = 1.0


def pytest_load_initial_conftests(early_config, parser, args):  # noqa: ARG001 (hook signature)
    known = early_config.known_args_namespace
    whole_suite = not known.file_or_dir and not getattr(known, "usepdb", False)
    if (whole_suite and early_config.pluginmanager.has_plugin("xdist")
            and getattr(known, "numprocesses", None) is None and "PYTEST_XDIST_WORKER" not in os.environ
            and not getattr(known, "collectonly", False)):
        args[:0] = ["--numprocesses=auto", "--dist=loadfile", "--no-loadscope-reorder"]


HANDED_OVER = pytest.StashKey[dict]()


def pytest_addoption(parser):
    parser.addoption(
        "--nbval-own-kernel", action="store_true",
        help="Also run the notebooks in nbval's own kernel when the browser test runs them "
             "(tests/test_browser.py compares their outputs otherwise; each notebook then runs twice).")


# Output that JupyterLab rewrites the way a terminal or a live page would, and nbval does not:
# carriage returns and backspaces in printed text, cleared or updated displays, widget capture.
REWRITTEN_OUTPUT = ("\r", "\b")
REWRITING_CALLS = ("clear_output", "display_id", "update_display", "widgets.Output", "Output(")


def judged_alike(cell):
    """Whether JupyterLab's outputs of nbval's ``cell`` can be judged as nbval judges its own."""
    printed = "".join(output.get("text", "") for output in cell.cell.get("outputs", [])
                      if output.get("output_type") == "stream")
    return not any(mark in printed for mark in REWRITTEN_OUTPUT) and \
        not any(call in cell.cell.source for call in REWRITING_CALLS)


def notebooks_run_in_browser(items):
    """The notebooks the browser test will run to the end in this session (resolved paths)."""
    runs = [item for item in items if getattr(item, "originalname", "") == "test_notebook_in_jupyterlab"]
    if not runs or not runs[0].module.browser_will_run():
        return set()
    return {Path(item.callspec.params["path"]).resolve() for item in runs
            if item.module.runs_to_the_end(item.callspec.params["path"])}


def hand_over_to_browser(config, items):
    """Take the cells of every notebook the browser test runs away from nbval's kernel.

    Each notebook is then executed once: JupyterLab's "Restart Kernel and Run All Cells"
    in the browser test, which compares every cell's outputs with the stored ones by
    nbval's own rules (``IPyNbCell.compare_outputs``, the cell's markers and tags) and
    every figure as below. Returns the cells taken, by notebook; ``--nbval-own-kernel``
    takes none. A notebook whose output JupyterLab would rewrite (``judged_alike``) stays
    with nbval, and so does a student copy (its Run All stops at the first exercise).
    """
    if config.getoption("nbval_own_kernel", False):
        return {}
    in_browser = notebooks_run_in_browser(items)
    handed = {}
    for item in items:
        if is_nbval_cell(item) and item.path.resolve() in in_browser:
            handed.setdefault(item.path.resolve(), []).append(item)
    handed = {path: cells for path, cells in handed.items() if all(judged_alike(cell) for cell in cells)}
    if handed:
        taken = {id(item) for cells in handed.values() for item in cells}
        config.hook.pytest_deselected(items=[item for item in items if id(item) in taken])
        items[:] = [item for item in items if id(item) not in taken]
        config.stash[HANDED_OVER] = handed
    return handed


@pytest.hookimpl(trylast=True)  # after -k and --deselect: only the browser runs that remain count
def pytest_collection_modifyitems(config, items):
    """Hand the browser test its notebooks' cells; then the order pytest-xdist hands out files in.

    Under ``--dist loadfile`` each file is one unit of work (a notebook's cells share one
    kernel, so they must stay on one worker). With ``--no-loadscope-reorder`` the files
    go out in this order: the browser test first (by far the longest file, it must not
    start last), then the notebooks, longest first, then the other test files.
    """
    hand_over_to_browser(config, items)
    cells = Counter(item.path for item in items)

    def order(item):
        if item.path.name == "test_browser.py":
            return (0, 0)
        if item.path.suffix == ".ipynb":
            return (1, -cells[item.path])
        return (2, 0)

    items.sort(key=order)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile``, but a worker gets its next file only when one test of its current one is left.

    pytest-xdist sends a worker the next file as soon as two tests of its current file
    are left. The browser test's last two notebooks take about 25 s, so the file it
    received that way waited behind them while the other worker ran out of work. A
    worker holds its last test until it knows what follows, so the next file is sent
    when one test is left.
    """
    from xdist.scheduler import LoadFileScheduling

    if config.getoption("dist") != "loadfile" or not hasattr(LoadFileScheduling, "_pending_of"):
        return None

    class LoadFileWithoutLookahead(LoadFileScheduling):
        def _reschedule(self, node):
            if node.shutting_down:
                return
            if not self.workqueue:
                node.shutdown()
            elif self._pending_of(self.assigned_work[node]) <= 1:
                self._assign_work_unit(node)

    return LoadFileWithoutLookahead(config, log)


class FigureMismatch(AssertionError):
    """A freshly drawn figure differs from the stored one."""


def stored_pngs(outputs):
    return [output["data"]["image/png"] for output in outputs
            if "image/png" in (output.get("data") or {})]


def png_bytes(data):
    return base64.b64decode(data) if isinstance(data, str) else bytes(data)


def png_size(data):
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.size


def compare_pngs(stored, fresh, tolerance=FIGURE_RMS_TOLERANCE, keep_dir=None):
    """RMS difference of two PNGs (bytes or base64), or None when within ``tolerance``.

    Raises FigureMismatch when the sizes differ. With ``keep_dir``, the two images and
    matplotlib's difference image are written there.
    """
    from matplotlib.testing.compare import compare_images

    stored, fresh = png_bytes(stored), png_bytes(fresh)
    if stored == fresh:
        return None
    stored_size, fresh_size = png_size(stored), png_size(fresh)
    if stored_size != fresh_size:
        raise FigureMismatch(f"the figure is {fresh_size[0]}x{fresh_size[1]} pixels, "
                             f"the stored one {stored_size[0]}x{stored_size[1]}")
    folder = Path(keep_dir) if keep_dir else Path(tempfile.mkdtemp(prefix="figure-compare-"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stored.png").write_bytes(stored)
    (folder / "fresh.png").write_bytes(fresh)
    result = compare_images(str(folder / "stored.png"), str(folder / "fresh.png"), tol=tolerance,
                            in_decorator=True)
    return None if result is None else float(result["rms"])


def drawn_by(png):
    """The "Software" tag matplotlib writes into a PNG, e.g. 'Matplotlib version3.11.2, ...'."""
    from PIL import Image

    with Image.open(io.BytesIO(png_bytes(png))) as image:
        return (getattr(image, "text", None) or image.info).get("Software", "unknown software")


def why_not_comparable(stored, fresh):
    """None when ``fresh`` was drawn exactly as ``stored`` was; else the reason it was not."""
    from matplotlib import ft2font

    if drawn_by(stored) != drawn_by(fresh):
        return f"drawn by {drawn_by(fresh)!r}, stored from {drawn_by(stored)!r}"
    if getattr(ft2font, "__freetype_build_type__", "local") != "local":
        return "this matplotlib uses the system's FreeType, not the one its wheels bundle"
    return None


def is_nbval_cell(item):
    return type(item).__name__ == "IPyNbCell" and hasattr(item, "test_outputs")


def cell_index(item):
    """The index of an nbval cell among all the cells of its notebook (markdown included)."""
    return next((number for number, cell in enumerate(item.parent.nb.cells) if cell is item.cell), None)


def check_figures(item, not_compared=None):
    """Compare the figures nbval's cell ``item`` drew (``item.test_outputs``) with the stored ones.

    Raises FigureMismatch; a figure that cannot be compared is recorded with its reason
    in ``not_compared`` (a list; by default the item's ``user_properties``).
    """
    options = getattr(item, "options", {}) or {}
    if not options.get("check", True) or item.cell.get("execution_count") is None:
        return
    record = item.user_properties if not_compared is None else not_compared
    stored, fresh = stored_pngs(item.cell.get("outputs", [])), stored_pngs(item.test_outputs or [])
    index = cell_index(item)
    where = f"cell {index} (nbval's Cell {item.cell_num})"
    if len(stored) != len(fresh):
        raise FigureMismatch(f"{where} drew {len(fresh)} figure(s); the notebook stores {len(stored)}")
    for number, (old, new) in enumerate(zip(stored, fresh), start=1):
        reason = why_not_comparable(old, new)
        if reason is not None:
            record.append(("figure_not_compared", reason))
            continue
        keep = Path(tempfile.mkdtemp(prefix=f"figure-{item.path.stem}-cell{index}-"))
        try:
            rms = compare_pngs(old, new, keep_dir=keep)
        except FigureMismatch as mismatch:
            raise FigureMismatch(f"{where}, figure {number}: {mismatch}") from None
        if rms is not None:
            raise FigureMismatch(
                f"{where}, figure {number}: RMS difference {rms:.2f} from the stored figure "
                f"(tolerance {FIGURE_RMS_TOLERANCE}); stored, fresh and difference images in {keep}")
        for leftover in keep.iterdir():
            leftover.unlink()
        keep.rmdir()


def compare_with_stored(cells, fresh_outputs, not_compared):
    """What differs between a fresh run and the stored outputs of one notebook's nbval ``cells``.

    ``fresh_outputs`` holds the outputs of every cell of the notebook, by index (as
    JupyterLab's cell models give them: nbformat output dicts). Each cell is judged as
    nbval judges it after running it: skipped, unchecked or never-run cells as nbval
    treats them, text by ``IPyNbCell.compare_outputs`` (streams coalesced), and figures by
    ``check_figures``. Returns a list of problems, one per cell that differs.
    """
    from nbval.plugin import coalesce_streams

    problems = []
    for parent in {id(item.parent): item.parent for item in cells}.values():
        parent.setup_sanitize_files()  # --nbval-sanitize-with, as nbval's own setup reads it
    for item in cells:
        if item.options.get("skip"):
            continue
        index = cell_index(item)
        where = f"cell {index} (nbval's Cell {item.cell_num})"
        if item.cell.get("execution_count") is None:
            if item.cell.get("outputs"):
                problems.append(f"{where}: the stored cell was never run but has outputs")
            continue
        fresh = coalesce_streams([nbformat_output(output) for output in fresh_outputs[index] or []])
        item.test_outputs = fresh
        if not item.options.get("check"):
            continue
        stored = coalesce_streams([nbformat_output(output) for output in item.cell.get("outputs", [])])
        if not item.compare_outputs(fresh, stored):
            problems.append(f"{where}: the outputs differ from the stored ones\n"
                            + "\n".join(item.comparison_traceback))
            continue
        try:
            check_figures(item, not_compared)
        except FigureMismatch as mismatch:
            problems.append(f"the figures differ from the stored ones: {mismatch}")
    return problems


def nbformat_output(output):
    """A copy of one output as an nbformat node, multi-line strings joined (as nbformat reads them)."""
    import nbformat

    def joined(value):
        return "".join(value) if isinstance(value, list) and all(isinstance(part, str) for part in value) else value

    output = copy.deepcopy(dict(output))
    if "text" in output:
        output["text"] = joined(output["text"])
    if isinstance(output.get("data"), dict):  # JSON data stays as it is, as nbformat keeps it
        output["data"] = {mime: value if mime == "application/json" or mime.endswith("+json") else joined(value)
                          for mime, value in output["data"].items()}
    return nbformat.from_dict(output)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    if is_nbval_cell(item):
        check_figures(item)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.excinfo is not None and isinstance(call.excinfo.value, FigureMismatch) and is_nbval_cell(item):
        report.longrepr = f"{item.path.name}: the figures differ from the stored ones: {call.excinfo.value}"
    return report


def pytest_terminal_summary(terminalreporter):
    rows, not_compared, compared = [], {}, []
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", []):
        if report.when != "call":
            continue
        for name, value in getattr(report, "user_properties", []):
            if name == "browser_run_all_seconds":
                rows.append((report.nodeid.split("[", 1)[-1].rstrip("]"), value))
            elif name == "figure_not_compared":
                not_compared[value] = not_compared.get(value, 0) + 1
            elif name == "nbval_cells_compared":
                compared.append(value)
    if compared:
        terminalreporter.write_line(
            f"notebook_guard: {len(compared)} notebook{'s' if len(compared) != 1 else ''} ran once, in "
            f"JupyterLab; the browser test judged their {sum(compared)} nbval cells on that run, as nbval "
            "would (--nbval-own-kernel also runs them in nbval's kernel)")
    for reason, count in not_compared.items():
        terminalreporter.write_line(f"notebook_guard: {count} figure(s) not compared with the stored ones: {reason}")
    if rows:
        terminalreporter.section("Run All in JupyterLab (Chromium), seconds per notebook")
        for name, seconds in sorted(rows):
            terminalreporter.write_line(f"{name:<32} {seconds:6.1f}")
