"""Validating customer files and customer event files.

Customers: ``customer_id``, ``onboarded_at``, optional ``ended_at`` (blank while the customer
is active), ``segment`` and ``monthly_value``. Events, one per row (long format):
``customer_id``, ``at``, ``kind``, optional ``value`` and ``note``; the kinds are fixed
(``EVENT_KINDS``) so a typo cannot become a new kind of event.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from qa_app.domain.files.reports import ImportReport
from qa_app.domain.files.tables import Table, as_text, parse_timestamp, rejected_for_missing_columns

CUSTOMER_COLUMNS = ("customer_id", "onboarded_at", "ended_at", "segment", "monthly_value")
EVENT_COLUMNS = ("customer_id", "at", "kind", "value", "note")
EVENT_KINDS = ("renewal", "incident", "nps", "renewal_intent", "spend", "usage", "opt_out")
# Kinds whose value is the point of the event: an NPS answer without a score says nothing.
VALUE_REQUIRED = {"nps": (0, 10), "spend": None, "usage": None}
MAX_VALUE = 1e12
MAX_NOTE = 2000


@dataclass(frozen=True)
class CustomerRecord:
    row: int
    customer_id: str
    onboarded_at: datetime
    ended_at: datetime | None
    segment: str | None
    monthly_value: float | None


@dataclass(frozen=True)
class EventRecord:
    row: int
    customer_id: str
    at: datetime
    kind: str
    value: float | None
    note: str


def _number(text: str, name: str) -> float | None:
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{name} '{text}' is not a number") from None
    if not math.isfinite(number) or abs(number) > MAX_VALUE:
        raise ValueError(f"{name} {text} is not a finite number within ±{MAX_VALUE:.0e}")
    return number


def _customer_id(text: str, problems: list[str]) -> str:
    if not text:
        problems.append("customer_id is empty")
    elif len(text) > 100:
        problems.append("customer_id is longer than 100 characters")
    return text


def _unknown_columns(table: Table, known, report: ImportReport, what: str) -> None:
    unknown = [c for c in table.columns if c not in known]
    if unknown:
        report.warnings.append(f"ignored column(s) not used by {what}: {', '.join(unknown)}")


def validate_customers(table: Table) -> ImportReport:
    """Check every row; valid rows become CustomerRecords, invalid ones row errors."""
    report = ImportReport()
    unit = table.row_unit
    if rejected_for_missing_columns(table, ("customer_id", "onboarded_at"), report):
        return report
    _unknown_columns(table, CUSTOMER_COLUMNS, report, "customers")
    first_seen: dict[str, int] = {}
    for row, raw in table.rows:
        if "__error__" in raw:
            report.reject(row, raw, raw["__error__"], unit)
            continue
        problems: list[str] = []
        customer_id = _customer_id(as_text(raw.get("customer_id")), problems)
        if customer_id in first_seen:
            problems.append(
                f"duplicate customer_id '{customer_id}' (first in {unit} {first_seen[customer_id]})"
            )
        elif customer_id:
            first_seen[customer_id] = row
        moments: dict[str, Any] = {}
        for name in ("onboarded_at", "ended_at"):
            try:
                moments[name] = parse_timestamp(raw.get(name))
            except ValueError as exc:
                problems.append(f"{name}: {exc}")
        if "onboarded_at" in moments and moments["onboarded_at"] is None:
            problems.append("onboarded_at is empty")
        onboarded, ended = moments.get("onboarded_at"), moments.get("ended_at")
        if onboarded and ended and ended < onboarded:
            problems.append(
                f"ended_at {ended:%Y-%m-%d} is before onboarded_at {onboarded:%Y-%m-%d}"
            )
        segment = as_text(raw.get("segment"))
        if len(segment) > 100:
            problems.append("segment is longer than 100 characters")
        try:
            value = _number(as_text(raw.get("monthly_value")), "monthly_value")
            if value is not None and value < 0:
                problems.append(f"monthly_value {value:g} is negative")
        except ValueError as exc:
            problems.append(str(exc))
            value = None
        if problems:
            report.reject(row, raw, "; ".join(problems), unit)
            continue
        report.records.append(
            CustomerRecord(row, customer_id, onboarded, ended, segment or None, value)
        )
    return report


def validate_events(table: Table) -> ImportReport:
    """Check every row; valid rows become EventRecords, invalid ones row errors."""
    report = ImportReport()
    unit = table.row_unit
    if rejected_for_missing_columns(table, ("customer_id", "at", "kind"), report):
        return report
    _unknown_columns(table, EVENT_COLUMNS, report, "events")
    first_seen: dict[tuple, int] = {}
    for row, raw in table.rows:
        if "__error__" in raw:
            report.reject(row, raw, raw["__error__"], unit)
            continue
        problems: list[str] = []
        customer_id = _customer_id(as_text(raw.get("customer_id")), problems)
        try:
            at = parse_timestamp(raw.get("at"))
            if at is None:
                problems.append("at is empty")
        except ValueError as exc:
            problems.append(f"at: {exc}")
            at = None
        kind = as_text(raw.get("kind")).lower()
        if kind not in EVENT_KINDS:
            shown = f"'{kind}'" if kind else "empty"
            problems.append(f"kind {shown} is not one of {', '.join(EVENT_KINDS)}")
        try:
            value = _number(as_text(raw.get("value")), "value")
        except ValueError as exc:
            problems.append(str(exc))
            value = None
        if kind in VALUE_REQUIRED and value is None and "value" not in " ".join(problems):
            problems.append(f"a {kind} event needs a value")
        bounds = VALUE_REQUIRED.get(kind)
        if bounds and value is not None and not bounds[0] <= value <= bounds[1]:
            problems.append(f"{kind} value {value:g} is outside {bounds[0]}–{bounds[1]}")
        note = as_text(raw.get("note"))
        if len(note) > MAX_NOTE:
            problems.append(f"note is longer than {MAX_NOTE} characters")
        key = (customer_id, at, kind)
        if at and customer_id and key in first_seen:
            problems.append(
                f"duplicate {kind} event for '{customer_id}' at {at:%Y-%m-%d %H:%M} "
                f"(first in {unit} {first_seen[key]})"
            )
        elif at and customer_id:
            first_seen[key] = row
        if problems:
            report.reject(row, raw, "; ".join(problems), unit)
            continue
        report.records.append(EventRecord(row, customer_id, at, kind, value, note))
    return report
