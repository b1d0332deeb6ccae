"""The stored notebooks are complete, stable and honest, and regeneration never half-writes one.

nbval itself (enabled in pyproject.toml) re-runs every notebook and compares outputs.
These tests only read the stored JSON: they are fast and never execute a notebook.
"""

import ast
import json
import re
import sys
import tokenize
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from io import StringIO
from pathlib import Path

import nbformat
import pytest

import rnn_helpers.checks
import rnn_helpers.grading

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))  # not notebooks/student/
sys.path.insert(0, str(ROOT / "scripts"))
from run_notebooks import regenerate  # noqa: E402

SERIES = [
    "01_relu_toy",
    "02_tanh_forward",
    "03_manual_backprop",
    "04_bptt_loop",
    "05_weather_data",
    "06_training_loop",
    "07_memory",
]

# Figures that may stand in prose without being printed: step sizes and thresholds
# written in float notation. Everything else belongs in an output, or in $...$ math.
ALLOWED_FIGURES = frozenset({"1e-5", "1e-6", "1e-7", "1e-8"})

# Which self-check each notebook's write-code exercise uses (each set: at least one of).
REQUIRED_CHECKS = {
    "01_relu_toy": [{"check_relu_forward"}],
    "02_tanh_forward": [{"check_forward"}, {"check_tanh_step"}],
    "03_manual_backprop": [{"check_numerical_gradient"}, {"check_hidden_grad"}],
    "04_bptt_loop": [{"check_backward"}, {"check_clip"}],
    "05_weather_data": [{"check_split", "check_scaling"}],
    "06_training_loop": [{"check_schedule"}, {"check_training_step"}],
    "07_memory": [{"check_carry"}],
}
CHECK_NAMES = {name for name in dir(rnn_helpers.checks) if name.startswith("check_")}

EXERCISES_SENTENCE = "the solutions are in the collapsed cells"
FORBIDDEN_PHRASES = re.compile(
    r"\boriginal\s+(notebook|walkthrough|course|version|code|loop)"
    r"|\bwalk-?through"
    r"|\bseed['’]s\b"
    r"|\bseed\s+(notebook|course|text)\b",
    re.IGNORECASE,
)


def read(path):
    return nbformat.read(path, as_version=4)


def is_guard(cell):
    return cell.cell_type == "code" and "guard" in cell.metadata.get("tags", [])


def is_solution(cell):
    return "solution" in cell.metadata.get("tags", [])


# ---------------------------------------------------------------------------------------
# The prose-figure rule
# ---------------------------------------------------------------------------------------
#
# A *figure* is a number written in a markdown cell outside $...$ / $$...$$ math, code
# spans, fenced code, link targets and HTML tags, that has a decimal point (0.74, 23.95,
# 12.5 in "12.5 %", 1,234.5) or is in float notation (1e-7, 3.2e-9). Integers, also with
# thousands separators (61,802), are exempt, and so is ALLOWED_FIGURES.
#
# A figure is backed when the notebook's stored text outputs (stdout streams and the
# text/plain of execute_result / display_data) contain
#   - the same string, as a whole number, or
#   - a number printed with at least as many decimals which, rounded to the figure's
#     decimals (half-up or half-even, on the printed digits), gives the figure;
#     in float notation: the printed number, rounded to the figure's significant digits.
# An unsigned figure matches either sign (prose says "a drop of 0.13"); a figure written
# with a minus sign (- or −) only matches a negative output.

_MASKS = [
    re.compile(r"```.*?```|~~~.*?~~~", re.DOTALL),  # fenced code
    re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL),  # code spans
    re.compile(r"\$\$.+?\$\$", re.DOTALL),  # display math
    re.compile(r"\$[^$]+?\$"),  # inline math
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"https?://\S+"),  # bare links
    re.compile(r"<[^>\n]+>"),  # HTML tags
]
_SIGN = r"(?P<sign>[-+−]?)"
_PROSE_NUMBER = re.compile(
    r"(?<![\w.,])" + _SIGN + r"(?P<number>"
    r"\d{1,3}(?:,\d{3})+(?:\.\d+)?"  # 61,802 or 1,234.5
    r"|\d+\.\d+(?:[eE][-+−]?\d+)?"  # 23.95, 3.2e-9
    r"|\d+[eE][-+−]?\d+"  # 1e-7
    r")(?![\w,]*\d)(?!\.\d)"
)
_OUTPUT_NUMBER = re.compile(
    r"(?<![\w.])" + _SIGN + r"(?P<number>"
    r"\d{1,3}(?:,\d{3})+(?:\.\d+)?"
    r"|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?"
    r"|\.\d+(?:[eE][-+]?\d+)?)"
)


