"""The coach page: outcome comparisons on screen, flag spreadsheets exported in the background.

Exports run in a thread of the server process that received the request; their progress
and the finished file live in the database (export_jobs), so with several server
processes any of them can report progress and hand out the file.
"""

from __future__ import annotations

import secrets
import threading
from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import delete
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from qa_app.domain.flags.comparison_sheet import CUT_LABELS, has_credit
from qa_app.models import ExportJob, Role, RubricVersion, utcnow
from qa_app.store.flags import jobs as export_jobs
from qa_app.store.flags.exports import FORMATS, compare_outcomes, export_bytes
from qa_app.store.flags.rows import ExportError, outcome_kinds
from qa_app.store.jobs import runner_id
from qa_app.store.reviews import queue as queue_queries
from qa_app.web.auth import current_user, roles_required
from qa_app.web.background import Background, Pending
from qa_app.web.database import get_engine, get_session
from qa_app.web.requests import wants_fragment

bp = Blueprint("coach", __name__, url_prefix="/coach")
# Comparisons by question and data fingerprint: each reads every reviewed call of the period.
_COMPARISONS = Background(16)
READERS = (Role.COACH, Role.LEAD, Role.ADMIN)
KEEP_EXPORTS = timedelta(days=1)
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _comparison_page(args, export_error: str | None = None, status: int | None = None):
    """The coach page for the filters in ``args`` (the comparison itself follows as an htmx
    fragment); ``export_error`` is shown beside the export buttons."""
    db = get_session()
    filters, problems = queue_queries.CallFilters.from_args(args)
    outcomes = outcome_kinds(db)
    outcome = args.get("outcome") or (
        "saved" if ("saved", "boolean") in outcomes else (outcomes[0][0] if outcomes else "")
    )
    rubric_key = args.get("rubric") or None
    report, error, chart = None, "; ".join(problems) or None, None
    # The full page comes at once; the comparison (which reads every reviewed call in the
    # period) follows as an htmx fragment, so a year of calls never blocks the page.
    pending = not wants_fragment()
    if outcome and not error and not pending:
        answer = _comparison(filters, outcome, rubric_key)
        if isinstance(answer, Pending):
            pending = answer
        else:
            report, error, chart = answer
    chart = chart if report else None
    lead = None
    if report and _any_calls(report):
        from qa_app.domain.flags.reading import headline

        lead = headline(report["groups"])
    context = {
        "filters": filters,
        "choices": queue_queries.filter_choices(db),
        "outcomes": outcomes,
        "outcome": outcome,
        "rubric_key": rubric_key or "",
        "report": report,
        # A filter that matches no reviewed call says so instead of a table of zeros.
        "no_calls": bool(report) and not _any_calls(report),
        "error": error,
        "pending": (pending or None) if outcome and not error else None,
        "rubrics": [r.key for r in db.exec(select(RubricVersion))],
        "formats": FORMATS,
        "cut_labels": CUT_LABELS,
        "credit": bool(report) and has_credit(report["groups"]),
        "chart": chart,
        "headline": lead,
        "export_error": export_error,
    }
    template = "coach/_comparison.html" if wants_fragment() else "coach/index.html"
    return render_template(template, **context), status or (422 if error else 200)


def _comparison(filters, outcome: str, rubric_key: str | None):
    """(report, error, chart) comparing ``outcome`` with and without each flag, or Pending
    while it is worked out; kept by the question and the data's fingerprint, chart included
    (drawing it took two thirds of a warm request)."""
    from qa_app.store.fingerprints import flags_fingerprint

    rubric_id = current_app.config["RUBRIC_ID"]
    key = (tuple(sorted(filters.as_args().items())), outcome, rubric_key, rubric_id,
           flags_fingerprint(get_session()))  # fmt: skip

    def compute():
        try:
            report = compare_outcomes(
                get_engine(), filters, outcome, None, "save_script", rubric_key, rubric_id
            )
        except ExportError as exc:
            return None, str(exc), None
        return report, None, _chart(report)

    return _COMPARISONS.answer(key, compute)


def _chart(report: dict) -> str | None:
    """The difference chart as an SVG data URL, or None when no call is in the report."""
    if not _any_calls(report):
        return None
    from qa_app.charts import svg_data_url
    from qa_app.charts.flags import difference_chart_svg

    svg = difference_chart_svg(report["groups"], report["value_is"] == "rate")
    return svg_data_url(svg) if svg else None


def _any_calls(report: dict) -> bool:
    return any(g["with"]["n"] or g["without"]["n"] for g in report["groups"])


@bp.get("")
@roles_required(*READERS)
def index():
    return _comparison_page(request.args)


def _export_refused(message: str):
    # htmx puts the fragment where the progress would have appeared; a plain form post gets
    # the coach page again, with its filters, and the message beside the export buttons.
    if wants_fragment():
        return render_template("coach/_export_refused.html", message=message), 422
    return _comparison_page(request.form, export_error=message, status=422)


