"""Calibration sessions: leads create and run them (this module); the dashboard and consensus
are in calibration_results.py, QA participants' blind scoring in calibration_scoring.py.

Panelists without an account score through their invite link (views/panel.py).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlmodel import select
from werkzeug.datastructures import MultiDict

from qa_app.domain.calibration.sessions import CalibrationError, panel_link_state, parse_link_grace
from qa_app.domain.files.tables import parse_timestamp
from qa_app.models import (
    CalibrationParticipant,
    CalibrationSession,
    ParticipantKind,
    Role,
    RubricVersion,
    SessionState,
)
from qa_app.store import audit
from qa_app.store.calibration import participants as participant_store
from qa_app.store.calibration import results as result_store
from qa_app.store.calibration import sessions as store
from qa_app.store.reviews.queue import CallFilters, assignable_users, filter_choices
from qa_app.store.rubrics import current_rubric_row, rubric_from_row
from qa_app.store.sampling import plans as sampling_store
from qa_app.web.auth import current_user, roles_required
from qa_app.web.database import get_session
from qa_app.web.forms import acts_once
from qa_app.web.requests import form_int

bp = Blueprint("calibration", __name__, url_prefix="/calibration")
LEADS = (Role.LEAD, Role.ADMIN)


def _session(session_id: int) -> CalibrationSession:
    session = get_session().get(CalibrationSession, session_id)
    if session is None:
        abort(404, description="There is no such calibration session.")
    return session


def _rubric(session: CalibrationSession):
    return rubric_from_row(get_session().get(RubricVersion, session.rubric_pk))


def _deadline(text: str) -> tuple[datetime | None, str | None]:
    """The deadline in UTC, or a message saying why the text is not one.

    The form's local date-time field is read as UTC; a time with an offset is converted
    (the import's reading, so 9999-12-31T23:59-01:00 is refused, not a crash).
    """
    try:
        return parse_timestamp(text.strip()), None
    except ValueError as exc:
        return None, f"Deadline '{text.strip()}' is not a date and time ({exc})."


def _link_key() -> bytes:
    """The key panel links are derived with (participant_store.new_invite): from the server's
    secret key, so the lead's page can show them and the database alone cannot."""
    secret = current_app.secret_key
    secret = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    return hmac.new(secret, b"qa_app panel invite links", hashlib.sha256).digest()


def _index_page(form: MultiDict | None = None, errors: dict | None = None, status: int = 200):
    """The sessions list and the new-session form, refilled with ``form`` after a refusal."""
    db = get_session()
    form = form if form is not None else MultiDict()
    filters, _ = CallFilters.from_args(form)
    default = current_rubric_row(db, current_app.config["RUBRIC_ID"])
    return render_template(
        "calibration/index.html",
        # A new form starts on the app's rubric (its newest version), as review scoring does.
        chosen_rubric=form.get("rubric_pk") or (str(default.id) if default else ""),
        sessions=store.sessions_overview(db),
        rubrics=list(db.exec(select(RubricVersion))),
        reviewers=assignable_users(db),
        choices=filter_choices(db),
        plans=[p for p in sampling_store.all_plans(db) if p.drawn_at is not None],
        filters=filters,
        form=form,
        errors=errors or {},
    ), status


def _calls_from_plan(db, form) -> tuple[list[str], str | None]:
    """The first "how many" of a drawn plan's calls, hard cases first (none when no plan is
    chosen), or a message saying what is wrong with the choice."""
    name = form.get("plan", "").strip()
    if not name:
        return [], None
    row = sampling_store.find_plan(db, name)
    if row is None or row.drawn_at is None:
        return [], f"Plan '{name[:100]}' is not a drawn sampling plan; choose one from the list."
    count = form_int(form.get("plan_count"), store.MAX_CALLS)
    if count is None or not 1 <= count <= store.MAX_CALLS:
        return [], f"Take between 1 and {store.MAX_CALLS} calls from the plan."
    return sampling_store.plan_calls(db, row)[:count], None


@bp.get("")
@roles_required(*LEADS)
def index():
    return _index_page()


@bp.post("")
@roles_required(*LEADS)
@acts_once
def create():
    """Create a session, then redirect to it: the form acts once (web.forms), so a reload,
    Back then Create, or a double click shows the first session; a refusal shows the form
    again with the message beside the field and everything typed kept."""
    db = get_session()
    form = request.form
    errors = {}
    rubric_row = db.get(RubricVersion, form_int(form.get("rubric_pk")) or 0)
    if rubric_row is None:
        errors["rubric_pk"] = "Choose a rubric version."
    deadline, problem = _deadline(form.get("deadline", ""))
    if problem:
        errors["deadline"] = problem
    grace, problem = parse_link_grace(form.get("link_grace_hours", ""))
    if problem:
        errors["link_grace_hours"] = problem
    calls = form.get("call_ids", "").replace(",", "\n").splitlines()
    sample = form_int(form.get("sample"), 0)
    if sample != 0:
        filters, problems = CallFilters.from_args(form)
        if problems or sample is None or not 1 <= sample <= store.MAX_CALLS:
            errors["sample"] = "; ".join(problems) or f"Draw between 1 and {store.MAX_CALLS} calls."
        else:
            calls += store.sample_calls(db, filters, sample)
    plan_calls, problem = _calls_from_plan(db, form)
    if problem:
        errors["plan"] = problem
    calls = plan_calls + calls  # the plan's hard cases lead the session
    if errors:
        return _index_page(form, errors, 422)
    try:
        session, tokens = store.create_session(
            db,
            current_user(),
            form.get("name", ""),
            rubric_row,
            calls,
            [n for n in map(form_int, form.getlist("reviewer_ids")) if n is not None],
            form.get("panelists", "").splitlines(),
            deadline,
            link_key=_link_key(),
        )
        session.link_grace_hours = grace
        db.add(session)
        db.commit()
    except CalibrationError as exc:
        db.rollback()
        return _index_page(form, {getattr(exc, "field", "form"): str(exc)}, 422)
    message = f"Session “{session.name}” created as a draft."
    if tokens:
        message += " Each panelist's invite link is on this page while the session is open."
    flash(message, "info")
    # Redirected, so a reload shows the session instead of creating another. The links are
    # not in the URL: the session page derives them (participant_store.panel_links).
    return redirect(url_for("calibration.manage", session_id=session.id), 303)


def _manage(
    session: CalibrationSession,
    state_error=None,
    form=None,
    status=200,
    grace_error=None,
    link_error=None,
):
    """The lead's session page; ``state_error`` (a refused step) is shown beside its button."""
    db = get_session()
    links = {}
    if session.state in (SessionState.DRAFT, SessionState.OPEN):  # links work until the reveal
        tokens = participant_store.panel_links(db, session.id, _link_key())
        links = {
            pid: url_for("panel.home", token=token, _external=True) for pid, token in tokens.items()
        }
    people = participant_store.participants(db, session.id)
    calls = store.session_calls(db, session.id)
    done = participant_store.progress(db, session.id)
    return render_template(
        "calibration/session.html",
        session=session,
        people=people,
        calls=calls,
        done=done,
        links=links,
        link_states={
            p.id: participant_store.link_state(p, len(done.get(p.id, ())), len(calls))
            for p in people
        },
        rubric=_rubric(session),
        state_error=state_error,
        grace_error=grace_error,
        link_error=link_error,
        link_state=panel_link_state(
            session.state, session.deadline, session.link_grace_hours, datetime.now(UTC)
        ),
        form=form if form is not None else MultiDict(),
    ), status


@bp.get("/drift")
@roles_required(*LEADS)
def drift():
    """Each QA rater's bias and distance from consensus per dimension, session after session."""
    from qa_app.domain.calibration.drift import rater_history

    typed = request.args.get("threshold") or "0.5"
    try:
        threshold = float(typed)
    except ValueError:
        threshold = -1.0
    error = None
    if not 0 < threshold < 10:
        error = "The threshold is a number of scale points between 0 and 10, e.g. 0.5."
        threshold = 0.5  # the history is still shown, flagged at the default
    db = get_session()
    rubric_row = current_rubric_row(db, current_app.config["RUBRIC_ID"])
    rubric = rubric_from_row(rubric_row) if rubric_row else None
    dimensions = [d.id for d in rubric.dimensions] if rubric else []
    titles = {d.id: d.name for d in rubric.dimensions} if rubric else {}
    points = rater_history(result_store.drift_inputs(db), dimensions, threshold)
    people = sorted({p.participant for p in points})
    return render_template(
        "calibration/drift.html",
        points=points,
        people=people,
        dimensions=dimensions,
        titles=titles,
        threshold=threshold,
        typed=typed,
        error=error,
    ), (422 if error else 200)


@bp.get("/<int:session_id>")
@roles_required(*LEADS)
def manage(session_id: int):
    return _manage(_session(session_id))


@bp.post("/<int:session_id>/state")
@roles_required(*LEADS)
def change_state(session_id: int):
    db = get_session()
    session = _session(session_id)
    try:
        store.change_state(
            db,
            session,
            request.form.get("target", ""),
            current_user(),
            confirmed=request.form.get("confirm") == "1",
            reason=request.form.get("reason", ""),
        )
        db.commit()
    except CalibrationError as exc:
        db.rollback()
        return _manage(session, state_error=str(exc), form=request.form, status=409)
    flash(f"Session is now {session.state}.", "info")
    return redirect(url_for("calibration.manage", session_id=session.id))


@bp.post("/<int:session_id>/link-grace")
@roles_required(*LEADS)
def link_grace(session_id: int):
    """Set how long after the deadline the panel's invite links keep working (blank: until the
    session is revealed); audited, since it decides who can still answer."""
    db = get_session()
    session = _session(session_id)
    grace, problem = parse_link_grace(request.form.get("link_grace_hours", ""))
    if problem:
        return _manage(session, grace_error=problem, form=request.form, status=422)
    before = session.link_grace_hours
    session.link_grace_hours = grace
    db.add(session)
    audit.record(
        db,
        current_user(),
        "calibration.link_grace",
        "calibration_session",
        session.id,
        before={"link_grace_hours": before},
        after={"link_grace_hours": grace},
    )
    db.commit()
    if grace is None:
        flash("Invite links now work until the session is revealed.", "info")
    else:
        flash(f"Invite links now stop {grace} hour(s) after the deadline.", "info")
    return redirect(url_for("calibration.manage", session_id=session.id, _anchor="links"), 303)


@bp.post("/<int:session_id>/participants/<int:participant_id>/link")
@roles_required(*LEADS)
def new_link(session_id: int, participant_id: int):
    """Give a panelist a new link (the old one stops working), or revoke it."""
    db = get_session()
    session = _session(session_id)
    participant = db.get(CalibrationParticipant, participant_id)
    if (
        participant is None
        or participant.session_id != session.id
        or participant.kind != ParticipantKind.PANELIST
    ):
        abort(404, description="There is no such panelist in this session.")
    revoke = request.form.get("revoke") == "1"
    if request.form.get("confirm") != "1":
        # Either step ends the link the panelist has: asked for on the page (a required
        # checkbox), and checked here for a form sent without it.
        what = "revoke" if revoke else "replace"
        return _manage(
            session,
            link_error=(
                participant.id,
                f"Nothing changed: tick the box to confirm you want to {what} "
                f"{participant.display_name}'s link (the link they have stops working).",
            ),
            status=422,
        )
    if revoke:
        participant.revoked_at = datetime.now(UTC)
        participant.invite_seed = None
        db.add(participant)
        _audit_link(db, session, participant, "revoked")
        db.commit()
        flash(f"{participant.display_name}'s link no longer works.", "info")
        return redirect(url_for("calibration.manage", session_id=session.id))
    participant_store.new_invite(participant, _link_key())
    db.add(participant)
    _audit_link(db, session, participant, "reissued")
    db.commit()
    flash(
        f"New link for {participant.display_name}: it is in their row below. "
        "Their old link no longer works.",
        "info",
    )
    return redirect(url_for("calibration.manage", session_id=session.id), 303)


def _audit_link(db, session, participant, what: str) -> None:
    """Record who revoked or reissued a panelist's link (never the link itself)."""
    audit.record(
        db,
        current_user(),
        f"panel_link.{what}",
        "calibration_participant",
        participant.id,
        after={"session": session.name, "panelist": participant.display_name},
    )
