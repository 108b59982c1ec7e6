"""Leads assign calls to reviewers, one by one or in bulk by filter, and see the workload.

A refused assignment shows the page again with the message beside the form it is about and
the filters, reviewer, limit and call ID as they were sent.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select
from werkzeug.datastructures import MultiDict

from qa_app.models import Assignment, Call, Role, User
from qa_app.store import audit
from qa_app.store.reviews import queue as queue_queries
from qa_app.web.auth import current_user, roles_required
from qa_app.web.database import get_session
from qa_app.web.requests import form_int

bp = Blueprint("assign", __name__)
MANAGERS = (Role.LEAD, Role.ADMIN)
MAX_BULK = 5000
NO_REVIEWER = "Choose an active reviewer to assign the calls to."


def _reviewer(user_id: str | None) -> User | None:
    """The active reviewer or lead with this id, or None."""
    number = form_int(user_id)
    reviewer = get_session().get(User, number) if number is not None else None
    if reviewer is None or not reviewer.active or reviewer.role not in (Role.REVIEWER, Role.LEAD):
        return None
    return reviewer


def _page(args, bulk_form=None, one_form=None, errors=None, status: int = 200):
    """The assign page for the filters in ``args``; the forms refilled as they were sent and
    ``errors`` (field -> message) beside their fields after a refusal."""
    db = get_session()
    filters, problems = queue_queries.CallFilters.from_args(args)
    if status == 200:
        for problem in problems:
            flash(problem, "error")
    matching = db.exec(filters.apply(select(func.count()).select_from(Call))).one()
    unassigned = db.exec(
        filters.apply(
            select(func.count()).select_from(Call).where(Call.id.not_in(select(Assignment.call_pk)))
        )
    ).one()
    return render_template(
        "assign/index.html",
        filters=filters,
        choices=queue_queries.filter_choices(db),
        workload=queue_queries.workload(db),
        reviewers=queue_queries.assignable_users(db),
        matching=matching,
        unassigned=unassigned,
        max_bulk=MAX_BULK,
        bulk_form=bulk_form if bulk_form is not None else MultiDict(),
        one_form=one_form if one_form is not None else MultiDict(),
        errors=errors or {},
    ), status


@bp.get("/assign")
@roles_required(*MANAGERS)
def index():
    return _page(request.args)


@bp.post("/assign/bulk")
@roles_required(*MANAGERS)
def bulk():
    """Assign the calls matching the filters (up to a limit) to one reviewer."""
    form = request.form
    filters, problems = queue_queries.CallFilters.from_args(form)
    errors = {}
    if problems:
        errors["filters"] = "; ".join(problems)
    reviewer = _reviewer(form.get("reviewer_id"))
    if reviewer is None:
        errors["bulk_reviewer"] = NO_REVIEWER
    limit = form_int(form.get("limit"), MAX_BULK)
    if limit is None or not 1 <= limit <= MAX_BULK:
        errors["limit"] = f"Assign between 1 and {MAX_BULK} calls at a time."
    if errors:
        return _page(form, bulk_form=form, errors=errors, status=422)
    db = get_session()
    lead = current_user()
    added = queue_queries.assign_matching(
        db, filters, reviewer, lead, limit, form.get("only_unassigned") == "1"
    )
    audit.record(
        db,
        lead,
        "calls.assigned",
        "user",
        reviewer.id,
        after={"count": added, "filters": filters.as_args()},
    )
    db.commit()
    flash(f"Assigned {added} call(s) to {reviewer.name}.", "info")
    return redirect(url_for("assign.index", **filters.as_args()))


@bp.post("/assign/one")
@roles_required(*MANAGERS)
def one():
    """Assign a single call, by its call_id, to one reviewer."""
    db = get_session()
    form = request.form
    reviewer = _reviewer(form.get("reviewer_id"))
    call_id = (form.get("call_id") or "").strip()
    call = db.exec(select(Call).where(Call.call_id == call_id)).first()
    errors = {}
    if reviewer is None:
        errors["one_reviewer"] = NO_REVIEWER
    if call is None:
        errors["call_id"] = f"There is no call '{call_id}'." if call_id else "Type a call ID."
    if errors:
        return _page(MultiDict(), one_form=form, errors=errors, status=422)
    db.add(Assignment(call_pk=call.id, reviewer_id=reviewer.id, assigned_by=current_user().id))
    after = {"reviewer": reviewer.email}
    audit.record(db, current_user(), "call.assigned", "call", call.call_id, after=after)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        flash(f"{call_id} is already in {reviewer.name}'s queue.", "info")
        return redirect(url_for("assign.index"))
    flash(f"Assigned {call_id} to {reviewer.name}.", "info")
    return redirect(url_for("assign.index"))
