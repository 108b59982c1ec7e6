"""Reading the audit trail: filtered, newest first, in pages or streamed for export."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func
from sqlmodel import Session, select

from qa_app.domain.audit import AuditFilter, event_row
from qa_app.models import AuditEvent

EXPORT_BATCH = 2000


def _filtered(statement, where: AuditFilter):
    if where.since:
        statement = statement.where(AuditEvent.at >= where.since)
    if where.until:
        statement = statement.where(AuditEvent.at < where.until)
    if where.user:
        statement = statement.where(func.lower(AuditEvent.actor_label) == where.user)
    if where.action.endswith("."):
        statement = statement.where(AuditEvent.action.startswith(where.action, autoescape=True))
    elif where.action:
        statement = statement.where(AuditEvent.action == where.action)
    if where.object_type:
        statement = statement.where(AuditEvent.entity_type == where.object_type)
    if where.object_id:
        statement = statement.where(AuditEvent.entity_id == where.object_id)
    return statement


def count_events(db: Session, where: AuditFilter) -> int:
    """How many events match."""
    return db.exec(_filtered(select(func.count()).select_from(AuditEvent), where)).one()


def event_page(db: Session, where: AuditFilter, limit: int, offset: int) -> list[dict[str, str]]:
    """One page of matching events as rows, newest first."""
    statement = _filtered(select(AuditEvent), where).order_by(
        AuditEvent.at.desc(), AuditEvent.id.desc()
    )
    return [_row(e) for e in db.exec(statement.limit(limit).offset(offset))]


def iter_events(db: Session, where: AuditFilter) -> Iterator[dict[str, str]]:
    """Every matching event, oldest first, read in keyset batches (exports of any length)."""
    last_id = 0
    while True:
        statement = (
            _filtered(select(AuditEvent), where)
            .where(AuditEvent.id > last_id)
            .order_by(AuditEvent.id)
            .limit(EXPORT_BATCH)
        )
        batch = db.exec(statement).all()
        if not batch:
            return
        yield from (_row(e) for e in batch)
        last_id = batch[-1].id


def known_actions(db: Session) -> list[str]:
    """The actions recorded so far, for the filter's choices."""
    return list(db.exec(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def _row(event: AuditEvent) -> dict[str, str]:
    return event_row(
        event.at,
        event.actor_label,
        event.action,
        event.entity_type,
        event.entity_id,
        event.before,
        event.after,
        event.reason,
    )
