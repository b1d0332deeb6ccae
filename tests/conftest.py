import sys
from pathlib import Path

import numpy as np
import pytest

from rnn_helpers import init_params

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

# The central-difference step for the tests' gradient checks (their values are near 1):
# every correct gradient checked here then agrees to within GRADIENT_TOLERANCE / 10.
# The default step, 1e-6, leaves only a factor 3 on the stacked ReLU layers, whose
# bottom-layer gradients are small.
STEP = 1e-5


@pytest.fixture
def toy_params():
    """The seed's ReLU-toy weights: np.random.seed(0); rand(1,2), rand(2,2), rand(2,1); zero biases."""
    random = np.random.RandomState(0)
    i_weight, h_weight, o_weight = random.rand(1, 2), random.rand(2, 2), random.rand(2, 1)
    return {
        "i_weight": i_weight,
        "h_weight": h_weight,
        "h_bias": np.zeros((1, 2)),
        "o_weight": o_weight,
        "o_bias": np.zeros((1, 1)),
    }


def random_problem(n_inputs, n_hidden, n_outputs, steps, batch=None, seed=0):
    """Parameters, inputs and targets of a small random problem with non-zero biases."""
    random = np.random.default_rng(seed)
    params = init_params(n_inputs, n_hidden, n_outputs, seed=seed)
    shape = (steps,) if batch is None else (batch, steps)
    x = random.normal(size=shape + (n_inputs,))
    y = random.normal(size=shape + (n_outputs,))
    return params, x, y


@pytest.fixture(scope="session")
def course_csv(tmp_path_factory):
    """A 13,500-row file shaped like the course's, with a 911-day gap (benchmarks/course_shaped_file.py)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from course_shaped_file import write_course_shaped_file
    finally:
        sys.path.remove(str(BENCHMARKS))
    return write_course_shaped_file(tmp_path_factory.mktemp("course") / "clean_weather.csv")
