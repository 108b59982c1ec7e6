"""Leads assign calls to reviewers, one by one or in bulk by filter, and see the workload."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from qa_app import audit, queue_queries
from qa_app.auth import current_user, roles_required
from qa_app.db import get_session
from qa_app.models import Assignment, Call, Role, User
from qa_app.views import form_int

bp = Blueprint("assign", __name__)
MANAGERS = (Role.LEAD, Role.ADMIN)
MAX_BULK = 5000


def _reviewer(user_id: str | None) -> User:
    number = form_int(user_id)
    reviewer = get_session().get(User, number) if number is not None else None
    if reviewer is None or not reviewer.active or reviewer.role not in (Role.REVIEWER, Role.LEAD):
        abort(422, description="Choose an active reviewer to assign the calls to.")
    return reviewer


@bp.get("/assign")
@roles_required(*MANAGERS)
def index():
    db = get_session()
    filters, problems = queue_queries.CallFilters.from_args(request.args)
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
    )


@bp.post("/assign/bulk")
@roles_required(*MANAGERS)
def bulk():
    """Assign the calls matching the filters (up to a limit) to one reviewer."""
    filters, problems = queue_queries.CallFilters.from_args(request.form)
    if problems:
        abort(422, description="; ".join(problems))
    reviewer = _reviewer(request.form.get("reviewer_id"))
    limit = form_int(request.form.get("limit"), MAX_BULK)
    if limit is None or not 1 <= limit <= MAX_BULK:
        abort(422, description=f"Assign between 1 and {MAX_BULK} calls at a time.")
    db = get_session()
    lead = current_user()
    added = queue_queries.assign_matching(
        db, filters, reviewer, lead, limit, request.form.get("only_unassigned") == "1"
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
    reviewer = _reviewer(request.form.get("reviewer_id"))
    call_id = (request.form.get("call_id") or "").strip()
    call = db.exec(select(Call).where(Call.call_id == call_id)).first()
    if call is None:
        abort(422, description=f"There is no call '{call_id}'.")
    db.add(Assignment(call_pk=call.id, reviewer_id=reviewer.id, assigned_by=current_user().id))
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        flash(f"{call_id} is already in {reviewer.name}'s queue.", "info")
        return redirect(url_for("assign.index"))
    flash(f"Assigned {call_id} to {reviewer.name}.", "info")
    return redirect(url_for("assign.index"))
