"""Mutation proof: inject known mistakes into a copy of rnn_helpers and show the tests catch each.

    uv run python scripts/mutations.py               # unit tests and notebooks
    uv run python scripts/mutations.py --unit-only   # unit tests only (faster)

Each mutation is applied to a temporary copy of the package, which is put first on
PYTHONPATH (the notebooks' kernels inherit it); then the unit tests and, separately, the
notebooks the mistake affects are run (a notebook that does not exist is skipped with a note).
The mutations are the entries of the catalogue of known mistakes, ``rnn_helpers.mistakes``,
that edit the helpers' source; the self-checks diagnose the same entries. The script first
checks that the unmutated copy passes, prints a table (mutation -> first failing test), and
exits 1 if any mutation survives, that is if neither a unit test nor a notebook catches it.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from rnn_helpers.mistakes import MISTAKES, apply_edits  # noqa: E402  (the one catalogue of known mistakes)

UNIT_TESTS = [
    "tests/test_rnn.py",
    "tests/test_stack_and_training.py",
    "tests/test_data.py",
    "tests/test_bad_input.py",
    "tests/test_memory.py",
]

# Every catalogued mistake that can be put into the helpers' source. The self-checks name
# the same mistakes (tests/test_checks.py runs each edited helper through its self-check).
MUTATIONS = [mistake for mistake in MISTAKES if mistake.edits]


PYTEST_WITH_THE_COPY = """
import sys
import rnn_helpers
import pytest
copy = sys.argv.pop(1)
if not rnn_helpers.__file__.startswith(copy):
    print(f"imported {rnn_helpers.__file__}, not the copy in {copy}", file=sys.stderr)
    sys.exit(3)
sys.exit(pytest.main(sys.argv[1:]))
"""


def existing(paths):
    """The paths that exist; a note for each that does not (a notebook not written yet)."""
    found = [path for path in paths if (ROOT / path).exists()]
    for path in sorted(set(paths) - set(found)):
        print(f"note: {path} does not exist; skipped", flush=True)
    return found


def run_tests(package_copy, paths):
    """Run pytest on ``paths`` with ``package_copy`` first on the path; return (passed, first failure)."""
    if not paths:  # pytest with no path would run the whole configured suite
        return True, "-"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(package_copy), os.environ.get("PYTHONPATH", "")]))
    # -P: do not put the working directory (with the real rnn_helpers) first on sys.path; and
    # import the copy before pytest puts the root (its conftest.py's folder) first on sys.path.
    done = subprocess.run(
        [sys.executable, "-P", "-c", PYTEST_WITH_THE_COPY, str(package_copy), "-x", "-q", *paths],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode == 3:
        raise SystemExit(f"the tests did not import the copy of rnn_helpers: {done.stderr.strip()[-300:]}")
    failures = re.findall(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", done.stdout, flags=re.M)
    return done.returncode == 0, (failures[0] if failures else done.stdout.strip().splitlines()[-1:])


def mutated_copy(workdir, edits):
    """A copy of rnn_helpers (and the bundled data) in ``workdir`` with the catalogue's ``edits`` applied."""
    target = Path(workdir) / "rnn_helpers"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(ROOT / "rnn_helpers", target, ignore=shutil.ignore_patterns("__pycache__"))
    (Path(workdir) / "data").mkdir(exist_ok=True)  # the bundled CSV, where a checkout keeps it
    shutil.copy(ROOT / "data" / "seattle_weather.csv", Path(workdir) / "data")
    for file in sorted({file for file, _, _ in edits}):
        path = target / file
        path.write_text(apply_edits(path.read_text(), file, edits))
    return Path(workdir)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unit-only", action="store_true", help="run the unit tests only, not the notebooks")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        check = subprocess.run(
            [sys.executable, "-P", "-c", "import rnn_helpers; print(rnn_helpers.__file__)"],
            capture_output=True,
            text=True,
            env=dict(os.environ, PYTHONPATH=str(mutated_copy(workdir, []))),
            cwd=ROOT,
        )
        if not check.stdout.startswith(workdir):
            raise SystemExit(f"the copy of rnn_helpers is not the one imported ({check.stdout.strip()})")
        passed, failure = run_tests(mutated_copy(workdir, []), UNIT_TESTS)
        if not passed:
            raise SystemExit(f"the unmutated package fails its tests ({failure}); fix that first")
        survivors = []
        print(f"{'mutation':55s} {'caught by a unit test':85s} caught by a notebook")
        for number, mistake in enumerate(MUTATIONS, start=1):
            description = f"{number} {mistake.id}"
            notebooks = [f"notebooks/{name}.ipynb" for name in mistake.notebooks]
            package_copy = mutated_copy(workdir, mistake.edits)
            unit_passed, unit_failure = run_tests(package_copy, UNIT_TESTS)
            notebooks_passed, notebook_failure = (
                (True, "-") if args.unit_only else run_tests(package_copy, existing(notebooks))
            )
            notebook_column = "(not run)" if args.unit_only else "-" if notebooks_passed else notebook_failure
            print(f"{description:55s} {'-' if unit_passed else unit_failure:85s} {notebook_column}", flush=True)
            if unit_passed and notebooks_passed:
                survivors.append(description)
    if survivors:
        print(f"{len(survivors)} mutation(s) survived: {survivors}")
        return 1
    print(f"all {len(MUTATIONS)} mutations caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
