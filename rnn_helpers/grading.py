"""Grading learners' notebooks: run each in a fresh kernel, then call the teacher's checks.

Usage (needs ``nbclient``)::

    python -m rnn_helpers.checks alice/04_bptt_loop.ipynb --against notebooks/student/04_bptt_loop.ipynb
    python -m rnn_helpers.checks submissions/ --against notebooks/student --csv grades.csv

The exercises come from the reference notebook: the student copy given with
``--against`` (a file, or a folder holding copies of the same names), or else the
project's ``notebooks/student`` copy of the same name, or else the notebook itself. An
exercise is a code cell tagged ``exercise``: ``exercise-N`` gives "Exercise N", a cell
tagged ``your-turn`` is a "Your turn" inside the teaching part. When the next code cell
calls ``check_x(my_x)``, the learner writes ``my_x`` and ``check_x`` grades it; otherwise
it is a discussion exercise, listed "to read" with the learner's text.

The learner's notebook runs first, every code cell in order as JupyterLab's Run All,
even past errors, each cell with a time limit: a cell that runs past it is interrupted
and the run goes on. Then, in the same kernel, the grader makes its own call of each
check on the learner's function, so an edited, wrapped or deleted check cell changes
nothing. A function that is the helper the exercise asks the learner to write
(``PROVIDED_HELPERS``), or only calls it, fails with "uses the provided helper".

Results: ``passed``, ``failed``, ``not written yet`` (the stub), ``missing`` (the
function or the cell is gone), ``timed out`` and, for a discussion, ``to read``. Given a
folder, every notebook of each sub-folder (one per learner) is graded, two at a time; the
CSV has one row per learner and exercise (``CSV_COLUMNS``). Exit code: 0 when every
write-code exercise passed, 1 when one did not or a cell outside the exercises raised or
ran past the limit, 2 when nothing could be graded (no such file, not a notebook, no
kernel). ``execute_in_fresh_kernel`` runs a notebook for ``scripts/run_notebooks.py``.
"""

import argparse
import concurrent.futures
import contextlib
import copy
import csv
import dataclasses
import functools
import io
import json
import logging
import multiprocessing
import os
import re
import signal
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ._provided import provided_helper

DEFAULT_TIMEOUT = 120  # seconds per cell
PROBE_TIMEOUT = 10  # seconds a kernel has to answer after an interrupt
DEFAULT_JOBS = 2
CSV_COLUMNS = ("learner", "notebook", "exercise", "result", "message")

PASSED, FAILED, NOT_WRITTEN_YET, MISSING, TIMED_OUT, TO_READ = (
    "passed",
    "failed",
    "not written yet",
    "missing",
    "timed out",
    "to read",
)

PACKAGE = Path(__file__).resolve().parent
PROJECT_STUDENT_COPIES = PACKAGE.parent / "notebooks" / "student"
GRADE_MARK = "rnn_helpers.grading: "  # starts the one line a grading call prints
TIMEOUT_NAME = "GradingTimeout"  # the error nbclient reports for a cell it interrupted
CHECK_CALL = re.compile(r"^\s*(check_\w+)\(\s*([A-Za-z_]\w*)\s*\)", flags=re.M)
EXERCISE_NUMBER = re.compile(r"exercise\s+(\d+)", flags=re.I)


# ----------------------------------------------------------------- inside the kernel


def grade_in_kernel(check_name, function_name, namespace, package=None):
    """Grade the learner's ``namespace[function_name]`` with ``check_name``; print one JSON line.

    Runs in the learner's kernel, called by the cell the grader adds after the notebook ran.
    The line is ``GRADE_MARK`` and ``{"result": ..., "message": ...}``. ``package`` is the
    folder of the grader's ``rnn_helpers``: a notebook that imported another copy is not graded.
    """
    print(GRADE_MARK + json.dumps(_grade(check_name, function_name, namespace, package)), flush=True)


