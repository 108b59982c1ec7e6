"""`qa-app import customers`, `import events` and calls' customer_id, on a real database."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from qa_app.models import AuditEvent, Call, Customer, CustomerEvent
from tests.store.helpers import snapshot

CUSTOMERS = (
    "customer_id,onboarded_at,ended_at,segment,monthly_value\n"
    "K-1,2025-01-05,,consumer,29.90\n"
    "K-2,2025-02-01T09:30:00Z,2026-03-01,small_business,95\n"
)
EVENTS = (
    "customer_id,at,kind,value,note\n"
    "K-1,2026-02-01T09:00:00Z,nps,9,\n"
    "K-1,2026-01-05,renewal,,annual plan\n"
    "K-2,2026-02-14,incident,,outage\n"
)


def _customers(engine) -> dict[str, Customer]:
    with Session(engine) as db:
        return {c.customer_id: c for c in db.exec(select(Customer))}


def _aware(moment):
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def test_customers_and_events_import_and_reimport(app, cli, engine, tmp_path):
    (tmp_path / "c.csv").write_text(CUSTOMERS)
    result = cli("import", "customers", tmp_path / "c.csv")
    assert result.exit_code == 0, result.output
    assert "Imported 2 rows (2 customers): 2 created, 0 updated, 0 unchanged." in result.output
    stored = _customers(engine)
    assert _aware(stored["K-2"].ended_at) == datetime(2026, 3, 1, tzinfo=UTC)
    assert stored["K-1"].monthly_value == 29.9 and stored["K-1"].ended_at is None
    (tmp_path / "e.csv").write_text(EVENTS)
    result = cli("import", "events", tmp_path / "e.csv")
    assert result.exit_code == 0, result.output
    assert "3 created" in result.output
    # K-1 leaves: filling the blank ended_at is an update, not a replacement.
    (tmp_path / "c2.csv").write_text(
        CUSTOMERS.replace("K-1,2025-01-05,,", "K-1,2025-01-05,2026-06-30,")
    )
    result = cli("import", "customers", tmp_path / "c2.csv")
    assert result.exit_code == 0, result.output
    assert "1 updated, 1 unchanged" in result.output
    assert _aware(_customers(engine)["K-1"].ended_at) == datetime(2026, 6, 30, tzinfo=UTC)
    # The same events again change nothing.
    assert "0 created, 0 updated, 3 unchanged" in cli("import", "events", tmp_path / "e.csv").output


def test_a_changed_value_is_refused_unless_replace_and_then_kept_in_the_history(
    app, cli, engine, tmp_path
):
    (tmp_path / "c.csv").write_text(CUSTOMERS)
    (tmp_path / "e.csv").write_text(EVENTS)
    cli("import", "customers", tmp_path / "c.csv")
    cli("import", "events", tmp_path / "e.csv")
    before = snapshot(engine)
    changed = EVENTS.replace("nps,9,", "nps,3,")
    (tmp_path / "e2.csv").write_text(changed)
    result = cli("import", "events", tmp_path / "e2.csv")
    assert result.exit_code == 1
    assert "row 2: K-1 nps at 2026-02-01 09:00 is 9.0 in the database, the file has 3.0" in (
        result.output
    )
    assert snapshot(engine) == before
    result = cli("import", "events", tmp_path / "e2.csv", "--replace")
    assert result.exit_code == 0, result.output
    with Session(engine) as db:
        nps = db.exec(select(CustomerEvent.value).where(CustomerEvent.kind == "nps")).one()
        event = db.exec(select(AuditEvent).where(AuditEvent.action == "event.replaced")).one()
    assert nps == 3.0 and event.before == {"value": 9.0} and event.after == {"value": 3.0}
    assert "e2.csv" in event.reason


def test_bad_rows_are_named_and_nothing_is_written(app, cli, engine, tmp_path):
    (tmp_path / "c.csv").write_text(CUSTOMERS)
    cli("import", "customers", tmp_path / "c.csv")
    before = snapshot(engine)
    (tmp_path / "e.csv").write_text(EVENTS + "K-9,2026-02-01,nps,5,\nK-1,2026-03-01,complaint,,\n")
    result = cli("import", "events", tmp_path / "e.csv")
    assert result.exit_code == 1
    assert "row 5: unknown customer_id 'K-9' (import the customer first)" in result.output
    assert "row 6: kind 'complaint' is not one of" in result.output
    assert snapshot(engine) == before
    with Session(engine) as db:
        assert db.exec(select(CustomerEvent)).all() == []
    result = cli("import", "events", tmp_path / "e.csv", "--dry-run")
    assert result.exit_code == 1 and "nothing written" in result.output


def test_calls_carry_their_customer_id(app, cli, engine, tmp_path):
    (tmp_path / "calls.csv").write_text(
        "call_id,agent,transcript,customer_id\nC-1,Ana,Agent: Hi,K-1\nC-2,Ben,Agent: Hello,\n"
    )
    assert cli("import", "calls", tmp_path / "calls.csv").exit_code == 0
    with Session(engine) as db:
        stored = dict(db.exec(select(Call.call_id, Call.customer_id)).all())
    assert stored == {"C-1": "K-1", "C-2": None}
    # A file without the column leaves stored customer_ids alone.
    (tmp_path / "again.csv").write_text("call_id,agent,transcript\nC-1,Ana,Agent: Hi\n")
    assert cli("import", "calls", tmp_path / "again.csv").exit_code == 0
    with Session(engine) as db:
        assert db.exec(select(Call.customer_id).where(Call.call_id == "C-1")).one() == "K-1"


def test_timestamps_compare_in_utc_whatever_zone_they_come_back_in():
    """PostgreSQL hands timestamps back in the session's zone: a re-imported event at the same
    moment must still be the same event, not a second one."""
    from datetime import timedelta, timezone

    from qa_app.models import naive_utc

    paris = datetime(2026, 2, 1, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    assert naive_utc(paris) == datetime(2026, 2, 1, 9, 0)
    assert naive_utc(datetime(2026, 2, 1, 9, 0)) == datetime(2026, 2, 1, 9, 0)
    assert naive_utc(None) is None


def test_a_refused_change_of_a_fraction_of_a_second_shows_the_difference(
    app, cli, engine, tmp_path
):
    (tmp_path / "c.csv").write_text(CUSTOMERS)
    cli("import", "customers", tmp_path / "c.csv")
    moved = CUSTOMERS.replace("K-1,2025-01-05,", "K-1,2025-01-05T00:00:00.25Z,")
    (tmp_path / "c2.csv").write_text(moved)
    result = cli("import", "customers", tmp_path / "c2.csv")
    assert result.exit_code == 1
    assert (
        "customer K-1 onboarded_at is 2025-01-05 00:00:00 in the database, the file has "
        "2025-01-05 00:00:00.25"
    ) in result.output
