"""Customer and event files: every bad row named with its reason, good rows read exactly."""

from __future__ import annotations

from datetime import UTC, datetime

from qa_app.domain.files.tables import Table
from qa_app.domain.imports.customers import validate_customers, validate_events


def table(columns: list[str], *rows: list[str]) -> Table:
    return Table(columns, [(i, dict(zip(columns, r, strict=True))) for i, r in enumerate(rows, 2)])


CUSTOMER_COLUMNS = ["customer_id", "onboarded_at", "ended_at", "segment", "monthly_value"]


def test_good_customers_are_read_exactly():
    report = validate_customers(
        table(
            CUSTOMER_COLUMNS,
            ["C-1", "2025-01-05", "", "consumer", "29.90"],
            ["C-2", "2025-02-01T09:30:00+01:00", "2026-03-01", "", ""],
        )
    )
    assert report.ok
    first, second = report.records
    assert first.customer_id == "C-1" and first.ended_at is None
    assert first.onboarded_at == datetime(2025, 1, 5, tzinfo=UTC)
    assert first.segment == "consumer" and first.monthly_value == 29.9
    assert second.onboarded_at == datetime(2025, 2, 1, 8, 30, tzinfo=UTC)
    assert second.segment is None and second.monthly_value is None


def test_bad_customer_rows_are_named_with_every_reason():
    report = validate_customers(
        table(
            CUSTOMER_COLUMNS,
            ["C-1", "2025-01-05", "", "", ""],
            ["C-1", "2025-01-05", "", "", ""],
            ["", "yesterday", "", "", "-3"],
            ["C-3", "2025-05-01", "2025-04-01", "", "lots"],
            ["C-4", "", "", "", ""],
        )
    )
    messages = {e.row: e.message for e in report.errors}
    assert "duplicate customer_id 'C-1' (first in row 2)" in messages[3]
    assert "customer_id is empty" in messages[4] and "onboarded_at:" in messages[4]
    assert "monthly_value -3 is negative" in messages[4]
    assert "ended_at 2025-04-01 is before onboarded_at 2025-05-01" in messages[5]
    assert "monthly_value 'lots' is not a number" in messages[5]
    assert "onboarded_at is empty" in messages[6]
    assert [r.customer_id for r in report.records] == ["C-1"]


def test_a_file_without_the_required_columns_is_refused_on_every_row():
    report = validate_customers(table(["customer", "onboarded_at"], ["C-1", "2025-01-01"]))
    assert report.errors[0].message == "missing required column(s): customer_id"


EVENT_COLUMNS = ["customer_id", "at", "kind", "value", "note"]


def test_events_read_and_unknown_kinds_refused_with_the_row_named():
    report = validate_events(
        table(
            EVENT_COLUMNS,
            ["C-1", "2026-01-01", "nps", "9", ""],
            ["C-1", "2026-01-01", "NPS", "8", ""],
            ["C-1", "2026-01-02", "complaint", "", ""],
            ["C-1", "2026-01-03", "nps", "11", ""],
            ["C-1", "2026-01-04", "spend", "", "no amount"],
            ["C-1", "2026-01-05", "renewal", "", "annual plan"],
            ["C-2", "not a date", "opt_out", "", ""],
        )
    )
    messages = {e.row: e.message for e in report.errors}
    assert "duplicate nps event for 'C-1' at 2026-01-01 00:00 (first in row 2)" in messages[3]
    assert "kind 'complaint' is not one of renewal, incident, nps" in messages[4]
    assert "nps value 11 is outside 0–10" in messages[5]
    assert "a spend event needs a value" in messages[6]
    assert "at:" in messages[8]
    kept = [(r.row, r.kind, r.value, r.note) for r in report.records]
    assert kept == [(2, "nps", 9.0, ""), (7, "renewal", None, "annual plan")]
