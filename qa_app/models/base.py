"""What every table module shares: the constraint naming convention on ``SQLModel.metadata``
and the UTC time helpers for timestamp columns."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import SQLModel

# Named constraints let later migrations alter them, SQLite batch mode included.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (what every timestamp column stores)."""
    return datetime.now(UTC)


def naive_utc(moment: datetime | None) -> datetime | None:
    """``moment`` in UTC without a time zone (naive values are taken as UTC already): SQLite
    gives stored timestamps back naive, PostgreSQL aware in the session's zone."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
