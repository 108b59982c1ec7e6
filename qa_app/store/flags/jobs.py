"""Coach exports running in the background: whether one's process is gone, and marking those
that died with their server as failed when a server starts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from qa_app.models import ExportJob, utcnow
from qa_app.store.jobs import runner_state

ACTIVE = ("queued", "running")
STALLED_AFTER = timedelta(minutes=2)  # no progress for this long on another machine: gone
STOPPED = "the server stopped during the export; start it again"


def has_stopped(job: ExportJob, running_here: set[int]) -> bool:
    """Whether ``job`` is queued or running but the process running it is gone.

    ``running_here`` holds the ids of the export jobs this process is running.
    """
    if job.status not in ACTIVE:
        return False
    state = runner_state(job.runner)
    if state == "this process":
        return job.id not in running_here
    if state == "dead":
        return True
    # Another machine, no runner recorded, or a live process id (which may have been reused):
    # only the progress it writes can tell.
    return utcnow() - job.updated_at > STALLED_AFTER


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
