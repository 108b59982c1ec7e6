"""Uploading calls, outcomes and reviews through the web, with the same report as the CLI.

A refused upload shows the form again with the message beside the field and the choices kept
(a browser cannot refill a file field: the message says to choose the file again).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, current_app, render_template, request
from werkzeug.datastructures import MultiDict
from werkzeug.utils import secure_filename

from qa_app.auth import current_user, roles_required
from qa_app.db import get_engine
from qa_app.domain.tabular import SUPPORTED, FileProblem
from qa_app.import_service import KINDS, count, run_import
from qa_app.models import Role
from qa_app.scratch import UPLOAD_PREFIX

bp = Blueprint("imports", __name__)
ERRORS_SHOWN = 200


def _page(result=None, form=None, errors=None, filename=None, status: int = 200):
    return render_template(
        "imports/index.html",
        kinds=KINDS,
        result=result,
        filename=filename,
        errors_shown=ERRORS_SHOWN,
        count=count,
        form=form if form is not None else MultiDict(),
        errors=errors or {},
    ), status


@bp.get("/imports")
@roles_required(Role.ADMIN, Role.LEAD)
def index():
    return _page()


@bp.post("/imports")
@roles_required(Role.ADMIN, Role.LEAD)
def upload():
    """Import the uploaded file and show the report. Sending it again is safe: identical rows
    are left untouched, so there is nothing to redirect away from."""
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
    with tempfile.TemporaryDirectory(prefix=UPLOAD_PREFIX) as folder:  # see qa_app.scratch
        path = Path(folder) / name
        upload.save(path)
        try:
            result = run_import(
                get_engine(),
                kind,
                path,
                skip_invalid=form.get("skip_invalid") == "1",
                dry_run=form.get("dry_run") == "1",
                create_reviewers=form.get("create_reviewers") == "1",
                replace=form.get("replace") == "1",
                actor=current_user(),
                rubric_id=current_app.config["RUBRIC_ID"],
            )
        except FileProblem as exc:
            problem = f"{exc} Nothing was imported; fix the file and choose it again."
            return _page(form=form, errors={"file": problem}, status=422)
    return _page(result, form, filename=name, status=422 if result.blocked else 200)
