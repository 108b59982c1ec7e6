"""A calibration session's results from the database: its ratings and comments, the agreed
consensus, the dashboard numbers, the report workbook and the inputs of the rater history."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from sqlmodel import Session, select

from qa_app.domain.calibration.dashboard import MACHINE_ROLE, build_dashboard
from qa_app.domain.calibration.drift import SessionInput
from qa_app.domain.calibration.report import write_session_report
from qa_app.domain.calibration.sessions import CalibrationError, SessionRating
from qa_app.domain.rubrics.definitions import Rubric
from qa_app.domain.rubrics.scoring import MAX_NOTE_LENGTH, DimensionAnswer
from qa_app.kept import Kept
from qa_app.models import (
    CalibrationCall,
    CalibrationConsensus,
    CalibrationParticipant,
    CalibrationRating,
    CalibrationSession,
    CalibrationSubmission,
    Call,
    MachineScore,
    ParticipantKind,
    RubricVersion,
    SessionState,
    User,
    utcnow,
)
from qa_app.store import audit, final_scores
from qa_app.store.reviews.queue import CallFilters
from qa_app.store.rubrics import rubric_from_row

RATINGS_COLUMNS = (
    "session",
    "call_id",
    "participant",
    "role",
    "dimension",
    "score",
    "item_position",
    "comment",
    "submitted_at",
    "rubric",
)


def _ratings(db: Session, session_id: int) -> list[tuple]:
    """Every rating of the session with its participant, role, item position and comment."""
    return list(
        db.exec(
            select(
                Call.call_id,
                CalibrationParticipant.display_name,
                CalibrationParticipant.kind,
                CalibrationRating.dimension,
                CalibrationRating.score,
                CalibrationRating.not_applicable,
                CalibrationRating.item_position,
                CalibrationSubmission.comment,
                CalibrationSubmission.submitted_at,
            )
            .join(
                CalibrationParticipant,
                CalibrationParticipant.id == CalibrationRating.participant_id,
            )
            .join(Call, Call.id == CalibrationRating.call_pk)
            .join(
                CalibrationSubmission,
                (CalibrationSubmission.participant_id == CalibrationRating.participant_id)
                & (CalibrationSubmission.call_pk == CalibrationRating.call_pk),
            )
            .where(CalibrationRating.session_id == session_id)
            .order_by(
                Call.call_id, CalibrationParticipant.display_name, CalibrationRating.dimension
            )
        )
    )


def _role(kind: str) -> str:
    return "qa" if kind == ParticipantKind.REVIEWER else "panel"


def session_ratings(db: Session, session_id: int) -> list[SessionRating]:
    """Every rating of the session, for the dashboard (only after reveal)."""
    return [
        SessionRating(call_id, name, _role(kind), dimension, score, na)
        for call_id, name, kind, dimension, score, na, *_rest in _ratings(db, session_id)
    ]


def ratings_rows(db: Session, session: CalibrationSession) -> list[dict]:
    """The session's ratings in long form, as the ratings CSV holds them."""
    rubric_key = db.get(RubricVersion, session.rubric_pk).key
    return [
        {
            "session": session.name,
            "call_id": call_id,
            "participant": name,
            "role": _role(kind),
            "dimension": dimension,
            "score": "N/A" if na else score,
            "item_position": position,
            "comment": comment,
            "submitted_at": submitted_at,
            "rubric": rubric_key,
        }
        for call_id, name, kind, dimension, score, na, position, comment, submitted_at in _ratings(
            db, session.id
        )
    ]


def comments(db: Session, session_id: int) -> dict[str, list[tuple[str, str]]]:
    """call_id -> (panelist, comment) for every non-empty panel comment."""
    result: dict[str, list[tuple[str, str]]] = {}
    for call_id, name, text in db.exec(
        select(Call.call_id, CalibrationParticipant.display_name, CalibrationSubmission.comment)
        .join(
            CalibrationParticipant,
            CalibrationParticipant.id == CalibrationSubmission.participant_id,
        )
        .join(Call, Call.id == CalibrationSubmission.call_pk)
        .where(CalibrationSubmission.session_id == session_id, CalibrationSubmission.comment != "")
    ):
        result.setdefault(call_id, []).append((name, text))
    return result


def consensus(db: Session, session_id: int) -> dict[tuple[str, str], CalibrationConsensus]:
    rows = db.exec(
        select(Call.call_id, CalibrationConsensus)
        .join(Call, Call.id == CalibrationConsensus.call_pk)
        .where(CalibrationConsensus.session_id == session_id)
    )
    return {(call_id, row.dimension): row for call_id, row in rows}


def participant_ratings(db: Session, session_id: int) -> list[CalibrationRating]:
    """Every rating of the session by participant id (the reviewers' results page names
    people by an alias, so it must not go by display names)."""
    return list(
        db.exec(select(CalibrationRating).where(CalibrationRating.session_id == session_id))
    )


def participant_comments(db: Session, session_id: int) -> dict[tuple[int, int], str]:
    """(participant id, call pk) -> the non-empty comment they left on the call."""
    return {
        (s.participant_id, s.call_pk): s.comment
        for s in db.exec(
            select(CalibrationSubmission).where(
                CalibrationSubmission.session_id == session_id, CalibrationSubmission.comment != ""
            )
        )
    }


def consensus_notes(agreed: Mapping[tuple[str, str], CalibrationConsensus]) -> dict[str, str]:
    """call_id -> the note recorded with the call's consensus (one note per call)."""
    return {call_id: row.note for (call_id, _d), row in agreed.items() if row.note}


