"""A calibration session's participants in the database: panelists' invite links, blind
scoring (each participant's ratings and submissions for a call) and progress."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence

from sqlalchemy import delete
from sqlmodel import Session, select

from qa_app.domain.calibration.sessions import CalibrationError
from qa_app.domain.rubrics.definitions import Rubric
from qa_app.domain.rubrics.scoring import DimensionAnswer
from qa_app.models import (
    CalibrationParticipant,
    CalibrationRating,
    CalibrationSession,
    CalibrationSubmission,
    Call,
    SessionState,
    utcnow,
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _derived_token(reveal_key: bytes, seed: str) -> str:
    digest = hmac.new(reveal_key, seed.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_invite(participant: CalibrationParticipant, link_key: bytes | None = None) -> str:
    """Give a panelist a fresh unguessable link token (the old one stops working).

    With ``link_key`` (derived from the server's secret key) the token is derived from it and
    a random seed stored on the participant, so the lead's session page can show the link for
    as long as the session is open (:func:`panel_links`) while the database alone holds no
    working link. Without it the token is random and known only to the caller.
    """
    if link_key is None:
        token, participant.invite_seed = secrets.token_urlsafe(32), None
    else:
        participant.invite_seed = secrets.token_hex(16)
        token = _derived_token(link_key, participant.invite_seed)
    participant.invite_token_hash = token_hash(token)
    participant.revoked_at = None
    participant.opened_at = None
    return token


def panel_links(db: Session, session_id: int, link_key: bytes) -> dict[int, str]:
    """Participant id -> invite token, for each panelist whose working link was made with
    ``link_key``: a link made under an earlier secret key is not known here (a new link
    shows it)."""
    shown = {}
    for participant in participants(db, session_id):
        if participant.invite_seed is None or participant.revoked_at is not None:
            continue
        token = _derived_token(link_key, participant.invite_seed)
        if hmac.compare_digest(token_hash(token), participant.invite_token_hash or ""):
            shown[participant.id] = token
    return shown


def link_state(participant: CalibrationParticipant, answered: int, calls: int) -> str:
    """Where a panelist stands with their link, in the lead's words."""
    if participant.revoked_at is not None:
        return "revoked"
    if answered >= calls > 0:
        return "finished"
    if answered:
        return f"started: {answered} of {calls} answered"
    return "opened, nothing answered yet" if participant.opened_at else "not opened yet"


def mark_opened(db: Session, participant: CalibrationParticipant) -> None:
    """Note the first time a panelist opened their link (the caller commits)."""
    if participant.opened_at is None:
        participant.opened_at = utcnow()
        db.add(participant)


def participants(db: Session, session_id: int) -> list[CalibrationParticipant]:
    return list(
        db.exec(
            select(CalibrationParticipant)
            .where(CalibrationParticipant.session_id == session_id)
            .order_by(CalibrationParticipant.kind.desc(), CalibrationParticipant.id)
        )
    )


def progress(db: Session, session_id: int) -> dict[int, set[int]]:
    """Participant id -> the call pks they have submitted."""
    done: dict[int, set[int]] = {}
    for participant_id, call_pk in db.exec(
        select(CalibrationSubmission.participant_id, CalibrationSubmission.call_pk).where(
            CalibrationSubmission.session_id == session_id
        )
    ):
        done.setdefault(participant_id, set()).add(call_pk)
    return done


def role_counts(people: Sequence[CalibrationParticipant]) -> Counter:
    return Counter(p.kind for p in people)


def submit_call(
    db: Session,
    session: CalibrationSession,
    participant: CalibrationParticipant,
    call: Call,
    answers: Mapping[str, DimensionAnswer],
    rubric: Rubric,
    comment: str = "",
) -> None:
    """Store a participant's scores for one call; resubmitting replaces them while open."""
    if session.state != SessionState.OPEN:
        raise CalibrationError("This session is not open for scoring.")
    store_call_ratings(db, session, participant, call, answers, rubric, comment)


def store_call_ratings(
    db: Session,
    session: CalibrationSession,
    participant: CalibrationParticipant,
    call: Call,
    answers: Mapping[str, DimensionAnswer],
    rubric: Rubric,
    comment: str = "",
    *,
    skipped_allowed: bool = False,
) -> None:
    """Write (or replace) one participant's answers for a call, whatever the state.

    Scoring in the app goes through :func:`submit_call`, which allows it only while open and
    needs every item answered; imported paper ratings come here directly with
    ``skipped_allowed``: an item the rater left blank on paper is a missing rating.
    """
    missing = [
        d.name for d in rubric.dimensions if not answers.get(d.id, DimensionAnswer()).answered
    ]
    if missing and not skipped_allowed:
        raise CalibrationError("Still to answer: " + ", ".join(missing) + ".")
    order = participant.item_order or [d.id for d in rubric.dimensions]
    db.exec(
        delete(CalibrationRating).where(
            CalibrationRating.participant_id == participant.id, CalibrationRating.call_pk == call.id
        )
    )
    db.exec(
        delete(CalibrationSubmission).where(
            CalibrationSubmission.participant_id == participant.id,
            CalibrationSubmission.call_pk == call.id,
        )
    )
    for dimension in rubric.dimensions:
        answer = answers.get(dimension.id, DimensionAnswer())
        if not answer.answered:
            continue
        db.add(
            CalibrationRating(
                session_id=session.id,
                participant_id=participant.id,
                call_pk=call.id,
                dimension=dimension.id,
                score=answer.score,
                not_applicable=answer.not_applicable,
                item_position=order.index(dimension.id) + 1,
                note=answer.note,
                evidence=list(answer.evidence),
            )
        )
    db.add(
        CalibrationSubmission(
            session_id=session.id,
            participant_id=participant.id,
            call_pk=call.id,
            comment=comment.strip()[:4000],
        )
    )


def own_answers(db: Session, participant_id: int, call_pk: int) -> tuple[dict, str]:
    ratings = db.exec(
        select(CalibrationRating).where(
            CalibrationRating.participant_id == participant_id, CalibrationRating.call_pk == call_pk
        )
    )
    answers = {
        r.dimension: DimensionAnswer(r.score, r.not_applicable, r.note, tuple(r.evidence or ()))
        for r in ratings
    }
    submission = db.exec(
        select(CalibrationSubmission).where(
            CalibrationSubmission.participant_id == participant_id,
            CalibrationSubmission.call_pk == call_pk,
        )
    ).first()
    return answers, submission.comment if submission else ""
