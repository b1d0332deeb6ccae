"""The project's set-up files agree with each other."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def package_name(requirement):
    return re.split(r"[\s<>=!~\[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = {package_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        needed |= {package_name(r) for r in extra}
    text = (ROOT / "environment.yml").read_text()
    lines = text.split("dependencies:", 1)[1].splitlines()
    listed = {package_name(line.split("- ", 1)[1]) for line in lines if re.match(r"^\s+- [A-Za-z]", line)}
    listed -= {"python", "pip", "pip:"}
    assert listed == needed, f"only in environment.yml: {listed - needed}; only in pyproject.toml: {needed - listed}"
    # conda runs pip from the folder of environment.yml, the project root: "-e ." is the project.
    pip_lines = [line.strip() for line in lines if line.strip().startswith("- -e")]
    assert pip_lines == ["- -e ."], f"environment.yml must pip-install the project with '-e .', found {pip_lines}"