def prose_text(markdown):
    """The markdown with math, code, links and tags blanked out."""
    text = markdown.replace(r"\$", " ")
    for mask in _MASKS:
        text = mask.sub(" ", text)
    return text


def prose_figures(markdown):
    """The figures of one markdown cell, as written: e.g. ``["23.95", "-0.4", "1e-7"]``."""
    figures = []
    for match in _PROSE_NUMBER.finditer(prose_text(markdown)):
        number = match["number"]
        is_float = "." in number or "e" in number.lower()
        if is_float and number not in ALLOWED_FIGURES:
            figures.append(("-" if match["sign"] in ("-", "−") else "") + number)
    return figures


def output_texts(notebook):
    """``[(cell index, text)]`` for every stored text output."""
    texts = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                texts.append((index, output["text"]))
            elif output.get("output_type") in ("execute_result", "display_data"):
                plain = output.get("data", {}).get("text/plain")
                if plain:
                    texts.append((index, plain if isinstance(plain, str) else "".join(plain)))
    return texts


def _decimal(number):
    return Decimal(number.replace(",", "").replace("−", "-"))


def _decimals(number):
    mantissa = re.split(r"[eE]", number)[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def _matches(figure, printed):
    """Does the printed output number (e.g. ``"-23.951"``) back the prose figure?"""
    negative_figure = figure.startswith("-")
    if negative_figure and not printed.startswith("-"):
        return False
    figure_value = abs(_decimal(figure))
    printed_value = abs(_decimal(printed))
    digits = _decimals(figure)
    if "e" in figure.lower():
        return float(format(float(printed_value), f".{digits}e")) == float(figure_value)
    if "e" not in printed.lower() and _decimals(printed) < digits:
        return False
    if printed_value.adjusted() > figure_value.adjusted() + 1:
        return False  # orders of magnitude apart (and too large to quantize to the step)
    step = Decimal(1).scaleb(-digits)
    return any(
        printed_value.quantize(step, rounding=rounding) == figure_value for rounding in (ROUND_HALF_UP, ROUND_HALF_EVEN)
    )


def printed_numbers(notebook):
    """``[(cell index, number as printed, with its sign)]`` from the stored outputs."""
    return [
        (index, match["sign"].replace("−", "-").replace("+", "") + match["number"])
        for index, text in output_texts(notebook)
        for match in _OUTPUT_NUMBER.finditer(text)
    ]


def backing_cells(figure, notebook, numbers=None):
    """Indices of the code cells whose stored output backs ``figure`` (empty: stale)."""
    numbers = printed_numbers(notebook) if numbers is None else numbers
    exact = re.compile(r"(?<![\w.])" + re.escape(figure.lstrip("-")) + r"(?![\w]|\.\d)")
    cells = {
        index
        for index, text in output_texts(notebook)
        if exact.search(text) and (not figure.startswith("-") or re.search(r"[-−]" + exact.pattern, text))
    }
    cells |= {index for index, printed in numbers if _matches(figure, printed)}
    return sorted(cells)


def unbacked_figures(notebook, name="notebook"):
    """One message per prose figure that no stored output of ``notebook`` backs."""
    numbers = printed_numbers(notebook)
    problems = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "markdown":
            continue
        for figure in prose_figures(cell.source):
            if not backing_cells(figure, notebook, numbers):
                target = abs(_decimal(figure))
                nearest = sorted(
                    {printed for _, printed in numbers}, key=lambda printed: abs(abs(_decimal(printed)) - target)
                )[:3]
                problems.append(
                    f"{name}, markdown cell {index}: the figure {figure} is printed by no output "
                    f"(nearest printed: {', '.join(nearest) or 'nothing'}); print it with at least "
                    "as many decimals, update the prose, or put a fixed constant in $...$ math"
                )
    return problems


def _notebook_with(markdown, printed):
    return nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(markdown),
            nbformat.v4.new_code_cell(
                "print(...)", outputs=[nbformat.v4.new_output("stream", name="stdout", text=printed)]
            ),
        ]
    )


