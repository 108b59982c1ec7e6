"""Blind scoring in a calibration session: QA participants here, panelists through
views/panel.py, both with the same form (rubric wording or customer voice).

Routes on the calibration blueprint (views/calibration.py).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlmodel import select

from qa_app import calibration_store as store
from qa_app.auth import current_user, roles_required
from qa_app.db import get_session
from qa_app.domain.calibration import CalibrationError
from qa_app.domain.scoring import ScoringError, parse_answer
from qa_app.models import (
    CalibrationParticipant,
    CalibrationSession,
    Call,
    ParticipantKind,
    Role,
    SessionState,
    TranscriptTurn,
)
from qa_app.views.calibration import _rubric, _session, bp


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
    """The session's call with this ID (404 when the session does not have it)."""
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
