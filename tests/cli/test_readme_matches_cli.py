"""The README's "CLI reference" table and the `qa-app` click group describe the same commands.

A new command without a row, a row for a command that is gone, or a row showing an option the
command does not have fails here.
"""

from __future__ import annotations

import re

import click
import pytest

from qa_app.cli.main import main
from tests.cli.test_cli_imports import leaf_commands
from tests.conftest import PROJECT_ROOT

README = PROJECT_ROOT / "docs" / "cli.md"
# A cell boundary is a pipe not escaped as `\|` (which the table uses inside code spans).
CELL_BOUNDARY = re.compile(r"(?<!\\)\|")
OPTION = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)")


def cli_reference_rows() -> list[str]:
    """The command of each table row in the "CLI reference" section, e.g. ``qa-app db status``."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## CLI reference\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = CELL_BOUNDARY.split(line)
        if not line.startswith("|") or len(cells) < 3:
            continue
        code = re.search(r"`(qa-app\b[^`]*)`", cells[1])
        if code:
            rows.append(code.group(1).replace("\\|", "|"))
    return rows


def resolve(row: str) -> tuple[tuple[str, ...], click.Command, list[str]]:
    """The command path a row names, the click command, and the words after it."""
    words = row.split()[1:]
    command: click.Command = main
    path: list[str] = []
    while words and isinstance(command, click.Group) and words[0] in command.commands:
        path.append(words[0])
        command = command.commands[words.pop(0)]
    return tuple(path), command, words


def option_names(command: click.Command) -> set[str]:
    context = click.Context(command, info_name="qa-app")
    names = set()
    for param in command.get_params(context):
        if isinstance(param, click.Option):
            names.update(param.opts, param.secondary_opts)
    return names


ROWS = cli_reference_rows()


def test_the_table_was_found():
    assert len(ROWS) >= 15 and ROWS[0].startswith("qa-app ")


def test_every_command_has_a_row():
    documented = {" ".join(resolve(row)[0]) for row in ROWS}
    assert [path for path in leaf_commands() if path not in documented] == []


@pytest.mark.parametrize("row", ROWS)
def test_every_row_names_a_command_and_its_real_options(row):
    path, command, rest = resolve(row)
    # What follows the command is placeholders (FILE, NAME...), [optional] parts and options;
    # a lower-case word there is a subcommand click does not know.
    unknown = rest[0] if rest and re.match(r"[a-z]", rest[0]) else None
    assert unknown is None, f"`{row}`: no command '{unknown}' under qa-app {' '.join(path)}"
    if isinstance(command, click.Group):
        assert rest and rest[0].startswith("-"), f"`{row}` names a group, not a command"
    missing = sorted(set(OPTION.findall(" ".join(rest))) - option_names(command))
    assert missing == [], f"`{row}`: qa-app {' '.join(path)} has no option {', '.join(missing)}"
