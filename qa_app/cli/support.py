"""What every ``qa-app`` command needs: the app, its engine, connections closed at the end.

Flask, SQLAlchemy and the app itself are imported inside the functions that use them, so that
`qa-app --help` and commands that need no database (`qa-app agreement`) start quickly.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.engine import Engine
    from sqlalchemy.exc import OperationalError


def command_app(check_schema: bool = True) -> tuple[Flask, Engine]:
    """The app and engine for this command; a schema that is not up to date is a clear error."""
    from sqlalchemy.exc import ArgumentError, OperationalError

    from qa_app import create_app, db
    from qa_app.config import SettingsError

    try:
        app = create_app({"CHECK_SCHEMA": check_schema})
    except (db.SchemaOutOfDate, SettingsError) as exc:
        raise click.ClickException(str(exc)) from None
    except ArgumentError:
        raise click.ClickException(
            "QA_APP_DATABASE_URL is not a database URL (e.g. sqlite:////srv/qa/qa.sqlite3 or "
            "postgresql+psycopg://user:pass@host:5432/qa_app)"
        ) from None
    except OperationalError as exc:
        raise unreachable_database(exc) from None
    engine = db.get_engine_for(app)
    click.get_current_context().call_on_close(engine.dispose)
    return app, engine


def check_output_path(path: Path, source: Path | None = None) -> None:
    """Refuse, before any work is done, a file that cannot be written where it is asked for."""
    if source is not None and path.resolve() == source.resolve():
        raise click.ClickException(f"{path} is the input file; choose another name")
    if path.is_dir():
        raise click.ClickException(f"{path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise click.ClickException(f"folder {path.parent} does not exist")


def unreachable_database(exc: OperationalError) -> click.ClickException:
    """The driver's first line says what failed: refused, unknown host, bad password."""
    reason = str(exc.orig or exc).strip().splitlines()[0]
    return click.ClickException(f"cannot use the database: {reason}")


class DatabaseAwareGroup(click.Group):
    """Commands whose database stops answering end with one line, not a traceback."""

    def invoke(self, ctx):
        """Run the command; a lost database connection becomes a one-line error."""
        try:
            return super().invoke(ctx)
        except Exception as exc:
            # Only a command that loaded SQLAlchemy can raise its errors; checking sys.modules
            # first keeps SQLAlchemy out of `--help` and of commands without a database.
            if "sqlalchemy" in sys.modules:
                from sqlalchemy.exc import OperationalError

                if isinstance(exc, OperationalError):
                    raise unreachable_database(exc) from None
            raise


def output_format_option(help: str = "Output format."):  # noqa: A002 - click's own name
    """``--format table|json|csv`` (default table), passed to the command as ``output``."""
    return click.option(
        "--format",
        "output",
        type=click.Choice(("table", "json", "csv")),
        default="table",
        show_default=True,
        help=help,
    )


def as_of_option(help: str):  # noqa: A002 - click's own name
    """``--as-of YYYY-MM-DD``, passed to the command as ``as_of`` (a datetime, or None);
    ``help`` says what the day means for this command and its default."""
    return click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help=help)


def table_or_json_option(command):
    """``--format table|json`` (default table), passed to the command as ``output``."""
    return click.option(
        "--format",
        "output",
        type=click.Choice(("table", "json")),
        default="table",
        show_default=True,
        help="Output format.",
    )(command)
