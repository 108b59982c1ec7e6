"""What `--help` says matches what the commands do: formats, limits, exit codes, --version."""

from __future__ import annotations

from importlib.metadata import version

from qa_app.domain.agreement.ratings import ALIASES
from qa_app.store.imports.service import KINDS
from qa_app.store.users import MIN_PASSWORD_LENGTH


def help_text(cli, *command: str) -> str:
    """The help of ``command`` with its line wrapping undone."""
    result = cli(*command, "--help")
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_import_help_names_every_kind_of_import(cli):
    text = help_text(cli, "import")
    for kind in (*KINDS, "ratings"):
        assert kind in text.split("Commands:")[0], kind
        assert f" {kind} " in text.split("Commands:")[1], kind


def test_users_add_help_gives_the_password_minimum(cli):
    assert f"at least {MIN_PASSWORD_LENGTH} characters" in help_text(cli, "users", "add")


def test_db_status_help_gives_its_exit_codes(cli):
    text = help_text(cli, "db", "status")
    assert "Exit code 0 when the database is up to date, 1 when it is empty or behind" in text


def test_agreement_help_names_every_column_alias(cli):
    text = help_text(cli, "agreement")
    for column, others in ALIASES.items():
        for other in others:
            assert other in text and f"is read as {column}" in text, other


def test_version_prints_the_installed_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.output == f"qa-app {version('qa_app')}\n"
