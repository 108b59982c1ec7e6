"""Calibration sessions: their calls, participants (QA reviewers and customer
panelists), blind ratings, submissions and the agreed consensus."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Text, UniqueConstraint, false, text
from sqlmodel import Field, SQLModel

from qa_app.models.base import utcnow


class SessionState(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    REVEALED = "revealed"
    CLOSED = "closed"


class ParticipantKind(StrEnum):
    REVIEWER = "reviewer"
    PANELIST = "panelist"


class CalibrationSession(SQLModel, table=True):
    __tablename__ = "calibration_sessions"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    rubric_pk: int = Field(foreign_key="rubrics.id")
    state: str = Field(default=SessionState.DRAFT, max_length=20)
    deadline: datetime | None = None
    # Invite links keep working this many hours after the deadline (None: until closed).
    link_grace_hours: int | None = None
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    revealed_at: datetime | None = None
    closed_at: datetime | None = None
    # The lead counts the machine rater in an agreement row of its own ("everyone and the
    # machine"); it is shown on the dashboard either way, never in the people's figures.
    include_machine: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class CalibrationCall(SQLModel, table=True):
    __tablename__ = "calibration_calls"
    __table_args__ = (UniqueConstraint("session_id", "call_pk", name="uq_session_call"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="calibration_sessions.id", ondelete="CASCADE", index=True)
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE")
    position: int = 0


class CalibrationParticipant(SQLModel, table=True):
    """A QA reviewer (``user_id``) or an account-less customer panelist (invite token)."""

    __tablename__ = "calibration_participants"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="calibration_sessions.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=20)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    display_name: str = Field(max_length=200)
    # Only a hash of the invite token is stored; the link itself is shown once.
    invite_token_hash: str | None = Field(default=None, max_length=64, unique=True)
    # The link's token is derived from this seed and a key from the server's secret key, so
    # the lead's page can show it while the database alone holds no working link.
    invite_seed: str | None = Field(default=None, max_length=64)
    revoked_at: datetime | None = None
    # When the panelist first opened their current link (blank: not yet).
    opened_at: datetime | None = None
    item_order: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class CalibrationRating(SQLModel, table=True):
    """One participant's score for one call and dimension in a calibration session.

    ``item_position`` is where the item was shown to a panelist (1 = first), so order
    effects can be checked; reviewers see the rubric order.
    """

    __tablename__ = "calibration_ratings"
    __table_args__ = (
        UniqueConstraint("participant_id", "call_pk", "dimension", name="uq_ratings_participant"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="calibration_sessions.id", ondelete="CASCADE", index=True)
    participant_id: int = Field(
        foreign_key="calibration_participants.id", ondelete="CASCADE", index=True
    )
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE")
    dimension: str = Field(max_length=100)
    score: int | None = None
    not_applicable: bool = False
    item_position: int = 0
    # As on a review: the rater's note and the transcript turns it cites (0-based).
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    evidence: list[int] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False, server_default=text("'[]'")),
    )


class CalibrationSubmission(SQLModel, table=True):
    """A participant finished a call (with the panel's open-text comment, if any)."""

    __tablename__ = "calibration_submissions"
    __table_args__ = (
        UniqueConstraint("participant_id", "call_pk", name="uq_submissions_participant_call"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="calibration_sessions.id", ondelete="CASCADE", index=True)
    participant_id: int = Field(
        foreign_key="calibration_participants.id", ondelete="CASCADE", index=True
    )
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE")
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    submitted_at: datetime = Field(default_factory=utcnow)


class CalibrationConsensus(SQLModel, table=True):
    """The score a calibration meeting agreed for a call and dimension, with a note."""

    __tablename__ = "calibration_consensus"
    __table_args__ = (
        UniqueConstraint("session_id", "call_pk", "dimension", name="uq_consensus_call_dim"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="calibration_sessions.id", ondelete="CASCADE", index=True)
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    dimension: str = Field(max_length=100)
    score: int | None = None
    not_applicable: bool = False
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    decided_by: int = Field(foreign_key="users.id")
    decided_at: datetime = Field(default_factory=utcnow)