def test_the_prose_figure_rule_catches_a_stale_figure():
    assert unbacked_figures(_notebook_with("The test MSE is 23.95.", "test MSE: 23.9512\n")) == []
    assert unbacked_figures(_notebook_with("The test MSE is 24.0.", "test MSE: 23.9512\n")) == []
    stale = unbacked_figures(_notebook_with("The test MSE is 24.03.", "test MSE: 23.95\n"), "demo")
    assert len(stale) == 1 and "demo, markdown cell 0: the figure 24.03" in stale[0]
    assert "23.95" in stale[0]
    # Rounding goes by the printed digits, and never invents decimals the output lacks.
    assert unbacked_figures(_notebook_with("It is 23.9.", "test MSE: 23.95\n"))
    assert unbacked_figures(_notebook_with("It is 0.50.", "half: 0.5\n"))


@pytest.mark.parametrize(
    "markdown, printed, backed",
    [
        ("grows by 12.5% a step", "growth: 12.5 %\n", True),
        ("grows by 12.5% a step", "growth: 0.125\n", False),
        ("an error of −0.40", "error -0.4012\n", True),
        ("an error of -0.40", "error 0.4012\n", False),
        ("a drop of 0.40", "change -0.4012\n", True),
        ("a total of 1,234.5", "total 1234.52\n", True),
        ("61,802 in all, 2012–2015", "nothing numeric\n", True),  # integers are exempt
        ("below 1e-7 everywhere", "nothing numeric\n", True),  # allow-listed constant
        ("a ratio of 3.2e-9", "ratio 3.21e-09\n", True),
        ("a ratio of 3.2e-9", "ratio 3.31e-09\n", False),
        ("$\\beta_1 = 0.9$, `lr=0.005`, ```\nx = 1.5\n```", "nothing numeric\n", True),
        ('[data](https://example.org/v1.2/file.csv), <img width="0.5">', "none\n", True),
        ("an array entry 0.7102", "[0.7102 0.0166]\n", True),
        ("an array entry 61801.50", "[52109.6335   859.4197 61801.5003]\n", True),
    ],
)
def test_the_prose_figure_rule_on_its_corner_cases(markdown, printed, backed):
    assert (unbacked_figures(_notebook_with(markdown, printed)) == []) == backed


def test_the_prose_figure_rule_catches_a_planted_figure_in_a_real_notebook():
    notebook = read(ROOT / "notebooks" / "03_manual_backprop.ipynb")
    assert unbacked_figures(notebook) == []
    index, figure = next(
        (index, prose_figures(cell.source)[0])
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "markdown" and prose_figures(cell.source)
    )
    stale = "24.03"
    assert not backing_cells(stale, notebook), "pick another planted figure"
    notebook.cells[index].source = notebook.cells[index].source.replace(figure.lstrip("-"), stale, 1)
    problems = unbacked_figures(notebook, "03_manual_backprop")
    assert len(problems) == 1
    assert f"03_manual_backprop, markdown cell {index}: the figure {stale} " in problems[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_every_figure_in_the_prose_is_printed_by_an_output(path):
    problems = unbacked_figures(read(path), path.stem)
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------
# Code cells: parsed, asserted, checked against the helpers
# ---------------------------------------------------------------------------------------


def parse(cell):
    """The cell's AST (IPython magics and shell lines blanked)."""
    source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines())
    return ast.parse(source)


def code_cells(notebook, solutions=False):
    """``(index, cell, tree)`` of the code cells: the solutions, or all the others (guards included)."""
    return [
        (index, cell, parse(cell))
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and is_solution(cell) == solutions
    ]


def _called_name(call):
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _has_assert(tree):
    return any(
        isinstance(node, ast.Assert)
        or (isinstance(node, ast.Call) and (_called_name(node) or "").startswith("assert_"))
        for node in ast.walk(tree)
    )


