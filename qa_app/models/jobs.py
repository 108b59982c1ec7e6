"""Background jobs that outlive their thread: coach exports and web imports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, LargeBinary, Text
from sqlmodel import Field, SQLModel

from qa_app.models.base import utcnow


class ExportJob(SQLModel, table=True):
    """A coach's export running in the background; the finished file is kept in the database
    so any server process can hand it out."""

    __tablename__ = "export_jobs"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True, index=True)
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    status: str = Field(default="queued", max_length=20)
    file_format: str = Field(max_length=10)
    params: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    done_rows: int = 0
    total_rows: int = 0
    filename: str = Field(default="", max_length=200)
    # host:pid of the process running it (qa_app.store.jobs), as for import jobs.
    runner: str = Field(default="", max_length=300, sa_column_kwargs={"server_default": ""})
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    error: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class ImportJob(SQLModel, table=True):
    """A web upload being imported in the background (qa_app.store.imports.jobs).

    ``summary`` keeps the report the Import page shows (counts, the first row errors and
    refused changes), so the result outlives the thread and any server process can show it.
    ``runner`` (host:pid) tells whether the process running the job is still alive.
    """

    __tablename__ = "import_jobs"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True, index=True)
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    status: str = Field(default="queued", max_length=20)
    kind: str = Field(max_length=20)
    options: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    filename: str = Field(max_length=200)
    runner: str = Field(default="", max_length=300)
    done_rows: int = 0
    total_rows: int = 0
    summary: dict | None = Field(default=None, sa_column=Column(JSON))
    error: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
