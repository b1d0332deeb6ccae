"""Every notebook in JupyterLab, as a learner sees it, driven in headless Chromium.

nbval proves that stored text outputs reproduce; it cannot see a page of headings, a
figure that does not render, LaTeX that MathJax rejects, or a solution left open under
its exercise. This test starts ``jupyter lab`` from the project's environment, opens
each notebook in Chromium (through Playwright), clicks "Restart the kernel and run all
cells", waits until every cell has run, and checks the page:

- no error and nothing on stderr, no MathJax error, every formula typeset;
- markdown renders as prose: headings are a small share of the rendered blocks;
- every figure the stored notebook has is rendered as an image;
- solution cells stay collapsed and show no output, and one opens with a click;
- a notebook with an interactive explorer (a cell tagged ``explorer``): moving one
  slider redraws the figure without an error;
- the outputs are the stored ones, when nbval handed this test the notebook's cells (the
  whole suite with a browser: this Run All is then the notebook's only execution in the
  session): each cell judged as nbval would, text by nbval's rules and figures by the
  figure guard (see ``notebook_guard``).

It uses the Chromium of the system (Debian/Ubuntu: ``apt-get install -y chromium``),
found on PATH or at the usual places, or the one named by ``RNN_CHROMIUM``. Without it
the test skips, unless ``RNN_REQUIRE_BROWSER=1`` (set by ``.ci/run``) turns the skip into
a failure. ``RNN_BROWSER_NOTEBOOKS`` points the test at another notebooks folder (used
to show that planted defects fail it). On a failure a full-page screenshot is saved
next to the JUnit report (``--junitxml``), or in pytest's temporary folder, and the
message says where. The time each notebook took to run all its cells in the browser is
listed at the end of the test session.
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
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = Path(os.environ.get("RNN_BROWSER_NOTEBOOKS", ROOT / "notebooks")).resolve()
REQUIRE_BROWSER = os.environ.get("RNN_REQUIRE_BROWSER", "") not in ("", "0")
INSTALL_HINT = ("Install Chromium to run it: `sudo apt-get install -y chromium` on Debian/Ubuntu "
                "(or set RNN_CHROMIUM to the path of a Chromium or Chrome binary).")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
CHROMIUM_PLACES = ("/usr/bin/chromium", "/usr/lib/chromium/chromium", "/usr/bin/chromium-browser",
                   "/snap/bin/chromium", "/usr/bin/google-chrome",
                   "/Applications/Chromium.app/Contents/MacOS/Chromium",
                   "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome")
RUN_ALL_TIMEOUT_S = 300
VIEWPORT = {"width": 1280, "height": 900}
HEADING_SHARE_MAX = 0.4       # of the rendered markdown blocks of a notebook (the series: 0.26-0.33)
HEADING_LENGTH_MAX = 90       # characters: longer "headings" are sentences stored with a '#'


def series_notebooks():
    """The notebooks of the series, plus one student copy (the shortest) when those exist.

    The last notebooks of the series compute the most (06 trains twenty networks): they
    run first, while the other pytest-xdist worker still takes a core, because their
    time goes to one kernel; the lighter ones, whose time goes to the page, come after.
    """
    paths = sorted(NOTEBOOKS.glob("*.ipynb"), reverse=True)
    copies = sorted((NOTEBOOKS / "student").glob("*.ipynb"))
    if copies:
        # Counted from the JSON: every pytest process collects this, and nbformat's validation is slow.
        paths.append(min(copies, key=lambda copy: len(json.loads(copy.read_bytes())["cells"])))
    return paths


def notebook_id(path):
    return path.stem if path.parent == NOTEBOOKS else f"student-{path.stem}"


def find_chromium():
    named = os.environ.get("RNN_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return next((place for place in CHROMIUM_PLACES if Path(place).is_file()), None)


def browser_will_run():
    """True when this test can drive a browser here (Chromium and Playwright found)."""
    import importlib.util

    return find_chromium() is not None and importlib.util.find_spec("playwright") is not None


def skip_or_fail(reason, config=None):
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason} RNN_REQUIRE_BROWSER is set, so this is a failure, not a skip.",
                    pytrace=False)
    if config is not None and handed_over(config):
        pytest.fail(f"{reason} nbval handed this test its notebooks' cells (see notebook_guard), so this "
                    "is a failure, not a skip; `--nbval-own-kernel` runs them in nbval's kernel.", pytrace=False)
    pytest.skip(reason)


def handed_over(config):
    """{notebook path: nbval's cells} that nbval handed to this test (see notebook_guard)."""
    try:
        from notebook_guard import HANDED_OVER
    except ImportError:  # the plugin is not loaded: nbval runs its own cells
        return {}
    return config.stash.get(HANDED_OVER, {})


def runs_to_the_end(path):
    """Whether Run All runs every cell of ``path`` (a student copy stops at its first exercise)."""
    return Path(path).parent == NOTEBOOKS


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
        # The test runs notebooks but must never save them.
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
        env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(state_dir / "settings"),
                   JUPYTERLAB_WORKSPACES_DIR=str(state_dir / "workspaces"),
                   JUPYTER_CONFIG_DIR=str(state_dir / "config"))
        command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
                   f"--port={self.port}", f"--IdentityProvider.token={self.token}",
                   f"--ServerApp.root_dir={root_dir}", "--LabApp.expose_app_in_browser=True"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                        cwd=root_dir)

    def wait_until_up(self, timeout=120):
        status = f"http://127.0.0.1:{self.port}/api/status?token={self.token}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with code {self.process.returncode}; "
                                   f"its log: {self.log_path}\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(status, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.25)
        raise RuntimeError(f"jupyter lab did not answer /api/status within {timeout} s; log: {self.log_path}")

    def url(self):
        return f"http://127.0.0.1:{self.port}/lab/workspaces/test?reset&token={self.token}"

    def start_kernels(self, notebooks):
        """Start, in the background, one kernel for the folder of each of ``notebooks`` (JupyterLab's REST API).

        Returns {folder: future kernel id}: the first notebook of each folder opens on it.
        """
        self.background = ThreadPoolExecutor(max_workers=2)
        started = {}
        for notebook in notebooks:
            folder = Path(self.served_path(notebook)).parent.as_posix()
            if folder not in started:
                name = json.loads(Path(notebook).read_bytes())["metadata"]["kernelspec"]["name"]
                started[folder] = self.background.submit(self.start_kernel, folder, name)
        return started

    def start_kernel(self, folder, name):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/kernels", method="POST",
            data=json.dumps({"name": name, "path": folder}).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())["id"]

    def served_path(self, notebook):
        """The path JupyterLab knows ``notebook`` by: one under NOTEBOOKS is served from its copy."""
        notebook = Path(notebook)
        if notebook.is_relative_to(NOTEBOOKS):
            notebook = self.root_dir / "notebooks" / notebook.relative_to(NOTEBOOKS)
        return notebook.relative_to(self.root_dir).as_posix()

    def stop(self):
        if getattr(self, "background", None) is not None:
            self.background.shutdown(wait=True)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="module")
