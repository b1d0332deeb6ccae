"""The notebooks in JupyterLab, as a learner sees them, driven in headless Chromium.

nbval proves that the stored outputs reproduce; it cannot see a page of headings, a
figure that does not render, LaTeX that MathJax rejects, a solution left open under its
exercise, or a slider that does nothing. This test starts ``jupyter lab`` on 127.0.0.1,
opens notebooks in Chromium (through Playwright) and checks:

- every notebook, opened without a kernel: its stored outputs render (each figure as an
  image, no error or stderr output), MathJax typesets every formula (no raw ``$...$``
  left, no MathJax error), markdown renders as prose (headings are a small share of the
  rendered blocks), and solution cells are collapsed (code and output), one opening
  with a click;
- a notebook with an interactive explorer (a cell tagged ``explorer``): its cells up to
  the explorer run without an error, and moving one slider redraws the figure;
- one student copy: "Restart Kernel and Run All" runs every cell to the end without an
  error or stderr output, and the check cell of each untouched exercise stub says "not
  written yet".

It uses the Chromium of the system (Debian/Ubuntu: ``apt-get install -y chromium``),
found on PATH or at the usual places, or the one named by ``RNN_CHROMIUM``. Without it
the test skips, unless ``RNN_REQUIRE_BROWSER=1`` (set by ``.ci/run``) turns the skip into
a failure. ``RNN_BROWSER_NOTEBOOKS`` points the test at another notebooks folder (to
show that planted defects fail it). On a failure a full-page screenshot is saved next to
the JUnit report (``--junitxml``), or in pytest's temporary folder, and the message says
where.
"""

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = Path(os.environ.get("RNN_BROWSER_NOTEBOOKS", ROOT / "notebooks")).resolve()
REQUIRE_BROWSER = os.environ.get("RNN_REQUIRE_BROWSER", "") not in ("", "0")
INSTALL_HINT = (
    "Install Chromium to run it: `sudo apt-get install -y chromium` on Debian/Ubuntu "
    "(or set RNN_CHROMIUM to the path of a Chromium or Chrome binary)."
)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
CHROMIUM_PLACES = (
    "/usr/bin/chromium",
    "/usr/lib/chromium/chromium",
    "/usr/bin/chromium-browser",
    "/snap/bin/chromium",
    "/usr/bin/google-chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)
RUN_TIMEOUT_S = 300
VIEWPORT = {"width": 1280, "height": 900}
HEADING_SHARE_MAX = 0.4  # of the rendered markdown blocks of a notebook (the series: 0.26-0.33)
HEADING_LENGTH_MAX = 90  # characters: longer "headings" are sentences stored with a '#'
SOLUTION_LINE = re.compile(r"# Solution\b")  # the first line, which a collapsed cell still shows
MATH = re.compile(r"\$\$.+?\$\$|\$[^$\s][^$]*?\$", re.S)


def tagged(notebook, tag):
    """The indices of the cells of ``notebook`` tagged ``tag``."""
    return [index for index, cell in enumerate(notebook.cells) if tag in cell.metadata.get("tags", [])]


def series():
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def cells_of(path):
    """The cells of a notebook, read as JSON (every pytest process collects this; nbformat validates slowly)."""
    return json.loads(Path(path).read_bytes())["cells"]


def explorers():
    """The notebooks with an interactive explorer (a cell tagged ``explorer``)."""
    return [path for path in series() if any("explorer" in cell["metadata"].get("tags", []) for cell in cells_of(path))]


def student_copy():
    """The shortest student copy, or none when there are no copies."""
    copies = sorted((NOTEBOOKS / "student").glob("*.ipynb"))
    return [min(copies, key=lambda path: len(cells_of(path)))] if copies else []


def find_chromium():
    named = os.environ.get("RNN_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return next((place for place in CHROMIUM_PLACES if Path(place).is_file()), None)


def skip_or_fail(reason):
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason} RNN_REQUIRE_BROWSER is set, so this is a failure, not a skip.", pytrace=False)
    pytest.skip(reason)


# ---------------------------------------------------------------------------- the server


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_lab_settings(settings_dir):
    """User settings for a quiet, deterministic JupyterLab that never writes a notebook."""
    settings = {
        # Every cell attached to the page, so that every cell can be inspected.
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
        # No "news" pop-up over the notebook, no request to the internet.
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }
    for plugin, values in settings.items():
        path = settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


class JupyterLab:
    """``jupyter lab`` from this environment on a free port of 127.0.0.1 with a random token."""

    def __init__(self, root_dir, state_dir):
        self.root_dir = root_dir
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.log_path = state_dir / "jupyterlab.log"
        write_lab_settings(state_dir / "settings")
        env = dict(
            os.environ,
            JUPYTERLAB_SETTINGS_DIR=str(state_dir / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(state_dir / "workspaces"),
            JUPYTER_CONFIG_DIR=str(state_dir / "config"),
        )
        command = [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={root_dir}",
            "--LabApp.expose_app_in_browser=True",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=root_dir)

    def wait_until_up(self, timeout=120):
        status = f"http://127.0.0.1:{self.port}/api/status?token={self.token}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited with code {self.process.returncode}; "
                    f"its log: {self.log_path}\n{self.log_path.read_text()[-3000:]}"
                )
            try:
                with urllib.request.urlopen(status, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.25)
        raise RuntimeError(f"jupyter lab did not answer /api/status within {timeout} s; log: {self.log_path}")

    def url(self):
        return f"http://127.0.0.1:{self.port}/lab/workspaces/test?reset&token={self.token}"

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="module")
def chromium_executable():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        skip_or_fail(f"playwright cannot be imported ({error}); it is in the project's `test` extra: uv sync.")
    found = find_chromium()
    if found is None:
        skip_or_fail(f"No Chromium found, so the notebooks were not checked in a browser. {INSTALL_HINT}")
    return found


