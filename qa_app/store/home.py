"""Read-side queries shared by views and the CLI: database rows in, plain values out."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from qa_app.models import (
    CalibrationParticipant,
    CalibrationSession,
    Call,
    Outcome,
    Review,
    Role,
    RubricVersion,
    SessionState,
    User,
)


def count_rows(db: Session, model) -> int:
    return db.exec(select(func.count()).select_from(model)).one()


def review_counts(db: Session, reviewer_id: int | None = None) -> dict[str, int]:
    """Reviews by status, for one reviewer or everybody."""
    query = select(Review.status, func.count()).group_by(Review.status)
    if reviewer_id is not None:
        query = query.where(Review.reviewer_id == reviewer_id)
    counts = {"draft": 0, "submitted": 0}
    counts.update(dict(db.exec(query).all()))
    return counts


def rubric_versions(db: Session) -> list[RubricVersion]:
    return list(
        db.exec(select(RubricVersion).order_by(RubricVersion.rubric_id, RubricVersion.version))
    )


def users_by_role(db: Session) -> dict[str, int]:
    rows = db.exec(select(User.role, func.count()).where(User.active).group_by(User.role)).all()
    return {str(role): dict(rows).get(str(role), 0) for role in Role}


def outcome_names(db: Session) -> list[tuple[str, str, int]]:
    """(name, kind, number of calls) for every outcome imported so far."""
    rows = db.exec(
        select(Outcome.name, Outcome.kind, func.count())
        .group_by(Outcome.name, Outcome.kind)
        .order_by(Outcome.name)
    ).all()
    return [tuple(row) for row in rows]


def reviewed_call_count(db: Session) -> int:
    """Calls with at least one submitted review."""
    return db.exec(
        select(func.count(func.distinct(Review.call_pk))).where(Review.status == "submitted")
    ).one()


def sessions_for(db: Session, user_id: int, states: tuple[str, ...]) -> list[CalibrationSession]:
    """Calibration sessions in one of ``states`` in which this user takes part, newest last."""
    return list(
        db.exec(
            select(CalibrationSession)
            .join(
                CalibrationParticipant, CalibrationParticipant.session_id == CalibrationSession.id
            )
            .where(
                CalibrationParticipant.user_id == user_id,
                CalibrationSession.state.in_(states),
            )
            .order_by(CalibrationSession.id)
        )
    )


def home_summary(db: Session, user: User) -> dict:
    """What the home page shows for this user's role."""
    summary: dict = {"calls": count_rows(db, Call)}
    if user.role == Role.REVIEWER:
        summary["my_reviews"] = review_counts(db, user.id)
    if user.role in (Role.REVIEWER, Role.LEAD):
        summary["sessions"] = sessions_for(db, user.id, (SessionState.OPEN,))
        # After the reveal a participant's results wait for them: scores beside the consensus.
        summary["results"] = sessions_for(
            db, user.id, (SessionState.REVEALED, SessionState.CLOSED)
        )
    if user.role in (Role.LEAD, Role.ADMIN):
        summary["reviews"] = review_counts(db)
    if user.role == Role.ADMIN:
        summary["users"] = users_by_role(db)
        summary["rubrics"] = rubric_versions(db)
    if user.role == Role.COACH:
        summary["reviewed_calls"] = reviewed_call_count(db)
        summary["outcomes"] = outcome_names(db)
    return summary
