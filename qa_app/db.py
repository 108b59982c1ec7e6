"""Engine creation, per-request sessions and the Alembic schema commands."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
UPGRADE_COMMAND = "qa-app db upgrade"


class SchemaOutOfDate(RuntimeError):
    """The database schema is not at the revision this code expects."""


@dataclass(frozen=True)
class Timeouts:
    """How long database work may wait for others, in seconds; 0 means no limit.

    Without limits one lock held too long (a migration, a stuck transaction) blocks every
    server thread in turn and the whole site stops answering. With them, a request that
    waits too long fails with a "database is busy, try again" page and the thread is free.
    """

    lock: float = 5.0  # PostgreSQL: waiting for a lock another connection holds
    busy: float = 15.0  # SQLite: waiting for another connection's write to finish
    pool: float = 10.0  # waiting for a free connection from the pool

    @classmethod
    def from_config(cls, config) -> Timeouts:
        return cls(
            lock=config["DB_LOCK_TIMEOUT"],
            busy=config["DB_BUSY_TIMEOUT"],
            pool=config["DB_POOL_TIMEOUT"],
        )


def _milliseconds(seconds: float) -> int:
    return round(seconds * 1000)


def _waiting(seconds: float) -> float:
    """A wait for the pool or SQLite, where 0 would mean "do not wait at all": a day instead."""
    return seconds or 86400.0


def make_engine(url: str, timeouts: Timeouts | None = None) -> Engine:
    """Create an engine; SQLite gets WAL mode, enforced foreign keys and a busy timeout,
    PostgreSQL a lock timeout (the statement timeout is set per web request, see
    :func:`get_session`: commands and background exports may run long statements)."""
    timeouts = timeouts or Timeouts()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            pool = {"pool_timeout": _waiting(timeouts.pool)}
        else:
            pool = {}  # one shared connection: there is no pool to wait for
        # sqlite3's timeout is SQLite's busy timeout: how long a write waits for another.
        engine = create_engine(url, connect_args={"timeout": _waiting(timeouts.busy)}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = {}
    if parsed.get_backend_name() == "postgresql":
        # The URL's own options (e.g. a search_path, or a different lock_timeout) come last
        # and so win over ours.
        own = parsed.query.get("options", "")
        own = " ".join(own) if isinstance(own, tuple) else own
        ours = f"-c lock_timeout={_milliseconds(timeouts.lock)}"
        connect_args["options"] = f"{ours} {own}".strip()
    return create_engine(
        url, pool_pre_ping=True, pool_timeout=_waiting(timeouts.pool), connect_args=connect_args
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


# PostgreSQL error codes that mean "waited too long or collided, try again", not a fault:
# lock_not_available (lock_timeout), query_canceled (statement_timeout), deadlock_detected,
# serialization_failure.
BUSY_SQLSTATES = frozenset({"55P03", "57014", "40P01", "40001"})


def is_busy(error: BaseException | None) -> bool:
    """True when ``error`` says the database was too busy (a timeout or lock), so the same
    request is likely to succeed in a moment; False for faults such as a broken query."""
    if isinstance(error, sa_exc.TimeoutError):  # no pooled connection came free in time
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    original = error.orig
    if getattr(original, "sqlstate", None) in BUSY_SQLSTATES:
        return True
    if isinstance(original, sqlite3.OperationalError):
        text = str(original).lower()
        return (
            "database is locked" in text or "database table is locked" in text or ("busy" in text)
        )
    return False


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that runs this package's migrations on ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The newest migration revision shipped with this code."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return script.get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; return (before, after)."""
    before = current_revision(engine)
    command.upgrade(alembic_config(engine), "head")
    return before, head_revision()


def check_schema(engine: Engine) -> None:
    """Raise :class:`SchemaOutOfDate` unless the database is at the head revision."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    url = engine.url.render_as_string(hide_password=True)
    if current is None:
        raise SchemaOutOfDate(
            f"The database at {url} has no qa_app schema yet. Run `{UPGRADE_COMMAND}` to create it."
        )
    raise SchemaOutOfDate(
        f"The database at {url} is at schema revision {current}, this version of qa_app needs "
        f"{head}. Run `{UPGRADE_COMMAND}` to bring it up to date."
    )


def init_app(app: Flask) -> None:
    """Create the engine, keep it in ``app.extensions`` and close request sessions on teardown."""
    app.extensions["qa_app.engine"] = make_engine(
        app.config["DATABASE_URL"], Timeouts.from_config(app.config)
    )
    app.teardown_appcontext(_close_session)


def get_engine_for(app: Flask) -> Engine:
    return app.extensions["qa_app.engine"]


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
        limit = current_app.config.get("DB_STATEMENT_TIMEOUT", 0)
        if limit and engine.dialect.name == "postgresql":
            event.listen(session, "after_begin", _statement_timeout(limit))
        g.db_session = session
    return g.db_session


def _statement_timeout(seconds: float):
    # SET LOCAL ends with the transaction, so the pooled connection goes back without it.
    statement = f"SET LOCAL statement_timeout = {_milliseconds(seconds)}"

    def after_begin(_session, _transaction, connection) -> None:
        connection.exec_driver_sql(statement)

    return after_begin


def _close_session(_exc) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def transaction(engine: Engine):
    """A session whose work commits on success and rolls back entirely on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
