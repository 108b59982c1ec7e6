"""Reviews of calls: their status, per-dimension scores and queue assignments."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from qa_app.models.base import utcnow


class ReviewStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Review(SQLModel, table=True):
    """One reviewer's scoring of one call under one rubric version."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("call_pk", "reviewer_id", "rubric_pk", name="uq_reviews_call_reviewer"),
    )

    id: int | None = Field(default=None, primary_key=True)
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    reviewer_id: int = Field(foreign_key="users.id", index=True)
    rubric_pk: int = Field(foreign_key="rubrics.id", index=True)
    status: str = Field(default=ReviewStatus.DRAFT, max_length=20, index=True)
    # Optimistic concurrency: every save must name the version it started from.
    version: int = 1
    # The call's transcript version the review was scored on (its evidence turns cite it).
    transcript_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = None


class ReviewScore(SQLModel, table=True):
    """A review's answer for one dimension: a point on the scale or N/A, a note, evidence turns."""

    __tablename__ = "review_scores"
    __table_args__ = (UniqueConstraint("review_id", "dimension", name="uq_scores_review_dim"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reviews.id", ondelete="CASCADE", index=True)
    dimension: str = Field(max_length=100)
    score: int | None = None
    not_applicable: bool = False
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    evidence: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Assignment(SQLModel, table=True):
    """A call a lead put in a reviewer's queue."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("call_pk", "reviewer_id", name="uq_assignments_call_reviewer"),
    )

    id: int | None = Field(default=None, primary_key=True)
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    reviewer_id: int = Field(foreign_key="users.id", index=True)
    assigned_by: int | None = Field(default=None, foreign_key="users.id")
    assigned_at: datetime = Field(default_factory=utcnow)
