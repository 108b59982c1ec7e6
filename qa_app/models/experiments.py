"""Pre-registered experiments: plans, amendments, randomised units and agent
exposures to interventions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from qa_app.models.base import utcnow


class Experiment(SQLModel, table=True):
    """A pre-registered experiment (``content`` is the plan's TOML). Registering locks it: the
    content hash and time are fixed, and a later change is an amendment with a reason."""

    __tablename__ = "experiments"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True, index=True)
    content: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(max_length=64)
    status: str = Field(default="draft", max_length=10)  # draft, locked
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    locked_at: datetime | None = None
    locked_by: int | None = Field(default=None, foreign_key="users.id")
    # The seed the units were assigned with, and when (once; the assignment is then fixed).
    seed: int | None = Field(default=None, sa_type=BigInteger)
    assigned_at: datetime | None = None


class ExperimentAmendment(SQLModel, table=True):
    """A change to a locked experiment's plan: the new content, its hash and the reason."""

    __tablename__ = "experiment_amendments"

    id: int | None = Field(default=None, primary_key=True)
    experiment_id: int = Field(foreign_key="experiments.id", ondelete="CASCADE", index=True)
    content: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(max_length=64)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime = Field(default_factory=utcnow)
    by: int | None = Field(default=None, foreign_key="users.id")


class ExperimentUnit(SQLModel, table=True):
    """One randomised unit (a queue, or a weekday-shift block) of an experiment, its stratum
    and the arm the seeded draw gave it."""

    __tablename__ = "experiment_units"
    __table_args__ = (
        UniqueConstraint("experiment_id", "unit", name="uq_experiment_units_experiment_unit"),
    )

    id: int | None = Field(default=None, primary_key=True)
    experiment_id: int = Field(foreign_key="experiments.id", ondelete="CASCADE", index=True)
    unit: str = Field(max_length=200)
    stratum: str = Field(max_length=200)
    arm: str = Field(max_length=100)


class AgentExposure(SQLModel, table=True):
    """An agent who received an intervention (training, script, playbook) and when."""

    __tablename__ = "agent_exposures"
    __table_args__ = (
        UniqueConstraint(
            "agent", "intervention", "at", name="uq_agent_exposures_agent_intervention_at"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    agent: str = Field(max_length=200, index=True)
    intervention: str = Field(max_length=200, index=True)
    at: datetime
    imported_at: datetime = Field(default_factory=utcnow)