def _grade(check_name, function_name, namespace, package):
    from . import checks

    if package is not None and Path(package).resolve() != PACKAGE:
        return _outcome(
            FAILED,
            f"not graded: this notebook imported rnn_helpers from {PACKAGE}, not the grader's copy in "
            f"{package}; remove that copy from the learner's folder.",
        )
    if function_name not in namespace:
        return _outcome(MISSING, f"`{function_name}` is not defined")
    function = namespace[function_name]
    helper = provided_helper(function, check_name)
    if helper is not None:
        return _outcome(
            FAILED,
            f"{check_name}: `{function_name}` uses the provided helper `{helper}`, not your own code. "
            f"Write the computation yourself, without calling `{helper}`.",
        )
    check = getattr(checks, check_name, None)
    if check is None:
        return _outcome(FAILED, f"not graded: rnn_helpers.checks has no {check_name}.")
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
            checks._calls = 0  # what the self-check's wrapper does: the first call may meet the stub
            getattr(check, "__wrapped__", check)(function)
    except checks._NotWrittenYet:
        return _outcome(NOT_WRITTEN_YET, f"{check_name}: not written yet: fill in `{function_name}`.")
    except AssertionError as error:
        return _outcome(FAILED, str(error))
    except Exception as error:  # the result broke the check itself: still the learner's answer
        return _outcome(FAILED, f"{check_name} could not judge `{function_name}`: {type(error).__name__}: {error}")
    said = [line for line in printed.getvalue().splitlines() if line.startswith(f"{check_name}:")]
    return _outcome(PASSED, said[-1] if said else f"{check_name}: correct.")


def _outcome(result, message):
    return {"result": result, "message": message}


# -------------------------------------------------------------------- the exercises


@dataclass(frozen=True)
class Exercise:
    """One exercise of a reference notebook."""

    label: str  # "Exercise 3" or "Your turn"
    key: str  # "exercise-3" or "your-turn-1": finds the learner's cell
    check: str | None = None  # for a write-code exercise, e.g. "check_backward"
    function: str | None = None  # the learner's function, e.g. "my_backward"
    handed_out: str = ""  # the exercise cell as handed out

    @property
    def name(self):
        return f"{self.label} ({self.check or 'discussion'})"


@dataclass
class Row:
    """The grade of one exercise; ``scored`` for a write-code exercise, which counts in the points."""

    exercise: str
    result: str
    message: str
    scored: bool = True


@dataclass
class Grade:
    """One notebook's grade: a row per exercise, and what went wrong outside the exercises."""

    notebook: str
    rows: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    could_not_run: str | None = None

    @property
    def points(self):
        scored = [row for row in self.rows if row.scored]
        return sum(row.result == PASSED for row in scored), len(scored)

    @property
    def to_read(self):
        return sum(row.result == TO_READ and row.message != NOTHING_WRITTEN for row in self.rows)

    @property
    def all_passed(self):
        finished = all(row.result in (PASSED, TO_READ) for row in self.rows)
        return finished and self.could_not_run is None and not self.problems


NOTHING_WRITTEN = "nothing written yet"
DISCUSSION_STUB = re.compile(r"# Exercise \d+: your code here\..*")


def _tags(cell):
    return cell.metadata.get("tags", [])


def _exercise_cells(notebook):
    """``(key, label, index)`` of each exercise cell of ``notebook`` (indexes into ``notebook.cells``)."""
    turns = 0
    for index, cell in enumerate(notebook.cells):
        tags = _tags(cell)
        if cell.cell_type != "code" or "exercise" not in tags or "solution" in tags:
            continue
        number = next((tag.split("-")[1] for tag in tags if re.fullmatch(r"exercise-\d+", tag)), None)
        if number is None and "your-turn" not in tags:
            named = EXERCISE_NUMBER.search((cell.source.strip().splitlines() or [""])[0])
            number = named.group(1) if named else None
        if number is None:
            turns += 1
            yield f"your-turn-{turns}", "Your turn", index
        else:
            yield f"exercise-{number}", f"Exercise {number}", index


def _next_code_cell(notebook, index):
    """The index of the first code cell after ``index`` that is not a solution, or None."""
    for later in range(index + 1, len(notebook.cells)):
        cell = notebook.cells[later]
        if cell.cell_type == "code" and "solution" not in _tags(cell):
            return later
    return None


def _check_cell(notebook, index):
    """The check cell after the exercise cell at ``index``: ``(index, check, function)``, or None."""
    later = _next_code_cell(notebook, index)
    if later is None or "exercise" in _tags(notebook.cells[later]):
        return None
    call = CHECK_CALL.search(notebook.cells[later].source)
    return (later, *call.groups()) if call else None


