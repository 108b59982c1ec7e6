"""`qa-app --help` stays fast: the CLI loads no heavy library until a command runs.

The timing is a benchmark (tests/benchmarks/test_cli_speed.py, make bench); this test guards
the cause instead, so a top-level import that brings back Flask or NumPy fails the normal suite.
"""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from qa_app.cli import agreement as cli_agreement
from qa_app.cli import flags as cli_exports
from qa_app.cli import users as cli_users
from qa_app.cli.main import main
from qa_app.domain.agreement import LEVELS
from qa_app.domain.agreement.report import BOOTSTRAP_METHODS, DEFAULT_REPLICATES
from qa_app.models import Role
from qa_app.store.flags.exports import FORMATS
from qa_app.store.users import MIN_PASSWORD_LENGTH

HEAVY = ("flask", "sqlalchemy", "sqlmodel", "alembic", "numpy", "pandas", "openpyxl", "matplotlib")

# Runs in a fresh interpreter: this test process has long since imported everything.
RENDER_EVERY_HELP = """
import json, sys
import click
import qa_app.cli.main

def walk(command, parent, name):
    context = click.Context(command, info_name=name, parent=parent)
    text = command.get_help(context)
    assert "Usage:" in text
    yield " ".join(context.command_path.split()[1:]) or "(main)"
    if isinstance(command, click.Group):
        for sub in command.list_commands(context):
            yield from walk(command.get_command(context, sub), context, sub)

helped = list(walk(qa_app.cli.main.main, None, "qa-app"))
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"helped": helped, "loaded": loaded}))
"""


def leaf_commands(group: click.Group = main, prefix: str = "") -> list[str]:
    """Every runnable command path under ``group``, e.g. ``users add``."""
    paths = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            paths += leaf_commands(command, f"{path} ")
        else:
            paths.append(path)
    return paths


def test_rendering_every_help_loads_no_heavy_library():
    done = subprocess.run(
        [sys.executable, "-c", RENDER_EVERY_HELP], capture_output=True, text=True, check=True
    )
    seen = json.loads(done.stdout)
    # The walk really reached every command (a broken walk would pass vacuously).
    assert set(leaf_commands()) <= set(seen["helped"])
    assert "users deactivate" in seen["helped"] and "import ratings" in seen["helped"]
    assert [name for name in HEAVY if name in seen["loaded"]] == []


@pytest.mark.parametrize(
    ("copy", "original"),
    [
        (cli_users.ROLES, tuple(r.value for r in Role)),
        (cli_users.MIN_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH),
        (cli_agreement.LEVELS, LEVELS),
        (cli_agreement.BOOTSTRAP_METHODS, BOOTSTRAP_METHODS),
        (cli_agreement.DEFAULT_REPLICATES, DEFAULT_REPLICATES),
        (cli_exports.FORMATS, FORMATS),
    ],
)
def test_constants_copied_to_keep_the_cli_light_match_their_source(copy, original):
    assert copy == original
