"""Sampling plans and the calls each drew, with their inclusion probabilities."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from qa_app.models.base import utcnow


class SamplingPlan(SQLModel, table=True):
    """A lead's plan of which calls to review in a period (qa_app.domain.sampling.plan).

    ``content`` is the plan file as given; ``drawn_at`` is set once its calls are drawn and
    assigned (a plan is drawn once: a second draw would change the probabilities).
    """

    __tablename__ = "sampling_plans"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True, index=True)
    since: datetime
    until: datetime
    seed: int = Field(sa_type=BigInteger)
    strata: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    content: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(max_length=64)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    drawn_at: datetime | None = None
    drawn_by: int | None = Field(default=None, foreign_key="users.id")


class SampledCall(SQLModel, table=True):
    """A call a plan drew, with its stratum and inclusion probability (None for calls added
    to reach an agent's minimum, which are outside the probability sample)."""

    __tablename__ = "sampled_calls"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="sampling_plans.id", ondelete="CASCADE", index=True)
    # A call belongs to at most one plan: plans of overlapping periods never draw it twice.
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE", unique=True, index=True)
    stratum: str = Field(max_length=500)
    purpose: str = Field(max_length=20)
    probability: float | None = None
    stratum_population: int = 0
