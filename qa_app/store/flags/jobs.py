"""Coach exports running in the background: whether one's process is gone, and marking those
that died with their server as failed when a server starts."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from qa_app.models import ExportJob, utcnow
from qa_app.store.jobs import runner_gone

ACTIVE = ("queued", "running")
STOPPED = "the server stopped during the export; start it again"


def has_stopped(job: ExportJob, running_here: set[int]) -> bool:
    """Whether ``job`` is queued or running but the process running it is gone.

    ``running_here`` holds the ids of the export jobs this process is running.
    """
    if job.status not in ACTIVE:
        return False
    return runner_gone(job.runner, job.id in running_here, utcnow() - job.updated_at)


def recover(engine: Engine, running_here: set[int]) -> int:
    """At a server start: mark failed the exports whose process is gone; returns how many."""
    with Session(engine) as db:
        jobs = db.exec(select(ExportJob).where(ExportJob.status.in_(ACTIVE))).all()
        stopped = [job.id for job in jobs if has_stopped(job, running_here)]
        if stopped:
            db.exec(
                update(ExportJob)
                .where(ExportJob.id.in_(stopped), ExportJob.status.in_(ACTIVE))
                .values(status="failed", error=STOPPED, updated_at=utcnow())
            )
        db.commit()
    return len(stopped)
