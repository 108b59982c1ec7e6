"""The reviewer's queue: assigned calls with status, filters, counts, and "open next"."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from qa_app import queue_queries
from qa_app.auth import current_user, roles_required
from qa_app.db import get_session
from qa_app.models import Role
from qa_app.views import form_int, wants_fragment

bp = Blueprint("queue", __name__)
SCORERS = (Role.REVIEWER, Role.LEAD)


@bp.get("/queue")
@roles_required(*SCORERS)
def index():
    filters, problems = queue_queries.CallFilters.from_args(request.args)
    for problem in problems:
        flash(problem, "error")
    status = request.args.get("status", "")
    page = form_int(request.args.get("page"), 1) or 1
    db = get_session()
    rows, counts, total = queue_queries.reviewer_queue(db, current_user().id, filters, status, page)
    context = {
        "rows": rows,
        "counts": counts,
        "total": total,
        "status": status,
        "page": page,
        "filters": filters,
        "choices": queue_queries.filter_choices(db),
        "page_size": queue_queries.PAGE_SIZE,
        "statuses": queue_queries.STATUSES,
    }
    template = "queue/_table.html" if wants_fragment() else "queue/index.html"
    return render_template(template, **context)


@bp.get("/queue/next")
@roles_required(*SCORERS)
def open_next():
    """Open the next draft or to-do call; back to the queue when nothing is left."""
    after = form_int(request.args.get("after"))
    call = queue_queries.next_call(get_session(), current_user().id, after)
    if call is None:
        flash("Nothing left in your queue. Well done.", "info")
        return redirect(url_for("queue.index"))
    return redirect(url_for("scoring.page", call_id=call.call_id))
