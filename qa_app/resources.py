"""Files shipped inside the installed package: the rubrics and the web app's static files.

The repository keeps them at its top (``rubrics/``, ``static/``); the build maps them into the
package as ``qa_app.rubrics`` and ``qa_app.static`` (pyproject.toml), so an installed qa_app and
a checkout find them the same way: through the package, never through the working directory.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def shipped_rubrics_dir() -> Path:
    """The folder of rubric files that ship with this version of qa_app."""
    return Path(str(files("qa_app.rubrics")))


def static_dir() -> Path:
    """The folder the web app serves under ``/static``."""
    return Path(str(files("qa_app.static")))
