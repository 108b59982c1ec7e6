"""Each reviewed call's final scores and flags, kept as data (qa_app.store.final_scores keeps
them current with every review, consensus and import), so analyses read rows instead of
recomputing them from every answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from qa_app.models.base import utcnow


class FinalScore(SQLModel, table=True):
    """A call's final scores under one rubric version: where they came from (the consensus,
    the one review, or the median of several) and from how many reviews."""

    __tablename__ = "final_scores"
    __table_args__ = (UniqueConstraint("call_pk", "rubric_pk"),)

    id: int | None = Field(default=None, primary_key=True)
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE")
    rubric_pk: int = Field(foreign_key="rubrics.id", index=True)
    source: str = Field(max_length=30)
    review_count: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class FinalValue(SQLModel, table=True):
    """One final score (``kind`` "score", a dimension) or flag (``kind`` "flag": 1, 0, or
    blank when it cannot be told) of a call under one rubric version. Long, so SQL can
    aggregate any dimension or flag by any group."""

    __tablename__ = "final_values"
    __table_args__ = (
        UniqueConstraint("call_pk", "rubric_pk", "kind", "name"),
        # Covering, in call order within a version: a version's values pivot to one row per
        # call by reading this index alone, without a sort.
        Index("ix_final_values_rubric_call", "rubric_pk", "call_pk", "kind", "name", "value"),
    )

    id: int | None = Field(default=None, primary_key=True)
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE")
    rubric_pk: int = Field(foreign_key="rubrics.id")
    kind: str = Field(max_length=10)
    name: str = Field(max_length=100)
    value: float | None = None
