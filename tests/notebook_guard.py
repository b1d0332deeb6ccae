"""pytest plugin for the notebooks, loaded by ``-p notebook_guard`` (see pyproject.toml).

nbval re-runs every notebook and compares each cell's text outputs with the stored ones,
but it ignores images. After nbval has run a cell, this plugin compares every PNG the
cell drew with the PNG stored at the same place (matplotlib's ``compare_images``) and
fails the cell when the RMS difference (0-255 grey levels) exceeds
``FIGURE_RMS_TOLERANCE`` or the number or size of the figures changed, naming the cell,
the RMS difference and a folder with the stored, fresh and difference images. (Removing
the thin zero line of the tanh plot in ``02_tanh_forward`` gives 4.3.) Another
matplotlib release, or one on the system's FreeType, lays text out differently, so
figures are compared only when drawn by the release named in the stored PNG's
"Software" tag with the FreeType its wheels bundle (as ``uv.lock`` installs); elsewhere
the session ends with a note saying how many were not compared and why. A cell whose
output nbval does not check (``# NBVAL_IGNORE_OUTPUT``) is not compared, but fails if it
writes to stderr: a learner would see that.

A bare ``pytest`` (no file named, no ``-n``, no ``--pdb``) runs on ``-n auto --dist
loadfile`` (pytest-xdist): each file, so each notebook, whole on one worker, in the
order the root ``conftest.py`` gives.
"""

import base64
import io
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import pytest

FIGURE_RMS_TOLERANCE = 1.0


def pytest_load_initial_conftests(early_config, parser, args):  # noqa: ARG001 (hook signature)
    known, plugins = early_config.known_args_namespace, early_config.pluginmanager
    chosen = known.file_or_dir or getattr(known, "usepdb", False) or getattr(known, "numprocesses", None) is not None
    if not chosen and not known.collectonly and plugins.has_plugin("xdist") and "PYTEST_XDIST_WORKER" not in os.environ:
        args[:0] = ["--numprocesses=auto", "--dist=loadfile", "--no-loadscope-reorder"]


class OutputMismatch(AssertionError):
    """A cell's fresh output is not what the stored notebook shows."""


def stored_pngs(outputs):
    return [output["data"]["image/png"] for output in outputs if "image/png" in (output.get("data") or {})]


def png_bytes(data):
    return base64.b64decode(data) if isinstance(data, str) else bytes(data)


def png_info(data):
    """(width, height) and the "Software" tag matplotlib writes, e.g. 'Matplotlib version3.11.2, ...'."""
    from PIL import Image

    with Image.open(io.BytesIO(png_bytes(data))) as image:
        return image.size, (getattr(image, "text", None) or image.info).get("Software", "unknown software")


def compare_pngs(stored, fresh, keep_dir, tolerance=FIGURE_RMS_TOLERANCE):
    """RMS difference of two PNGs (bytes or base64), or None when within ``tolerance``; raises
    OutputMismatch when their sizes differ. Both and their difference image are left in ``keep_dir``."""
    from matplotlib.testing.compare import compare_images

    stored, fresh, folder = png_bytes(stored), png_bytes(fresh), Path(keep_dir)
    (stored_size, _), (fresh_size, _) = png_info(stored), png_info(fresh)
    if stored_size != fresh_size:
        raise OutputMismatch(
            f"the figure is {fresh_size[0]}x{fresh_size[1]} pixels, the stored one {stored_size[0]}x{stored_size[1]}"
        )
    (folder / "stored.png").write_bytes(stored)
    (folder / "fresh.png").write_bytes(fresh)
    result = compare_images(str(folder / "stored.png"), str(folder / "fresh.png"), tol=tolerance, in_decorator=True)
    return None if result is None else float(result["rms"])


def why_not_comparable(stored, fresh):
    """None when ``fresh`` was drawn exactly as ``stored`` was; else the reason it was not."""
    from matplotlib import ft2font

    (_, stored_by), (_, fresh_by) = png_info(stored), png_info(fresh)
    if stored_by != fresh_by:
        return f"drawn by {fresh_by!r}, stored from {stored_by!r}"
    if getattr(ft2font, "__freetype_build_type__", "local") != "local":
        return "this matplotlib uses the system's FreeType, not the one its wheels bundle"
    return None


def check_figures(item):
    """Compare the figures nbval's cell ``item`` drew (``item.test_outputs``) with the stored ones.

    Raises OutputMismatch; a figure that cannot be compared is noted in ``item.user_properties``.
    """
    fresh_outputs = item.test_outputs or []
    if not item.options.get("check", True):
        stderr = [output for output in fresh_outputs if output.get("name") == "stderr"]
        if stderr:
            raise OutputMismatch(f"Cell {item.cell_num} wrote to stderr:\n{stderr[0].get('text', '')[:1500]}")
        return
    if item.cell.get("execution_count") is None:
        return
    stored, fresh = stored_pngs(item.cell.get("outputs", [])), stored_pngs(fresh_outputs)
    where = f"Cell {item.cell_num}"
    if len(stored) != len(fresh):
        raise OutputMismatch(f"{where} drew {len(fresh)} figure(s); the notebook stores {len(stored)}")
    for number, (old, new) in enumerate(zip(stored, fresh), start=1):
        reason = why_not_comparable(old, new)
        if reason is not None:
            item.user_properties.append(("figure_not_compared", reason))
            continue
        keep = Path(tempfile.mkdtemp(prefix=f"figure-{item.path.stem}-cell{item.cell_num}-"))
        try:
            rms = compare_pngs(old, new, keep)
        except OutputMismatch as mismatch:
            raise OutputMismatch(f"{where}, figure {number}: {mismatch}") from None
        if rms is not None:
            raise OutputMismatch(
                f"{where}, figure {number}: RMS difference {rms:.2f} from the stored figure "
                f"(tolerance {FIGURE_RMS_TOLERANCE}); stored, fresh and difference images in {keep}"
            )
        shutil.rmtree(keep)


def is_nbval_cell(item):
    return type(item).__name__ == "IPyNbCell" and hasattr(item, "test_outputs")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    if is_nbval_cell(item):
        check_figures(item)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.excinfo is not None and isinstance(call.excinfo.value, OutputMismatch) and is_nbval_cell(item):
        report.longrepr = f"{item.path.name}: {call.excinfo.value}"
    return report


def pytest_terminal_summary(terminalreporter):
    reports = [report for key in ("passed", "failed") for report in terminalreporter.stats.get(key, [])]
    properties = [pair for report in reports if report.when == "call" for pair in report.user_properties]
    for reason, count in Counter(value for name, value in properties if name == "figure_not_compared").items():
        terminalreporter.write_line(f"notebook_guard: {count} figure(s) not compared with the stored ones: {reason}")
