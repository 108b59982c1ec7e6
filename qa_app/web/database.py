"""The web app's database: its engine, and one session per request, closed at teardown.

On PostgreSQL each request's transactions get a statement timeout, so no page waits on the
database longer than that (commands and background exports may run long statements).
"""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from qa_app.db import Timeouts, get_engine_for, make_engine


def init_app(app: Flask) -> None:
    """Create the engine, keep it in ``app.extensions`` and close request sessions on teardown."""
    app.extensions["qa_app.engine"] = make_engine(
        app.config["DATABASE_URL"], Timeouts.from_config(app.config)
    )
    app.teardown_appcontext(_close_session)


def get_engine() -> Engine:
    """The current app's engine."""
    return get_engine_for(current_app)


def get_session() -> Session:
    """The request's database session, opened on first use.

    On PostgreSQL each of its transactions gets the statement timeout, so no page waits on
    the database for longer than that.
    """
    if "db_session" not in g:
        engine = get_engine()
        session = Session(engine, expire_on_commit=False)
        # A background analysis (web/background.py) sets its own, longer limit.
        limit = g.get("statement_timeout", current_app.config.get("DB_STATEMENT_TIMEOUT", 0))
        if limit and engine.dialect.name == "postgresql":
            event.listen(session, "after_begin", _statement_timeout(limit))
        g.db_session = session
    return g.db_session


def _statement_timeout(seconds: float):
    # SET LOCAL ends with the transaction, so the pooled connection goes back without it.
    statement = f"SET LOCAL statement_timeout = {round(seconds * 1000)}"

    def after_begin(_session, _transaction, connection) -> None:
        connection.exec_driver_sql(statement)

    return after_begin


def _close_session(_exc) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
