"""The Outreach page: the queue of alerts with their reasons in plain words, the call behind
each, assignment, a humane opening from the rubric's top points, and closing with the
resolution pathway, any credit and a do-not-contact choice (which records an opt-out); and
"What happened next" (qa_app.store.outreach.outcomes), loaded after the page as a fragment.

Parses, calls qa_app.store.outreach.alerts, renders. Every change is role-checked, CSRF-protected
(flask-wtf, as every form) and audited by the store.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlmodel import select

from qa_app.kept import Kept
from qa_app.models import Call, OutreachAlert, Review, ReviewStatus, Role
from qa_app.web.auth import current_user, roles_required
from qa_app.web.database import get_session
from qa_app.web.forms import acts_once
from qa_app.web.requests import form_int, wants_fragment

bp = Blueprint("outreach", __name__)
WORKERS = (Role.COACH, Role.LEAD, Role.ADMIN)
# Roles that may open a submitted review (scoring.review).
REVIEW_READERS = (Role.REVIEWER, Role.LEAD, Role.ADMIN)
CLOSED_SHOWN = 50
# Computed tracking reports, keyed by the data fingerprint
# (outreach_outcome_queries.data_fingerprint, which names the database), the rules, the rubric
# and the day: the report evaluates the rules on 26 past days, and the same data always give
# the same report, so a page view recomputes only after a change (or on a new day).
_TRACKING = Kept(8)


def _opening_for(db, rubric, rubric_pk: int | None, call_pk: int | None):
    from qa_app.domain.outreach.opening import humane_opening
    from qa_app.store.final_scores import scores_of

    scores = {}
    if call_pk is not None and rubric_pk is not None:
        scores = scores_of(db, call_pk, rubric_pk)
    return humane_opening(rubric, scores)


# The fields of the assign and close forms, as the store's messages name them ("credit: ...").
FIELDS = {"assign to": "assignee", "pathway": "pathway", "credit": "credit", "note": "note"}


def _refusal(alert_id: int | None, message: str) -> dict:
    """What the page needs to show a refused form again: the alert, what was typed, and the
    message beside the field it is about (or above the form when it names no field)."""
    label, _, _ = message.partition(": ")
    return {
        "alert_id": alert_id,
        "form": {name: request.form.get(name, "") for name in (*FIELDS.values(), "do_not_contact")},
        "field": FIELDS.get(label),
        "message": message,
        "action": request.endpoint,
    }


def _refused(alert_id: int | None, message: str):
    """The page again with the refused form as it was typed, status 422."""
    context = _context()
    refusal = _refusal(alert_id, message)
    alert = next((a for a in context["open_alerts"] if a.id == alert_id), None)
    verb = "assigned" if refusal["action"] == "outreach.assign" else "closed"
    # Said at the top too, naming the alert: the form may be far down a long queue.
    context["problems"] = [
        f"Alert for {alert.customer_id} not {verb}: {message}" if alert else message
    ]
    context["refusal"] = refusal
    return render_template("outreach/index.html", **context), 422


def _context() -> dict:
    from qa_app.domain.outreach.opening import PATHWAYS
    from qa_app.store.rubrics import current_rubric_row, rubric_from_row

    db = get_session()
    row = current_rubric_row(db, current_app.config["RUBRIC_ID"])
    rubric = rubric_from_row(row) if row else None
    open_alerts = db.exec(
        select(OutreachAlert)
        .where(OutreachAlert.status == "open")
        .order_by(OutreachAlert.priority, OutreachAlert.day.desc(), OutreachAlert.id)
    ).all()
    closed = db.exec(
        select(OutreachAlert)
        .where(OutreachAlert.status == "closed")
        .order_by(OutreachAlert.closed_at.desc(), OutreachAlert.id.desc())
        .limit(CLOSED_SHOWN)
    ).all()
    pks = [a.call_pk for a in (*open_alerts, *closed) if a.call_pk is not None]
    calls = (
        dict(db.exec(select(Call.id, Call.call_id).where(Call.id.in_(pks))).all()) if pks else {}
    )
    reviews = {}
    if pks:
        for call_pk, review_id in db.exec(
            select(Review.call_pk, Review.id)
            .where(Review.call_pk.in_(pks), Review.status == ReviewStatus.SUBMITTED)
            .order_by(Review.id)
        ):
            reviews.setdefault(call_pk, review_id)
    openings = {}
    if rubric is not None:
        for alert in open_alerts:
            openings[alert.id] = _opening_for(db, rubric, row.id, alert.call_pk)
    user = current_user()
    return {
        "open_alerts": open_alerts,
        "closed": closed,
        "calls": calls,
        "reviews": reviews,
        "openings": openings,
        "pathways": PATHWAYS,
        "can_open_review": user is not None and user.role in REVIEW_READERS,
        "problems": [],
        "refusal": None,
        # "What happened next" follows as a fragment (GET /outreach/outcomes).
        "tracking": None,
        "tracking_error": None,
        "pending": True,
    }


@bp.get("/outreach")
@roles_required(*WORKERS)
def index():
    """The queue of open alerts and the latest closed ones."""
    return render_template("outreach/index.html", **_context())


def _alert_id() -> int | None:
    return form_int(request.form.get("alert_id"))


@bp.post("/outreach/assign")
@roles_required(*WORKERS)
def assign():
    """Give an alert to an agent or a team."""
    from qa_app.store.outreach.alerts import OutreachError, assign_alert

    alert_id = _alert_id()
    if alert_id is None:
        return _refused(None, "alert: missing")
    db = get_session()
    try:
        alert = assign_alert(db, alert_id, request.form.get("assignee", ""), current_user())
        db.commit()
    except OutreachError as exc:
        db.rollback()
        return _refused(alert_id, str(exc))
    flash(f"Alert for {alert.customer_id} assigned to {alert.assigned_to}.", "info")
    return redirect(url_for("outreach.index"), 303)


@bp.post("/outreach/close")
@roles_required(*WORKERS)
@acts_once
def close():
    """Close an alert with its pathway, any credit, and whether to record an opt-out."""
    from qa_app.store.outreach.alerts import OutreachError, close_alert

    form = request.form
    alert_id = _alert_id()
    if alert_id is None:
        return _refused(None, "alert: missing")
    credit_text = (form.get("credit") or "").strip()
    credit = None
    if credit_text:
        try:
            credit = float(credit_text)
        except ValueError:
            credit = float("nan")
        if credit != credit:  # not a number, or "nan"
            return _refused(
                alert_id, f"credit: '{credit_text[:40]}' is not an amount; write it as 12.50"
            )
    db = get_session()
    try:
        alert = close_alert(
            db,
            alert_id,
            (form.get("pathway") or "").strip(),
            credit,
            form.get("do_not_contact") == "yes",
            form.get("note") or "",
            current_user(),
        )
        db.commit()
    except OutreachError as exc:
        db.rollback()
        return _refused(alert_id, str(exc))
    extra = " They will not be contacted again." if alert.do_not_contact else ""
    flash(f"Alert for {alert.customer_id} closed.{extra}", "info")
    return redirect(url_for("outreach.index"), 303)


def _tracking() -> tuple[dict | None, str | None]:
    """The tracking report as of today (UTC), kept while the data stay the same, or why it
    cannot be made."""
    from qa_app.domain.outreach.outcomes import AsOfError
    from qa_app.domain.outreach.rules import RulesError, load_rules
    from qa_app.store.flags.rows import ExportError
    from qa_app.store.outreach import outcomes as queries

    db = get_session()
    rubric_id = current_app.config["RUBRIC_ID"]
    try:
        rules = load_rules()
        today = datetime.now(UTC).date()
        key = (queries.data_fingerprint(db), rules.key, rubric_id, today.isoformat())
        cached = _TRACKING.get(key)
        if cached is None:
            cached = queries.outreach_tracking(db, rules, today, rubric_id)
            _TRACKING.put(key, cached)
        return cached, None
    except (RulesError, ExportError, AsOfError) as exc:
        return None, str(exc)


@bp.get("/outreach/outcomes")
@roles_required(*WORKERS)
def outcomes():
    """What happened next: contact and opt-out rates, pathways, and 90-day churn and spend
    against customers who met the same signals (the fragment for htmx, else the whole page).
    It evaluates the rules on past days, so the page asks for it after it has loaded."""
    tracking, error = _tracking()
    if wants_fragment():
        return render_template(
            "outreach/_outcomes.html", tracking=tracking, tracking_error=error, pending=False
        )
    context = _context() | {"tracking": tracking, "tracking_error": error, "pending": False}
    return render_template("outreach/index.html", **context)
