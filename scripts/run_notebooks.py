"""Re-execute notebooks in a fresh kernel and store their outputs in place.

    uv run python scripts/run_notebooks.py                  # every notebook in notebooks/
    uv run python scripts/run_notebooks.py notebooks/03_manual_backprop.ipynb

A notebook is written only after all of its cells ran without an error and without
printing to stderr (a warning would make the stored output unstable), so a failure
or an interruption leaves the stored file exactly as it was. Timing and widget
metadata are dropped and PYTHONHASHSEED is fixed, so two runs give identical files.
A live widget (an explorer's sliders) is not stored: it needs a running kernel, its id
is random, and the static figure below each explorer carries the lesson without it.
"""

import argparse
import os
import sys
from pathlib import Path

import nbformat

from rnn_helpers.grading import execute_in_fresh_kernel

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
KERNEL_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class UnstableOutputError(RuntimeError):
    """A cell printed to stderr: its stored output would not reproduce under nbval."""


def merge_streams(outputs):
    """Join consecutive writes to the same stream; the kernel splits them at random points."""
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.get("output_type") == "stream"
            and previous is not None
            and previous.get("output_type") == "stream"
            and previous.name == output.name
        ):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def execute(path, timeout=600):
    """Run the notebook at ``path`` in a fresh kernel; return the executed notebook."""
    notebook = nbformat.read(path, as_version=4)
    os.environ["PYTHONHASHSEED"] = "0"  # inherited by the kernel
    execute_in_fresh_kernel(notebook, Path(path).parent, timeout)
    for index, cell in enumerate(notebook.cells):
        cell.metadata.pop("execution", None)
        if "outputs" in cell:
            cell.outputs = [
                output for output in merge_streams(cell.outputs) if WIDGET_VIEW not in output.get("data", {})
            ]
        for output in cell.get("outputs", []):
            if output.get("name") == "stderr":
                raise UnstableOutputError(
                    f"{path}: cell {index} wrote to stderr ({output['text'][:200]!r}); fix the "
                    "cause (for example a warning) so the stored output is stable."
                )
    notebook.metadata = nbformat.NotebookNode(KERNEL_METADATA)
    return notebook


def regenerate(path):
    """Execute ``path`` and replace it with the executed notebook, atomically."""
    path = Path(path)
    text = nbformat.writes(execute(path)) + "\n"
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: all in notebooks/)")
    args = parser.parse_args(argv)
    paths = args.paths or sorted(NOTEBOOKS.glob("*.ipynb"))
    for path in paths:
        print(f"running {path.name} ...", flush=True)
        regenerate(path)
    print(f"stored fresh outputs in {len(paths)} notebook(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
