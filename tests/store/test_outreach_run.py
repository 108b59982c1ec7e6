"""`qa-app outreach run` on a real database (SQLite and PostgreSQL): calls and reviews through
the importers (customer_id and sentiment columns), customers and events through SQLModel; the
guards counted in the JSON exactly as issue 15 gives it; idempotent; --dry-run writes nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlmodel import Session, select

from qa_app.models import (
    AuditEvent,
    Call,
    Customer,
    CustomerEvent,
    OutreachAlert,
    OutreachSuppression,
)
from tests.store.test_imports import HEADER, TRANSCRIPT, write_calls
from tests.store.test_review_import import HEADER as REVIEW_HEADER
from tests.store.test_review_import import full_review, setup

CALM = "Agent: Hello.\nCustomer: I would like to check my bill, please."
ANGRY = "Agent: Hello.\nCustomer: This is terrible, I am furious and nobody ever helps me."
# customer: (team, imported sentiment, transcript)
LET_DOWN = {
    "DIP": ("Harbour", "", CALM),  # usage dip: priority 1, first in line
    **{f"H{i}": ("Harbour", "-0.6", TRANSCRIPT) for i in range(5)},
    "VADER": ("Harbour", "", ANGRY),  # negative by VADER's score of the transcript
    "OPT": ("Summit", "-0.6", TRANSCRIPT),  # an opt_out event
    "COOL": ("Summit", "-0.6", TRANSCRIPT),  # alerted 29 days ago, closed
    "OPEN": ("Summit", "-0.6", TRANSCRIPT),  # an open alert from last week
    "MILD": ("Summit", "-0.04", TRANSCRIPT),  # just above the threshold: no second signal
}
AS_OF = "2026-03-31"


def _load(engine, cli, tmp_path):
    setup(cli, tmp_path)  # rubric, reviewer rita@example.com
    header = [*HEADER, "customer_id", "sentiment"]
    rows = [
        [f"K-{c}", "Ana B.", text, team, "billing", "voice", "escalation",
         "2026-03-29T10:00:00Z", "", "45", c, sentiment]
        for c, (team, sentiment, text) in LET_DOWN.items()
    ]  # fmt: skip
    assert cli("import", "calls", write_calls(tmp_path / "k.csv", rows, header)).exit_code == 0
    reviews = tmp_path / "k-reviews.csv"
    reviews.write_text(
        REVIEW_HEADER
        + "".join(full_review(f"K-{c}", "rita@example.com", ("1", "3", "", "N/A"))
                  for c in LET_DOWN)  # fmt: skip
    )
    result = cli("import", "reviews", reviews)
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        pks = {}
        for customer in LET_DOWN:
            row = Customer(customer_id=customer, onboarded_at=datetime(2025, 1, 1, tzinfo=UTC))
            session.add(row)
            session.flush()
            pks[customer] = row.id
        for day, value in ((datetime(2026, 2, 1), 100.0), (datetime(2026, 3, 1), 100.0),
                           (datetime(2026, 3, 28), 60.0)):  # fmt: skip
            session.add(CustomerEvent(customer_pk=pks["DIP"], at=day.replace(tzinfo=UTC),
                                      kind="usage", value=value))  # fmt: skip
        session.add(CustomerEvent(customer_pk=pks["OPT"], kind="opt_out",
                                  at=datetime(2025, 6, 1, tzinfo=UTC)))  # fmt: skip
        session.add(OutreachAlert(customer_id="COOL", day=date(2026, 3, 2), team="Summit",
                                  rule="r", rules_key="outreach@1", priority=2, status="closed",
                                  pathway="apology_and_fix"))  # fmt: skip
        session.add(OutreachAlert(customer_id="OPEN", day=date(2026, 3, 24), team="Summit",
                                  rule="r", rules_key="outreach@1", priority=2))  # fmt: skip
        session.commit()


def _run(cli, *extra):
    result = cli("outreach", "run", "--as-of", AS_OF, "--format", "json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_run_creates_alerts_with_guards_counted_and_is_idempotent(app, engine, cli, tmp_path):
    _load(engine, cli, tmp_path)
    with Session(engine) as session:
        stored = dict(session.exec(select(Call.call_id, Call.sentiment)).all())
    assert stored["K-H0"] == -0.6 and stored["K-VADER"] is None  # the import's column

    dry = _run(cli, "--dry-run")
    with Session(engine) as session:
        assert len(session.exec(select(OutreachAlert)).all()) == 2  # the two set up above
    first = _run(cli)
    assert first == dry
    assert first["as_of"] == AS_OF and first["created"] == 5
    assert first["suppressed"] == {"opted_out": 1, "cooldown": 1, "open_alert": 1, "daily_cap": 2}
    assert first["alerts"][0] == {
        "customer_id": "DIP",
        "call_id": "K-DIP",
        "signals": ["empathy_absent", "usage_dip"],
        "priority": 1,
    }
    alerted = [a["customer_id"] for a in first["alerts"]]
    assert alerted == ["DIP", "H0", "H1", "H2", "H3"]  # then the Harbour cap of 5 holds
    rest = first["alerts"][1:]
    assert all(a["signals"] == ["empathy_absent", "negative_sentiment"] for a in rest)

    again = _run(cli)
    assert again["created"] == 0 and again["alerts"] == []
    assert again["suppressed"] == {"opted_out": 1, "cooldown": 1, "open_alert": 6, "daily_cap": 2}
    with Session(engine) as session:
        alerts = session.exec(select(OutreachAlert).where(OutreachAlert.day == date(2026, 3, 31)))
        alerts = {a.customer_id: a for a in alerts}
        assert set(alerts) == set(alerted)
        assert alerts["DIP"].reasons == ["usage down 40% on their baseline",
                                         "last call scored 1 on acknowledgment"]  # fmt: skip
        assert alerts["DIP"].team == "Harbour" and alerts["DIP"].status == "open"
        held = {s.customer_id: s.reason for s in session.exec(select(OutreachSuppression))}
        assert held == {"H4": "daily_cap", "VADER": "daily_cap", "OPT": "opted_out",
                        "COOL": "cooldown", "OPEN": "open_alert"}  # fmt: skip
        created = session.exec(
            select(AuditEvent).where(AuditEvent.action == "outreach.alert_created")
        ).all()
        assert len(created) == 5

    # The next day the cap is fresh: the two held back are alerted (VADER by its transcript),
    # and COOL's 30 days since 2 March are over.
    nxt = json.loads(cli("outreach", "run", "--as-of", "2026-04-01", "--format", "json").output)
    assert sorted(a["customer_id"] for a in nxt["alerts"]) == ["COOL", "H4", "VADER"]


def test_table_output_and_bad_rules(app, engine, cli, tmp_path):
    _load(engine, cli, tmp_path)
    table = cli("outreach", "run", "--as-of", AS_OF, "--dry-run")
    assert table.exit_code == 0, table.output
    assert "would create 5 alert(s)" in table.output
    assert "1 opted out, 1 in cooldown, 1 with an open alert, 2 over the daily cap" in table.output
    assert "usage down 40% on their baseline" in table.output
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "outreach"\nversion = 1\n[guards]\ncooldown_days = -1\n')
    result = cli("outreach", "check", bad)
    assert result.exit_code == 1
    assert f"{bad}:4: guards.cooldown_days must be a whole number" in result.output
    assert "at least one [[rules]] table is needed" in result.output
    refused = cli("outreach", "run", "--rules", bad)
    assert refused.exit_code == 1 and "cooldown_days" in refused.output
    good = cli("outreach", "check", "outreach/default-v1.toml")
    assert good.exit_code == 0 and "outreach@1 is valid" in good.output
