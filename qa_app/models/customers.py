"""Customers followed over time and the events that happened to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from qa_app.models.base import utcnow


class Customer(SQLModel, table=True):
    """A customer followed over time: onboarded, perhaps ended (churned), with a value."""

    __tablename__ = "customers"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: str = Field(max_length=100, unique=True, index=True)
    onboarded_at: datetime
    # Blank while the customer is active.
    ended_at: datetime | None = None
    segment: str | None = Field(default=None, max_length=100, index=True)
    monthly_value: float | None = None
    imported_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CustomerEvent(SQLModel, table=True):
    """Something that happened to a customer: renewal, incident, nps, spend, usage, opt_out...

    One event per customer, moment and kind; a re-import of the same one updates its value.
    """

    __tablename__ = "customer_events"
    __table_args__ = (
        UniqueConstraint("customer_pk", "at", "kind", name="uq_customer_events_customer_at_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_pk: int = Field(foreign_key="customers.id", ondelete="CASCADE", index=True)
    at: datetime = Field(index=True)
    kind: str = Field(max_length=30, index=True)
    value: float | None = None
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
