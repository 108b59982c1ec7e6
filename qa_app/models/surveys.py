"""Customer survey links and the answers given through them or imported."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from qa_app.models.base import utcnow


class SurveyLink(SQLModel, table=True):
    """A call's customer survey link: only the token's hash is stored (the token is handed out
    once, in the links file); the item order shown is fixed when the link is made."""

    __tablename__ = "survey_links"

    id: int | None = Field(default=None, primary_key=True)
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE", unique=True, index=True)
    survey_key: str = Field(max_length=120)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    # Item ids in the order this respondent sees them (rotated per respondent).
    item_order: list = Field(sa_column=Column(JSON, nullable=False))
    sequence: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    responded_at: datetime | None = None
    open_text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class SurveyResponse(SQLModel, table=True):
    """One customer's answer to one survey item about one call (through a link or imported)."""

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("call_pk", "item", name="uq_survey_responses_call_item"),)

    id: int | None = Field(default=None, primary_key=True)
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    link_id: int | None = Field(default=None, foreign_key="survey_links.id", ondelete="SET NULL")
    survey_key: str = Field(max_length=120)
    item: str = Field(max_length=50, index=True)
    score: int
    # 1-based place the item was shown in; blank when the source did not record it.
    position: int | None = None
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    responded_at: datetime = Field(index=True)
    source: str = Field(default="link", max_length=20)
