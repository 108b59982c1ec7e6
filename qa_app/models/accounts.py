"""User accounts, their roles and login attempts (for the throttle)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import false
from sqlmodel import Field, SQLModel

from qa_app.models.base import utcnow


class Role(StrEnum):
    ADMIN = "admin"
    LEAD = "lead"
    REVIEWER = "reviewer"
    COACH = "coach"


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    password_hash: str = Field(max_length=255)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    # Bumped to end every session of the account at once, on every server process.
    session_generation: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Failed logins before this moment no longer count towards the lockout.
    throttle_reset_at: datetime | None = None


class LoginAttempt(SQLModel, table=True):
    """A login attempt, written before its password is checked; kept for the throttle window."""

    __tablename__ = "login_attempts"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    address: str = Field(max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    succeeded: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
