"""Web uploads imported in the background: the job rows, the thread that runs one, and
telling a job whose server process died from one still running.

One mistaken big upload must not hold a server thread for minutes, so the Import page saves
the file to an upload scratch folder (qa_app.scratch), writes an :class:`ImportJob` row and
runs :func:`qa_app.store.imports.service.run_import` in a thread of the same process (the file is on
its disk). The page polls the row; the finished report is kept in it as JSON, so any server
process can show it.

Progress: the import's progress callback only counts in memory (:class:`Live`); a reporter
thread copies the count to the row at most once a second, and every few seconds even when
nothing moved, as a heartbeat. On SQLite the import's single transaction holds the database's
only write lock while it writes, so nothing else could update the row until it commits: there
the count stays in memory (the process that runs the job shows it) and liveness is read from
the runner's process id instead of the heartbeat.

An import is one transaction, so a job whose process died wrote nothing: it is marked failed
with :data:`STOPPED` when a server starts, or when its page is opened.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from qa_app.domain.files.tables import FileProblem
from qa_app.models import ImportJob, User, utcnow
from qa_app.scratch import UPLOAD_PREFIX
from qa_app.store.imports.service import ImportResult, run_import
from qa_app.store.jobs import runner_gone, runner_id

ACTIVE = ("queued", "running")
OPTIONS = ("skip_invalid", "dry_run", "create_reviewers", "replace")
KEPT = 200  # row errors and refused changes kept (and shown); the rest are counted
STOPPED = "the server stopped during the import; nothing was written"
SAVE_EVERY = 1.0  # seconds between progress writes, at most
HEARTBEAT_EVERY = 10.0  # seconds: a running job's row is touched at least this often
KEEP_JOBS = timedelta(days=7)


@dataclass
class Live:
    """A running job's progress, in the memory of the process running it."""

    done: int = 0
    total: int = 0
    changed: threading.Event = field(default_factory=threading.Event)

    # run_import's progress_factory protocol: called with the total, then update(n), close().
    def __call__(self, total: int) -> Live:
        self.total, self.done = total, 0
        self.changed.set()
        return self

    def update(self, count: int) -> None:
        self.done += count
        self.changed.set()

    def close(self) -> None:
        self.changed.set()


_live: dict[str, Live] = {}  # token -> progress of the jobs this process runs
_lock = threading.Lock()


def create(db: Session, user: User, kind: str, options: dict, filename: str) -> ImportJob:
    """A queued job for ``user``'s upload; the caller commits and then calls :func:`start`."""
    # Reports are kept a week, then make room.
    db.exec(delete(ImportJob).where(ImportJob.created_at < utcnow() - KEEP_JOBS))
    job = ImportJob(
        token=secrets.token_urlsafe(24),
        created_by=user.id,
        kind=kind,
        options={name: bool(options.get(name)) for name in OPTIONS},
        filename=filename,
        runner=runner_id(),
    )
    db.add(job)
    return job


def scratch_folder() -> Path:
    """A new upload folder, named so that a start after a crash can remove it (qa_app.scratch)."""
    return Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX))


def start(app, job: ImportJob, path: Path) -> None:
    """Run ``job`` on the uploaded file ``path`` in a thread; its folder goes when it ends."""
    with _lock:  # registered before the thread runs: the job page may be asked for at once
        _live[job.token] = Live()
    thread = threading.Thread(
        target=run_job, args=(app, job.token, path), name=f"import-{job.id}", daemon=True
    )
    try:
        thread.start()
    except RuntimeError:  # cannot start a thread (e.g. at interpreter exit): say so, clean up
        _finish(
            app,
            job.token,
            "failed",
            None,
            "the server could not start the import; nothing was written. Upload the file again.",
        )
        shutil.rmtree(path.parent, ignore_errors=True)
        raise


def run_job(app, token: str, path: Path) -> None:
    """Import one upload and keep its progress and report in the job row."""
    engine: Engine = app.extensions["qa_app.engine"]
    live = _live[token]
    reporter = None
    status, summary, error = "failed", None, ""
    try:
        with Session(engine) as db:
            job = db.exec(select(ImportJob).where(ImportJob.token == token)).one()
            job.status, job.updated_at = "running", utcnow()
            db.commit()
            kind, options = job.kind, dict(job.options)
            actor = db.get(User, job.created_by)
            db.expunge(actor)  # read in the import's own transaction; only id and email
        if engine.dialect.name != "sqlite":
            reporter = Reporter(engine, token, live)
            reporter.start()
        result = run_import(
            engine,
            kind,
            path,
            actor=actor,
            progress_factory=live,
            rubric_id=app.config["RUBRIC_ID"],
            **{name: bool(options.get(name)) for name in OPTIONS},
        )
        status, summary = "done", summarise(result)
    except FileProblem as exc:
        error = f"{exc} Nothing was imported; fix the file and choose it again."
    except Exception:  # the page must say the import failed rather than spin forever
        app.logger.exception("import job %s failed", token[:8])
        error = (
            "an unexpected error stopped the import; nothing was written. The server log "
            f"has the details (import job {token[:8]})."
        )
    finally:
        if reporter is not None:
            reporter.stop()
        shutil.rmtree(path.parent, ignore_errors=True)
    _finish(app, token, status, summary, error, live)


