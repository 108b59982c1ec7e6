"""Analysis plans for the outcomes-over-time panel models."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from qa_app.models.base import utcnow


class AnalysisPlan(SQLModel, table=True):
    """Lags and outcomes fixed before anyone looks at results (``content`` is the plan's
    TOML); later changes are amendments with a reason, kept in the audit trail."""

    __tablename__ = "analysis_plans"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True, index=True)
    content: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(max_length=64)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    amendments: int = 0
