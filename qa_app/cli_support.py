"""What every ``qa-app`` command needs: the app, its engine, connections closed at the end."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy.engine import Engine

from qa_app import create_app, db


def command_app(check_schema: bool = True) -> tuple[Flask, Engine]:
    """The app and engine for this command; a schema that is not up to date is a clear error."""
    try:
        app = create_app({"CHECK_SCHEMA": check_schema})
    except db.SchemaOutOfDate as exc:
        raise click.ClickException(str(exc)) from None
    engine = db.get_engine_for(app)
    click.get_current_context().call_on_close(engine.dispose)
    return app, engine
