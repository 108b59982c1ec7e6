"""Customer panelists score through a personal invite link: no account, this session only."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlmodel import select
from werkzeug.exceptions import Forbidden

from qa_app.domain.calibration.sessions import panel_link_state
from qa_app.models import (
    CalibrationParticipant,
    CalibrationSession,
    ParticipantKind,
    RubricVersion,
    utcnow,
)
from qa_app.store.calibration import participants as participant_store
from qa_app.store.calibration import sessions as store
from qa_app.store.rubrics import rubric_from_row
from qa_app.views.calibration.scoring import after_save, save_scores, score_page, session_call
from qa_app.web.database import get_session

bp = Blueprint("panel", __name__, url_prefix="/panel")


class SessionEnded(Forbidden):
    """An invite link whose session is over: the error page says so in its title."""

    title = "This calibration session has ended"


ENDED = (
    "Thank you for taking part. The time for answers is over, so this link no longer opens "
    "the session. If you have a question, contact the person who invited you."
)


def _panelist(token: str) -> tuple[CalibrationParticipant, CalibrationSession]:
    """The panelist a link belongs to; a revoked, expired or guessed link gets a clear page."""
    db = get_session()
    participant = db.exec(
        select(CalibrationParticipant).where(
            CalibrationParticipant.invite_token_hash == participant_store.token_hash(token),
            CalibrationParticipant.kind == ParticipantKind.PANELIST,
        )
    ).first()
    if participant is None or participant.revoked_at is not None:
        abort(
            404,
            description="This link does not work. Ask the person who invited you for a new one.",
        )
    session = db.get(CalibrationSession, participant.session_id)
    link = panel_link_state(session.state, session.deadline, session.link_grace_hours, utcnow())
    if link == "ended":
        raise SessionEnded(description=ENDED)
    if link != "open":
        abort(403, description="This calibration session has not started yet.")
    if participant.opened_at is None:  # the lead's page says the link was opened
        participant_store.mark_opened(db, participant)
        db.commit()
    return participant, session


@bp.get("/<token>")
def home(token: str):
    """What the panelist reads first: how it works, how far they are, where to go next."""
    participant, session = _panelist(token)
    db = get_session()
    calls = store.session_calls(db, session.id)
    done = participant_store.progress(db, session.id).get(participant.id, set())
    rubric = rubric_from_row(db.get(RubricVersion, session.rubric_pk))
    first = next((c for c in calls if c.id not in done), None)
    return render_template(
        "calibration/panel_home.html",
        session=session,
        panelist=participant,
        calls=calls,
        done=done,
        items=len(rubric.dimensions),
        labels=[label for _point, label in sorted(rubric.panel_labels.items())],
        start=first,
        token=token,
    )


@bp.get("/<token>/finished")
def finished(token: str):
    """The end of the panelist's path: every conversation answered, thank you."""
    participant, session = _panelist(token)
    db = get_session()
    calls = store.session_calls(db, session.id)
    done = participant_store.progress(db, session.id).get(participant.id, set())
    if len(done) < len(calls):  # not finished yet: back to where they stand
        return redirect(url_for("panel.home", token=token))
    return render_template(
        "calibration/panel_done.html", session=session, panelist=participant, token=token
    )


@bp.route("/<token>/calls/<call_id>", methods=["GET", "POST"])
def score(token: str, call_id: str):
    participant, session = _panelist(token)
    call = session_call(session, call_id)
    rubric = rubric_from_row(get_session().get(RubricVersion, session.rubric_pk))
    urls = (
        url_for("panel.score", token=token, call_id=call_id),
        url_for("panel.home", token=token),
    )
    if request.method == "POST":
        error = save_scores(session, participant, call, rubric)
        if error is None:
            following = after_save(session, participant, call)
            if following is None:
                return redirect(url_for("panel.finished", token=token))
            flash("Thank you, your answers are saved. Here is the next conversation.", "info")
            return redirect(url_for("panel.score", token=token, call_id=following.call_id))
        return score_page(session, participant, call, rubric, *urls, 422, error, request.form)
    return score_page(session, participant, call, rubric, *urls)
