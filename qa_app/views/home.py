"""The home page: one summary per role."""

from __future__ import annotations

from flask import Blueprint, render_template

from qa_app import queries
from qa_app.auth import ALL_ROLES, current_user, roles_required
from qa_app.db import get_session

bp = Blueprint("home", __name__)


@bp.get("/")
@roles_required(*ALL_ROLES)
def index():
    user = current_user()
    summary = queries.home_summary(get_session(), user)
    return render_template("home/index.html", user=user, summary=summary)
