"""Mutation proof: inject known mistakes into a copy of rnn_helpers and show the tests catch each.

    uv run python tests/mutations.py

Each mutation is applied to a temporary copy of the package, which is put first on
PYTHONPATH (the notebooks' kernels inherit it); then the unit tests and, separately, the
notebooks the mistake affects are run. The script first checks that the unmutated copy passes,
prints a table (mutation -> first failing test), and exits 1 if any mutation survives.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNIT_TESTS = ["tests/test_rnn.py", "tests/test_stack_and_training.py", "tests/test_data.py",
              "tests/test_bad_input.py"]
GRADIENT_NOTEBOOKS = ["notebooks/03_manual_backprop.ipynb", "notebooks/04_bptt_loop.ipynb"]

# (description, [(file, old text, new text), ...], notebooks affected)
MUTATIONS = [
    ("1 hidden-weight gradient uses the current hidden state",
     [("rnn.py", 'grads["h_weight"] = previous_hiddens.reshape', 'grads["h_weight"] = hiddens.reshape')], GRADIENT_NOTEBOOKS),
    ("2 hidden bias gets no gradient at step 0",
     [("rnn.py", 'grads["h_bias"] = all_steps.sum(axis=0, keepdims=True)',
       'grads["h_bias"] = pre_activation_grads[:, 1:].sum(axis=(0, 1))[np.newaxis]')], GRADIENT_NOTEBOOKS),
    ("3 hidden-bias gradient is a scalar mean",
     [("rnn.py", 'grads["h_bias"] = all_steps.sum(axis=0, keepdims=True)',
       'grads["h_bias"] = np.full((1, n_hidden), np.mean(all_steps))')], GRADIENT_NOTEBOOKS),
    ("4 tanh derivative dropped",
     [("rnn.py", "return 1.0 - hidden**2", "return np.ones_like(hidden)")],
     ["notebooks/02_tanh_forward.ipynb", *GRADIENT_NOTEBOOKS]),
    ("5 gradient from the next step not carried back",
     [("rnn.py", "hidden_grad = output_path_grads[:, step] + next_hidden_grad",
       "hidden_grad = output_path_grads[:, step]")], GRADIENT_NOTEBOOKS),
    ("6 hidden state not reset between sequences",
     [("rnn.py", "PARAM_NAMES = (", "_carried = {}\nPARAM_NAMES = ("),
      ("rnn.py", "hidden = np.zeros((n_sequences, n_hidden))",
       "hidden = _carried.get(n_hidden, np.zeros((1, n_hidden)))[-1:] * np.ones((n_sequences, 1))"),
      ("rnn.py", '    outputs = hiddens @ params["o_weight"]', '    _carried[n_hidden] = hidden\n    outputs = hiddens @ params["o_weight"]')],
     ["notebooks/01_relu_toy.ipynb", "notebooks/02_tanh_forward.ipynb"]),
    ("7 scaler fit on all rows (test leakage)",
     [("data.py", "scaler = fit_scaler(parts[0])", "scaler = fit_scaler(frame)")],
     ["notebooks/05_full_training.ipynb"]),
    ("8 chronological split overlaps its parts",
     [("data.py", "frame.iloc[train_end:valid_end]", "frame.iloc[train_end - 7:valid_end]")],
     ["notebooks/05_full_training.ipynb"]),
    ("9 hidden-weight gradient keeps only one step instead of summing over steps",
     [("rnn.py", 'grads["h_weight"] = previous_hiddens.reshape(-1, n_hidden).T @ all_steps',
       'grads["h_weight"] = previous_hiddens[:, 0].T @ pre_activation_grads[:, 0]')], GRADIENT_NOTEBOOKS),
    ("10 no gradient passed to the layer below",
     [("stack.py", "grads[index], output_grad = rnn_backward_with_input_grad(",
       "grads[index], input_grad = rnn_backward_with_input_grad("),
      ("stack.py", "        )\n    return grads", "        )\n        output_grad = 0 * input_grad\n    return grads")],
     ["notebooks/05_full_training.ipynb"]),
]


def run_tests(package_copy, paths):
    """Run pytest on ``paths`` with ``package_copy`` first on the path; return (passed, first failure)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(package_copy), os.environ.get("PYTHONPATH", "")]))
    # -P: do not put the working directory (with the real rnn_helpers) first on sys.path.
    done = subprocess.run([sys.executable, "-P", "-m", "pytest", "-x", "-q", *paths],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    failures = re.findall(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", done.stdout, flags=re.M)
    return done.returncode == 0, (failures[0] if failures else done.stdout.strip().splitlines()[-1:])


def mutated_copy(workdir, replacements):
    target = Path(workdir) / "rnn_helpers"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(ROOT / "rnn_helpers", target, ignore=shutil.ignore_patterns("__pycache__"))
    (Path(workdir) / "data").mkdir(exist_ok=True)  # the bundled CSV, where a checkout keeps it
    shutil.copy(ROOT / "data" / "seattle_weather.csv", Path(workdir) / "data")
    for file, old, new in replacements:
        path = target / file
        text = path.read_text()
        if text.count(old) != 1:
            raise SystemExit(f"mutation target not found exactly once in {file}: {old!r}; update tests/mutations.py")
        path.write_text(text.replace(old, new))
    return Path(workdir)


def main():
    with tempfile.TemporaryDirectory() as workdir:
        check = subprocess.run(
            [sys.executable, "-P", "-c", "import rnn_helpers; print(rnn_helpers.__file__)"], capture_output=True,
            text=True, env=dict(os.environ, PYTHONPATH=str(mutated_copy(workdir, []))), cwd=ROOT)
        if not check.stdout.startswith(workdir):
            raise SystemExit(f"the copy of rnn_helpers is not the one imported ({check.stdout.strip()})")
        passed, failure = run_tests(mutated_copy(workdir, []), UNIT_TESTS)
        if not passed:
            raise SystemExit(f"the unmutated package fails its tests ({failure}); fix that first")
        survivors = []
        print(f"{'mutation':55s} {'caught by a unit test':85s} caught by a notebook")
        for description, replacements, notebooks in MUTATIONS:
            package_copy = mutated_copy(workdir, replacements)
            unit_passed, unit_failure = run_tests(package_copy, UNIT_TESTS)
            notebooks_passed, notebook_failure = run_tests(package_copy, notebooks)
            print(f"{description:55s} {'-' if unit_passed else unit_failure:85s} "
                  f"{'-' if notebooks_passed else notebook_failure}", flush=True)
            if unit_passed and notebooks_passed:
                survivors.append(description)
    if survivors:
        print(f"{len(survivors)} mutation(s) survived: {survivors}")
        return 1
    print(f"all {len(MUTATIONS)} mutations caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
