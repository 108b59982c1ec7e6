"""Calibration sessions: leads create and run them; QA participants score blind.

Panelists without an account score through their invite link (views/panel.py).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlmodel import select

from qa_app import calibration_store as store
from qa_app.auth import current_user, roles_required
from qa_app.db import get_session
from qa_app.domain.calibration import CalibrationError
from qa_app.domain.scoring import ScoringError, missing_dimensions, parse_answer
from qa_app.domain.spreadsheet_safety import protect_formula
from qa_app.models import (
    CalibrationParticipant,
    CalibrationSession,
    Call,
    ParticipantKind,
    Role,
    RubricVersion,
    SessionState,
    TranscriptTurn,
)
from qa_app.queue_queries import CallFilters, assignable_users, filter_choices
from qa_app.rubric_store import rubric_from_row
from qa_app.views import form_int

bp = Blueprint("calibration", __name__, url_prefix="/calibration")
LEADS = (Role.LEAD, Role.ADMIN)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _session(session_id: int) -> CalibrationSession:
    session = get_session().get(CalibrationSession, session_id)
    if session is None:
        abort(404, description="There is no such calibration session.")
    return session


def _rubric(session: CalibrationSession):
    return rubric_from_row(get_session().get(RubricVersion, session.rubric_pk))


def _deadline(text: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        abort(422, description=f"Deadline '{text}' is not a date and time.")
    # The form's local date-time field is read as UTC; a time with an offset is converted.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@bp.get("")
@roles_required(*LEADS)
def index():
    db = get_session()
    return render_template(
        "calibration/index.html",
        sessions=store.sessions_overview(db),
        rubrics=list(db.exec(select(RubricVersion))),
        reviewers=assignable_users(db),
        choices=filter_choices(db),
        filters=CallFilters(),
    )


@bp.post("")
@roles_required(*LEADS)
def create():
    db = get_session()
    form = request.form
    rubric_row = db.get(RubricVersion, form_int(form.get("rubric_pk")) or 0)
    if rubric_row is None:
        abort(422, description="Choose a rubric version.")
    calls = form.get("call_ids", "").replace(",", "\n").splitlines()
    sample = form_int(form.get("sample"), 0)
    if sample != 0:
        filters, problems = CallFilters.from_args(form)
        if problems or sample is None or not 1 <= sample <= store.MAX_CALLS:
            abort(
                422,
                description="; ".join(problems) or f"Draw between 1 and {store.MAX_CALLS} calls.",
            )
        calls += store.sample_calls(db, filters, sample)
    try:
        session, tokens = store.create_session(
            db,
            current_user(),
            form.get("name", ""),
            rubric_row,
            calls,
            [n for n in map(form_int, form.getlist("reviewer_ids")) if n is not None],
            form.get("panelists", "").splitlines(),
            _deadline(form.get("deadline", "")),
        )
        db.commit()
    except CalibrationError as exc:
        db.rollback()
        abort(422, description=str(exc))
    # Rendered, not redirected: the invite links exist only in this response (only their
    # hashes are stored), so they must not pass through a cookie or a URL.
    return _manage(session, new_links=tokens)


def _manage(session: CalibrationSession, new_links: dict[str, str] | None = None):
    db = get_session()
    people = store.participants(db, session.id)
    calls = store.session_calls(db, session.id)
    done = store.progress(db, session.id)
    links = {
        name: url_for("panel.home", token=token, _external=True)
        for name, token in (new_links or {}).items()
    }
    return render_template(
        "calibration/session.html",
        session=session,
        people=people,
        calls=calls,
        done=done,
        links=links,
        rubric=_rubric(session),
    )


@bp.get("/drift")
@roles_required(*LEADS)
def drift():
    """Each QA rater's bias and distance from consensus per dimension, session after session."""
    from qa_app.domain.rater_drift import rater_history
    from qa_app.rubric_store import current_rubric_row

    try:
        threshold = float(request.args.get("threshold") or 0.5)
    except ValueError:
        threshold = -1.0
    if not 0 < threshold < 10:
        abort(422, description="The threshold is a number of scale points, e.g. 0.5.")
    db = get_session()
    rubric_row = current_rubric_row(db, current_app.config["RUBRIC_ID"])
    dimensions = [d.id for d in rubric_from_row(rubric_row).dimensions] if rubric_row else []
    points = rater_history(store.drift_inputs(db), dimensions, threshold)
    people = sorted({p.participant for p in points})
    return render_template(
        "calibration/drift.html",
        points=points,
        people=people,
        dimensions=dimensions,
        threshold=threshold,
    )


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
        abort(409, description=str(exc))
    flash(f"Session is now {session.state}.", "info")
    return redirect(url_for("calibration.manage", session_id=session.id))


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
    if request.form.get("revoke") == "1":
        participant.revoked_at = datetime.now(UTC)
        db.add(participant)
        db.commit()
        flash(f"{participant.display_name}'s link no longer works.", "info")
        return redirect(url_for("calibration.manage", session_id=session.id))
    token = store.new_invite(participant)
    db.add(participant)
    db.commit()
    return _manage(session, new_links={participant.display_name: token})


