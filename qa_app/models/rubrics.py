"""Rubric versions as loaded from their TOML files."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from qa_app.models.base import utcnow


class RubricVersion(SQLModel, table=True):
    """One loaded rubric file: id + version, its content hash and the TOML text itself."""

    __tablename__ = "rubrics"
    __table_args__ = (UniqueConstraint("rubric_id", "version", name="uq_rubrics_id_version"),)

    id: int | None = Field(default=None, primary_key=True)
    rubric_id: str = Field(max_length=100, index=True)
    version: int
    title: str = Field(max_length=200)
    content_hash: str = Field(max_length=64)
    content: str = Field(sa_column=Column(Text, nullable=False))
    loaded_at: datetime = Field(default_factory=utcnow)

    @property
    def key(self) -> str:
        return f"{self.rubric_id}@{self.version}"