def reference_exercises(notebook):
    """The exercises of a reference notebook (a student copy), in order."""
    exercises = []
    for key, label, index in _exercise_cells(notebook):
        check = _check_cell(notebook, index)
        exercises.append(Exercise(label, key, *(check[1:] if check else (None, None)), notebook.cells[index].source))
    return exercises


# -------------------------------------------------------------------- running a notebook


def _jupyter():
    """nbformat and nbclient, imported only to run notebooks (the package itself needs neither)."""
    import nbclient
    import nbformat

    return nbformat, nbclient


class NotANotebook(Exception):
    """The file cannot be read as a Jupyter notebook; the message says why."""


def read_notebook(path):
    nbformat, _ = _jupyter()
    try:
        return nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise NotANotebook(f"{path}: no such file") from None
    except (nbformat.reader.NotJSONError, nbformat.ValidationError, ValueError, KeyError, UnicodeDecodeError) as error:
        first = str(error).splitlines()[0] if str(error) else ""
        raise NotANotebook(
            f"{Path(path).name} cannot be read as a Jupyter notebook ({type(error).__name__}: {first}); "
            "save it from Jupyter as .ipynb"
        ) from None


def _quiet_logger():
    logger = logging.getLogger("rnn_helpers.grading.kernel")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
        logger.propagate = False
        logger.setLevel(logging.CRITICAL + 1)
    return logger


