"""API tokens (only their hashes) and the answers kept for retried API requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from qa_app.models.base import utcnow


class ApiToken(SQLModel, table=True):
    """A token an integrator sends as ``Authorization: Bearer qa_...``; it acts as its user,
    within its scopes, until it expires or is revoked."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(max_length=100)
    # The first characters, to tell tokens apart in lists; the rest is never stored.
    shown: str = Field(max_length=12)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=300)
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class ApiIdempotency(SQLModel, table=True):
    """The answer to a request sent with an ``Idempotency-Key``: a retry with the same key
    and body gets it again instead of acting twice (kept a day)."""

    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    token_id: int = Field(foreign_key="api_tokens.id", ondelete="CASCADE")
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    status: int
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)