def record_consensus(
    db: Session,
    session: CalibrationSession,
    call: Call,
    answers: Mapping[str, DimensionAnswer],
    note: str,
    lead: User,
) -> None:
    """Record (or change) the agreed scores for a call; only after reveal, never once closed."""
    if session.state != SessionState.REVEALED:
        raise CalibrationError("Consensus is recorded after the reveal and before closing.")
    if len(note) > MAX_NOTE_LENGTH:
        raise CalibrationError(f"The consensus note is longer than {MAX_NOTE_LENGTH} characters.")
    existing = {
        row.dimension: row
        for row in db.exec(
            select(CalibrationConsensus).where(
                CalibrationConsensus.session_id == session.id,
                CalibrationConsensus.call_pk == call.id,
            )
        )
    }
    before = {
        d: {"score": r.score, "not_applicable": r.not_applicable} for d, r in existing.items()
    }
    for dimension, answer in answers.items():
        row = existing.get(dimension) or CalibrationConsensus(
            session_id=session.id, call_pk=call.id, dimension=dimension, decided_by=lead.id
        )
        row.score, row.not_applicable, row.note = answer.score, answer.not_applicable, note.strip()
        row.decided_by, row.decided_at = lead.id, utcnow()
        db.add(row)
    final_scores.refresh_calls(db, [call.id])
    audit.record(
        db,
        lead,
        "calibration.consensus",
        "call",
        call.call_id,
        before=before or None,
        after={
            d: {"score": a.score, "not_applicable": a.not_applicable} for d, a in answers.items()
        },
        reason=note.strip(),
    )


def dashboard_numbers(
    db: Session,
    session: CalibrationSession,
    rubric: Rubric,
    agreed: Mapping[tuple[str, str], CalibrationConsensus],
) -> dict:
    """The revealed session's numbers, from the agreement engine (seeded by the session id).

    Computed once per set of inputs: the bootstrap takes seconds, and the page, its alpha
    chart and the report all ask for the same numbers; a rating or consensus that changes
    changes the key. Read-only: the cached dict is shared."""
    ratings = session_ratings(db, session.id)
    machine = machine_ratings(db, session)
    scores = {k: v.score for k, v in agreed.items()}
    inputs = repr((str(db.get_bind().url), session.id, rubric.key, ratings, sorted(scores.items()),
                   machine, session.include_machine))  # fmt: skip
    key = hashlib.sha256(inputs.encode("utf-8")).hexdigest()
    numbers = _DASHBOARDS.get(key)
    if numbers is None:
        numbers = build_dashboard(
            ratings, rubric, scores, session.id, machine, session.include_machine
        )
        _DASHBOARDS.put(key, numbers)
    return numbers


def machine_ratings(db: Session, session: CalibrationSession) -> list[SessionRating]:
    """The newest machine model's scores of the session's calls, as a rater named for its
    version. A call the model was trained on gives its held-out score (from the
    cross-validation model that never saw it), so the machine cannot agree by memory."""
    from qa_app.store.machine import current_model

    model = current_model(db, session.rubric_pk)
    if model is None:
        return []
    held_out = (model.metrics or {}).get("held_out") or {}
    name = f"Machine rater v{model.version}"
    rows = db.exec(
        select(Call.call_id, MachineScore.dimension, MachineScore.score)
        .join(CalibrationCall, CalibrationCall.call_pk == MachineScore.call_pk)
        .join(Call, Call.id == MachineScore.call_pk)
        .where(CalibrationCall.session_id == session.id, MachineScore.model_pk == model.id)
        .order_by(Call.call_id, MachineScore.dimension)
    )
    ratings = []
    for call_id, dimension, score in rows:
        score = held_out.get(call_id, {}).get(dimension, score)
        ratings.append(SessionRating(call_id, name, MACHINE_ROLE, dimension, score, score is None))
    return ratings


# Computed dashboards by the exact inputs they read (dashboard_numbers).
_DASHBOARDS = Kept(16)


def write_report(db: Session, session: CalibrationSession, target) -> None:
    """The report workbook, shared by the download and `qa-app session report`."""
    rubric = rubric_from_row(db.get(RubricVersion, session.rubric_pk))
    agreed = consensus(db, session.id)
    write_session_report(
        target,
        session.name,
        rubric,
        dashboard_numbers(db, session, rubric, agreed),
        ratings_rows(db, session),
        RATINGS_COLUMNS,
        comments(db, session.id),
        {k: v.score for k, v in agreed.items()},
        consensus_notes(agreed),
    )


def drift_inputs(db: Session) -> list:
    """Every revealed or closed session's ratings and consensus, for the rater history."""
    sessions = db.exec(
        select(CalibrationSession).where(
            CalibrationSession.state.in_([SessionState.REVEALED, SessionState.CLOSED])
        )
    )
    return [
        SessionInput(
            s.name,
            s.revealed_at or s.created_at,
            session_ratings(db, s.id),
            {k: v.score for k, v in consensus(db, s.id).items()},
            # The session's own rubric version: the scale its dashboard used.
            list(rubric_from_row(db.get(RubricVersion, s.rubric_pk)).scale),
        )
        for s in sessions
    ]


def revealed_sessions(db: Session, rubric_pk: int, since, until) -> list[CalibrationSession]:
    """Revealed or closed sessions under a rubric version, revealed within the dates (if given)."""
    query = select(CalibrationSession).where(
        CalibrationSession.rubric_pk == rubric_pk,
        CalibrationSession.state.in_([SessionState.REVEALED, SessionState.CLOSED]),
    )
    query = CallFilters(since=since, until=until).apply_dates(query, CalibrationSession.revealed_at)
    return list(db.exec(query.order_by(CalibrationSession.revealed_at)))