def quiet_jupyter_logging():
    """Jupyter's own log lines (a kernel's start, a timeout) stay off stderr; the rows say it all."""
    for name in ("traitlets", "nbclient", "jupyter_client"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # A kernel shut down during a cell leaves a task whose error nobody reads.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    # Some debugpy releases (imported with ipykernel when a kernel starts) warn on stderr that
    # frozen modules may hide breakpoints; the grader sets no breakpoints.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def _kernel_env():
    """The grader's environment, with one BLAS thread per kernel: two kernels share two cores."""
    env = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")
    return env


class NotebookRun:
    """A notebook in a fresh kernel: its cells in order, then one grading call per exercise.

    A cell that runs past ``timeout`` seconds is interrupted, and the run goes on with the
    next cell once the kernel answers again. A kernel that dies, or does not answer within
    ``PROBE_TIMEOUT`` seconds of the interrupt, stops the run (``stopped`` says why).
    """

    def __init__(self, notebook, folder, timeout=DEFAULT_TIMEOUT):
        self.notebook, self.folder, self.timeout = notebook, folder, int(timeout or 0)
        self.timed_out = set()
        self.stopped = None
        self._stderr = tempfile.TemporaryFile(mode="w+")
        self.client = self._client()

    def _client(self):
        _, nbclient = _jupyter()
        return nbclient.NotebookClient(
            self.notebook,
            timeout=self.timeout or None,
            kernel_name="python3",
            allow_errors=True,
            interrupt_on_timeout=True,
            error_on_timeout={"ename": TIMEOUT_NAME, "evalue": "", "traceback": []},
            shutdown_kernel="immediate",
            log=_quiet_logger(),
            on_cell_executed=self._executed,
            resources={"metadata": {"path": str(self.folder)}},
        )

    def _executed(self, cell, cell_index, execute_reply):
        if execute_reply.get("content", {}).get("ename") == TIMEOUT_NAME:
            self.timed_out.add(cell_index)

    @contextlib.contextmanager
    def kernel(self):
        """Start the kernel (twice at most, see ``execute_in_fresh_kernel``); shut it down on leaving."""
        with contextlib.ExitStack() as stack:
            for attempt in (1, 2):
                try:
                    stack.enter_context(self.client.setup_kernel(stderr=self._stderr, env=_kernel_env()))
                    break
                except RuntimeError as error:
                    if attempt == 2 or "Kernel died before replying to kernel_info" not in str(error):
                        raise
                    self.client = self._client()
            yield self

    def close(self):
        """Let go of the file that holds the kernel's stderr."""
        self._stderr.close()

    def run_cells(self):
        """Run every code cell of the notebook in order, as far as the kernel lets it."""
        for index, cell in enumerate(list(self.notebook.cells)):
            if cell.cell_type == "code" and not self.stopped:
                self._execute(index, store_history=True)

    def _execute(self, index, store_history):
        _, nbclient = _jupyter()
        cell = self.notebook.cells[index]
        try:
            self.client.execute_cell(cell, index, store_history=store_history)
            if index in self.timed_out and not self._answers():
                self.stopped = f"{cell_name(cell)} kept running after an interrupt, so the cells after it did not run"
        except nbclient.exceptions.DeadKernelError:
            said = self.kernel_said()
            why = f"its last words: {said}" if said else "out of memory, or the notebook ended it"
            self.stopped = f"the kernel died while running {cell_name(cell)} ({why})"

    def _answers(self):
        """Whether the kernel runs a trivial cell within ``PROBE_TIMEOUT`` s (after an interrupt)."""
        index = self._append("None")
        iopub_timeout = self.client.iopub_timeout
        self.client.timeout = min(PROBE_TIMEOUT, self.timeout) if self.timeout else PROBE_TIMEOUT
        self.client.iopub_timeout = 1  # the probe prints nothing
        try:
            self.client.execute_cell(self.notebook.cells[index], index, store_history=False)
            return index not in self.timed_out
        finally:
            self.client.timeout, self.client.iopub_timeout = self.timeout or None, iopub_timeout
            self._remove(index)

    def _append(self, source):
        nbformat, _ = _jupyter()
        self.notebook.cells.append(nbformat.v4.new_code_cell(source))
        return len(self.notebook.cells) - 1

    def _remove(self, index):
        del self.notebook.cells[index]
        self.timed_out.discard(index)

    def kernel_said(self):
        """The last lines the kernel wrote to its own stderr (before it started, or as it died), or ""."""
        if self._stderr.closed:
            return ""
        self._stderr.seek(0)
        lines = [line for line in self._stderr.read().splitlines() if line.strip() and "WARNING |" not in line]
        return " / ".join(lines[-3:])

    def call_check(self, exercise):
        """The grader's own call of ``exercise.check`` on the learner's function: ``(result, message)``."""
        if self.stopped:
            return FAILED, f"not graded: {self.stopped}."
        source = (
            '__import__("rnn_helpers.grading").grading.grade_in_kernel('
            f"{exercise.check!r}, {exercise.function!r}, globals(), {str(PACKAGE)!r})"
        )
        index = self._append(source)
        try:
            self._execute(index, store_history=False)
            cell, timed_out = self.notebook.cells[index], index in self.timed_out
        finally:
            self._remove(index)
        if timed_out:
            return TIMED_OUT, (
                f"timed out after {self.timeout} s: the check's call of `{exercise.function}` did not return and "
                "was interrupted. Look for a loop that never ends."
            )
        for line in _stdout(cell).splitlines():
            if line.startswith(GRADE_MARK):
                outcome = json.loads(line[len(GRADE_MARK) :])
                return outcome["result"], outcome["message"]
        if self.stopped:
            return FAILED, f"not graded: {self.stopped}."
        error = error_text(cell)
        return FAILED, f"not graded: the grader's call raised {error}" if error else "not graded: no result came back"


def _stdout(cell):
    return "".join(output.get("text", "") for output in cell.get("outputs", []) if output.get("name") == "stdout")


def error_text(cell):
    """``Ename: evalue`` of the cell's error, in full, or None."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output['ename']}: {output['evalue']}"
    return None


def cell_name(cell):
    """The cell as JupyterLab numbers it after a Run All: ``cell [14]``."""
    count = cell.get("execution_count")
    return f"cell [{count}]" if count else "a cell that did not run"


def execute_in_fresh_kernel(notebook, folder, timeout, allow_errors=False):
    """Execute ``notebook`` (in place, and return it) in a new python3 kernel started in ``folder``.

    A kernel that dies before its first reply is started once more: jupyter_client
    chooses a kernel's TCP ports before the kernel binds them, and on a busy machine
    another process can take one of them in between ("Address already in use").
    """
    _, nbclient = _jupyter()
    for attempt in (1, 2):
        try:
            nbclient.NotebookClient(
                notebook,
                timeout=timeout,
                kernel_name="python3",
                allow_errors=allow_errors,
                resources={"metadata": {"path": str(folder)}},
            ).execute()
            return notebook
        except RuntimeError as error:
            if attempt == 2 or "Kernel died before replying to kernel_info" not in str(error):
                raise


# -------------------------------------------------------------------- grading a notebook


def default_reference(path):
    """The project's student copy of the same name, or else the notebook itself."""
    student_copy = PROJECT_STUDENT_COPIES / Path(path).name
    return student_copy if student_copy.is_file() else Path(path)


def grade_notebook(path, reference=None, timeout=DEFAULT_TIMEOUT):
    """Run the learner's notebook at ``path`` and grade each exercise of ``reference``; return a ``Grade``.

    Raises ``NotANotebook`` when the reference cannot be read; a learner's file that cannot be
    read, or a kernel that cannot start, gives a ``Grade`` whose ``could_not_run`` says why.
    """
    path = Path(path)
    reference = Path(reference or default_reference(path))
    itself = reference.resolve() == path.resolve()
    try:
        notebook = read_notebook(path)
    except NotANotebook as error:
        if itself:
            return Grade(path.name, could_not_run=str(error))
        return _not_graded(path.name, reference_exercises(read_notebook(reference)), str(error))
    reference_notebook = copy.deepcopy(notebook) if itself else read_notebook(reference)
    exercises = reference_exercises(reference_notebook)
    # A notebook that is its own reference tells nothing of what was handed out.
    reference_ids = set() if itself else {cell.get("id") for cell in reference_notebook.cells} - {None}
    if itself:
        exercises = [dataclasses.replace(exercise, handed_out="") for exercise in exercises]
    run = NotebookRun(notebook, path.resolve().parent, timeout)
    try:
        with run.kernel():
            run.run_cells()
            calls = {exercise.key: run.call_check(exercise) for exercise in exercises if exercise.check}
    except Exception as error:  # the kernel could not start, or the connection to it broke
        text = (str(error).strip().splitlines() or [""])[-1]
        said = run.kernel_said()
        reason = f"the notebook could not be run: {type(error).__name__}: {text}" + (f" ({said})" if said else "")
        return _not_graded(path.name, exercises, reason)
    else:
        return _grade_from_run(path.name, notebook, exercises, calls, run, reference_ids)
    finally:
        run.close()


def _not_graded(name, exercises, reason):
    rows = [Row(exercise.name, FAILED, f"not graded: {reason}.", bool(exercise.check)) for exercise in exercises]
    return Grade(name, rows, could_not_run=reason)


def _grade_from_run(name, notebook, exercises, calls, run, reference_ids):
    learner = {key: index for key, _, index in _exercise_cells(notebook)}
    belongs = set(learner.values())
    for index in learner.values():
        check = _check_cell(notebook, index)
        if check is not None:
            belongs.add(check[0])
    rows = []
    for exercise in exercises:
        index = learner.get(exercise.key)
        if exercise.check:
            rows.append(_code_row(exercise, notebook, index, calls[exercise.key], run))
        else:
            rows.append(_discussion_row(exercise, notebook, index, run, reference_ids))
    problems = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or index in belongs or "solution" in _tags(cell):
            continue
        if index in run.timed_out:
            problems.append(f"{cell_name(cell)} timed out after {run.timeout} s and was interrupted.")
        elif error_text(cell) is not None:
            problems.append(f"{cell_name(cell)} raised {error_text(cell)}; the cells after it may fail because of it.")
    if run.stopped:
        problems.append(f"{run.stopped[0].upper()}{run.stopped[1:]}.")
    return Grade(name, rows, problems)


def _code_row(exercise, notebook, index, call, run):
    result, message = call
    if index is None:
        if result == MISSING:
            message += ": its exercise cell is missing; copy it back from the student copy."
        return Row(exercise.name, result, message)
    cell = notebook.cells[index]
    check = _check_cell(notebook, index)
    if index in run.timed_out or (check is not None and check[0] in run.timed_out):
        late = cell if index in run.timed_out else notebook.cells[check[0]]
        return Row(
            exercise.name,
            TIMED_OUT,
            f"timed out after {run.timeout} s: {cell_name(late)} was still running and was interrupted. "
            "Look for a loop that never ends.",
        )
    error = error_text(cell)
    if result == MISSING:
        if error is not None:
            return Row(exercise.name, MISSING, f"{message}: its exercise cell, {cell_name(cell)}, raised {error}")
        return Row(exercise.name, MISSING, f"{message}: its exercise cell does not define it; keep the name.")
    if error is not None and result != PASSED:
        message += f"\n(Its exercise cell, {cell_name(cell)}, also raised {error}.)"
    return Row(exercise.name, result, message)


def _discussion_row(exercise, notebook, index, run, reference_ids):
    if index is None:
        return Row(exercise.name, MISSING, "its exercise cell is missing; copy it back from the student copy.", False)
    cell = notebook.cells[index]
    added = []  # cells the learner inserted right after it
    for later in notebook.cells[index + 1 :]:
        if not reference_ids or later.get("id") in reference_ids:
            break
        added.append(later)
    source = cell.source.strip()
    handed_out = source in ("", exercise.handed_out.strip()) or DISCUSSION_STUB.fullmatch(source)
    written = not handed_out or any(later.source.strip() for later in added)
    text = "\n".join(_cell_text(each) for each in [cell, *added] if each.source.strip()) if written else NOTHING_WRITTEN
    if index in run.timed_out:
        return Row(exercise.name, TIMED_OUT, f"timed out after {run.timeout} s and was interrupted.\n{text}", False)
    error = error_text(cell)
    if error is not None:
        text += f"\n(Its cell, {cell_name(cell)}, raised {error}.)"
    return Row(exercise.name, TO_READ, text, False)


def _cell_text(cell, most_lines=20):
    """A cell's source and, for a code cell, what it printed and its value (at most ``most_lines`` lines)."""
    printed = _stdout(cell) if cell.cell_type == "code" else ""
    for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
        if output.get("output_type") == "execute_result":
            printed += output.get("data", {}).get("text/plain", "") + "\n"
    lines = printed.strip().splitlines()
    if len(lines) > most_lines:
        lines = lines[:most_lines] + [f"... ({len(lines) - most_lines} more lines)"]
    return cell.source.strip() + ("\nprinted:\n" + "\n".join(lines) if lines else "")


# -------------------------------------------------------------------- a folder of learners


@dataclass
class Job:
    """One learner's notebook to grade, against its reference (None: the default)."""

    learner: str
    path: Path
    reference: Path | None


def _match_reference(path, references):
    """The reference for a submitted file: the same name, or the one whose name or number it carries."""
    by_name = {reference.name: reference for reference in references}
    if path.name in by_name:
        return by_name[path.name]
    for reference in references:
        if reference.stem in path.stem:
            return reference
    number = re.match(r"\d+", path.stem)
    return next((reference for reference in references if number and reference.stem.startswith(number.group())), None)


def folder_jobs(folder, against=None):
    """``(jobs, absent, ignored)`` for a folder with one sub-folder per learner.

    ``absent`` lists ``(learner, reference)`` for every notebook of the ``against`` folder a
    learner did not hand in; ``ignored`` the notebooks outside any learner's sub-folder.
    """
    references = sorted(against.glob("*.ipynb")) if against is not None and against.is_dir() else []
    jobs, absent = [], []
    for learner in sorted(path for path in folder.iterdir() if path.is_dir() and not path.name.startswith(".")):
        notebooks = sorted(path for path in learner.rglob("*.ipynb") if ".ipynb_checkpoints" not in path.parts)
        matched = set()
        for notebook in notebooks:
            reference = _match_reference(notebook, references) if references else against
            matched.add(reference)
            jobs.append(Job(learner.name, notebook, reference))
        absent += [(learner.name, reference) for reference in references if reference not in matched]
    ignored = sorted(folder.glob("*.ipynb"))
    return jobs, absent, ignored


_in_worker = False  # whether this process is a worker of ``grade_jobs``
_grading = False  # in a worker: whether a notebook is being graded (Ctrl-C stops only that)


def _grade_job(job, timeout):
    global _grading
    _grading = True
    try:
        return job, grade_notebook(job.path, job.reference, timeout)
    except NotANotebook as error:  # the reference itself
        return job, Grade(job.path.name, could_not_run=f"the reference notebook: {error}")
    except Exception as error:  # one notebook's trouble costs its own rows only
        return job, Grade(job.path.name, could_not_run=f"the grader failed: {type(error).__name__}: {error}")
    except KeyboardInterrupt:  # its kernel is shut down on the way out
        if not _in_worker:
            raise
        return job, Grade(job.path.name, could_not_run="interrupted")
    finally:
        _grading = False


def _start_worker():
    """A worker is quiet, and Ctrl-C interrupts the notebook it grades, not the worker itself."""
    global _in_worker
    _in_worker = True
    quiet_jupyter_logging()
    signal.signal(signal.SIGINT, _interrupt_grading)


def _interrupt_grading(signum, frame):
    if _grading:
        raise KeyboardInterrupt


def grade_jobs(jobs, timeout=DEFAULT_TIMEOUT, workers=DEFAULT_JOBS, progress=None):
    """Grade every job, ``workers`` notebooks at a time; return ``(job, grade)`` pairs in order.

    Each worker is a process of its own, with a kernel of its own per notebook. ``progress``
    is called once per graded notebook.
    """
    grade = functools.partial(_grade_job, timeout=timeout)
    if workers <= 1 or len(jobs) <= 1:
        results = []
        for job in jobs:
            results.append(grade(job))
            if progress:
                progress()
        return results
    context = multiprocessing.get_context("spawn")
    pool = concurrent.futures.ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker)
    try:
        futures = [pool.submit(grade, job) for job in jobs]
        for _ in concurrent.futures.as_completed(futures):
            if progress:
                progress()
        return [future.result() for future in futures]
    except KeyboardInterrupt:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)