def helper_names(notebook):
    """Names the notebook imports from rnn_helpers (and the module aliases themselves)."""
    names = set()
    for _, _, tree in code_cells(notebook) + code_cells(notebook, solutions=True):
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rnn_helpers"):
                names |= {alias.asname or alias.name for alias in node.names}
            elif isinstance(node, ast.Import):
                names |= {alias.asname or alias.name for alias in node.names if alias.name.startswith("rnn_helpers")}
    return names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_claims_are_backed_by_real_asserts_and_checked_against_the_helpers(path):
    notebook = read(path)
    cells = code_cells(notebook)
    problems = []
    asserts = [(index, node) for index, _, tree in cells for node in ast.walk(tree) if isinstance(node, ast.Assert)]
    for index, node in asserts:
        if isinstance(node.test, (ast.Constant, ast.Tuple, ast.List, ast.Dict, ast.Set)):
            problems.append(f"code cell {index}: `assert {ast.unparse(node.test)}` can never fail")
    if len(asserts) < 3:
        problems.append(
            f"only {len(asserts)} assert statement(s) outside the solutions; every claim "
            "in the prose needs an assert in the cell that computes it"
        )
    helpers = helper_names(notebook)
    compared = [
        index
        for index, _, tree in cells
        if any(isinstance(node, ast.Call) and _called_name(node) == "assert_allclose" for node in ast.walk(tree))
        and helpers & {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    ]
    if not compared:
        problems.append(
            "no code cell (outside the solutions) compares a hand-written result with a "
            "helper from rnn_helpers by np.testing.assert_allclose"
        )
    numbers = printed_numbers(notebook)
    trees = {index: tree for index, _, tree in cells + code_cells(notebook, solutions=True)}

    def asserted(source):  # by the cell that prints the figure, or by the guard cell right after it
        guard = source + 1 < len(notebook.cells) and is_guard(notebook.cells[source + 1])
        return _has_assert(trees[source]) or (guard and _has_assert(trees[source + 1]))

    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            for figure in prose_figures(cell.source):
                sources = backing_cells(figure, notebook, numbers)
                if sources and not any(asserted(source) for source in sources):
                    problems.append(
                        f"markdown cell {index} quotes {figure}, printed by code cell(s) "
                        f"{sources} without any assert: assert what the prose claims"
                    )
    assert not problems, f"{path.stem}:\n" + "\n".join(problems)


def _assert_lines(tree):
    """Lines holding an ``assert`` statement or an ``assert_...()`` call."""
    return {
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Assert)
        or (isinstance(node, ast.Call) and (_called_name(node) or "").startswith("assert_"))
    }


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_a_teaching_cell_shows_at_most_one_check_and_the_guards_are_hidden(path):
    notebook = read(path)
    problems = []
    for index, cell, tree in code_cells(notebook):
        if is_guard(cell):
            if cell.metadata.get("jupyter", {}).get("source_hidden") is not True:
                problems.append(f"guard cell {index}: its code must be hidden (metadata.jupyter.source_hidden)")
            if index == 0 or notebook.cells[index - 1].cell_type != "code":
                problems.append(f"guard cell {index}: it must follow the code cell whose figures it guards")
        elif len(_assert_lines(tree)) > 1:
            problems.append(
                f"code cell {index} holds {len(_assert_lines(tree))} assert lines: keep the one that teaches "
                "(hand result == helper) and move the others to a hidden guard cell after it"
            )
    assert not problems, f"{path.stem}:\n" + "\n".join(problems)


def comments(source):
    """The ``#`` comments of a code cell."""
    try:
        return [
            token.string
            for token in tokenize.generate_tokens(StringIO(source).readline)
            if token.type == tokenize.COMMENT
        ]
    except (tokenize.TokenError, SyntaxError):
        return [line[line.index("#") :] for line in source.splitlines() if "#" in line]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_the_notebook_stands_on_its_own(path):
    """No mention of another notebook or course the series grew from (``seed=0`` is fine)."""
    problems = []
    for index, cell in enumerate(read(path).cells):
        texts = [cell.source] if cell.cell_type == "markdown" else comments(cell.source)
        for text in texts:
            for match in FORBIDDEN_PHRASES.finditer(text):
                problems.append(f"{cell.cell_type} cell {index}: {match.group(0)!r} in {text.strip()[:80]!r}")
    assert not problems, (
        f"{path.stem} refers to material outside the series (describe the idea "
        "itself; show old bugs as common bugs):\n" + "\n".join(problems)
    )


# ---------------------------------------------------------------------------------------
# Structure: estimated time, exercises, hidden solutions, self-checks
# ---------------------------------------------------------------------------------------


