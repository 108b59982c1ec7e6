"""What an analysis read, cheaply: a fingerprint of tables that changes whenever they do.

Pages keep a computed analysis by its inputs and this fingerprint (web/background.py), so a
change to the data it reads is never answered from an old result.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, select

from qa_app.models import (
    Call,
    Customer,
    CustomerEvent,
    FinalScore,
    MachineModel,
    MachineScore,
    Outcome,
    RubricVersion,
)


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


def survival_fingerprint(db: Session) -> tuple:
    """Customers, their events, the calls, the stored final scores and the rubric versions."""
    return fingerprint(db, (
        (Customer.id, Customer.updated_at), (CustomerEvent.id, CustomerEvent.id),
        (Call.id, Call.updated_at), (FinalScore.id, FinalScore.updated_at),
        (RubricVersion.id, RubricVersion.id),
    ))  # fmt: skip


def flags_fingerprint(db: Session) -> tuple:
    """The calls, their outcomes, the stored final scores (and flags), the rubric versions
    and the machine's models and scores: what the coaching comparison and the flag summaries
    (with the machine's prediction-powered figures) read."""
    return fingerprint(db, (
        (Call.id, Call.updated_at), (Outcome.id, Outcome.updated_at),
        (FinalScore.id, FinalScore.updated_at), (RubricVersion.id, RubricVersion.id),
        (MachineModel.id, MachineModel.id), (None, MachineScore.id),
    ))  # fmt: skip