def write_csv(path, graded):
    """One row per learner and exercise, ``CSV_COLUMNS``; ``graded`` holds ``(learner, notebook, Grade)``."""
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_COLUMNS)
        count = 0
        for learner, notebook, grade in graded:
            for row in grade.rows:
                writer.writerow((learner, notebook, row.exercise, row.result, row.message))
                count += 1
    return count


def summary_table(graded):
    """Learner × notebook: the points, the rows to read, and what else went wrong."""
    lines = []
    for learner, notebook, grade in graded:
        passed, total = grade.points
        notes = []
        timed_out = sum(row.result == TIMED_OUT for row in grade.rows)
        if grade.could_not_run:
            notes.append(grade.could_not_run)
        if timed_out:
            notes.append(f"{timed_out} timed out")
        if grade.problems:
            notes.append(f"{len(grade.problems)} cell(s) outside the exercises raised or timed out")
        lines.append((learner, notebook, f"{passed}/{total}", str(grade.to_read), "; ".join(notes)))
    for learner in sorted({learner for learner, _, _ in graded}):
        mine = [grade for name, _, grade in graded if name == learner]
        if len(mine) > 1:
            passed, total = (sum(grade.points[part] for grade in mine) for part in (0, 1))
            lines.append((learner, "(all)", f"{passed}/{total}", str(sum(grade.to_read for grade in mine)), ""))
    lines.sort(key=lambda line: (line[0], line[1] == "(all)"))
    return format_columns(("learner", "notebook", "points", "to read", "notes"), lines)


