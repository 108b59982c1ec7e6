"""Audit events: who did what, when, with the values before and after."""

from __future__ import annotations

from sqlmodel import Session

from qa_app.models import AuditEvent, User


def record(
    db: Session,
    actor: User | None,
    action: str,
    entity_type: str,
    entity_id,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    label: str = "system",
) -> AuditEvent:
    """Add an audit event to the caller's transaction; ``label`` names who acted when no
    account did (the app itself, or the operating-system user of a command)."""
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_label=actor.email if actor else label,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=before,
        after=after,
        reason=reason,
    )
    db.add(event)
    return event
