"""The machine rater: models trained on the team's own reviews, and the scores they gave.

Machine scores live apart from human reviews: no human figure (flags, agreement among
people, coaching numbers) reads these tables unless a report asks for them by name.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from qa_app.models.base import utcnow


class MachineModel(SQLModel, table=True):
    """One trained model of a rubric version: a classifier per dimension, in skops' format,
    with what it was trained on and how well it agreed with people under cross-validation."""

    __tablename__ = "machine_models"
    __table_args__ = (UniqueConstraint("rubric_pk", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    rubric_pk: int = Field(foreign_key="rubrics.id", index=True)
    version: int
    # "trained" (a scikit-learn model in ``content``) or "external" (a team's own language
    # model reached at ``endpoint`` as ``model_name``; ``content`` empty).
    kind: str = Field(default="trained", max_length=20)
    endpoint: str = Field(default="", max_length=500)
    model_name: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=300)
    trained_from: date | None = None
    trained_until: date | None = None
    training_calls: int = 0
    # SHA-256 of the training calls (call_id, transcript version, human scores), in order.
    training_hash: str = Field(max_length=64)
    seed: int = 0
    libraries: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    metrics: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class MachineScore(SQLModel, table=True):
    """A model's score of one dimension of one call, with the turns that drove it."""

    __tablename__ = "machine_scores"
    __table_args__ = (
        UniqueConstraint("model_pk", "call_pk", "dimension"),
        Index("ix_machine_scores_call", "call_pk", "model_pk"),
    )

    id: int | None = Field(default=None, primary_key=True)
    model_pk: int = Field(foreign_key="machine_models.id", ondelete="CASCADE")
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE")
    dimension: str = Field(max_length=100)
    score: int
    # The model's probability of that score.
    confidence: float
    # Positions of the transcript turns that weighed most toward the score.
    evidence: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # An external model's one-line reason; blank for a trained model.
    reason: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow)


class MachineFailure(SQLModel, table=True):
    """A call an external model could not score: its answer did not fit the schema, or the
    request failed. Recorded, never guessed into a score."""

    __tablename__ = "machine_failures"
    __table_args__ = (UniqueConstraint("model_pk", "call_pk"),)

    id: int | None = Field(default=None, primary_key=True)
    model_pk: int = Field(foreign_key="machine_models.id", ondelete="CASCADE")
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE")
    error: str = Field(max_length=500)
    # The start of what came back, to see what went wrong.
    answer: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)


class MachineVisibility(SQLModel, table=True):
    """Whether reviewers see the machine's scores of a rubric (every version of it) once
    they have submitted their own review; never before. A lead's choice, audited."""

    __tablename__ = "machine_visibility"

    rubric_id: str = Field(primary_key=True, max_length=100)
    after_submit: bool = True
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str = Field(default="", max_length=300)


class MachineJob(SQLModel, table=True):
    """Training a model (then scoring every call with it) or scoring the calls not scored
    yet, started from the Machine rater page and run in the background; one at a time.

    ``phase`` says what it is doing now (training, scoring); ``done``/``total`` count scored
    calls; ``summary`` keeps what it made (model version, calls scored) for the page, so the
    result outlives the thread and any server process can show it.
    """

    __tablename__ = "machine_jobs"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True, index=True)
    kind: str = Field(max_length=20)
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    status: str = Field(default="queued", max_length=20)
    phase: str = Field(default="", max_length=40)
    runner: str = Field(default="", max_length=300)
    done: int = 0
    total: int = 0
    summary: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str = Field(default="", max_length=2000)
