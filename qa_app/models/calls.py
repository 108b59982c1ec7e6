"""Calls, their transcripts (current turns and replaced versions) and CRM outcomes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from qa_app.models.base import utcnow


class Call(SQLModel, table=True):
    __tablename__ = "calls"

    id: int | None = Field(default=None, primary_key=True)
    call_id: str = Field(max_length=100, unique=True, index=True)
    agent: str = Field(max_length=200, index=True)
    team: str | None = Field(default=None, max_length=200, index=True)
    queue: str | None = Field(default=None, max_length=200, index=True)
    channel: str | None = Field(default=None, max_length=50, index=True)
    interaction_type: str | None = Field(default=None, max_length=100, index=True)
    started_at: datetime | None = Field(default=None, index=True)
    save_script: str | None = Field(default=None, max_length=100, index=True)
    agent_tenure_days: int | None = None
    # The customer on the call (customers.customer_id); calls may arrive before the customer.
    customer_id: str | None = Field(default=None, max_length=100, index=True)
    # The customer's sentiment on the call (-1 to 1) when the import gave one; outreach uses
    # it in preference to scoring the transcript.
    sentiment: float | None = None
    # The number of the transcript in transcript_turns; earlier ones are in transcript_versions.
    transcript_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    imported_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class TranscriptTurn(SQLModel, table=True):
    __tablename__ = "transcript_turns"
    __table_args__ = (UniqueConstraint("call_pk", "position", name="uq_turns_call_position"),)

    id: int | None = Field(default=None, primary_key=True)
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    position: int
    speaker: str = Field(max_length=100)
    text: str = Field(sa_column=Column(Text, nullable=False))
    offset_seconds: float | None = None


class TranscriptVersion(SQLModel, table=True):
    """A call's earlier transcript, kept when an import replaced it: reviews scored on it keep
    their text and evidence turns. ``turns`` is a list of ``[speaker, text, offset_seconds]``."""

    __tablename__ = "transcript_versions"
    __table_args__ = (
        UniqueConstraint("call_pk", "version", name="uq_transcript_versions_call_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    version: int
    turns: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    replaced_at: datetime = Field(default_factory=utcnow)
    # The import file whose transcript replaced this one.
    replaced_by: str = Field(default="", max_length=255)


class Outcome(SQLModel, table=True):
    """A named result that arrives later from a CRM: saved, callback_30d, credit_amount, ...

    ``kind`` is ``boolean`` (value 0 or 1) or ``number``.
    """

    __tablename__ = "outcomes"
    __table_args__ = (UniqueConstraint("call_pk", "name", name="uq_outcomes_call_name"),)

    id: int | None = Field(default=None, primary_key=True)
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=100, index=True)
    kind: str = Field(max_length=10)
    value: float
    updated_at: datetime = Field(default_factory=utcnow)
