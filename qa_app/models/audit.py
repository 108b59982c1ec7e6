"""The audit trail: who did what, when, with the values before and after."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from qa_app.models.base import utcnow


class AuditEvent(SQLModel, table=True):
    """Who did what, when, with the values before and after."""

    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    actor_label: str = Field(max_length=254)
    action: str = Field(max_length=100, index=True)
    entity_type: str = Field(max_length=50)
    entity_id: str = Field(max_length=100)
    before: dict | None = Field(default=None, sa_column=Column(JSON))
    after: dict | None = Field(default=None, sa_column=Column(JSON))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
