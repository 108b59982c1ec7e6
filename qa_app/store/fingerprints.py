"""What an analysis read, cheaply: a fingerprint of tables that changes whenever they do.

Pages keep a computed analysis by its inputs and this fingerprint (web/background.py), so a
change to the data it reads is never answered from an old result.
"""

from __future__ import annotations

from sqlalchemy import func
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
    """The database, and per (id column, latest-change column) pair its row count and
    latest change: an insert, an update or a delete moves one of them."""
    parts: list = [str(db.get_bind().url)]
    for column, latest in tables:
        count, last = db.exec(select(func.count(column), func.max(latest))).one()
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
    machine_scores = db.exec(select(func.max(MachineScore.id))).one()  # only ever added
    return fingerprint(db, (
        (Call.id, Call.updated_at), (Outcome.id, Outcome.updated_at),
        (FinalScore.id, FinalScore.updated_at), (RubricVersion.id, RubricVersion.id),
        (MachineModel.id, MachineModel.id),
    )) + (machine_scores,)  # fmt: skip
