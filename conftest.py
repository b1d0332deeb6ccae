"""Project-wide pytest settings: which notebooks nbval runs, and in which order files run.

``notebooks/student/`` holds the generated copies without solutions;
``tests/test_student_copies.py`` and the browser test check them instead.
"""

from collections import Counter

collect_ignore_glob = ["notebooks/student/*"]


def pytest_collection_modifyitems(items):
    """The order in which pytest-xdist hands out files (``--no-loadscope-reorder``, see notebook_guard).

    The browser test first (the longest file, it must not start last), then the
    notebooks, the most cells first, then the other test files.
    """
    cells = Counter(item.path for item in items)

    def order(item):
        if item.path.name == "test_browser.py":
            return (0, 0)
        return (1, -cells[item.path]) if item.path.suffix == ".ipynb" else (2, 0)

    items.sort(key=order)
