"""Uploading calls, outcomes and reviews through the web, with the same report as the CLI.

The request is checked at once (what the file holds, its type; Flask refuses one over the
size limit) and the import runs in the background (qa_app.store.imports.jobs): a mistaken big upload
does not hold a server thread for minutes. The upload redirects to the job's page, which
shows its progress and, when it ends, the report.

A refused upload shows the form again with the message beside the field and the choices kept
(a browser cannot refill a file field: the message says to choose the file again).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select
from werkzeug.datastructures import MultiDict
from werkzeug.utils import secure_filename

from qa_app.db import get_engine_for
from qa_app.domain.files.tables import SUPPORTED
from qa_app.models import ImportJob, Role
from qa_app.store.imports import jobs as import_jobs
from qa_app.store.imports.service import KINDS, RECORD_NOUNS, count
from qa_app.web.auth import current_user, roles_required
from qa_app.web.database import get_engine, get_session
from qa_app.web.forms import acts_once
from qa_app.web.requests import wants_fragment

bp = Blueprint("imports", __name__)
ERRORS_SHOWN = import_jobs.KEPT


@bp.record_once
def _recover_stopped_jobs(state) -> None:
    """At a start, jobs whose server process died are marked failed (nothing was written)."""
    app = state.app
    if not app.config.get("CHECK_SCHEMA"):
        return  # the schema may not exist yet; the job's page still catches it when opened
    try:
        stopped = import_jobs.recover(get_engine_for(app))
    except SQLAlchemyError:  # a busy database must not stop the server from starting
        app.logger.warning("could not check for interrupted imports", exc_info=True)
        return
    if stopped:
        app.logger.info("%d import(s) stopped with the server that ran them", stopped)


def _page(form=None, errors=None, status: int = 200):
    return render_template(
        "imports/index.html",
        kinds=KINDS,
        form=form if form is not None else MultiDict(),
        errors=errors or {},
    ), status


@bp.get("/imports")
@roles_required(Role.ADMIN, Role.LEAD)
def index():
    return _page()


@bp.post("/imports")
@roles_required(Role.ADMIN, Role.LEAD)
@acts_once
def upload():
    """Check the request, keep the file in a scratch folder and start the import in the
    background; answer with a redirect to the job's page (Post/Redirect/Get)."""
    form = request.form
    kind = form.get("kind", "")
    if kind not in KINDS:
        return _page(
            form=form,
            errors={"kind": f"Choose what the file holds: {', '.join(KINDS)}."},
            status=422,
        )
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(form=form, errors={"file": "Choose a file to upload."}, status=422)
    name = secure_filename(upload.filename) or "upload"
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        problem = f"{upload.filename}: use a .csv, .xlsx or .jsonl file. Choose the file again."
        return _page(form=form, errors={"file": problem}, status=422)
    if suffix == ".jsonl" and kind != "calls":
        problem = f"{upload.filename}: {kind} come in a .csv or .xlsx file. Choose the file again."
        return _page(form=form, errors={"file": problem}, status=422)
    folder = import_jobs.scratch_folder()
    try:
        path = folder / name
        upload.save(path)
        db = get_session()
        job = import_jobs.create(db, current_user(), kind, form, name)
        db.commit()
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # no job will run to remove it
        raise
    import_jobs.start(current_app._get_current_object(), job, path)
    return redirect(url_for("imports.job", token=job.token), 303)


def _visible_job(token: str) -> ImportJob:
    """The job, for its uploader or an admin; anyone else is told there is none."""
    job = get_session().exec(select(ImportJob).where(ImportJob.token == token)).first()
    user = current_user()
    if job is None or (job.created_by != user.id and user.role != Role.ADMIN):
        abort(404, description="There is no such import.")
    return job


@bp.get("/imports/jobs/<token>")
@roles_required(Role.ADMIN, Role.LEAD)
def job(token: str):
    """The job's progress and, once it ended, its report; htmx polls the fragment."""
    job = _visible_job(token)
    if import_jobs.has_stopped(job, get_engine().dialect.name):
        db = get_session()
        import_jobs.mark_stopped(db, job)
        db.commit()
        db.refresh(job)  # failed, or what the job ended with meanwhile
    done, total = import_jobs.progress(job)
    template = "imports/_job.html" if wants_fragment() else "imports/job.html"
    return render_template(
        template,
        job=job,
        done=done,
        total=total,
        result=job.summary,
        errors_shown=ERRORS_SHOWN,
        count=count,
        records=RECORD_NOUNS[job.kind] + "s",
    )
