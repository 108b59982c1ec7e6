"""Database side of the team board (qa_app.domain.recognition): the retention attempts of a
quarter and the one before it, and the end days of their customers.

Attempts: outreach alerts closed with a pathway in which someone spoke with the customer
(qa_app.domain.outreach_opening.CONTACTED), on the alert's day, with the credit recorded at
closing; and save calls, calls with a customer id and a ``saved`` outcome of 1, on the day they
started, with their ``credit_amount`` outcome. Moments are stored in UTC; days are UTC days.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from qa_app.domain.outreach_opening import CONTACTED
from qa_app.domain.recognition import Attempt, Board, Quarter, build_board
from qa_app.models import Call, Customer, Outcome, OutreachAlert, naive_utc
from qa_app.queue_queries import day_start

SAVED_OUTCOME = "saved"
CREDIT_OUTCOME = "credit_amount"
NO_TEAM = "(no team)"


def retention_attempts(db: Session, first_day: date, last_day: date) -> list[Attempt]:
    """Every alert worked and every save call from ``first_day`` through ``last_day``."""
    attempts = [
        Attempt(team or NO_TEAM, customer, day, "alert", credit)
        for team, customer, day, credit in db.exec(
            select(
                OutreachAlert.team,
                OutreachAlert.customer_id,
                OutreachAlert.day,
                OutreachAlert.credit,
            ).where(
                OutreachAlert.status == "closed",
                OutreachAlert.pathway.in_(CONTACTED),
                OutreachAlert.day >= first_day,
                OutreachAlert.day <= last_day,
            )
        )
    ]
    saved = aliased(Outcome)
    credit = aliased(Outcome)
    rows = db.exec(
        select(Call.team, Call.customer_id, Call.started_at, credit.value)
        .join(saved, and_(saved.call_pk == Call.id, saved.name == SAVED_OUTCOME))
        .outerjoin(credit, and_(credit.call_pk == Call.id, credit.name == CREDIT_OUTCOME))
        .where(
            saved.value == 1,
            Call.customer_id.is_not(None),
            Call.customer_id != "",
            Call.started_at >= day_start(first_day),
            Call.started_at < day_start(last_day + timedelta(days=1)),
        )
    )
    attempts += [
        Attempt(team or NO_TEAM, customer, naive_utc(started).date(), "save_call", amount)
        for team, customer, started, amount in rows
    ]
    return attempts


def customer_end_days(db: Session, customer_ids: set[str]) -> dict[str, date | None]:
    """Each known customer's end day (None while active); unknown ids are left out."""
    ended: dict[str, date | None] = {}
    ids = sorted(customer_ids)
    # In chunks: a query parameter list has a limit (SQLite's is 32,766).
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        for customer, end in db.exec(
            select(Customer.customer_id, Customer.ended_at).where(Customer.customer_id.in_(chunk))
        ):
            ended[customer] = naive_utc(end).date() if end is not None else None
    return ended


def team_board(
    db: Session, quarter: Quarter, as_of: date, sort: str = "team", direction: str | None = None
) -> Board:
    """The board for ``quarter`` (against the quarter before) as known on ``as_of``."""
    attempts = retention_attempts(db, quarter.previous().first_day, quarter.last_day)
    ended = customer_end_days(db, {a.customer_id for a in attempts})
    return build_board(attempts, ended, quarter, as_of, sort, direction)
