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


def replaced_by_import(
    actor: tuple[int | None, str],
    action: str,
    entity_type: str,
    entity_id,
    before: dict,
    after: dict,
    source: str,
) -> AuditEvent:
    """The history of values an import with ``--replace`` changed: before, after, who (user id
    and label), when and which file."""
    return AuditEvent(
        actor_id=actor[0],
        actor_label=actor[1],
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id)[:100],
        before=before,
        after=after,
        reason=f"import of {source} with --replace",
    )
