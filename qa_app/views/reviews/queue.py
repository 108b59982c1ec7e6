"""The reviewer's queue: assigned calls with status, filters, counts, and "open next"."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from qa_app.models import Role
from qa_app.store.reviews import queue as queue_queries
from qa_app.web.auth import current_user, roles_required
from qa_app.web.database import get_session
from qa_app.web.requests import form_int, wants_fragment

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
    db = get_session()
    call = queue_queries.next_call(db, current_user().id, after)
    if call is None:
        flash(nothing_next_message(db, current_user().id), "info")
        return redirect(url_for("queue.index"))
    return redirect(url_for("scoring.page", call_id=call.call_id))


def nothing_next_message(db, reviewer_id: int) -> str:
    """Why "open next" found no call, said plainly: none assigned, all submitted, or only
    the call just left is unfinished."""
    counts = queue_counts(db, reviewer_id)
    assigned = sum(counts.values())
    if assigned == 0:
        return "No calls are assigned to you yet, so there is nothing to score."
    if counts[queue_queries.TODO] + counts["draft"]:
        # next_call skipped the call the person came from; it is the one left.
        return "No other call to score: the call you just left is the only one not submitted."
    if assigned == 1:
        return "Nothing to do: the one call assigned to you is submitted."
    return f"Nothing to do: all {assigned} calls assigned to you are submitted."


def queue_counts(db, reviewer_id: int) -> dict[str, int]:
    """The reviewer's assigned calls per status (to do, draft, submitted), unfiltered."""
    _rows, counts, _total = queue_queries.reviewer_queue(
        db, reviewer_id, queue_queries.CallFilters(), queue_queries.TODO
    )
    return counts