def test_the_series_is_complete():
    assert [path.stem for path in NOTEBOOKS] == SERIES


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_stored_outputs_are_complete_and_stable(path):
    notebook = json.loads(path.read_text())
    code_cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert [cell["execution_count"] for cell in code_cells] == list(range(1, len(code_cells) + 1)), (
        "cells out of execution order or not executed: regenerate the notebook"
    )
    outputs = [output for cell in code_cells for output in cell["outputs"]]
    assert outputs, "no stored outputs"
    assert not [o for o in outputs if o["output_type"] == "error"], "a stored error output"
    assert not [o for o in outputs if o.get("name") == "stderr"], "stderr (a warning?) in a stored output"
    text = json.dumps(outputs)
    assert not re.search(r" at 0x[0-9a-f]+", text), "a memory address in a stored output"
    assert "np.float64(" not in text, "a bare NumPy scalar repr: print formatted values"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_every_notebook_has_the_series_structure(path):
    notebook = read(path)
    markdown = [(index, cell.source) for index, cell in enumerate(notebook.cells) if cell.cell_type == "markdown"]
    problems = []
    if not markdown or not re.search(r"^\*Estimated time: about \d+ minutes\.\*$", markdown[0][1], re.MULTILINE):
        problems.append("the first markdown cell has no line '*Estimated time: about N minutes.*'")
    sources = "\n".join(source for _, source in markdown)
    for needed in ("What you will learn", "## Recap"):
        if needed not in sources:
            problems.append(f"no {needed!r} in the markdown")
    if "from rnn_helpers" not in "\n".join(cell.source for cell in notebook.cells):
        problems.append("nothing is imported from rnn_helpers")
    exercises = [index for index, source in markdown if re.match(r"## Exercises\s*(\n|$)", source)]
    if not exercises:
        problems.append("no markdown cell starting with the heading '## Exercises'")
    elif EXERCISES_SENTENCE not in notebook.cells[exercises[0]].source:
        problems.append(
            f"markdown cell {exercises[0]} ('## Exercises') does not say that {EXERCISES_SENTENCE} below each exercise"
        )
    assert not problems, f"{path.stem}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_solutions_are_collapsed_and_start_with_a_neutral_line(path):
    notebook = read(path)
    solutions = [(index, cell) for index, cell in enumerate(notebook.cells) if is_solution(cell)]
    problems = [] if solutions else ["no cell tagged 'solution'"]
    exercises = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "markdown" and cell.source.startswith("## Exercises")
    ]
    number = 0
    for index, cell in solutions:
        your_turn = "your-turn" in cell.metadata.get("tags", [])  # a point inside the teaching part
        number += not your_turn
        hidden = cell.metadata.get("jupyter", {})
        if not (hidden.get("source_hidden") is True and hidden.get("outputs_hidden") is True):
            problems.append(
                f"solution cell {index}: metadata.jupyter must have source_hidden and "
                f"outputs_hidden true, found {dict(hidden)}"
            )
        first_line = cell.source.splitlines()[0] if cell.source else ""
        wanted = "# Solution: your turn" if your_turn else f"# Solution to exercise {number}"
        if first_line != wanted:
            problems.append(
                f"solution cell {index}: the first line must be '{wanted}' "
                f"(it shows while collapsed, so it must not give the answer), found {first_line!r}"
            )
        if cell.cell_type != "code":
            problems.append(f"solution cell {index} is not a code cell")
        if exercises and index < exercises[0] and not your_turn:
            problems.append(f"solution cell {index} comes before the '## Exercises' cell")
    assert not problems, f"{path.stem}:\n" + "\n".join(problems)


