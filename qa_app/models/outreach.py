"""Outreach: alerts for customers to contact, opt-outs and customers held back by a
guard."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from qa_app.models.base import utcnow


class OutreachAlert(SQLModel, table=True):
    """A customer to reach out to (qa_app.domain.outreach.engine): the call behind it, the
    signals and reasons, who it is assigned to, and how it was closed."""

    __tablename__ = "outreach_alerts"
    __table_args__ = (
        UniqueConstraint("customer_id", "day", name="uq_outreach_alerts_customer_day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: str = Field(max_length=100, index=True)
    call_pk: int | None = Field(default=None, foreign_key="calls.id", ondelete="SET NULL")
    day: date = Field(index=True)
    team: str = Field(max_length=200, index=True)
    rule: str = Field(max_length=200)
    rules_key: str = Field(max_length=120)
    priority: int
    signals: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reasons: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="open", max_length=20, index=True)
    assigned_to: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    closed_by: int | None = Field(default=None, foreign_key="users.id")
    # apology_and_fix, follow_up_scheduled, escalated, customer_declined, no_contact
    pathway: str | None = Field(default=None, max_length=30)
    credit: float | None = None
    do_not_contact: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class OutreachOptOut(SQLModel, table=True):
    """A customer who asked not to be contacted again, recorded in the app."""

    __tablename__ = "outreach_opt_outs"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: str = Field(max_length=100, unique=True, index=True)
    at: datetime = Field(default_factory=utcnow)
    alert_id: int | None = Field(
        default=None, foreign_key="outreach_alerts.id", ondelete="SET NULL"
    )
    recorded_by: int | None = Field(default=None, foreign_key="users.id")


class OutreachSuppression(SQLModel, table=True):
    """A customer who met the rules on a day but whom a guard held back (the daily cap's are
    the comparison group for tracking)."""

    __tablename__ = "outreach_suppressions"
    __table_args__ = (
        UniqueConstraint("customer_id", "day", name="uq_outreach_suppressions_customer_day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: str = Field(max_length=100, index=True)
    day: date = Field(index=True)
    reason: str = Field(max_length=20)
    team: str = Field(max_length=200)
    signals: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