def format_columns(headers, lines):
    """Plain-text columns; a last column of several lines continues under itself."""
    widths = [max([len(header)] + [len(line[column]) for line in lines]) for column, header in enumerate(headers[:-1])]

    def joined(cells):
        return "  ".join(f"{cell:{width}s}" for cell, width in zip(cells, widths))

    rule = joined("-" * width for width in widths)
    out = [f"{joined(headers[:-1])}  {headers[-1]}", f"{rule}  {'-' * len(headers[-1])}"]
    indent = " " * (sum(widths) + 2 * len(widths))
    for line in lines:
        first, *rest = str(line[-1]).splitlines() or [""]
        out.append(f"{joined(line[:-1])}  {first}".rstrip())
        out.extend(f"{indent}{more}" for more in rest)
    return "\n".join(out)


def format_table(rows):
    """One notebook's rows: exercise, result, message."""
    return format_columns(("exercise", "result", "message"), [(row.exercise, row.result, row.message) for row in rows])


# -------------------------------------------------------------------- the command line


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m rnn_helpers.checks",
        description="Run learners' notebooks and grade each exercise with the teacher's checks.",
        epilog="Exit code: 0 every write-code exercise passed, 1 one did not (or a cell outside the exercises "
        "raised or timed out), 2 nothing could be graded.",
    )
    parser.add_argument("path", type=Path, help="a learner's notebook, or a folder with one sub-folder per learner")
    parser.add_argument(
        "--against",
        type=Path,
        help="the student copy the notebook came from, or a folder of them (default: the project's "
        "notebooks/student copy of the same name, else the notebook itself)",
    )
    parser.add_argument("--csv", type=Path, help="write one row per learner and exercise to this CSV file")
    parser.add_argument(
        "--timeout",
        type=int,
        default=DEFAULT_TIMEOUT,
        help=f"seconds a cell may run before it is interrupted (default {DEFAULT_TIMEOUT}; 0: no limit)",
    )
    parser.add_argument(
        "--jobs", type=int, default=DEFAULT_JOBS, help=f"notebooks graded at a time (default {DEFAULT_JOBS})"
    )
    return parser


