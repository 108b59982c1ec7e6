"""Training and scoring started from the Machine rater page, run in the background.

A job trains a model on every reviewed call and then scores every call with it (``train``),
or scores the calls the newest trained model has not scored yet (``score``). One runs at a
time, across every server process (the job rows say who runs what); a job whose process is
gone is marked failed when a server starts or when the page looks at it. Scoring writes in
batches and resumes where it stopped, so a job stopped part way loses nothing: the next
``score`` carries on. Progress and the result are kept in the row, for any process to show.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from qa_app.models import MachineJob, User, utcnow
from qa_app.store import jobs
from qa_app.store.jobs import ACTIVE, has_stopped, runner_id

KINDS = {"train": "train a model, then score every call", "score": "score the calls not scored"}
STOPPED = "the server stopped during the job; start it again (scoring carries on where it was)"
HEARTBEAT_SECONDS = 30
log = logging.getLogger(__name__)


class MachineJobRefused(ValueError):
    """A job cannot start now; the message says why."""


def active_job(db: Session, running_here: set[int]) -> MachineJob | None:
    """The job running now, anywhere; a job whose process is gone is marked failed."""
    for job in db.exec(select(MachineJob).where(MachineJob.status.in_(ACTIVE))):
        if not has_stopped(job, running_here):
            return job
        job.status, job.error, job.finished_at = "failed", STOPPED, utcnow()
        db.add(job)
    return None


def latest_job(db: Session) -> MachineJob | None:
    return db.exec(select(MachineJob).order_by(MachineJob.id.desc())).first()


def start_job(db: Session, kind: str, user: User, running_here: set[int]) -> MachineJob:
    """A new queued job, unless one is running (then MachineJobRefused naming it)."""
    if kind not in KINDS:
        raise MachineJobRefused(f"unknown machine job '{kind}'; choose {' or '.join(KINDS)}")
    running = active_job(db, running_here)
    if running is not None:
        raise MachineJobRefused(
            f"a machine job is already running ({KINDS[running.kind]}, started "
            f"{running.created_at:%Y-%m-%d %H:%M} UTC); wait for it to finish"
        )
    job = MachineJob(token=secrets.token_urlsafe(24), kind=kind, created_by=user.id)
    db.add(job)
    db.flush()
    return job


def recover(engine: Engine, running_here: set[int]) -> int:
    """At a server start: mark failed the jobs whose process is gone; returns how many."""
    return jobs.recover(engine, MachineJob, running_here, STOPPED, finished_at=utcnow())


def run_job(engine: Engine, job_id: int, default_rubric_id: str) -> None:
    """Run one job to its end, keeping its progress, result or error in its row."""
    save = _saver(engine, job_id)
    with Session(engine) as db:
        job = db.get(MachineJob, job_id)
        kind, email = job.kind, db.get(User, job.created_by).email
    save(status="running", runner=runner_id())
    stop_beating = _heartbeat(save)
    try:
        summary = {}
        if kind == "train":
            summary["trained"] = _train(engine, default_rubric_id, email, save)
        summary.update(_score(engine, save))
        save(status="done", phase="", summary=summary, finished_at=utcnow())
    except Exception as exc:  # noqa: BLE001 - every failure must reach the page, said plainly
        save(status="failed", error=_failure(exc)[:2000], finished_at=utcnow())
        if not _expected(exc):
            log.exception("machine job %s failed", job_id)
    finally:
        stop_beating()


def _train(engine: Engine, default_rubric_id: str, email: str, save: Callable) -> dict:
    from qa_app.domain.machine.training import DEFAULT_MIN_PER_POINT
    from qa_app.store.machine import train_and_store

    save(phase="training")
    model, key = train_and_store(
        engine, None, default_rubric_id, None, None, DEFAULT_MIN_PER_POINT, 0, email,
        started=lambda calls, _key: save(total=calls),
    )  # fmt: skip
    return {"rubric": key, "version": model.version, "calls": model.training_calls}


def _score(engine: Engine, save: Callable) -> dict:
    from qa_app.domain.machine.stored import models_from_bytes
    from qa_app.store.machine import newest_model, score_unscored, unscored_count

    with Session(engine, expire_on_commit=False) as db:
        model = newest_model(db, kind="trained")
        if model is None:
            raise MachineJobRefused("no trained machine model yet: train one first")
        remaining = unscored_count(db, model, None, None)
    save(phase="scoring", done=0, total=remaining)
    progress = {"done": 0}

    def scored(count: int) -> None:
        progress["done"] += count
        save(done=progress["done"])

    done = score_unscored(engine, model, models_from_bytes(model.content), None, None, scored)
    return {"version": model.version, "scored": done}


def _saver(engine: Engine, job_id: int) -> Callable[..., None]:
    lock = threading.Lock()

    def save(**values) -> None:
        with lock, Session(engine) as db:
            db.exec(
                update(MachineJob)
                .where(MachineJob.id == job_id)
                .values(**values, updated_at=utcnow())
            )
            db.commit()

    return save


def _heartbeat(save: Callable) -> Callable[[], None]:
    """Touch the row every HEARTBEAT_SECONDS while training, which writes no progress: a
    process on another machine reads a silent row as a dead one."""
    stopped = threading.Event()

    def beat() -> None:
        while not stopped.wait(HEARTBEAT_SECONDS):
            save()

    threading.Thread(target=beat, daemon=True, name="qa-app-machine-heartbeat").start()
    return stopped.set


def _expected(exc: Exception) -> bool:
    from qa_app.domain.machine.stored import ModelRefused
    from qa_app.domain.machine.training import TrainingError
    from qa_app.store.flags.rows import ExportError

    return isinstance(exc, TrainingError | ExportError | ModelRefused | MachineJobRefused)


def _failure(exc: Exception) -> str:
    from qa_app.domain.machine.training import TrainingError

    if isinstance(exc, TrainingError):
        return "not enough reviewed calls to train on: " + "; ".join(exc.problems)
    if _expected(exc):
        return str(exc)
    return f"unexpected error ({type(exc).__name__}); the server log has the details"
