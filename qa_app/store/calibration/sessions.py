"""Calibration sessions in the database: creation, the state changes (open, reveal, close,
reopen), the sessions list and lookups, and drawing calls for a new session."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from qa_app.domain.calibration.sessions import (
    CalibrationError,
    check_reveal,
    check_transition,
    rotated_items,
)
from qa_app.models import (
    CalibrationCall,
    CalibrationParticipant,
    CalibrationSession,
    Call,
    ParticipantKind,
    Role,
    RubricVersion,
    SessionState,
    User,
    utcnow,
)
from qa_app.store import audit
from qa_app.store.calibration.participants import new_invite, participants, progress
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


def create_session(
    db: Session,
    lead: User,
    name: str,
    rubric_row: RubricVersion,
    call_ids: Sequence[str],
    reviewer_ids: Sequence[int],
    panelists: Sequence[str],
    deadline: datetime | None,
    link_key: bytes | None = None,
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
        tokens[panel_name] = new_invite(participant, link_key)
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


def session_calls(db: Session, session_id: int) -> list[Call]:
    return list(
        db.exec(
            select(Call)
            .join(CalibrationCall, CalibrationCall.call_pk == Call.id)
            .where(CalibrationCall.session_id == session_id)
            .order_by(CalibrationCall.position)
        )
    )


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


def find_session(db: Session, name: str) -> CalibrationSession | None:
    return db.exec(
        select(CalibrationSession)
        .where(CalibrationSession.name == name)
        .order_by(CalibrationSession.id.desc())
    ).first()


def sample_calls(db: Session, filters, count: int) -> list[str]:
    """``count`` call IDs drawn at random from the calls matching the filters."""
    return list(db.exec(filters.apply(select(Call.call_id)).order_by(func.random()).limit(count)))