def main(argv=None):
    """Grade a notebook or a folder of learners' notebooks; print the table; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        _jupyter()
    except ImportError:
        print("Grading needs nbclient and nbformat: pip install nbclient nbformat")
        return 2
    quiet_jupyter_logging()
    if not args.path.exists():
        print(f"{args.path}: no such file or folder. Give a learner's notebook or a folder of learners' folders.")
        return 2
    if args.against is not None and not args.against.exists():
        print(f"{args.against}: no such file or folder. Give --against the student copy, or the folder of copies.")
        return 2
    try:
        return _main_folder(args) if args.path.is_dir() else _main_notebook(args)
    except KeyboardInterrupt:
        print("interrupted: nothing was written.")
        return 130


def _main_notebook(args):
    against = args.against
    if against is not None and against.is_dir():
        against = _match_reference(args.path, sorted(against.glob("*.ipynb")))
    try:
        grade = grade_notebook(args.path, against, args.timeout)
    except NotANotebook as error:
        print(f"the reference notebook: {error}.")
        return 2
    print(f"{args.path.name}:")
    if grade.could_not_run:
        print(f"{grade.could_not_run}.")
        return 2
    for problem in grade.problems:
        print(problem)
    if not grade.rows:
        print("no exercises found: no cell of the reference notebook is tagged 'exercise'.")
        return 1
    print(format_table(grade.rows))
    passed, total = grade.points
    to_read = f"; {grade.to_read} for your teacher to read" if any(not row.scored for row in grade.rows) else ""
    print(f"{passed} of {total} exercise(s) passed{to_read}.")
    if args.csv:
        write_csv(args.csv, [(args.path.resolve().parent.name, args.path.stem, grade)])
    return 0 if grade.all_passed else 1


def _main_folder(args):
    jobs, absent, ignored = folder_jobs(args.path, args.against)
    for path in ignored:
        print(f"ignored {path.name}: put each learner's notebooks in a sub-folder of their own.")
    if not jobs:
        print(f"{args.path}: no notebooks in its sub-folders (one sub-folder per learner).")
        return 2
    from tqdm import tqdm

    with tqdm(total=len(jobs), unit="notebook", file=sys.stderr, disable=not sys.stderr.isatty()) as bar:
        results = grade_jobs(jobs, args.timeout, args.jobs, progress=bar.update)
    # A file matched to a student copy is named as the copy: one gradebook column per notebook.
    graded = [(job.learner, (job.reference or job.path).stem, grade) for job, grade in results]
    for learner, reference in absent:
        reason = f"{learner}/ has no {reference.name}"
        rows = [
            Row(exercise.name, MISSING, f"{reason}.", bool(exercise.check))
            for exercise in reference_exercises(read_notebook(reference))
        ]
        graded.append((learner, reference.stem, Grade(reference.name, rows, could_not_run=reason)))
    graded.sort(key=lambda entry: (entry[0], entry[1]))
    print(summary_table(graded))
    for learner, notebook, grade in graded:
        for problem in grade.problems:
            print(f"{learner}/{notebook}: {problem}")
    if args.csv:
        count = write_csv(args.csv, graded)
        print(f"wrote {count} rows ({len({learner for learner, _, _ in graded})} learners) to {args.csv}")
    if all(grade.could_not_run for _, _, grade in graded):
        return 2
    return 0 if all(grade.all_passed for _, _, grade in graded) else 1


if __name__ == "__main__":
    sys.exit(main())
