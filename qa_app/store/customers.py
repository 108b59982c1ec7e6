"""Writing validated customers and customer events: upsert by key, in one transaction.

A customer is keyed by ``customer_id``; an event by customer, moment and kind. Filling a blank
(an ``ended_at`` that arrives once the customer leaves) is an update; changing a stored value
is refused with its row named unless ``replace``, and a replaced value is kept in the audit
trail with who, when and which file, as for outcomes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session, select

from qa_app.domain.dates import value_text
from qa_app.domain.files.reports import ImportReport
from qa_app.domain.files.tables import Table
from qa_app.domain.imports.customers import CustomerRecord, EventRecord
from qa_app.models import Customer, CustomerEvent, naive_utc, utcnow
from qa_app.store import audit
from qa_app.store.calls import ChangesRefused, WriteResult

BATCH_SIZE = 500
CUSTOMER_FIELDS = ("onboarded_at", "ended_at", "segment", "monthly_value")


def existing_customer_ids(db: Session, customer_ids: Sequence[str]) -> dict[str, int]:
    """customer_id -> primary key for those of ``customer_ids`` already stored."""
    wanted = sorted(set(customer_ids))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), BATCH_SIZE):
        batch = wanted[start : start + BATCH_SIZE]
        query = select(Customer.customer_id, Customer.id).where(Customer.customer_id.in_(batch))
        found.update(db.exec(query).all())
    return found


def reject_unknown_customers(report: ImportReport, table: Table, known: set[str]) -> None:
    """Events for customers not in the database become row errors."""
    raw_by_row = dict(table.rows)
    kept = []
    for record in report.records:
        if record.customer_id in known:
            kept.append(record)
        else:
            report.reject(
                record.row,
                raw_by_row.get(record.row, {}),
                f"unknown customer_id '{record.customer_id}' (import the customer first)",
                table.row_unit,
            )
    report.records = kept
    report.errors.sort(key=lambda e: e.row)


def _same(stored, new) -> bool:
    if isinstance(stored, datetime) or isinstance(new, datetime):
        return naive_utc(stored) == naive_utc(new)
    return stored == new


def upsert_customers(
    db: Session,
    records: Sequence[CustomerRecord],
    progress: Callable[[int], None] | None = None,
    *,
    replace: bool = False,
    source: str = "",
    actor: tuple[int | None, str] = (None, "system"),
) -> WriteResult:
    """Create new customers and update stored ones (see the module docstring)."""
    result = WriteResult()
    stored = {
        c.customer_id: c
        for start in range(0, len(records), BATCH_SIZE)
        for c in db.exec(
            select(Customer).where(
                Customer.customer_id.in_(
                    [r.customer_id for r in records[start : start + BATCH_SIZE]]
                )
            )
        )
    }
    refused, history, now = [], [], utcnow()
    for record in records:
        customer = stored.get(record.customer_id)
        values = {name: getattr(record, name) for name in CUSTOMER_FIELDS}
        if customer is None:
            db.add(
                Customer(customer_id=record.customer_id, imported_at=now, updated_at=now, **values)
            )
            result.created += 1
        else:
            changed = {n: v for n, v in values.items() if not _same(getattr(customer, n), v)}
            replaced = {n: v for n, v in changed.items() if getattr(customer, n) is not None}
            for name, value in replaced.items():
                refused.append(
                    f"{source}: row {record.row}: customer {record.customer_id} {name} is "
                    f"{value_text(getattr(customer, name))} in the database, the file has "
                    f"{value_text(value)}"
                )
            if replaced:
                history.append(
                    (record, {n: value_text(getattr(customer, n)) for n in replaced}, replaced)
                )
            if changed:
                for name, value in changed.items():
                    setattr(customer, name, value)
                customer.updated_at = now
                db.add(customer)
                result.updated += 1
            else:
                result.unchanged += 1
        if progress:
            progress(1)
    if refused and not replace:
        raise ChangesRefused(refused)
    for record, before, after in history:
        after_text = {n: value_text(v) for n, v in after.items()}
        db.add(audit.replaced_by_import(
            actor, "customer.replaced", "customer", record.customer_id, before, after_text, source
        ))  # fmt: skip
    db.flush()
    return result


def upsert_events(
    db: Session,
    records: Sequence[EventRecord],
    progress: Callable[[int], None] | None = None,
    *,
    replace: bool = False,
    source: str = "",
    actor: tuple[int | None, str] = (None, "system"),
) -> WriteResult:
    """Add events; an event already stored (same customer, moment, kind) is updated when its
    value or note changed — a changed value only with ``replace``."""
    result = WriteResult()
    pks = existing_customer_ids(db, [r.customer_id for r in records])
    stored: dict[tuple, CustomerEvent] = {}
    wanted = sorted(set(pks.values()))
    for start in range(0, len(wanted), BATCH_SIZE):
        for event in db.exec(
            select(CustomerEvent).where(
                CustomerEvent.customer_pk.in_(wanted[start : start + BATCH_SIZE])
            )
        ):
            stored[(event.customer_pk, naive_utc(event.at), event.kind)] = event
    refused, history, new = [], [], []
    for record in records:
        pk = pks[record.customer_id]
        event = stored.get((pk, naive_utc(record.at), record.kind))
        if event is None:
            new.append(
                {
                    "customer_pk": pk,
                    "at": record.at,
                    "kind": record.kind,
                    "value": record.value,
                    "note": record.note,
                }
            )
            result.created += 1
        elif event.value == record.value and event.note == record.note:
            result.unchanged += 1
        else:
            if event.value is not None and event.value != record.value:
                refused.append(
                    f"{source}: row {record.row}: {record.customer_id} {record.kind} at "
                    f"{record.at:%Y-%m-%d %H:%M} is {value_text(event.value)} in the database, the "
                    f"file has {value_text(record.value)}"
                )
                history.append((record, event.value))
            event.value, event.note = record.value, record.note
            db.add(event)
            result.updated += 1
        if progress:
            progress(1)
    if refused and not replace:
        raise ChangesRefused(refused)
    # Core inserts: a year of monthly events for thousands of customers is many rows.
    for start in range(0, len(new), BATCH_SIZE):
        db.connection().execute(insert(CustomerEvent), new[start : start + BATCH_SIZE])
    for record, old in history:
        key = f"{record.customer_id}:{record.kind}:{record.at:%Y-%m-%dT%H:%M}"
        db.add(audit.replaced_by_import(
            actor, "event.replaced", "customer_event", key, {"value": old},
            {"value": record.value}, source,
        ))  # fmt: skip
    db.flush()
    return result