def _called_checks(tree):
    return {
        _called_name(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _called_name(node) in CHECK_NAMES
    }


def _defined_names(tree):
    names = {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    names |= {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    return names


def _raises_not_implemented(function):
    return any(
        isinstance(node, ast.Raise) and "NotImplementedError" in ast.unparse(node.exc or ast.Constant(None))
        for node in ast.walk(function)
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_write_code_exercises_wait_for_the_learner(path):
    """Stub, then its check (which says "not written yet"), then the solution under its own name."""
    notebook = read(path)
    problems, used = [], set()
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        tree = parse(cell)
        called = _called_checks(tree)
        if is_solution(cell):
            learner_names = sorted(name for name in _defined_names(tree) if name.startswith("my_"))
            if learner_names:
                problems.append(
                    f"solution cell {index} defines {learner_names}: a solution has its own name "
                    "(solution_...), so that the learner's check judges the learner's function"
                )
            checked = {
                argument.id
                for node in ast.walk(tree)
                if isinstance(node, ast.Call) and _called_name(node) in CHECK_NAMES
                for argument in node.args
                if isinstance(argument, ast.Name)
            }
            for name in sorted(name for name in _defined_names(tree) if name.startswith("solution_")):
                if name not in checked:
                    problems.append(f"solution cell {index} defines {name} but does not check it")
            continue
        if not called:
            continue
        used |= called
        previous = notebook.cells[index - 1] if index else None
        if cell.metadata.get("jupyter", {}).get("source_hidden"):
            problems.append(f"code cell {index} calls {sorted(called)} but is hidden: the check cell must be visible")
        if previous is None or previous.cell_type != "code" or "exercise" not in previous.metadata.get("tags", []):
            problems.append(f"code cell {index} calls {sorted(called)} but does not directly follow its exercise cell")
            continue
        stubs = {
            node.name: node
            for node in parse(previous).body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("my_")
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called_name(node) in CHECK_NAMES:
                arguments = [argument.id for argument in node.args if isinstance(argument, ast.Name)]
                if not arguments or not set(arguments) <= set(stubs):
                    problems.append(
                        f"code cell {index}: {_called_name(node)}({', '.join(arguments)}) must be given the "
                        f"stub that exercise cell {index - 1} defines ({sorted(stubs) or 'nothing'})"
                    )
        if not all(_raises_not_implemented(stub) for stub in stubs.values()):
            problems.append(f"exercise cell {index - 1}: the stub must raise NotImplementedError")
        printed = "".join(output.get("text", "") for output in cell.get("outputs", []))
        if "not written yet" not in printed:
            problems.append(f"code cell {index}: its stored output must say 'not written yet', found {printed!r}")
    if not used:
        problems.append("no write-code exercise: no code cell calls a check_...() from rnn_helpers.checks")
    for alternatives in REQUIRED_CHECKS.get(path.stem, []):
        if not used & alternatives:
            problems.append(f"no write-code exercise checked by {' or '.join(sorted(alternatives))}")
    assert not problems, f"{path.stem}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_markdown_cells_read_as_prose_not_as_a_page_of_headings(path):
    notebook = read(path)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            lines = cell.source.splitlines()
            headings = [line for line in lines if line.startswith("#")]
            comment_style = [
                line for line in headings if not re.match(r"#{1,4} [^\s#*$-]", line) or re.match(r"# \d+\.", line)
            ]
            assert not comment_style and len(headings) <= 2, (
                f"markdown cell starting {lines[0]!r}: lines {comment_style or headings} render as headings"
            )


# ---------------------------------------------------------------------------------------
# The rules above can fail: each breaks on one planted defect in a copy of notebook 03
# ---------------------------------------------------------------------------------------


def _at_the_end(cell):
    """Not a your-turn point inside the teaching part: one of the exercises at the end."""
    return "your-turn" not in cell.metadata.get("tags", [])


def _first_solution(notebook):
    return next(index for index, cell in enumerate(notebook.cells) if is_solution(cell) and _at_the_end(cell))


def _first_code(notebook):
    return next(
        index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code" and not is_solution(cell)
    )


def _unhide_outputs(notebook):
    notebook.cells[_first_solution(notebook)].metadata.jupyter.pop("outputs_hidden")


def _answer_in_first_line(notebook):
    cell = notebook.cells[_first_solution(notebook)]
    cell.source = "# Exercise 1: copy the arrays, then nudge each entry\n" + cell.source.split("\n", 1)[1]


def _first_stub(notebook):
    return next(
        index
        for index, cell in enumerate(notebook.cells)
        if "exercise" in cell.metadata.get("tags", []) and _at_the_end(cell)
    )


def _drop_check_cell(notebook):
    del notebook.cells[_first_stub(notebook) + 1]


def _separate_check_cell(notebook):
    notebook.cells.insert(_first_stub(notebook) + 1, nbformat.v4.new_markdown_cell("Now check it:"))


def _solution_under_the_learners_name(notebook):
    cell = notebook.cells[_first_solution(notebook)]
    cell.source = cell.source.replace("solution_", "my_")


def _mention_the_source(notebook):
    notebook.cells[_first_code(notebook)].source += "\n# the same imports as the original notebook"


def _assert_that_cannot_fail(notebook):
    notebook.cells[_first_code(notebook)].source += "\nassert (1 == 2, 'a tuple is always true')"


def _unasserted_figure(notebook):
    index, figure = next(
        (index, printed)
        for index, printed in printed_numbers(notebook)
        if "." in printed and not _has_assert(parse(notebook.cells[index])) and not is_guard(notebook.cells[index + 1])
    )
    notebook.cells.insert(index + 1, nbformat.v4.new_markdown_cell(f"The first of them is {figure}."))


def _second_visible_assert(notebook):
    notebook.cells[_first_code(notebook)].source += "\nassert np.pi > 3\nassert np.e > 2"


def _drop_estimated_time(notebook):
    notebook.cells[0].source = re.sub(r"\*Estimated time.*\n", "", notebook.cells[0].source)


PLANTED_DEFECTS = [
    (_unhide_outputs, test_solutions_are_collapsed_and_start_with_a_neutral_line, "outputs_hidden true"),
    (
        _answer_in_first_line,
        test_solutions_are_collapsed_and_start_with_a_neutral_line,
        "first line must be '# Solution to exercise 1'",
    ),
    (_drop_check_cell, test_write_code_exercises_wait_for_the_learner, "checked by check_numerical_gradient"),
    (_separate_check_cell, test_write_code_exercises_wait_for_the_learner, "does not directly follow its exercise"),
    (_solution_under_the_learners_name, test_write_code_exercises_wait_for_the_learner, "has its own name"),
    (_mention_the_source, test_the_notebook_stands_on_its_own, "'original notebook'"),
    (
        _assert_that_cannot_fail,
        test_claims_are_backed_by_real_asserts_and_checked_against_the_helpers,
        "can never fail",
    ),
    (_unasserted_figure, test_claims_are_backed_by_real_asserts_and_checked_against_the_helpers, "without any assert"),
    (_drop_estimated_time, test_every_notebook_has_the_series_structure, "Estimated time"),
    (_second_visible_assert, test_a_teaching_cell_shows_at_most_one_check_and_the_guards_are_hidden, "assert lines"),
]


@pytest.mark.parametrize(
    "mutate, test, message", PLANTED_DEFECTS, ids=[mutate.__name__.lstrip("_") for mutate, _, _ in PLANTED_DEFECTS]
)
def test_each_rule_fails_on_a_planted_defect(tmp_path, mutate, test, message):
    path = tmp_path / "03_manual_backprop.ipynb"
    notebook = read(ROOT / "notebooks" / path.name)
    nbformat.write(notebook, path)
    test(path)  # the real notebook passes ...
    mutate(notebook)
    nbformat.write(notebook, path)
    with pytest.raises(AssertionError, match=re.escape(message)):
        test(path)  # ... and the planted defect is reported


# ---------------------------------------------------------------------------------------
# Regeneration
# ---------------------------------------------------------------------------------------


def test_a_failing_notebook_is_left_byte_identical(tmp_path):
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("print('first cell runs')"),
            nbformat.v4.new_code_cell("raise RuntimeError('broken on purpose')"),
        ]
    )
    path = tmp_path / "broken.ipynb"
    nbformat.write(notebook, path)
    before = path.read_bytes()
    with pytest.raises(Exception, match="broken on purpose"):
        regenerate(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.ipynb"]


def test_a_warning_refuses_to_store(tmp_path):
    path = tmp_path / "warns.ipynb"
    nbformat.write(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import warnings; warnings.warn('unstable text')")]),
        path,
    )
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


DIED_AT_START = "Kernel died before replying to kernel_info"


@pytest.mark.parametrize(
    "errors, starts, raised",
    [
        ([DIED_AT_START], 2, None),  # started once more, then it runs
        ([DIED_AT_START, DIED_AT_START], 2, DIED_AT_START),  # but not a third time
        (["Kernel died"], 1, "Kernel died"),  # died during a cell: not started again
    ],
)
def test_a_kernel_that_dies_before_its_first_reply_is_started_once_more(monkeypatch, errors, starts, raised):
    # Another process can take a port jupyter_client chose before the kernel binds it.
    from nbclient import NotebookClient

    started = []

    def execute(client):
        started.append(client)
        if len(started) <= len(errors):
            raise RuntimeError(errors[len(started) - 1])
        return client.nb

    monkeypatch.setattr(NotebookClient, "execute", execute)
    notebook = nbformat.v4.new_notebook()
    if raised is None:
        assert rnn_helpers.grading.execute_in_fresh_kernel(notebook, ".", timeout=10) is notebook
    else:
        with pytest.raises(RuntimeError, match=raised):
            rnn_helpers.grading.execute_in_fresh_kernel(notebook, ".", timeout=10)
    assert len(started) == starts