def chromium_executable(request):
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        skip_or_fail(f"playwright cannot be imported ({error}); it is in the project's `test` extra: uv sync.",
                     request.config)
    found = find_chromium()
    if found is None:
        skip_or_fail(f"No Chromium found, so the notebooks were not checked in a browser. {INSTALL_HINT}",
                     request.config)
    return found


@pytest.fixture(scope="module")
def lab(chromium_executable, tmp_path_factory):
    """One JupyterLab for the module, serving a copy of the notebooks (so nothing is ever saved over them)."""
    state = tmp_path_factory.mktemp("jupyterlab")
    served = state / "served"
    shutil.copytree(NOTEBOOKS, served / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    server = JupyterLab(served, state)   # it boots while Chromium starts (see lab_page)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(chromium_executable):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_executable, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def screenshot_dir(config, tmp_path_factory):
    junit = config.getoption("xmlpath", None)
    folder = Path(junit).resolve().parent if junit else tmp_path_factory.getbasetemp() / "browser-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def lab_page(lab, browser):
    """One JupyterLab page for the module; each test opens its notebook in it."""
    lab.wait_until_up()
    lab.first_kernels = lab.start_kernels(series_notebooks())  # while the page loads
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(60_000)
    page.goto(lab.url())
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell")
    page.wait_for_selector(".jp-LabShell")
    yield page
    page.close()


@pytest.fixture(scope="module")
def idle_kernels(lab, lab_page):  # noqa: ARG001 (lab_page starts the first kernels)
    """The kernel each folder's last notebook ran on, kept for the folder's next notebook.

    The first notebook of a folder opens on a kernel started while the page loaded.
    """
    return dict(lab.first_kernels)


@pytest.fixture
def notebook_page(lab_page, lab, idle_kernels):
    """Open a notebook in JupyterLab (as a double click in the file browser does); close it after.

    A notebook opens on the kernel the previous notebook of its folder ran on, as
    choosing "Use Kernel from Other Session" does: the test restarts the kernel anyway
    ("Restart Kernel and Run All Cells"), so every notebook still runs in a fresh
    process, in its own folder, and no kernel has to start only to be restarted.
    """
    opened = {}

    def open_notebook(path):
        served = lab.served_path(path)
        opened["folder"] = Path(served).parent.as_posix()
        kernel = idle_kernels.pop(opened["folder"], None)
        if isinstance(kernel, Future):
            kernel = kernel.result(timeout=120)
        # (The widget the command resolves to is not returned: serialising it costs seconds.)
        lab_page.evaluate("async ([path, kernel]) => { await window.jupyterapp.commands.execute("
                          "'docmanager:open', kernel ? {path, factory: 'Notebook', kernel: {id: kernel}}"
                          " : {path, factory: 'Notebook'}); }", [served, kernel])
        lab_page.wait_for_function(
            """path => { const panel = window.jupyterapp.shell.currentWidget;
                return panel && panel.context && panel.context.path === path && panel.context.isReady
                    && panel.content && document.querySelector('.jp-NotebookPanel .jp-Notebook .jp-Cell'); }""",
            arg=served)
        return lab_page

    yield open_notebook
    if lab_page.viewport_size != VIEWPORT:  # a failure's full-page screenshot changed it
        lab_page.set_viewport_size(VIEWPORT)
    # Close the notebook without saving and keep its kernel (idle, or stopped if it is not).
    kernel = lab_page.evaluate("""() => {
        let kept = null;
        for (const widget of [...window.jupyterapp.shell.widgets('main')]) {
            const kernel = widget.sessionContext && widget.sessionContext.session
                && widget.sessionContext.session.kernel;
            if (kernel && kernel.status === 'idle') kept = kernel.id;
            else if (widget.sessionContext) widget.sessionContext.shutdown();
            widget.dispose();
        }
        return kept; }""")
    if kernel and "folder" in opened:
        idle_kernels[opened["folder"]] = kernel


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
        target = screenshot_dir(request.config, tmp_path_factory) / f"{request.node.name}.png"
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

RUN_ALL_PROGRESS = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const cells = panel.content.widgets;
    const code = [];
    cells.forEach((cell, index) => {
        if (cell.model.type === 'code' && cell.model.sharedModel.getSource().trim()) code.push(index);
    });
    const started = code.filter(index => window.__cellsStarted.has(index));
    const running = code.filter(index => cells[index].model.executionState === 'running');
    const errors = code.filter(index => {
        const outputs = cells[index].model.outputs;
        for (let k = 0; k < outputs.length; k++) if (outputs.get(k).type === 'error') return true;
        return false;
    });
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    return {code: code.length, started: started.length, running: running.length, errors,
            status: kernel ? kernel.status : 'none'};
}"""

RUN_ALL_FINISHED = f"""() => {{
    const progress = ({RUN_ALL_PROGRESS})();
    const idle = progress.status === 'idle' && progress.running === 0;
    return idle && (progress.started === progress.code || progress.errors.length > 0) ? progress : false;
}}"""

WATCH_EXECUTIONS = """() => {
    window.__cellsStarted = new Set();
    const cells = window.jupyterapp.shell.currentWidget.content.widgets;
    cells.forEach((cell, index) => {
        if (cell.model.type !== 'code') return;
        cell.model.stateChanged.connect((model, change) => {
            if (change.name === 'executionCount' && change.newValue !== null) window.__cellsStarted.add(index);
        });
    });
}"""

CELL_VIEW = """() => {
    const visible = element => !!element && element.offsetParent !== null
        && getComputedStyle(element).visibility !== 'hidden';
    return [...document.querySelectorAll('.jp-NotebookPanel .jp-Notebook > .jp-WindowedPanel-viewport > .jp-Cell,'
                                         + ' .jp-NotebookPanel .jp-Notebook .jp-Cell')]
      .filter((cell, i, all) => all.indexOf(cell) === i && !cell.parentElement.closest('.jp-Cell'))
      .map(cell => {
        const markdown = cell.querySelector('.jp-RenderedMarkdown');
        const blocks = markdown ? [...markdown.querySelectorAll('h1, h2, h3, h4, h5, h6, p, li, pre, table, blockquote')] : [];
        const headings = blocks.filter(block => /^H[1-6]$/.test(block.tagName));
        const outputs = [...cell.querySelectorAll('.jp-OutputArea-output')];
        return {
            kind: cell.classList.contains('jp-MarkdownCell') ? 'markdown' : 'code',
            blocks: blocks.length,
            headings: headings.map(h => h.textContent.replace(/\\u00b6$/, '').trim()),
            math: cell.querySelectorAll('mjx-container').length,
            mathErrors: [...cell.querySelectorAll('mjx-merror, [data-mjx-error]')].map(e =>
                e.getAttribute('data-mjx-error') || e.textContent),
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

SOLUTION_LINE = re.compile(r"# Solution to exercise \d+\W*$")
MATH = re.compile(r"\$\$.+?\$\$|\$[^$\s][^$]*?\$", re.S)


CELL_OUTPUTS = """() => window.jupyterapp.shell.currentWidget.content.widgets.map(cell =>
    cell.model.type === 'code' ? cell.model.outputs.toJSON() : null)"""

WIDGET_STATE = """() => window.jupyterapp.shell.currentWidget.content.widgets.map(cell => ({
    inputHidden: cell.inputHidden, outputHidden: cell.model.type === 'code' ? cell.outputHidden : false}))"""


def cell_view(page):
    """What each cell shows, with the collapsed state JupyterLab holds for it."""
    view = page.evaluate(CELL_VIEW)
    for cell, state in zip(view, page.evaluate(WIDGET_STATE)):
        cell.update(state)
    return view


def restart_and_run_all(page):
    """Click "Restart the kernel and run all cells", confirm, wait until every cell ran; seconds taken."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # Idle first: a restart while the page is still connecting to the kernel can leave the
    # page and the server speaking different websocket protocols, and Run All never ends.
    page.wait_for_function(KERNEL_IDLE, timeout=120_000, polling=100)
    page.evaluate(WATCH_EXECUTIONS)
    start = time.monotonic()
    page.click('.jp-NotebookPanel-toolbar [data-command="notebook:restart-run-all"]')
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
    # The page itself watches for the end (no round trip to Python per check).
    try:
        finished = page.wait_for_function(RUN_ALL_FINISHED, polling=200, timeout=RUN_ALL_TIMEOUT_S * 1000)
    except PlaywrightTimeout:
        pytest.fail(f"Run All did not finish within {RUN_ALL_TIMEOUT_S} s: {page.evaluate(RUN_ALL_PROGRESS)}")
    progress = finished.json_value()
    seconds = time.monotonic() - start
    # Figures and formulas render just after the kernel finishes: let them settle.
    page.wait_for_function("() => [...document.querySelectorAll('.jp-OutputArea-output img')]"
                           ".every(img => img.complete)", polling=100)
    after_two_frames(page)
    return seconds, progress


def after_two_frames(page):
    """Return once the browser has laid out and painted what the page holds now."""
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def check_run(view, progress, notebook, student_copy):
    problems = []
    errors = [(index, text) for index, cell in enumerate(view) for text in cell["stderr"]]
    if student_copy:
        # A student copy stops at the first exercise stub, which raises NotImplementedError.
        errors = [(index, text) for index, text in errors if "NotImplementedError" not in text]
    else:
        if progress["started"] != progress["code"]:
            problems.append(f"only {progress['started']} of {progress['code']} code cells ran")
    for index, text in errors:
        problems.append(f"cell {index} shows an error or stderr output:\n{text}")
    for index, cell in enumerate(view):
        if cell["figureReprs"]:
            problems.append(f"cell {index} prints a figure's repr instead of (or next to) the figure")
    if problems:
        return problems
    for index, (cell, stored) in enumerate(zip(view, notebook.cells)):
        if stored.cell_type != "code":
            continue
        expected = sum("image/png" in output.get("data", {}) for output in stored.get("outputs", []))
        if expected and len(cell["images"]) < expected:
            problems.append(f"cell {index}: the stored notebook has {expected} figure(s), "
                            f"the page shows {len(cell['images'])}")
        for image in cell["images"]:
            if not image["loaded"]:
                problems.append(f"cell {index}: a figure did not render as an image ({image['src']})")
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
        for heading in cell["headings"]:
            if len(heading) > HEADING_LENGTH_MAX:
                problems.append(f"markdown cell {index}: a sentence renders as a heading: {heading[:80]!r}")
        for error in cell["mathErrors"]:
            problems.append(f"markdown cell {index}: MathJax error {error!r}")
        if MATH.search(stored.source) and not cell["math"] and not cell["mathErrors"]:
            problems.append(f"markdown cell {index} has LaTeX that was not typeset")
    check_markdown.share = headings / max(blocks, 1)
    if blocks and headings / blocks > HEADING_SHARE_MAX:
        problems.append(f"{headings} of the {blocks} rendered markdown blocks are headings "
                        f"(more than {HEADING_SHARE_MAX:.0%}): markdown stored as headings?")
    return problems


def solution_indices(notebook):
    return [index for index, cell in enumerate(notebook.cells)
            if "solution" in cell.metadata.get("tags", [])]


def check_solutions_closed(view, notebook, when):
    """Solution cells collapsed, with nothing of the answer on show.

    On opening, JupyterLab must hold each solution's code and output collapsed
    (``metadata.jupyter``: ``source_hidden`` and ``outputs_hidden``). Running a cell makes
    JupyterLab show its output again, so after Run All a solution cell must show no
    output at all: a solution prints nothing (it asserts its claims instead).
    """
    problems = []
    for index in solution_indices(notebook):
        cell = view[index]
        if not cell["inputCollapsed"] or cell["inputVisible"] or not cell["inputHidden"]:
            problems.append(f"{when}: solution cell {index} shows its code (it must be collapsed: "
                            "metadata.jupyter.source_hidden = true)")
        elif not SOLUTION_LINE.match(cell["collapsedLine"]):
            # A collapsed cell still shows its first line: it must not give the answer away.
            problems.append(f"{when}: collapsed solution cell {index} shows {cell['collapsedLine'][:100]!r}; "
                            "its first line must be '# Solution to exercise N'")
        if when == "on opening" and not cell["outputHidden"]:
            problems.append(f"{when}: solution cell {index} has its output open "
                            "(it must be collapsed: metadata.jupyter.outputs_hidden = true)")
        if cell["visibleOutputs"]:
            advice = ("" if when == "on opening" else
                      " (JupyterLab shows a cell's output when the cell runs: a solution cell must print nothing)")
            problems.append(f"{when}: solution cell {index} shows its output "
                            f"{cell['visibleOutputs'][0][:120]!r}{advice}")
    return problems


def open_one_solution(page, notebook):
    """Click the collapsed first solution and see its code."""
    index = solution_indices(notebook)[0]
    cell = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(index)
    cell.locator(".jp-InputPlaceholder").click()
    first_line = notebook.cells[index].source.splitlines()[0]
    editor = cell.locator(".jp-InputArea .cm-content")
    editor.wait_for(state="visible", timeout=10_000)
    shown = editor.inner_text()
    assert first_line.strip() in shown, f"solution cell {index} opened, but shows {shown[:200]!r}"


def move_one_slider(page, index):
    """In the explorer cell ``index``: move its first slider one step; the figure must be redrawn."""
    cell = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(index)
    images = cell.locator(".jp-OutputArea-output img")
    images.first.wait_for(state="visible", timeout=30_000)
    before = images.first.get_attribute("src")
    handle = cell.locator(".widget-slider .noUi-handle, .widget-slider .ui-slider-handle").first
    handle.wait_for(state="visible", timeout=30_000)
    handle.focus()
    page.keyboard.press("ArrowRight")
    try:
        page.wait_for_function(
            """([index, before]) => {
                const cell = document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell')[index];
                const img = cell.querySelector('.jp-OutputArea-output img');
                return img && img.complete && img.naturalWidth > 0 && img.src !== before; }""",
            arg=[index, before], timeout=30_000)
    except Exception as error:  # playwright's TimeoutError
        pytest.fail(f"explorer cell {index}: moving the slider did not redraw the figure ({error})")
    # An error would be shown before the kernel is idle again.
    page.wait_for_function(KERNEL_IDLE, polling=100)
    errors = cell_view(page)[index]["stderr"]
    assert not errors, f"explorer cell {index}: moving the slider raised an error:\n{errors[0]}"


# ------------------------------------------------------------------------------ the tests

@pytest.mark.parametrize("path", series_notebooks(), ids=notebook_id)
def test_notebook_in_jupyterlab(path, notebook_page, screenshot_on_failure, request):
    page = notebook_page(path)
    with screenshot_on_failure(page):
        check_notebook(path, page, request.node.user_properties, nbval_cells(request.config, path))


def nbval_cells(config, path):
    """nbval's cells of this notebook when nbval handed them to this test (see notebook_guard)."""
    return handed_over(config).get(Path(path).resolve(), [])


def check_notebook(path, page, properties, nbval_cells=()):
    notebook = nbformat.read(path, as_version=4)
    student_copy = not runs_to_the_end(path)
    view = cell_view(page)
    assert len(view) == len(notebook.cells), \
        f"the page shows {len(view)} cells, the notebook has {len(notebook.cells)}"
    problems = [] if student_copy else check_solutions_closed(view, notebook, "on opening")

    seconds, progress = restart_and_run_all(page)
    properties.append(("browser_run_all_seconds", round(seconds, 1)))
    view = cell_view(page)
    ran = check_run(view, progress, notebook, student_copy)
    problems += ran
    problems += check_markdown(view, notebook)
    properties.append(("heading_share", round(check_markdown.share, 3)))
    if not student_copy:
        problems += check_solutions_closed(view, notebook, "after Run All")
    if nbval_cells and not ran:
        # This run is the notebook's only execution in the session: its outputs must be the stored ones.
        from notebook_guard import compare_with_stored

        problems += compare_with_stored(nbval_cells, page.evaluate(CELL_OUTPUTS), properties)
        properties.append(("nbval_cells_compared", len(nbval_cells)))
    if problems:
        pytest.fail(f"{path.name} in JupyterLab:\n- " + "\n- ".join(problems), pytrace=False)

    if not student_copy and solution_indices(notebook):
        open_one_solution(page, notebook)
    for index, cell in enumerate(notebook.cells):
        if "explorer" in cell.metadata.get("tags", []):
            move_one_slider(page, index)
            break