def _finish(app, token, status, summary, error, live: Live | None = None) -> None:
    """Write the outcome; retried, because a job left "running" would later be called stopped
    with nothing written, which after a finished import is untrue."""
    engine = app.extensions["qa_app.engine"]
    for attempt in range(5):
        try:
            with Session(engine) as db:
                job = db.exec(select(ImportJob).where(ImportJob.token == token)).one()
                job.status, job.summary, job.error = status, summary, error
                if live is not None:
                    job.done_rows, job.total_rows = live.done, live.total
                job.updated_at = job.finished_at = utcnow()
                db.commit()
            break
        except Exception:
            app.logger.exception("could not record the end of import job %s", token[:8])
            time.sleep(2**attempt)
    else:
        return  # left in _live: this process still knows the job ended rather than vanished
    with _lock:
        _live.pop(token, None)


class Reporter(threading.Thread):
    """Copies a job's progress to its row: at most once a second, and at least every
    HEARTBEAT_EVERY seconds (the heartbeat other processes read)."""

    def __init__(self, engine: Engine, token: str, live: Live):
        super().__init__(name=f"import-progress-{token[:8]}", daemon=True)
        self.engine, self.token, self.live = engine, token, live
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            self.live.changed.wait(HEARTBEAT_EVERY)
            self.live.changed.clear()
            try:
                self._save()
            except Exception:  # a missed progress write must not stop the import
                pass
            self._stopping.wait(SAVE_EVERY)

    def _save(self) -> None:
        with Session(self.engine) as db:
            db.exec(
                update(ImportJob)
                .where(ImportJob.token == self.token, ImportJob.status == "running")
                .values(done_rows=self.live.done, total_rows=self.live.total, updated_at=utcnow())
            )
            db.commit()

    def stop(self) -> None:
        self._stopping.set()
        self.live.changed.set()
        self.join(timeout=30)


def summarise(result: ImportResult) -> dict:
    """What the Import page's report shows, as JSON: the counts in full, the first
    :data:`KEPT` row errors and refused changes."""
    report = result.report
    written = result.written
    return {
        "kind": result.kind,
        "row_unit": result.table.row_unit,
        "warnings": list(report.warnings),
        "blocked": result.blocked,
        "dry_run": result.dry_run,
        "valid_rows": result.valid_rows,
        "contents": result.contents,
        "rejected_rows": len(report.rejected_rows),
        "written": None
        if written is None
        else {
            "created": written.created,
            "updated": written.updated,
            "unchanged": written.unchanged,
        },
        "errors": [{"row": e.row, "message": e.message} for e in report.errors[:KEPT]],
        "error_count": len(report.errors),
        "refused_changes": list(result.refused_changes[:KEPT]),
        "refused_count": len(result.refused_changes),
    }


def progress(job: ImportJob) -> tuple[int, int]:
    """(done, total) records written: this process's live count when it runs the job."""
    live = _live.get(job.token)
    if live is not None and job.status in ACTIVE:
        return live.done, live.total
    return job.done_rows, job.total_rows


def has_stopped(job: ImportJob, dialect: str) -> bool:
    """Whether ``job`` is queued or running but the process running it is gone."""
    if job.status not in ACTIVE:
        return False
    # SQLite has no heartbeat (see the module docstring), and is one machine's file anyway.
    silent = None if dialect == "sqlite" else utcnow() - job.updated_at
    return runner_gone(job.runner, job.token in _live, silent)


def mark_stopped(db: Session, job: ImportJob) -> None:
    """Record that ``job``'s process died; nothing was written (one transaction).

    Only while the row still says queued or running: the row read before :func:`has_stopped`
    may be stale, the job having ended (and left this process's registry) in between.
    """
    now = utcnow()
    db.exec(
        update(ImportJob)
        .where(ImportJob.id == job.id, ImportJob.status.in_(ACTIVE))
        .values(status="failed", error=STOPPED, updated_at=now, finished_at=now)
    )


def recover(engine: Engine) -> int:
    """At a server start: mark failed the jobs whose process is gone; returns how many."""
    with Session(engine) as db:
        jobs = db.exec(select(ImportJob).where(ImportJob.status.in_(ACTIVE))).all()
        stopped = [job for job in jobs if has_stopped(job, engine.dialect.name)]
        for job in stopped:
            mark_stopped(db, job)
        db.commit()
    return len(stopped)
