"""What every ``qa-app`` command needs: the app, its engine, connections closed at the end."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, OperationalError

from qa_app import create_app, db
from qa_app.config import SettingsError


def command_app(check_schema: bool = True) -> tuple[Flask, Engine]:
    """The app and engine for this command; a schema that is not up to date is a clear error."""
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
        try:
            return super().invoke(ctx)
        except OperationalError as exc:
            raise unreachable_database(exc) from None
