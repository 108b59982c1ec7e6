"""Calibration sessions in the database: creation, invite links, blind scoring, consensus."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import Session, select

from qa_app.domain.calibration.dashboard import build_dashboard
from qa_app.domain.calibration.drift import SessionInput
from qa_app.domain.calibration.report import write_session_report
from qa_app.domain.calibration.sessions import (
    CalibrationError,
    SessionRating,
    check_reveal,
    check_transition,
    rotated_items,
)
from qa_app.domain.rubrics.definitions import Rubric
from qa_app.domain.rubrics.scoring import MAX_NOTE_LENGTH, DimensionAnswer
from qa_app.models import (
    CalibrationCall,
    CalibrationConsensus,
    CalibrationParticipant,
    CalibrationRating,
    CalibrationSession,
    CalibrationSubmission,
    Call,
    ParticipantKind,
    Role,
    RubricVersion,
    SessionState,
    User,
    utcnow,
)
from qa_app.store import audit
from qa_app.store.reviews.queue import CallFilters
from qa_app.store.rubrics import rubric_from_row

MAX_CALLS = 200
MAX_NAME_LENGTH = 200  # the name columns of sessions and participants


class SessionFormError(CalibrationError):
    """A refusal about one field of the new-session form (``field`` is the form field's name),
    so the page can say it beside that field."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def checked_session_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise SessionFormError("Give the session a name.", "name")
    if len(name) > MAX_NAME_LENGTH:
        raise SessionFormError(f"Session names are at most {MAX_NAME_LENGTH} characters.", "name")
    return name


def record_refusal(record, problem: str) -> CalibrationError:
    """An imported rater's problem, naming the rows it came from."""
    rows = ", ".join(str(r) for r in record.rows)
    return CalibrationError(f"row(s) {rows}: {problem}. Nothing was imported.")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _derived_token(reveal_key: bytes, seed: str) -> str:
    digest = hmac.new(reveal_key, seed.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_invite(participant: CalibrationParticipant, reveal_key: bytes | None = None) -> str:
    """Give a panelist a fresh unguessable link token (the old one stops working).

    With ``reveal_key`` (kept in the lead's login session) the token is derived from it and
    a random seed stored on the participant, so the page the lead is redirected to can show
    the link once (:func:`links_to_show`) without the link itself being stored anywhere.
    """
    if reveal_key is None:
        token, participant.invite_seed = secrets.token_urlsafe(32), None
    else:
        participant.invite_seed = secrets.token_hex(16)
        token = _derived_token(reveal_key, participant.invite_seed)
    participant.invite_token_hash = token_hash(token)
    participant.revoked_at = None
    return token


def links_to_show(db: Session, session_id: int, reveal_key: bytes | None) -> dict[str, str]:
    """Panelist name -> invite token for the new links made with ``reveal_key`` in this
    session, each returned once: their seeds are cleared (the caller commits)."""
    if reveal_key is None:
        return {}
    shown = {}
    for participant in participants(db, session_id):
        if participant.invite_seed is None or participant.revoked_at is not None:
            continue
        token = _derived_token(reveal_key, participant.invite_seed)
        # A seed made under another lead's (or an older login's) key is not ours to show.
        if hmac.compare_digest(token_hash(token), participant.invite_token_hash or ""):
            shown[participant.display_name] = token
            participant.invite_seed = None
            db.add(participant)
    return shown


def session_for_form(db: Session, form_token: str | None) -> CalibrationSession | None:
    """The session an earlier sending of the same new-session form created, if any."""
    if not form_token:
        return None
    return db.exec(
        select(CalibrationSession).where(CalibrationSession.form_token == form_token)
    ).first()


def create_session(
    db: Session,
    lead: User,
    name: str,
    rubric_row: RubricVersion,
    call_ids: Sequence[str],
    reviewer_ids: Sequence[int],
    panelists: Sequence[str],
    deadline: datetime | None,
    form_token: str | None = None,
    reveal_key: bytes | None = None,
) -> tuple[CalibrationSession, dict[str, str]]:
    """Create a draft session; return it and each panelist's invite token (shown once).

    Refusals are :class:`SessionFormError` naming the form field they are about.
    """
    name = checked_session_name(name)
    call_ids = list(dict.fromkeys(c.strip() for c in call_ids if c.strip()))
    if not call_ids or len(call_ids) > MAX_CALLS:
        raise SessionFormError(f"Choose between 1 and {MAX_CALLS} calls.", "call_ids")
    calls = {c.call_id: c for c in db.exec(select(Call).where(Call.call_id.in_(call_ids)))}
    missing = [c for c in call_ids if c not in calls]
    if missing:
        raise SessionFormError("Unknown call(s): " + ", ".join(missing) + ".", "call_ids")
    reviewers = list(db.exec(select(User).where(User.id.in_(list(reviewer_ids)))))
    if any(u.role not in (Role.REVIEWER, Role.LEAD) or not u.active for u in reviewers):
        raise SessionFormError("QA participants must be active reviewers or leads.", "reviewer_ids")
    panel_names = [p.strip() for p in panelists if p.strip()]
    if not reviewers and not panel_names:
        raise SessionFormError("Add at least one participant.", "reviewer_ids")
    too_long = [p for p in panel_names if len(p) > MAX_NAME_LENGTH]
    if too_long:
        raise SessionFormError(
            f"Panelist names are at most {MAX_NAME_LENGTH} characters.", "panelists"
        )
    # Each panelist's invite link is shown once, by name: two of the same name would lose one.
    repeated = sorted(n for n, count in Counter(panel_names).items() if count > 1)
    if repeated:
        raise SessionFormError(
            f"Panelist names must differ ({', '.join(repeated)} appears more than once); "
            "add an initial or a number.",
            "panelists",
        )
    session = CalibrationSession(
        name=name,
        rubric_pk=rubric_row.id,
        deadline=deadline,
        created_by=lead.id,
        form_token=form_token or None,
    )
    db.add(session)
    db.flush()
    db.add_all(
        [
            CalibrationCall(session_id=session.id, call_pk=calls[c].id, position=i)
            for i, c in enumerate(call_ids)
        ]
    )
    for user in reviewers:
        db.add(
            CalibrationParticipant(
                session_id=session.id,
                kind=ParticipantKind.REVIEWER,
                user_id=user.id,
                display_name=user.name,
            )
        )
    rubric = rubric_from_row(rubric_row)
    tokens = {}
    for number, panel_name in enumerate(panel_names):
        participant = CalibrationParticipant(
            session_id=session.id,
            kind=ParticipantKind.PANELIST,
            display_name=panel_name,
            item_order=rotated_items([d.id for d in rubric.dimensions], number),
        )
        tokens[panel_name] = new_invite(participant, reveal_key)
        db.add(participant)
    audit.record(
        db,
        lead,
        "calibration.created",
        "calibration_session",
        session.id,
        after={
            "name": name,
            "calls": call_ids,
            "reviewers": [u.email for u in reviewers],
            "panelists": panel_names,
        },
    )
    db.flush()
    return session, tokens


def participants(db: Session, session_id: int) -> list[CalibrationParticipant]:
    return list(
        db.exec(
            select(CalibrationParticipant)
            .where(CalibrationParticipant.session_id == session_id)
            .order_by(CalibrationParticipant.kind.desc(), CalibrationParticipant.id)
        )
    )


def session_calls(db: Session, session_id: int) -> list[Call]:
    return list(
        db.exec(
            select(Call)
            .join(CalibrationCall, CalibrationCall.call_pk == Call.id)
            .where(CalibrationCall.session_id == session_id)
            .order_by(CalibrationCall.position)
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


def change_state(
    db: Session,
    session: CalibrationSession,
    target: str,
    actor: User,
    confirmed: bool = False,
    reason: str = "",
) -> None:
    """Move the session on (open, reveal, close, reopen), audited."""
    check_transition(session.state, target)
    if target == SessionState.REVEALED and session.state == SessionState.OPEN:
        people = participants(db, session.id)
        done = progress(db, session.id)
        count = len(session_calls(db, session.id))
        check_reveal(
            {p.display_name: len(done.get(p.id, ())) for p in people},
            count,
            session.deadline,
            utcnow(),
            confirmed,
        )
        session.revealed_at = utcnow()
    if target == SessionState.REVEALED and session.state == SessionState.CLOSED:
        if not reason.strip():
            raise CalibrationError("Say why the closed session is reopened.")
        session.closed_at = None
    if target == SessionState.CLOSED:
        session.closed_at = utcnow()
    before = session.state
    session.state = target
    db.add(session)
    audit.record(
        db,
        actor,
        f"calibration.{target}",
        "calibration_session",
        session.id,
        before={"state": before},
        after={"state": target},
        reason=reason.strip(),
    )


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


def consensus_for_calls(
    db: Session, call_pks: Sequence[int], rubric_pk: int
) -> dict[int, dict[str, int | None]]:
    """The newest consensus per call and dimension, from sessions under this rubric version."""
    rows = db.exec(
        select(CalibrationConsensus)
        .join(CalibrationSession, CalibrationSession.id == CalibrationConsensus.session_id)
        .where(
            CalibrationConsensus.call_pk.in_(list(call_pks)),
            CalibrationSession.rubric_pk == rubric_pk,
        )
        .order_by(CalibrationConsensus.decided_at)
    )
    result: dict[int, dict[str, int | None]] = {}
    for row in rows:
        result.setdefault(row.call_pk, {})[row.dimension] = row.score
    return result


def role_counts(people: Sequence[CalibrationParticipant]) -> Counter:
    return Counter(p.kind for p in people)


def sessions_overview(db: Session) -> list[tuple[CalibrationSession, int, int]]:
    """Every session with its number of calls and participants, newest first."""
    calls = dict(
        db.exec(
            select(CalibrationCall.session_id, func.count()).group_by(CalibrationCall.session_id)
        ).all()
    )
    people = dict(
        db.exec(
            select(CalibrationParticipant.session_id, func.count()).group_by(
                CalibrationParticipant.session_id
            )
        ).all()
    )
    return [
        (s, calls.get(s.id, 0), people.get(s.id, 0))
        for s in db.exec(select(CalibrationSession).order_by(CalibrationSession.id.desc()))
    ]


def dashboard_numbers(
    db: Session,
    session: CalibrationSession,
    rubric: Rubric,
    agreed: Mapping[tuple[str, str], CalibrationConsensus],
) -> dict:
    """The revealed session's numbers, from the agreement engine (seeded by the session id)."""
    return build_dashboard(
        session_ratings(db, session.id),
        rubric,
        {k: v.score for k, v in agreed.items()},
        seed=session.id,
    )


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


def find_session(db: Session, name: str) -> CalibrationSession | None:
    return db.exec(
        select(CalibrationSession)
        .where(CalibrationSession.name == name)
        .order_by(CalibrationSession.id.desc())
    ).first()


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


def sample_calls(db: Session, filters, count: int) -> list[str]:
    """``count`` call IDs drawn at random from the calls matching the filters."""
    return list(db.exec(filters.apply(select(Call.call_id)).order_by(func.random()).limit(count)))


def revealed_sessions(db: Session, rubric_pk: int, since, until) -> list[CalibrationSession]:
    """Revealed or closed sessions under a rubric version, revealed within the dates (if given)."""
    query = select(CalibrationSession).where(
        CalibrationSession.rubric_pk == rubric_pk,
        CalibrationSession.state.in_([SessionState.REVEALED, SessionState.CLOSED]),
    )
    query = CallFilters(since=since, until=until).apply_dates(query, CalibrationSession.revealed_at)
    return list(db.exec(query.order_by(CalibrationSession.revealed_at)))
