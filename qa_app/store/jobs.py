"""Which process runs a background job (web imports, coach exports), and whether it is gone.

A job row names its runner as ``host:pid``. On the same machine a dead process id is known at
once; on another machine only the job's heartbeat (its row's ``updated_at``) can tell.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from qa_app.models.base import utcnow

HOST = socket.gethostname()
STALLED_AFTER = timedelta(minutes=2)  # no progress for this long on another machine: gone


def runner_id() -> str:
    """This process, as job rows name their runner."""
    return f"{HOST}:{os.getpid()}"


def alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (it may be another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # exists but not ours, or cannot tell: not evidence that it died
    return True


def runner_state(runner: str) -> str:
    """``this process``, ``dead`` (on this machine, no such process), ``alive`` (on this
    machine) or ``elsewhere`` (another machine, or no runner recorded)."""
    host, _, pid = runner.rpartition(":")
    if host != HOST or not pid.isdigit():
        return "elsewhere"
    if int(pid) == os.getpid():
        return "this process"
    return "alive" if alive(int(pid)) else "dead"


def runner_gone(runner: str, runs_here: bool, silent: timedelta | None) -> bool:
    """Whether the process running a queued or running job is gone: this process, no longer
    running it (``runs_here`` false); a process of this machine that has ended; or one
    elsewhere (or a live process id, which may have been reused) that wrote no progress for
    STALLED_AFTER (``silent``: how long since it did; None where rows have no heartbeat)."""
    state = runner_state(runner)
    if state == "this process":
        return not runs_here
    if state == "dead":
        return True
    return silent is not None and silent > STALLED_AFTER


ACTIVE = ("queued", "running")


def has_stopped(job, running_here: set[int]) -> bool:
    """Whether a queued or running job row's process is gone (``running_here``: the ids of
    the jobs of its kind this process runs)."""
    if job.status not in ACTIVE:
        return False
    return runner_gone(job.runner, job.id in running_here, utcnow() - job.updated_at)


def recover(engine: Engine, job_class, running_here: set[int], message: str, **values) -> int:
    """At a server start: mark failed, with ``message``, the jobs of ``job_class`` (a table
    with status, runner and updated_at) whose process is gone; returns how many."""
    with Session(engine) as db:
        jobs = db.exec(select(job_class).where(job_class.status.in_(ACTIVE))).all()
        stopped = [job.id for job in jobs if has_stopped(job, running_here)]
        if stopped:
            db.exec(
                update(job_class)
                .where(job_class.id.in_(stopped), job_class.status.in_(ACTIVE))
                .values(status="failed", error=message, **values)
            )
        db.commit()
    return len(stopped)
