"""Project-wide pytest settings: the generated student copies are not nbval's to run.

``notebooks/student/`` holds copies whose exercise cells raise ``NotImplementedError`` on
purpose; ``tests/test_student_copies.py`` checks them instead. ``pytester`` runs small
pytest sessions inside a test (``tests/test_notebook_guard.py``).
"""

collect_ignore_glob = ["notebooks/student/*"]
pytest_plugins = ["pytester"]
