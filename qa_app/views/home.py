"""The home page: one summary per role."""

from __future__ import annotations

from flask import Blueprint, render_template

from qa_app.models import Role
from qa_app.store import home as queries
from qa_app.store.reviews import queue as queue_queries
from qa_app.views.reviews.queue import queue_counts
from qa_app.web.auth import ALL_ROLES, current_user, roles_required
from qa_app.web.database import get_session

bp = Blueprint("home", __name__)


@bp.get("/")
@roles_required(*ALL_ROLES)
def index():
    """The signed-in user's summary; a reviewer's shows their queue and the next call."""
    user = current_user()
    db = get_session()
    summary = queries.home_summary(db, user)
    if user.role == Role.REVIEWER:
        summary["queue"] = queue_counts(db, user.id)
        summary["next_call"] = queue_queries.next_call(db, user.id)
    return render_template("home/index.html", user=user, summary=summary)
