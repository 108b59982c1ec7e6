"""Blind scoring in a calibration session: QA participants here, panelists through
views/panel.py, both on the review scorecard (scoring/_dimension.html, scoring.js) with the
rubric's wording or, for panelists, the customer-voice items.

Routes on the calibration blueprint (views/calibration.py).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlmodel import select

from qa_app.domain.calibration.sessions import CalibrationError
from qa_app.domain.rubrics.definitions import Rubric
from qa_app.domain.rubrics.scoring import ScoringError, parse_answer
from qa_app.models import (
    CalibrationParticipant,
    CalibrationSession,
    Call,
    ParticipantKind,
    Role,
    SessionState,
)
from qa_app.store.calibration import participants as participant_store
from qa_app.store.calibration import sessions as store
from qa_app.store.reviews import transcripts as transcript_store
from qa_app.views.calibration.sessions import _rubric, _session, bp
from qa_app.views.reviews.scoring import edit_values
from qa_app.web.auth import current_user, roles_required
from qa_app.web.database import get_session

FIELDS = ("score", "note", "evidence")


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
        done=participant_store.progress(db, session.id).get(participant.id, set()),
        score_url=lambda c: url_for("calibration.score", session_id=session.id, call_id=c.call_id),
    )


def item_label(participant: CalibrationParticipant, rubric: Rubric, dimension_id: str) -> str:
    """How the person scoring knows an item: the statement a panelist was shown, in quotes,
    or the dimension's title for QA."""
    dimension = rubric.dimension(dimension_id)
    if participant.kind == ParticipantKind.PANELIST:
        return f"“{dimension.panel_item}”"
    return dimension.name


def next_call(calls: list[Call], done: set[int], current: Call) -> Call | None:
    """The first unfinished call after ``current`` (then from the start), or None when all
    are done: Save takes the person on to the next call they still have to score."""
    index = next(i for i, c in enumerate(calls) if c.id == current.id)
    for call in calls[index + 1 :] + calls[:index]:
        if call.id not in done:
            return call
    return None


def score_page(
    session, participant, call, rubric, post_url, back_url, status=200, message=None, form=None
):
    """The scorecard for one call: transcript, then every item with note and evidence."""
    db = get_session()
    answers, comment = participant_store.own_answers(db, participant.id, call.id)
    if form is not None:
        comment = form.get("comment", "")
    calls = store.session_calls(db, session.id)
    done = participant_store.progress(db, session.id).get(participant.id, set())
    order = participant.item_order or [d.id for d in rubric.dimensions]
    panel = participant.kind == ParticipantKind.PANELIST
    return render_template(
        "calibration/score.html",
        session=session,
        participant=participant,
        call=call,
        rubric=rubric,
        turns=transcript_store.turns(db, call, call.transcript_version),
        transcript_version=call.transcript_version,
        transcript_title="The conversation" if panel else "Transcript",
        values=edit_values(rubric, answers, form),
        comment=comment,
        dimensions=[rubric.dimension(d) for d in order],
        position=next(i for i, c in enumerate(calls, start=1) if c.id == call.id),
        total=len(calls),
        more=next_call(calls, done | {call.id}, call) is not None,
        post_url=post_url,
        back_url=back_url,
        message=message,
        panel=panel,
    ), status


def save_scores(session, participant, call, rubric):
    """Validate and store a participant's answers for a call; return an error message or None.

    Messages name items as the person saw them (a panelist's statement, QA's title).
    """
    db = get_session()
    turn_count = transcript_store.turn_count(db, call, call.transcript_version)
    answers = {}
    try:
        for dimension in rubric.dimensions:
            fields = {k: request.form.get(f"{dimension.id}-{k}", "") for k in FIELDS}
            try:
                answers[dimension.id] = parse_answer(rubric, dimension.id, fields, turn_count)
            except ScoringError as exc:
                text = str(exc).removeprefix(f"{dimension.name}: ")
                raise CalibrationError(
                    f"{item_label(participant, rubric, dimension.id)}: {text}."
                ) from None
        order = participant.item_order or [d.id for d in rubric.dimensions]
        missing = [item_label(participant, rubric, d) for d in order if not answers[d].answered]
        if missing:
            raise CalibrationError(
                "Not saved: still to answer " + ", ".join(missing) + ". Nothing else is lost."
            )
        participant_store.submit_call(
            db, session, participant, call, answers, rubric, request.form.get("comment", "")
        )
        db.commit()
    except CalibrationError as exc:
        db.rollback()
        return str(exc)
    return None


def after_save(session, participant, call) -> Call | None:
    """The call to go on to after saving this one (None: every call is done)."""
    db = get_session()
    done = participant_store.progress(db, session.id).get(participant.id, set())
    return next_call(store.session_calls(db, session.id), done, call)


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
            following = after_save(session, participant, call)
            if following is None:
                flash(f"Saved your scores for {call_id}. You have scored every call.", "info")
                return redirect(urls[1])
            flash(f"Saved your scores for {call_id}. Next: {following.call_id}.", "info")
            return redirect(
                url_for("calibration.score", session_id=session.id, call_id=following.call_id)
            )
        return score_page(session, participant, call, rubric, *urls, 422, error, request.form)
    return score_page(session, participant, call, rubric, *urls)