@bp.get("/<int:session_id>/dashboard")
@roles_required(*LEADS)
def dashboard(session_id: int):
    db = get_session()
    session = _session(session_id)
    if session.state not in (SessionState.REVEALED, SessionState.CLOSED):
        abort(403, description="Scores stay hidden until the session is revealed.")
    rubric = _rubric(session)
    agreed = store.consensus(db, session.id)
    numbers = store.dashboard_numbers(db, session, rubric, agreed)
    return render_template(
        "calibration/dashboard.html",
        session=session,
        rubric=rubric,
        numbers=numbers,
        comments=store.comments(db, session.id),
        consensus=agreed,
    )


@bp.get("/<int:session_id>/ratings.csv")
@roles_required(*LEADS)
def ratings_csv(session_id: int):
    """Every rating in long form (formula-safe CSV); only once the session is revealed."""
    session = _session(session_id)
    if session.state not in (SessionState.REVEALED, SessionState.CLOSED):
        abort(403, description="Scores stay hidden until the session is revealed.")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(store.RATINGS_COLUMNS)
    for row in store.ratings_rows(get_session(), session):
        writer.writerow(
            [
                protect_formula(v) if isinstance(v, str) else ("" if v is None else v)
                for v in row.values()
            ]
        )
    name = f"ratings-session-{session.id}.csv"
    return Response(
        buffer.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/<int:session_id>/report.xlsx")
@roles_required(*LEADS)
def report_xlsx(session_id: int):
    """The session report workbook; only once the session is revealed."""
    session = _session(session_id)
    if session.state not in (SessionState.REVEALED, SessionState.CLOSED):
        abort(403, description="Scores stay hidden until the session is revealed.")
    buffer = io.BytesIO()
    store.write_report(get_session(), session, buffer)
    return Response(
        buffer.getvalue(),
        content_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="calibration-session-{session.id}.xlsx"'
        },
    )


@bp.get("/<int:session_id>/charts/<name>.png")
@roles_required(*LEADS)
def chart(session_id: int, name: str):
    """The dashboard's charts, rendered on the server (only once revealed)."""
    from qa_app import charts

    db = get_session()
    session = _session(session_id)
    if session.state not in (SessionState.REVEALED, SessionState.CLOSED):
        abort(403, description="Scores stay hidden until the session is revealed.")
    rubric = _rubric(session)
    if name == "alpha":
        numbers = store.dashboard_numbers(db, session, rubric, store.consensus(db, session.id))
        image = charts.alpha_chart(numbers["agreement"], rubric)
    elif name == "heatmap":
        image = charts.heatmap(store.session_ratings(db, session.id), rubric)
    else:
        abort(404, description="There is no such chart.")
    return Response(
        image, content_type="image/png", headers={"Cache-Control": "private, max-age=60"}
    )


@bp.post("/<int:session_id>/calls/<call_id>/consensus")
@roles_required(*LEADS)
def record_consensus(session_id: int, call_id: str):
    db = get_session()
    session = _session(session_id)
    rubric = _rubric(session)
    call = db.exec(select(Call).where(Call.call_id == call_id)).first()
    if call is None or call.id not in {c.id for c in store.session_calls(db, session.id)}:
        abort(404, description=f"Call {call_id} is not in this session.")
    try:
        answers = {
            d.id: parse_answer(rubric, d.id, {"score": request.form.get(d.id, "")}, 0)
            for d in rubric.dimensions
        }
        missing = missing_dimensions(rubric, answers)
        if missing:
            # A blank would become the call's final score and blank its flags in exports.
            raise CalibrationError(
                "Consensus needs a score (or N/A) for every dimension; missing: "
                f"{', '.join(missing)}. Nothing was recorded."
            )
        store.record_consensus(
            db, session, call, answers, request.form.get("note", ""), current_user()
        )
        db.commit()
    except (ScoringError, CalibrationError) as exc:
        db.rollback()
        abort(422, description=str(exc))
    flash(f"Consensus for {call_id} recorded; it is now the call's final score.", "info")
    return redirect(url_for("calibration.dashboard", session_id=session.id) + f"#call-{call_id}")


