"""Coach exports running in the background: whether one's process is gone, and marking those
that died with their server as failed when a server starts."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from qa_app.models import ExportJob, utcnow
from qa_app.store import jobs

ACTIVE = jobs.ACTIVE
STOPPED = "the server stopped during the export; start it again"


def has_stopped(job: ExportJob, running_here: set[int]) -> bool:
    """Whether ``job`` is queued or running but the process running it is gone.

    ``running_here`` holds the ids of the export jobs this process is running.
    """
    return jobs.has_stopped(job, running_here)


def recover(engine: Engine, running_here: set[int]) -> int:
    """At a server start: mark failed the exports whose process is gone; returns how many."""
    return jobs.recover(engine, ExportJob, running_here, STOPPED, updated_at=utcnow())