@pytest.fixture(scope="module")
def lab(chromium_executable, tmp_path_factory):  # noqa: ARG001 (no server without a browser)
    """One JupyterLab for the module, serving a copy of the notebooks (so nothing is ever saved over them)."""
    state = tmp_path_factory.mktemp("jupyterlab")
    shutil.copytree(
        NOTEBOOKS, state / "served" / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    )
    server = JupyterLab(state / "served", state)  # it boots while Chromium starts
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def lab_page(chromium_executable, lab):
    """One JupyterLab page in headless Chromium for the module; each test opens its notebook in it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_executable, headless=True)
        try:
            lab.wait_until_up()
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(120_000)  # a busy machine is slow, not broken
            page.goto(lab.url())
            page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell")
            page.wait_for_selector(".jp-LabShell")
            yield page
        finally:
            browser.close()


@pytest.fixture
def open_notebook(lab, lab_page):
    """``open_notebook(path, kernel=False)``: the page with ``path`` open, and the notebook it shows.

    Opened as a double click in the file browser does, but without starting a kernel
    unless ``kernel`` is true; closed after the test, its kernel stopped.
    """

    def open_it(path, kernel=False):
        served = "notebooks/" + Path(path).relative_to(NOTEBOOKS).as_posix()
        no_kernel = {"shouldStart": False, "canStart": False}
        lab_page.evaluate(
            "async ([path, preference]) => { await window.jupyterapp.commands.execute('docmanager:open',"
            " {path, factory: 'Notebook', kernelPreference: preference || undefined}); }",
            [served, None if kernel else no_kernel],
        )
        lab_page.wait_for_function(
            """path => { const panel = window.jupyterapp.shell.currentWidget;
                return panel && panel.context && panel.context.path === path && panel.context.isReady
                    && document.querySelector('.jp-NotebookPanel .jp-Notebook .jp-Cell'); }""",
            arg=served,
        )
        if kernel:
            lab_page.wait_for_function(KERNEL_IDLE, polling=100)
        return lab_page, nbformat.read(lab.root_dir / served, as_version=4)

    yield open_it
    if lab_page.viewport_size != VIEWPORT:  # a failure's full-page screenshot changed it
        lab_page.set_viewport_size(VIEWPORT)
    lab_page.evaluate("""async () => { for (const widget of [...window.jupyterapp.shell.widgets('main')]) {
        if (widget.sessionContext && widget.sessionContext.session) await widget.sessionContext.shutdown();
        widget.dispose(); } }""")


@pytest.fixture
def screenshot_on_failure(request, tmp_path_factory):
    """``with screenshot_on_failure(page):`` saves a full-page screenshot if the block fails."""

    @contextlib.contextmanager
    def guard(page):
        try:
            yield
            return
        except (AssertionError, pytest.fail.Exception) as failure:
            message = str(failure)
        junit = request.config.getoption("xmlpath", None)
        folder = Path(junit).resolve().parent if junit else tmp_path_factory.getbasetemp() / "browser-screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{request.node.name}.png"
        try:
            full_page_screenshot(page, target)
            where = f"Full-page screenshot of what the browser showed: {target}"
        except Exception as error:  # the page may be gone
            where = f"(no screenshot: {error})"
        raise pytest.fail.Exception(f"{message}\n{where}", pytrace=False) from None

    return guard


def full_page_screenshot(page, target):
    """The whole notebook in one picture: a viewport as tall as the notebook (at most 16000 px)."""
    height = page.evaluate("""() => {
        const scroller = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
        return scroller ? scroller.scrollHeight : document.body.scrollHeight; }""")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(int(height) + 200, 16000)})
    page.wait_for_timeout(500)
    page.screenshot(path=str(target), full_page=True)


# --------------------------------------------------------------------- what the page shows

KERNEL_IDLE = """() => { const panel = window.jupyterapp.shell.currentWidget;
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    return kernel && kernel.status === 'idle'; }"""

# The code cells up to ``last``: how many, which have started since WATCH_EXECUTIONS, and
# which of those show an error.
RUN_PROGRESS = """last => {
    const panel = window.jupyterapp.shell.currentWidget;
    const cells = panel.content.widgets;
    const code = [...cells.keys()].filter(index => index <= last && cells[index].model.type === 'code'
                                                   && cells[index].model.sharedModel.getSource().trim());
    const started = code.filter(index => window.__cellsStarted.has(index));
    const errors = started.filter(index => {
        const outputs = cells[index].model.outputs;
        for (let k = 0; k < outputs.length; k++) if (outputs.get(k).type === 'error') return true;
        return false;
    });
    const running = code.filter(index => cells[index].model.executionState === 'running').length;
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    const status = kernel ? kernel.status : 'none';
    const done = status === 'idle' && !running && (started.length === code.length || errors.length > 0);
    return {code, started, errors, running, status, done};
}"""

WATCH_EXECUTIONS = """() => {
    window.__cellsStarted = new Set();
    window.jupyterapp.shell.currentWidget.content.widgets.forEach((cell, index) => {
        if (cell.model.type !== 'code') return;
        cell.model.stateChanged.connect((model, change) => {
            if (change.name === 'executionCount' && change.newValue !== null) window.__cellsStarted.add(index);
        });
    });
}"""

CELL_VIEW = """() => {
    const visible = element => !!element && element.offsetParent !== null
        && getComputedStyle(element).visibility !== 'hidden';
    const panel = window.jupyterapp.shell.currentWidget;
    return panel.content.widgets.map(widget => {
        const cell = widget.node;
        const markdown = cell.querySelector('.jp-RenderedMarkdown');
        const kinds = 'h1, h2, h3, h4, h5, h6, p, li, pre, table, blockquote';
        const blocks = markdown ? [...markdown.querySelectorAll(kinds)] : [];
        const headings = blocks.filter(block => /^H[1-6]$/.test(block.tagName));
        let prose = '';
        if (markdown) {
            const copy = markdown.cloneNode(true);
            copy.querySelectorAll('code, pre, mjx-container, script').forEach(node => node.remove());
            prose = copy.textContent;
        }
        const outputs = [...cell.querySelectorAll('.jp-OutputArea-output')];
        return {
            blocks: blocks.length,
            headings: headings.map(h => h.textContent.replace(/\\u00b6$/, '').trim()),
            math: cell.querySelectorAll('mjx-container').length,
            mathErrors: [...new Set([...cell.querySelectorAll('mjx-merror, [data-mjx-error]')].map(e =>
                e.getAttribute('data-mjx-error') || e.textContent))],
            prose,
            inputHidden: widget.inputHidden,
            outputHidden: widget.model.type === 'code' ? widget.outputHidden : false,
            inputCollapsed: visible(cell.querySelector('.jp-InputPlaceholder')),
            collapsedLine: (cell.querySelector('.jp-InputPlaceholder') || {textContent: ''}).textContent.trim(),
            inputVisible: visible(cell.querySelector('.jp-InputArea')),
            visibleOutputs: outputs.filter(visible).map(o => o.textContent.slice(0, 200)),
            stderr: [...cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
                .map(o => o.textContent.slice(0, 1500)),
            images: [...cell.querySelectorAll('.jp-OutputArea-output img')].map(img => ({
                loaded: img.complete && img.naturalWidth > 0, src: img.src.slice(-200)})),
            figureReprs: outputs.filter(o => /<Figure size|at 0x[0-9a-f]+>/.test(o.textContent)).length,
        };
    });
}"""

# Every figure loaded, and every markdown cell whose source has math typeset (or rejected) by MathJax.
SETTLED = """mathCells => {
    const cells = window.jupyterapp.shell.currentWidget.content.widgets;
    return [...document.querySelectorAll('.jp-OutputArea-output img')].every(img => img.complete)
        && mathCells.every(index => cells[index].node.querySelector('mjx-container, mjx-merror'));
}"""


def settled_view(page, notebook):
    """What each cell shows, once figures and formulas have rendered (or 60 s have passed)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    math_cells = [
        index for index, cell in enumerate(notebook.cells) if cell.cell_type == "markdown" and MATH.search(cell.source)
    ]
    with contextlib.suppress(PlaywrightTimeout):  # what did not render is reported by the checks
        page.wait_for_function(SETTLED, arg=math_cells, polling=100, timeout=60_000)
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    view = page.evaluate(CELL_VIEW)
    assert len(view) == len(notebook.cells), f"the page shows {len(view)} cells, the notebook has {len(notebook.cells)}"
    return view


def run_cells(page, start, last):
    """Start a run with ``start()`` and wait until the code cells up to ``last`` ran or one failed."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.evaluate(WATCH_EXECUTIONS)
    start()
    try:
        return page.wait_for_function(
            f"last => {{ const progress = ({RUN_PROGRESS})(last); return progress.done && progress; }}",
            arg=last,
            polling=200,
            timeout=RUN_TIMEOUT_S * 1000,
        ).json_value()
    except PlaywrightTimeout:
        pytest.fail(f"the run did not finish within {RUN_TIMEOUT_S} s: {page.evaluate(RUN_PROGRESS, last)}")


def restart_and_run_all(page):
    """Click "Restart the kernel and run all cells" and confirm, as a learner does."""
    page.click('.jp-NotebookPanel-toolbar [data-command="notebook:restart-run-all"]')
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()


def run_all_above(page, index):
    """Run the cells above ``index``, as "Run All Above Selected Cell" does."""
    page.evaluate(
        "index => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = index;"
        " return window.jupyterapp.commands.execute('notebook:run-all-above'); }",
        index,
    )


def check_outputs(view, notebook, cells):
    """Problems with what ``cells`` show: errors, stderr, figures missing or printed as text."""
    problems = []
    for index in cells:
        cell, stored = view[index], notebook.cells[index]
        problems += [f"cell {index} shows an error or stderr output:\n{text}" for text in cell["stderr"]]
        if cell["figureReprs"]:
            problems.append(f"cell {index} prints a figure's repr instead of (or next to) the figure")
        expected = sum("image/png" in output.get("data", {}) for output in stored.get("outputs", []))
        if len(cell["images"]) < expected:
            problems.append(
                f"cell {index}: the notebook stores {expected} figure(s), the page shows {len(cell['images'])}"
            )
        problems += [
            f"cell {index}: a figure did not render as an image ({image['src']})"
            for image in cell["images"]
            if not image["loaded"]
        ]
    return problems


def check_markdown(view, notebook):
    problems = []
    blocks = headings = 0
    for index, (cell, stored) in enumerate(zip(view, notebook.cells)):
        if stored.cell_type != "markdown":
            continue
        blocks += cell["blocks"]
        headings += len(cell["headings"])
        if len(cell["headings"]) >= 2 and len(cell["headings"]) * 2 > cell["blocks"]:
            problems.append(f"markdown cell {index} renders mostly as headings: {cell['headings'][:4]}")
        problems += [
            f"markdown cell {index}: a sentence renders as a heading: {heading[:80]!r}"
            for heading in cell["headings"]
            if len(heading) > HEADING_LENGTH_MAX
        ]
        problems += [f"markdown cell {index}: MathJax error {error!r}" for error in cell["mathErrors"]]
        raw = MATH.search(cell["prose"])
        if raw or MATH.search(stored.source) and not cell["math"] and not cell["mathErrors"]:
            problems.append(
                f"markdown cell {index} has LaTeX that was not typeset" + (f": {raw.group()[:80]!r}" if raw else "")
            )
    if blocks and headings / blocks > HEADING_SHARE_MAX:
        problems.append(
            f"{headings} of the {blocks} rendered markdown blocks are headings "
            f"(more than {HEADING_SHARE_MAX:.0%}): markdown stored as headings?"
        )
    return problems


def check_solutions_collapsed(view, notebook):
    """Solution cells with their code and output collapsed: nothing of the answer on show."""
    problems = []
    for index in tagged(notebook, "solution"):
        cell = view[index]
        if not cell["inputCollapsed"] or cell["inputVisible"] or not cell["inputHidden"]:
            problems.append(
                f"solution cell {index} shows its code (it must be collapsed: metadata.jupyter.source_hidden = true)"
            )
        elif not SOLUTION_LINE.match(cell["collapsedLine"]):
            problems.append(
                f"collapsed solution cell {index} shows {cell['collapsedLine'][:100]!r}; "
                "its first line must be a comment such as '# Solution to exercise N'"
            )
        if not cell["outputHidden"] or cell["visibleOutputs"]:
            problems.append(
                f"solution cell {index} has its output open "
                "(it must be collapsed: metadata.jupyter.outputs_hidden = true)"
            )
    return problems


def open_one_solution(page, notebook):
    """Click the collapsed first solution and see its code."""
    index = tagged(notebook, "solution")[0]
    cell = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(index)
    cell.locator(".jp-InputPlaceholder").click()
    first_line = notebook.cells[index].source.splitlines()[0]
    editor = cell.locator(".jp-InputArea .cm-content")
    editor.wait_for(state="visible")
    shown = editor.inner_text()
    assert first_line.strip() in shown, f"solution cell {index} opened, but shows {shown[:200]!r}"


def move_one_slider(page, index):
    """In the explorer cell ``index``: move its first slider one step; the figure must be redrawn."""
    cell = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(index)
    images = cell.locator(".jp-OutputArea-output img")
    images.first.wait_for(state="visible")
    before = images.first.get_attribute("src")
    handle = cell.locator(".widget-slider .noUi-handle, .widget-slider .ui-slider-handle").first
    handle.wait_for(state="visible")
    handle.focus()
    page.keyboard.press("ArrowRight")
    try:  # until the figure is redrawn, or an error shows
        page.wait_for_function(
            """([index, before]) => {
                const cell = window.jupyterapp.shell.currentWidget.content.widgets[index].node;
                const img = cell.querySelector('.jp-OutputArea-output img');
                return cell.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
                    || img && img.complete && img.naturalWidth > 0 && img.src !== before; }""",
            arg=[index, before],
        )
    except Exception as error:  # playwright's TimeoutError
        pytest.fail(f"explorer cell {index}: moving the slider did not redraw the figure ({error})")
    page.wait_for_function(KERNEL_IDLE, polling=100)
    errors = page.evaluate(CELL_VIEW)[index]["stderr"]
    assert not errors, f"explorer cell {index}: moving the slider raised an error:\n{errors[0]}"


def fail_on(problems, path):
    if problems:
        pytest.fail(f"{path.name} in JupyterLab:\n- " + "\n- ".join(problems), pytrace=False)


# ------------------------------------------------------------------------------ the tests
# The longest first: pytest-xdist sends this worker its next file while the last tests run.


@pytest.mark.parametrize("path", explorers(), ids=lambda path: path.stem)
def test_a_slider_of_the_explorer_redraws_its_figure(path, open_notebook, screenshot_on_failure):
    page, notebook = open_notebook(path, kernel=True)
    explorer = tagged(notebook, "explorer")[0]
    with screenshot_on_failure(page):
        progress = run_cells(page, lambda: run_all_above(page, explorer + 1), explorer)
        fail_on(check_outputs(settled_view(page, notebook), notebook, progress["started"]), path)
        assert progress["started"] == progress["code"], f"only cells {progress['started']} ran: {progress}"
        move_one_slider(page, explorer)


@pytest.mark.parametrize("path", student_copy(), ids=lambda path: f"student-{path.stem}")
def test_a_student_copy_runs_all_to_the_end(path, open_notebook, screenshot_on_failure):
    """Every cell runs without an error, and the check of each untouched stub says "not written yet"."""
    page, notebook = open_notebook(path, kernel=True)
    with screenshot_on_failure(page):
        progress = run_cells(page, lambda: restart_and_run_all(page), len(notebook.cells))
        view = settled_view(page, notebook)
        problems = check_outputs(view, notebook, progress["code"])
        if progress["started"] != progress["code"]:
            problems.append(f"Run All ran {len(progress['started'])} of the {len(progress['code'])} code cells")
        for stub in tagged(notebook, "exercise"):
            check = next((index for index in progress["code"] if index > stub), None)
            if (
                "NotImplementedError" in notebook.cells[stub].source
                and check is not None
                and not any("not written yet" in text for text in view[check]["visibleOutputs"])
            ):
                problems.append(
                    f"the check (cell {check}) of the untouched stub in cell {stub} shows "
                    f'{view[check]["visibleOutputs"]}, not "not written yet"'
                )
        fail_on(problems, path)


@pytest.mark.parametrize("path", series(), ids=lambda path: path.stem)
def test_the_stored_notebook_renders(path, open_notebook, screenshot_on_failure):
    page, notebook = open_notebook(path)
    with screenshot_on_failure(page):
        view = settled_view(page, notebook)
        code = [index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
        fail_on(
            check_outputs(view, notebook, code)
            + check_markdown(view, notebook)
            + check_solutions_collapsed(view, notebook),
            path,
        )
        if tagged(notebook, "solution"):
            open_one_solution(page, notebook)
