"""Database side of the team board (qa_app.domain.recognition.board): the retention attempts of a
quarter and the one before it, and the end days of their customers.

Attempts: outreach alerts closed with a pathway in which someone spoke with the customer
(qa_app.domain.outreach.opening.CONTACTED), on the alert's day, with the credit recorded at
closing, credited to the team that worked them (qa_app.domain.recognition.attempts.attributed_team:
the team named in ``assigned_to``, else the team of the agent named there on their most recent call
started by the end of the as-of day, else the alert's own team); and save calls, calls with a
customer id and a ``saved`` outcome of 1, on the day they started, with their ``credit_amount``
outcome. Moments are stored in UTC; days are UTC days.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from qa_app.domain.outreach.opening import CONTACTED
from qa_app.domain.recognition.attempts import Attempt, attributed_team, build_board
from qa_app.domain.recognition.board import Board, Quarter
from qa_app.models import Call, Customer, Outcome, OutreachAlert, naive_utc
from qa_app.store.reviews.queue import day_start

SAVED_OUTCOME = "saved"
CREDIT_OUTCOME = "credit_amount"
NO_TEAM = "(no team)"


def assignee_teams(db: Session, names: set[str], as_of: date) -> tuple[set[str], dict[str, str]]:
    """Of ``names`` (alerts' assigned_to values): those that are teams (a value of calls.team),
    and each one that is an agent mapped to the team of their most recent call with a team
    started by the end of ``as_of``."""
    teams: set[str] = set()
    agent_teams: dict[str, str] = {}
    ids = sorted(names)
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        teams.update(db.exec(select(Call.team).where(Call.team.in_(chunk)).distinct()))
        # Oldest first, so each agent's most recent call is the one left in the dict.
        for agent, team in db.exec(
            select(Call.agent, Call.team)
            .where(
                Call.agent.in_(chunk),
                Call.team.is_not(None),
                Call.team != "",
                Call.started_at < day_start(as_of + timedelta(days=1)),
            )
            .order_by(Call.started_at, Call.id)
        ):
            agent_teams[agent] = team
    return teams, agent_teams


def retention_attempts(
    db: Session, first_day: date, last_day: date, as_of: date | None = None
) -> list[Attempt]:
    """Every alert worked and every save call from ``first_day`` through ``last_day``; an
    alert's team is the one that worked it as known on ``as_of`` (default ``last_day``)."""
    alerts = db.exec(
        select(
            OutreachAlert.team,
            OutreachAlert.assigned_to,
            OutreachAlert.customer_id,
            OutreachAlert.day,
            OutreachAlert.credit,
        ).where(
            OutreachAlert.status == "closed",
            OutreachAlert.pathway.in_(CONTACTED),
            OutreachAlert.day >= first_day,
            OutreachAlert.day <= last_day,
        )
    ).all()
    names = {(assigned or "").strip() for _team, assigned, *_rest in alerts} - {""}
    teams, agent_teams = assignee_teams(db, names, as_of or last_day)
    attempts = [
        Attempt(
            attributed_team(team or NO_TEAM, assigned, teams, agent_teams),
            customer,
            day,
            "alert",
            credit,
        )
        for team, assigned, customer, day, credit in alerts
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
    attempts = retention_attempts(db, quarter.previous().first_day, quarter.last_day, as_of)
    ended = customer_end_days(db, {a.customer_id for a in attempts})
    return build_board(attempts, ended, quarter, as_of, sort, direction)
