"""Calibration ratings imported from paper panels or another tool: into a new or existing
session, refusing to replace stored ratings unless asked, with history when they are."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlmodel import Session, select

from qa_app.domain.calibration.sessions import (
    CalibrationError,
)
from qa_app.domain.rubrics.definitions import Rubric
from qa_app.domain.rubrics.scoring import DimensionAnswer
from qa_app.models import (
    AuditEvent,
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
from qa_app.store.calibration.participants import (
    own_answers,
    participants,
    store_call_ratings,
)
from qa_app.store.calibration.sessions import (
    MAX_NAME_LENGTH,
    checked_session_name,
    record_refusal,
    session_calls,
)
from qa_app.store.rubrics import rubric_from_row
from qa_app.store.users import create_imported_reviewer, email_problem, find_user


def import_ratings(
    db: Session,
    session: CalibrationSession | None,
    name: str,
    rubric_row: RubricVersion,
    records: Sequence,
    actor: User | None,
    create_reviewers: bool,
    *,
    replace: bool = False,
    source: str = "",
    who: str = "",
) -> tuple[CalibrationSession, int]:
    """Add ratings from a file; a new session is created already revealed.

    QA raters are matched to accounts by email (or created deactivated with
    ``create_reviewers``); panelists by name. Returns the session and ratings written.
    A rater's stored ratings or comment for a call that the file changes are replaced only
    with ``replace``, each replacement audited with the old and new values, ``who`` and the
    file ``source``; otherwise the import is refused naming the rows. Identical ratings are
    left alone.
    """
    created = session is None
    if created:
        if actor is None:
            raise CalibrationError("Say which lead the new session belongs to.")
        session = CalibrationSession(
            name=checked_session_name(name),
            rubric_pk=rubric_row.id,
            created_by=actor.id,
            state=SessionState.REVEALED,
            revealed_at=utcnow(),
        )
        db.add(session)
        db.flush()
    elif session.state == SessionState.CLOSED:
        raise CalibrationError(f"Session '{name}' is closed; reopen it first.")
    rubric = rubric_from_row(db.get(RubricVersion, session.rubric_pk))
    calls = {
        c.call_id: c
        for c in db.exec(select(Call).where(Call.call_id.in_(sorted({r.call_id for r in records}))))
    }
    unknown = sorted({r.call_id for r in records} - set(calls))
    if unknown:
        raise CalibrationError("Unknown call(s): " + ", ".join(unknown) + ".")
    in_session = {c.id for c in session_calls(db, session.id)}
    for position, call_id in enumerate(sorted({r.call_id for r in records}), start=len(in_session)):
        if calls[call_id].id not in in_session:
            db.add(
                CalibrationCall(session_id=session.id, call_pk=calls[call_id].id, position=position)
            )
    people = {
        (p.kind, p.display_name if p.kind == ParticipantKind.PANELIST else p.user_id): p
        for p in participants(db, session.id)
    }
    rubric_dims = [d.id for d in rubric.dimensions]
    for record in records:
        stray = sorted(set(record.answers) - set(rubric_dims))
        if stray:
            raise CalibrationError(
                f"Session '{session.name}' uses {rubric.key}, which has no "
                f"dimension {', '.join(stray)}."
            )
    written, refused = 0, []
    for record in records:
        if record.role == "qa":
            user = find_user(db, record.rater)
            if user is None:
                if not create_reviewers:
                    raise record_refusal(
                        record,
                        f"no user '{record.rater}'; add them first or use --create-reviewers",
                    )
                if bad_email := email_problem(record.rater):
                    raise record_refusal(record, f"a QA rater is named by email; {bad_email}")
                user = create_imported_reviewer(db, record.rater)
            elif user.role not in (Role.REVIEWER, Role.LEAD):
                raise record_refusal(
                    record, f"{user.email} is a {user.role}; QA raters are reviewers or leads"
                )
            key = (ParticipantKind.REVIEWER, user.id)
            if key not in people:
                people[key] = CalibrationParticipant(
                    session_id=session.id,
                    kind=ParticipantKind.REVIEWER,
                    user_id=user.id,
                    display_name=user.name,
                )
        else:
            if len(record.rater) > MAX_NAME_LENGTH:
                too_long = f"panelist names are at most {MAX_NAME_LENGTH} characters"
                raise record_refusal(record, too_long)
            key = (ParticipantKind.PANELIST, record.rater)
            if key not in people:
                people[key] = CalibrationParticipant(
                    session_id=session.id,
                    kind=ParticipantKind.PANELIST,
                    display_name=record.rater,
                )
        participant = people[key]
        db.add(participant)
        db.flush()
        call = calls[record.call_id]
        before = _stored_ratings(db, participant, call, rubric)
        after = _rated(record.answers, record.comment, rubric)
        if before == after:
            continue  # identical values are not a change
        if before is not None:
            if not replace:
                refused.append(
                    f"{_rows(record.rows)}: {participant.display_name} on call "
                    f"{record.call_id}: {_differences(before, after)}"
                )
                continue
            db.add(
                _ratings_replaced(session, participant, record, before, after, actor, who, source)
            )
        store_call_ratings(
            db,
            session,
            participant,
            call,
            record.answers,
            rubric,
            record.comment,
            skipped_allowed=True,
        )
        written += len(record.answers)
    if refused:
        raise CalibrationError(
            f"{len(refused)} rater/call pair(s) already have other ratings in "
            f"'{session.name}'; nothing was imported. Use --replace to replace them; the "
            "audit trail keeps the old ratings.\n" + "\n".join(refused)
        )
    audit.record(
        db,
        actor,
        "calibration.ratings_imported",
        "calibration_session",
        session.id,
        after={"ratings": written, "created": created, "file": source},
    )
    return session, written


def _rated(answers: Mapping[str, DimensionAnswer], comment: str, rubric: Rubric) -> dict:
    """Ratings as compared and kept in history: dimension -> point or ``N/A``, and the comment
    as :func:`store_call_ratings` stores it."""
    scores = {
        d.id: "N/A" if answers[d.id].not_applicable else answers[d.id].score
        for d in rubric.dimensions
        if d.id in answers
    }
    return {"scores": scores, "comment": comment.strip()[:4000]}


def _stored_ratings(
    db: Session, participant: CalibrationParticipant, call: Call, rubric: Rubric
) -> dict | None:
    """The participant's stored ratings of the call (None when there are none)."""
    answers, comment = own_answers(db, participant.id, call.id)
    return _rated(answers, comment, rubric) if answers else None


def _rows(rows: Sequence[int]) -> str:
    ordered = sorted(rows)
    return f"row {ordered[0]}" if len(ordered) == 1 else f"rows {ordered[0]}-{ordered[-1]}"


def _differences(before: dict, after: dict) -> str:
    """``acknowledgment 4 -> 1, comment changed``: what a file would replace."""
    changes = [
        f"{d} {before['scores'].get(d, 'unscored')} -> {value}"
        for d, value in after["scores"].items()
        if before["scores"].get(d) != value
    ]
    if before["comment"] != after["comment"]:
        changes.append("comment changed" if after["comment"] else "comment removed")
    return ", ".join(changes)


def _ratings_replaced(session, participant, record, before, after, actor, who, source):
    """The history of one rater's replaced ratings of a call: old and new, who, which file."""
    where = {"rater": participant.display_name, "role": record.role, "call_id": record.call_id}
    return AuditEvent(
        actor_id=actor.id if actor else None,
        actor_label=who or (actor.email if actor else "system"),
        action="calibration.ratings_replaced",
        entity_type="calibration_session",
        entity_id=str(session.id),
        before={**where, **before},
        after={**where, **after, "file": source},
        reason=f"import of {source} with --replace",
    )
