"""Online backups of a SQLite database, and restoring one, while the app keeps running.

SQLite's backup API copies a consistent snapshot page by page, taking only short read locks, so
reviewers keep saving during a backup; a restore writes through the same API into the live
file, so the running server processes see the restored data on their next query (no file is
swapped under their open connections). PostgreSQL has its own tools: pg_dump and pg_restore
(docs/admins.md, "Backups").
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

PAGES_PER_STEP = 1024  # between steps other connections may write


class BackupProblem(RuntimeError):
    """The backup or restore cannot be done; the message says why and what to do."""


def sqlite_path(url) -> Path:
    """The file of a SQLite URL; BackupProblem for any other database."""
    if url.get_backend_name() != "sqlite":
        raise BackupProblem(
            f"qa-app backup copies SQLite databases; this one is {url.get_backend_name()}. "
            "Use pg_dump and pg_restore (docs/admins.md, \"Backups\")."
        )
    if not url.database or url.database == ":memory:":
        raise BackupProblem("the database is in memory; there is no file to back up")
    return Path(url.database)


def backup_sqlite(database: Path, target: Path) -> int:
    """Copy ``database`` into a new file ``target``; returns its size in bytes.

    Written beside the target and renamed at the end, so a failed backup never leaves a
    half-written file under the name of a good one.
    """
    if target.exists():
        raise BackupProblem(f"{target} exists; choose a new name (a backup never overwrites)")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy, pages=PAGES_PER_STEP)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupProblem(f"the backup failed: {exc}") from None
    finally:
        source.close()
    os.replace(partial, target)
    return target.stat().st_size


def backup_revision(backup: Path) -> str | None:
    """The schema revision a backup file holds; BackupProblem when it is no qa_app backup."""
    try:
        connection = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupProblem(f"{backup} cannot be opened: {exc}") from None
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        connection.execute("SELECT count(*) FROM users").fetchone()
    except sqlite3.DatabaseError:
        raise BackupProblem(f"{backup} is not a qa_app database backup") from None
    finally:
        connection.close()
    return row[0] if row else None


def restore_sqlite(backup: Path, database: Path) -> None:
    """Replace the contents of the live ``database`` with those of ``backup``."""
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        live = sqlite3.connect(database, timeout=30)
        try:
            source.backup(live, pages=PAGES_PER_STEP)
        finally:
            live.close()
    except sqlite3.Error as exc:
        raise BackupProblem(f"the restore failed: {exc}") from None
    finally:
        source.close()
