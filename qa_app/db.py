"""Engine creation, transactions and the schema revision: shared by the web app and the CLI.

The web app's per-request sessions are in qa_app/web/database.py."""

from __future__ import annotations

import re
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine, make_url

if TYPE_CHECKING:  # Flask, SQLModel and Alembic load in the functions that use them, so that
    # `qa-app db status` and the CLI's other commands start without the web app's imports.
    from alembic.config import Config
    from flask import Flask

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
        if parsed.database and parsed.database != ":memory:":
            event.listen(engine, "connect", _owner_only(Path(parsed.database)))
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


def _owner_only(path: Path):
    """A connect hook that keeps the database file and its WAL and shared-memory files readable
    by their owner alone: they hold password hashes and transcripts, and SQLite creates them
    with the umask's permissions (usually readable by every user of the machine)."""

    def restrict(_dbapi_connection, _record) -> None:
        for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            try:
                if file.stat().st_mode & 0o077:
                    file.chmod(0o600)
            except FileNotFoundError:
                pass

    return restrict


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


# PostgreSQL error codes that mean the server is not there to answer: connection exceptions
# (class 08), an administrator or crash shutdown, a server still starting, too many clients.
UNREACHABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def is_unreachable(error: BaseException | None) -> bool:
    """True when ``error`` says the database could not be reached at all (refused, down,
    restarting, its file unopenable): like a busy database, the same request may succeed in
    a moment, and nothing was saved."""
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    original = error.orig
    if isinstance(original, sqlite3.OperationalError):
        return "unable to open database file" in str(original).lower()
    if not isinstance(error, sa_exc.OperationalError):
        return False
    # psycopg gives a failed connection no SQLSTATE: the server never answered.
    sqlstate = getattr(original, "sqlstate", "")
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in UNREACHABLE_SQLSTATES


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that runs this package's migrations on ``engine``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


# A migration file's own `revision = "0014"` and `down_revision = "0013"` lines.
_REVISION_LINE = re.compile(r'^(revision|down_revision)\s*(?::[^=]*)?=\s*(?:"([^"]*)"|None)', re.M)


@cache
def head_revision() -> str:
    """The newest migration revision shipped with this code: the one no other names as its
    down_revision.

    Read from the migration files' `revision` lines, not through Alembic's script directory:
    importing Alembic costs more than everything else `qa-app db status` does, and every
    command and server start checks the schema. tests/store/test_schema_revisions.py holds
    this equal to Alembic's own answer.
    """
    revisions, parents = set(), set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict((m.group(1), m.group(2)) for m in _REVISION_LINE.finditer(path.read_text()))
        if "revision" in found:
            revisions.add(found["revision"])
            if found.get("down_revision"):
                parents.add(found["down_revision"])
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads ({sorted(heads)}); need one")
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (Alembic's version table), or None for an empty one."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    if len(versions) > 1:
        raise SchemaOutOfDate(f"the database has {len(versions)} schema revisions; expected one")
    return versions[0][0] if versions else None


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; return (before, after)."""
    from alembic import command

    before = current_revision(engine)
    command.upgrade(alembic_config(engine), "head")
    return before, head_revision()


def refuse_missing_sqlite_file(url: str) -> None:
    """Raise :class:`SchemaOutOfDate` when ``url`` is a SQLite file that does not exist, before
    anything connects to it (SQLite would create it, and its folder, empty)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    if not Path(parsed.database).exists():
        shown = parsed.render_as_string(hide_password=True)
        raise SchemaOutOfDate(
            f"The database at {shown} has no qa_app schema yet. Run `{UPGRADE_COMMAND}` to "
            "create it."
        )


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


def get_engine_for(app: Flask) -> Engine:
    """The engine the app made at start (qa_app.web.database.init_app)."""
    return app.extensions["qa_app.engine"]


@contextmanager
def transaction(engine: Engine):
    """A session whose work commits on success and rolls back entirely on any error."""
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
