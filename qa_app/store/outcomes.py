"""Writing validated outcomes: one value per call and outcome name, in batches.

A stored value the file changes is replaced only with ``replace``, its history kept in the
audit trail; the calls themselves are written by qa_app.store.calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlmodel import Session, select

from qa_app.domain.imports.outcomes import OutcomeRecord
from qa_app.models import AuditEvent, Outcome, utcnow
from qa_app.store import audit
from qa_app.store.calls import ChangesRefused, WriteResult, batches


def stored_outcome_kinds(db: Session) -> dict[str, str]:
    """Outcome name -> kind, for every outcome name already stored."""
    return dict(db.exec(select(Outcome.name, Outcome.kind).distinct()).all())


def upsert_outcomes(
    db: Session,
    records: Sequence[OutcomeRecord],
    call_pks: dict[str, int],
    progress: Callable[[int], None] | None = None,
    *,
    replace: bool = False,
    source: str = "",
    actor: tuple[int | None, str] = (None, "system"),
) -> WriteResult:
    """Create or update one value per (call, outcome name); identical values are left alone.

    A stored value the file changes is replaced only with ``replace``; each replacement is
    an ``outcome.replaced`` audit event (object ``outcome:CALL_ID:NAME``) with the old and
    new value, ``actor`` (user id, label) and the file. Without ``replace`` every such value
    is collected and :class:`ChangesRefused` raised, so the caller's transaction writes
    nothing.
    """
    result = WriteResult()
    refused: list[str] = []
    for batch in batches(records):
        pks = {call_pks[r.call_id] for r in batch}
        names = {r.name for r in batch}
        stored = {
            (o.call_pk, o.name): o
            for o in db.exec(
                select(Outcome).where(Outcome.call_pk.in_(pks), Outcome.name.in_(names))
            )
        }
        for record in batch:
            key = (call_pks[record.call_id], record.name)
            outcome = stored.get(key)
            if outcome is None:
                outcome = Outcome(
                    call_pk=key[0], name=record.name, kind=record.kind, value=record.value
                )
                db.add(outcome)
                stored[key] = outcome
                result.created += 1
            elif outcome.value == record.value and outcome.kind == record.kind:
                result.unchanged += 1
            elif not replace:
                refused.append(
                    f"row {record.row}: call {record.call_id} {record.name} is "
                    f"{_number(outcome.value)} in the database, the file has "
                    f"{_number(record.value)}"
                )
            else:
                db.add(_outcome_replaced(outcome, record, actor, source))
                outcome.value, outcome.kind, outcome.updated_at = (
                    record.value,
                    record.kind,
                    utcnow(),
                )
                result.updated += 1
        db.flush()
        if progress:
            progress(len(batch))
    if refused:
        raise ChangesRefused(refused)
    return result


def _number(value: float) -> str:
    """3.0 as ``3``, 2.5 as ``2.5``: outcome values as people typed them."""
    return str(int(value)) if float(value).is_integer() else str(value)


def _outcome_replaced(
    outcome: Outcome, record: OutcomeRecord, actor: tuple[int | None, str], source: str
) -> AuditEvent:
    """The history of one replaced outcome value: before, after, who, when, which file."""
    return audit.replaced_by_import(
        actor,
        "outcome.replaced",
        "outcome",
        f"{record.call_id}:{record.name}",
        {"value": outcome.value, "kind": outcome.kind},
        {"value": record.value, "kind": record.kind, "file": source},
        source,
    )
