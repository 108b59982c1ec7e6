"""What an analysis read, cheaply: a fingerprint of tables that changes whenever they do.

Pages keep a computed analysis by its inputs and this fingerprint (web/background.py), so a
change to the data it reads is never answered from an old result.
"""

from __future__ import annotations

from sqlalchemy import column as sql_column
from sqlalchemy import func
from sqlalchemy import table as sql_table
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, select

from qa_app.models import DataVersion
from qa_app.models.data_versions import VERSIONED_TABLES


def fingerprint(db: Session, tables) -> tuple:
    """The database, and per (id column, latest change) pair its row count and latest change:
    an insert, an update or a delete moves one of them.

    The latest change is a column, whose maximum is taken, or an aggregate of the caller's
    (a sum, where rows change in place without a timestamp). The id column may be None for
    a table whose rows are only ever added: its latest id alone then tells a change, without
    counting the rows.
    """
    parts: list = [str(db.get_bind().url)]
    for column, latest in tables:
        change = latest if isinstance(latest, FunctionElement) else func.max(latest)
        if column is None:
            parts.append(str(db.exec(select(change)).one()))
            continue
        count, last = db.exec(select(func.count(column), change)).one()
        parts += [count, str(last)]
    return tuple(parts)


def table_versions(db: Session, names: tuple[str, ...]) -> tuple:
    """The database and, per named table, its version (data_versions, moved by the
    database's own triggers in the changing transaction: on PostgreSQL by every statement, on
    SQLite by updates and deletes) and its largest id (which every insert moves): two small
    reads, however many rows the tables hold."""
    unknown = [name for name in names if name not in VERSIONED_TABLES]
    if unknown:
        raise ValueError(f"no data version is kept for {', '.join(unknown)}")
    found = dict(db.exec(select(DataVersion.name, DataVersion.version)
                         .where(DataVersion.name.in_(names))).all())  # fmt: skip
    largest = db.connection().execute(select(*(
        select(func.max(sql_table(name, sql_column("id")).c.id)).scalar_subquery()
        for name in names
    ))).one()  # fmt: skip
    return (str(db.get_bind().url), *(found.get(name) for name in names), *largest)


def survival_fingerprint(db: Session) -> tuple:
    """Customers, their events, the calls, the stored final scores and the rubric versions."""
    return table_versions(
        db, ("customers", "customer_events", "calls", "final_scores", "rubrics")
    )


def flags_fingerprint(db: Session) -> tuple:
    """The calls, their outcomes, the stored final scores (and flags), the rubric versions
    and the machine's models and scores: what the coaching comparison and the flag summaries
    (with the machine's prediction-powered figures) read. Counting a million calls on every
    visit cost 150 ms; the versions cost one small query."""
    return table_versions(db, ("calls", "outcomes", "final_scores", "rubrics",
                               "machine_models", "machine_scores"))  # fmt: skip
