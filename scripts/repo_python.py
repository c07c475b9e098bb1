"""Run an entry script with the repository's virtualenv when the running Python lacks its requirements.

Standard library only: it runs before anything from requirements.txt can be imported.
"""

import os
import re
import sys
from importlib import metadata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".venv")
SETUP = "run bin/serve once, or python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"


def required_distributions(path: str) -> list[str]:
    """The distribution names a requirements file lists (options such as ``-r`` skipped)."""
    names = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            requirement = line.split("#", 1)[0].strip()
            if requirement and not requirement.startswith("-"):
                names.append(re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0])
    return names


def missing_distributions(names: list[str]) -> list[str]:
    """Those of ``names`` not installed for the running Python."""
    missing = []
    for name in names:
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
    return missing


def running_in_venv() -> bool:
    """Whether the running Python is the repository's ``.venv``."""
    return os.path.realpath(sys.prefix) == os.path.realpath(VENV)


def use_repo_python(script: str) -> None:
    """Return when this Python has every package of requirements.txt; else run ``script`` again with
    ``.venv/bin/python`` and the same arguments, or exit 2 saying how to create the virtualenv."""
    missing = missing_distributions(required_distributions(os.path.join(ROOT, "requirements.txt")))
    if not missing:
        return
    python = os.path.join(VENV, "bin", "python")
    if not running_in_venv() and os.access(python, os.X_OK):
        os.execv(python, [python, os.path.abspath(script), *sys.argv[1:]])
    where = f"the virtualenv {VENV}" if running_in_venv() else f"{sys.executable} (and there is no {VENV})"
    print(f"error: {where} lacks {', '.join(missing)} from requirements.txt: {SETUP}", file=sys.stderr)
    sys.exit(2)