@bp.post("/exports")
@roles_required(*READERS)
def start_export():
    """Start a background export; answer with its progress widget."""
    file_format = request.form.get("format", "xlsx")
    if file_format not in FORMATS:
        return _export_refused("Choose xlsx or csv.")
    filters, problems = queue_queries.CallFilters.from_args(request.form)
    if problems:
        return _export_refused("; ".join(problems))
    params = {
        "filters": filters.as_args(),
        "rubric": request.form.get("rubric") or None,
        "outcome": request.form.get("outcome") or None,
    }
    db = get_session()
    # Finished files are kept a day, then make room (they live in the database).
    db.exec(delete(ExportJob).where(ExportJob.created_at < utcnow() - KEEP_EXPORTS))
    job = ExportJob(
        token=secrets.token_urlsafe(24),
        created_by=current_user().id,
        file_format=file_format,
        params=params,
    )
    db.add(job)
    db.commit()
    app = current_app._get_current_object()
    threading.Thread(target=run_export_job, args=(app, job.id), daemon=True).start()
    if not wants_fragment():  # a plain form post: the export's own page
        return redirect(url_for("coach.export_status", token=job.token), 303)
    return render_template("coach/_export_job.html", job=job, stalled=False)


# The export jobs this process is running (their threads die with it).
_running: set[int] = set()


@bp.record_once
def _recover_stopped_exports(state) -> None:
    """At a start, exports whose server process died are marked failed."""
    app = state.app
    if not app.config.get("CHECK_SCHEMA"):
        return  # the schema may not exist yet; the export's page still says it stopped
    try:
        stopped = export_jobs.recover(app.extensions["qa_app.engine"], _running)
    except SQLAlchemyError:  # a busy database must not stop the server from starting
        app.logger.warning("could not check for interrupted exports", exc_info=True)
        return
    if stopped:
        app.logger.info("%d export(s) stopped with the server that ran them", stopped)


def run_export_job(app, job_id: int) -> None:
    """Run one export and keep its progress and result in the database."""
    _running.add(job_id)
    try:
        _run_export_job(app, job_id)
    finally:
        _running.discard(job_id)


def _run_export_job(app, job_id: int) -> None:
    engine = app.extensions["qa_app.engine"]
    with Session(engine) as db:
        job = db.get(ExportJob, job_id)
        job.status, job.updated_at, job.runner = "running", utcnow(), runner_id()
        db.commit()
        params = dict(job.params)
        file_format = job.file_format

    class Progress:
        def __init__(self, total):
            self.done, self.total = 0, total
            self._save(force=True)

        def update(self, count):
            self.done += count
            if self.done % 500 == 0:
                self._save()

        def _save(self, force=False):
            with Session(engine) as db:
                row = db.get(ExportJob, job_id)
                row.done_rows, row.total_rows, row.updated_at = self.done, self.total, utcnow()
                db.commit()

        def close(self):
            self._save(force=True)

    filters, _ = queue_queries.CallFilters.from_args(params["filters"])
    try:
        content, summary = export_bytes(
            engine,
            filters,
            file_format,
            rubric_key=params["rubric"],
            default_rubric_id=app.config["RUBRIC_ID"],
            outcome=params["outcome"],
            progress_factory=Progress,
        )
        status, error = "done", ""
    except ExportError as exc:
        content, summary, status, error = None, None, "failed", str(exc)
    except Exception as exc:  # the page must say the export failed rather than spin forever
        app.logger.exception("export job %s failed", job_id)
        content, summary, status, error = None, None, "failed", f"unexpected error: {exc}"
    with Session(engine) as db:
        job = db.get(ExportJob, job_id)
        job.status, job.error, job.content, job.updated_at = status, error, content, utcnow()
        if summary is not None:
            stamp = utcnow().strftime("%Y%m%d-%H%M")
            job.filename = f"flags-{summary.rubric_key.replace('@', '-v')}-{stamp}.{file_format}"
            job.done_rows = job.total_rows = summary.rows
        db.commit()


def _own_job(token: str) -> ExportJob:
    job = get_session().exec(select(ExportJob).where(ExportJob.token == token)).first()
    if job is None or job.created_by != current_user().id:
        abort(404, description="There is no such export.")
    return job


@bp.get("/exports/<token>")
@roles_required(*READERS)
def export_status(token: str):
    """The progress widget (htmx polls it until the file is ready), or its own page."""
    job = _own_job(token)
    stalled = export_jobs.has_stopped(job, _running)
    template = "coach/_export_job.html" if wants_fragment() else "coach/export.html"
    return render_template(template, job=job, stalled=stalled)


@bp.get("/exports/<token>/download")
@roles_required(*READERS)
def download(token: str):
    job = _own_job(token)
    if job.status != "done" or job.content is None:
        abort(409, description="This export is not finished yet.")
    return Response(
        job.content,
        content_type=CONTENT_TYPES[job.file_format],
        headers={"Content-Disposition": f'attachment; filename="{job.filename}"'},
    )
