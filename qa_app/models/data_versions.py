"""A version number per table that analyses read, moved by the database itself (triggers,
migration 0024: every statement on PostgreSQL, updates and deletes on SQLite, where an insert
moves the table's largest id instead), so a page can tell in two small reads whether the data
under a kept result has changed (qa_app.store.fingerprints)."""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

# The tables whose versions are kept; the triggers of migration 0024 move them.
VERSIONED_TABLES = (
    "calls",
    "outcomes",
    "final_scores",
    "rubrics",
    "machine_models",
    "machine_scores",
    "customers",
    "customer_events",
)


class DataVersion(SQLModel, table=True):
    __tablename__ = "data_versions"

    name: str = Field(primary_key=True, max_length=100)
    version: int = Field(default=0, sa_type=BigInteger)
    # PostgreSQL: the transaction that last moved it, so each moves it once (migration 0024).
    changed_in: int | None = Field(default=None, sa_type=BigInteger)
