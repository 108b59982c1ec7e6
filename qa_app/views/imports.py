"""Uploading calls, outcomes and reviews through the web, with the same report as the CLI."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request
from werkzeug.utils import secure_filename

from qa_app.auth import current_user, roles_required
from qa_app.db import get_engine
from qa_app.domain.tabular import SUPPORTED, FileProblem
from qa_app.import_service import KINDS, run_import
from qa_app.models import Role

bp = Blueprint("imports", __name__)
ERRORS_SHOWN = 200


@bp.get("/imports")
@roles_required(Role.ADMIN, Role.LEAD)
def index():
    return render_template("imports/index.html", kinds=KINDS, result=None)


@bp.post("/imports")
@roles_required(Role.ADMIN, Role.LEAD)
def upload():
    kind = request.form.get("kind", "")
    if kind not in KINDS:
        abort(422, description=f"Choose what the file holds: {', '.join(KINDS)}.")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        abort(422, description="Choose a file to upload.")
    name = secure_filename(upload.filename) or "upload"
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        abort(422, description=f"{upload.filename}: use a .csv, .xlsx or .jsonl file.")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        upload.save(path)
        try:
            result = run_import(
                get_engine(),
                kind,
                path,
                skip_invalid=request.form.get("skip_invalid") == "1",
                dry_run=request.form.get("dry_run") == "1",
                create_reviewers=request.form.get("create_reviewers") == "1",
                actor=current_user(),
                rubric_id=current_app.config["RUBRIC_ID"],
            )
        except FileProblem as exc:
            abort(422, description=str(exc))
    status = 422 if result.blocked else 200
    return render_template(
        "imports/index.html", kinds=KINDS, result=result, filename=name, errors_shown=ERRORS_SHOWN
    ), status
