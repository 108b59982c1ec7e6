"""Forms that make something, sent once: each showing of such a form carries a token, and
the first sending of it is remembered with where it led."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from qa_app.models.base import utcnow


class FormSubmission(SQLModel, table=True):
    """One sending of a form by its token: the same token sent again (Back, a reload, a
    double-click) is answered with ``location``, the page the first sending led to, instead
    of making a second object. ``location`` is blank while the first sending is running."""

    __tablename__ = "form_submissions"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="users.id")
    path: str = Field(max_length=300)
    location: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, index=True)