def _my_participation(session: CalibrationSession) -> CalibrationParticipant:
    participant = (
        get_session()
        .exec(
            select(CalibrationParticipant).where(
                CalibrationParticipant.session_id == session.id,
                CalibrationParticipant.user_id == current_user().id,
            )
        )
        .first()
    )
    if participant is None:
        abort(403, description="You are not a participant of this session.")
    if session.state == SessionState.DRAFT:  # as for panelists: calls stay hidden until open
        abort(403, description="This calibration session has not started yet.")
    return participant


@bp.get("/<int:session_id>/score")
@roles_required(Role.REVIEWER, Role.LEAD)
def my_calls(session_id: int):
    session = _session(session_id)
    participant = _my_participation(session)
    db = get_session()
    return render_template(
        "calibration/my_calls.html",
        session=session,
        calls=store.session_calls(db, session.id),
        done=store.progress(db, session.id).get(participant.id, set()),
        score_url=lambda c: url_for("calibration.score", session_id=session.id, call_id=c.call_id),
    )


def score_page(
    session, participant, call, rubric, post_url, back_url, status=200, message=None, form=None
):
    """The scoring form for QA participants (rubric wording) and panelists (customer voice)."""
    db = get_session()
    answers, comment = store.own_answers(db, participant.id, call.id)
    if form is not None:
        values = {d.id: form.get(d.id, "") for d in rubric.dimensions}
        comment = form.get("comment", "")
    else:
        values = {d: ("na" if a.not_applicable else str(a.score)) for d, a in answers.items()}
    order = participant.item_order or [d.id for d in rubric.dimensions]
    turns = db.exec(
        select(TranscriptTurn)
        .where(TranscriptTurn.call_pk == call.id)
        .order_by(TranscriptTurn.position)
    ).all()
    return render_template(
        "calibration/score.html",
        session=session,
        participant=participant,
        call=call,
        rubric=rubric,
        turns=turns,
        values=values,
        comment=comment,
        dimensions=[rubric.dimension(d) for d in order],
        post_url=post_url,
        back_url=back_url,
        message=message,
        panel=participant.kind == ParticipantKind.PANELIST,
    ), status


def save_scores(session, participant, call, rubric):
    """Validate and store a participant's answers for a call; return an error message or None."""
    db = get_session()
    try:
        answers = {
            d.id: parse_answer(rubric, d.id, {"score": request.form.get(d.id, "")}, 0)
            for d in rubric.dimensions
        }
        store.submit_call(
            db, session, participant, call, answers, rubric, request.form.get("comment", "")
        )
        db.commit()
    except (ScoringError, CalibrationError) as exc:
        db.rollback()
        return str(exc)
    return None


def session_call(session: CalibrationSession, call_id: str) -> Call:
    for call in store.session_calls(get_session(), session.id):
        if call.call_id == call_id:
            return call
    abort(404, description=f"Call {call_id} is not in this session.")


@bp.route("/<int:session_id>/score/<call_id>", methods=["GET", "POST"])
@roles_required(Role.REVIEWER, Role.LEAD)
def score(session_id: int, call_id: str):
    session = _session(session_id)
    participant = _my_participation(session)
    call = session_call(session, call_id)
    rubric = _rubric(session)
    urls = (
        url_for("calibration.score", session_id=session.id, call_id=call_id),
        url_for("calibration.my_calls", session_id=session.id),
    )
    if request.method == "POST":
        error = save_scores(session, participant, call, rubric)
        if error is None:
            flash(f"Saved your scores for {call_id}.", "info")
            return redirect(urls[1])
        return score_page(session, participant, call, rubric, *urls, 422, error, request.form)
    return score_page(session, participant, call, rubric, *urls)
