"""`qa-app outreach report` on a real database (SQLite and PostgreSQL): the JSON's rates,
pathways, 90-day churn and spend against the daily cap's and the before-the-rules' customers
(found by evaluating the shipped rules on past days, writing nothing), follow-up still
running, and the association label."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, func, select

from qa_app.models import (
    Customer,
    CustomerEvent,
    OutreachAlert,
    OutreachOptOut,
    OutreachSuppression,
)
from tests.store.test_imports import HEADER, TRANSCRIPT, write_calls
from tests.store.test_review_import import HEADER as REVIEW_HEADER
from tests.store.test_review_import import full_review, setup

DAY = date(2026, 6, 1)  # the first alert
AS_OF = "2026-11-30"
PATHS = ["apology_and_fix"] * 6 + ["follow_up_scheduled"] * 3 + ["escalated"] * 2 + ["no_contact"]


def _moment(day: date, days: int) -> datetime:
    return datetime.combine(day + timedelta(days=days), datetime.min.time(), tzinfo=UTC)


def _load(engine, cli, tmp_path):
    setup(cli, tmp_path)  # rubric, reviewer rita@example.com
    # Three customers let down on a call in March, with an upset tone: they meet the shipped
    # rules on days before the first alert (B2 had opted out).
    header = [*HEADER, "customer_id", "sentiment"]
    rows = [
        [f"K-B{i}", "Ana B.", TRANSCRIPT, "Harbour", "billing", "voice", "escalation",
         "2026-03-29T10:00:00Z", "", "45", f"B{i}", "-0.6"]
        for i in range(3)
    ]  # fmt: skip
    assert cli("import", "calls", write_calls(tmp_path / "k.csv", rows, header)).exit_code == 0
    reviews = tmp_path / "k-reviews.csv"
    reviews.write_text(
        REVIEW_HEADER
        + "".join(
            full_review(f"K-B{i}", "rita@example.com", ("1", "3", "", "N/A")) for i in range(3)
        )  # fmt: skip
    )
    assert cli("import", "reviews", reviews).exit_code == 0
    with Session(engine) as session:
        customers = [f"A{i}" for i in range(12)] + [f"Q{i}" for i in range(12)]
        customers += ["B0", "B1", "B2", "LATE"]
        pks = {}
        for customer in customers:
            # A1, Q0..Q5 and B0 leave 30 days after their day; A0 on day 91 (not counted).
            ended = None
            if customer in {"A1", *(f"Q{i}" for i in range(6))}:
                ended = _moment(DAY, 30)
            elif customer == "A0":
                ended = _moment(DAY, 91)
            elif customer == "B0":
                ended = _moment(date(2026, 3, 30), 30)
            row = Customer(customer_id=customer, onboarded_at=_moment(DAY, -400), ended_at=ended)
            session.add(row)
            session.flush()
            pks[customer] = row.id
        for i in range(12):
            session.add(CustomerEvent(customer_pk=pks[f"A{i}"], at=_moment(DAY, 10),
                                      kind="spend", value=100.0 + i))  # fmt: skip
            session.add(CustomerEvent(customer_pk=pks[f"Q{i}"], at=_moment(DAY, 10),
                                      kind="spend", value=80.0 + 2 * i))  # fmt: skip
            session.add(OutreachAlert(
                customer_id=f"A{i}", day=DAY, team="Harbour", rule="r", rules_key="outreach@1",
                priority=1, status="closed", pathway=PATHS[i], credit=25.0 if i < 2 else None,
                do_not_contact=i == 3, closed_at=_moment(DAY, 2)))  # fmt: skip
            session.add(OutreachSuppression(customer_id=f"Q{i}", day=DAY, reason="daily_cap",
                                            team="Harbour"))  # fmt: skip
        # B2 opted out in February: never alertable, so not in the "before the rules" group.
        session.add(CustomerEvent(customer_pk=pks["B2"], at=_moment(DAY, -120), kind="opt_out"))
        # An app opt-out 40 days after the alert, and an alert still in its 90 days.
        session.add(OutreachOptOut(customer_id="A4", at=_moment(DAY, 40)))
        session.add(CustomerEvent(customer_pk=pks["A5"], at=_moment(DAY, 120), kind="opt_out"))
        session.add(OutreachAlert(customer_id="LATE", day=date(2026, 11, 1), team="Harbour",
                                  rule="r", rules_key="outreach@1", priority=1))  # fmt: skip
        session.commit()


def test_report_json_on_both_backends(app, engine, cli, tmp_path):
    _load(engine, cli, tmp_path)
    with Session(engine) as session:
        before = session.exec(select(func.count()).select_from(OutreachAlert)).one()
    result = cli("outreach", "report", "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    with Session(engine) as session:  # evaluating past days wrote nothing
        assert session.exec(select(func.count()).select_from(OutreachAlert)).one() == before
    assert report["as_of"] == AS_OF and report["alerts"] == 13
    contact = report["contact_rate"]
    assert (contact["count"], contact["n"]) == (11, 12)  # one "no contact made"
    assert contact["rate"] == pytest.approx(11 / 12) and len(contact["ci"]) == 2
    # A3 asked on the call, A4 opted out in the app on day 40; A5's event on day 120 is late.
    assert (report["opt_out_rate"]["count"], report["opt_out_rate"]["n"]) == (2, 11)
    assert report["opt_out_rate"]["in_window"] == 0
    pathways = {row["pathway"]: row for row in report["pathways"]}
    assert pathways["apology_and_fix"]["count"] == 6
    assert pathways["apology_and_fix"]["credit_total"] == 50.0
    churn = report["churn_90d"]
    assert (churn["alerted"]["n"], churn["alerted"]["count"]) == (12, 1)
    # 12 held back by the cap and two found before the rules (B0 left on day 30; B2 opted out).
    assert (churn["comparison"]["n"], churn["comparison"]["count"]) == (14, 7)
    assert churn["difference"] == pytest.approx(1 / 12 - 7 / 14)
    assert churn["ci"][0] < churn["difference"] < churn["ci"][1] < 0
    assert 0 < churn["p_value"] < 0.05
    assert churn["association"] is True and churn["warning"] is None
    spend = report["spend_90d"]
    assert spend["alerted"]["mean"] == pytest.approx(105.5)
    assert spend["comparison"]["mean"] == pytest.approx((sum(80 + 2 * i for i in range(12))) / 14)
    # 12 and 14 customers: too few for the spend interval (30 per group, spend is skewed).
    assert spend["ci"] is None and spend["association"] is True
    assert "at least 30 in each are needed because spend is skewed" in spend["warning"]
    assert report["in_follow_up"] == {"alerted": 1, "comparison": 0}
    sources = report["comparison_sources"]
    assert sources["daily_cap"]["customers"] == 12
    assert sources["before_rules"]["customers"] == 2
    assert sources["before_rules"]["churn_90d"]["ci"] is None
    assert "Too few customers to compare" in sources["before_rules"]["churn_90d"]["warning"]
    assert report["association"] is True and "not an effect" in report["association_note"]

    table = cli("outreach", "report", "--as-of", AS_OF)
    assert table.exit_code == 0, table.output
    assert "Contact rate: 91.7% (11 of 12; 95% interval" in table.output
    assert "Churn difference (alerted minus comparison): -41.7%" in table.output
    assert "An association, not an effect" in table.output
    assert "Warning: Too few customers to compare (12 alerted, 14" in table.output


def test_report_with_no_alerts_says_so(app, cli, tmp_path):
    setup(cli, tmp_path)
    result = cli("outreach", "report", "--as-of", AS_OF, "--format", "json")
    report = json.loads(result.output)
    assert report["alerts"] == 0 and report["notes"] == ["No alerts yet: nothing to compare."]
    assert report["contact_rate"]["warning"] == "No closed alerts yet."


def test_report_refuses_an_as_of_after_today(app, cli, tmp_path):
    setup(cli, tmp_path)
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    result = cli("outreach", "report", "--as-of", tomorrow, "--format", "json")
    assert result.exit_code != 0
    assert f"--as-of: as-of date {tomorrow} is after today" in result.output
    assert "before those days are over" in result.output
    today = datetime.now(UTC).date().isoformat()
    assert cli("outreach", "report", "--as-of", today, "--format", "json").exit_code == 0
