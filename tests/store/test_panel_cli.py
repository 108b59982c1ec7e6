"""`qa-app panel` and `qa-app analysis-plan` on a real database (SQLite and PostgreSQL).

Calls and reviews go in through `qa-app import calls` and `import reviews`; customers, their
events and the calls' customer_id through SQLModel. The figures the command prints are
checked against the panel model run directly on the records the test itself wrote, so the
database reading (final scores, flags, months) is what is under test.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from qa_app.domain.panels.model import (
    CustomerRecord,
    EventRecord,
    ReviewedCall,
    panel_report,
)
from qa_app.models import AnalysisPlan, AuditEvent, Call, Customer, CustomerEvent
from tests.conftest import RUBRICS_DIR
from tests.store.test_imports import HEADER, TRANSCRIPT, write_calls

CUSTOMERS, MONTHS = 24, 6
AS_OF = date(2025, 6, 30)
PLAN = """\
name = "empathy-lags"
flag = "acknowledged"

[outcomes]
nps = [1, 12]
renewal = [3]
"""


def _at(month: int, day: int) -> datetime:
    return datetime(2025, month, day, 10, tzinfo=UTC)


@pytest.fixture
def world(cli, engine, tmp_path):
    """The customers, events and reviewed calls of :func:`build_world`, written."""
    return build_world(cli, engine, tmp_path)


def build_world(cli, engine, tmp_path):
    """24 customers over six months of 2025: most months one reviewed call whose
    acknowledgment is 5 or 1; NPS each month, higher after a month with an acknowledged
    call; a renewal now and then. Returns the records the panel should see."""
    rng = random.Random(7)
    cli("rubric", "load", RUBRICS_DIR / "empathy-v1.toml")
    cli("users", "add", "--email", "rita@example.com", "--name", "Rita", "--role", "reviewer",
        "--password-stdin", input="a-long-enough-password\n")  # fmt: skip
    customers, events, calls, rows, reviews, owners = [], [], [], [], [], {}
    for i in range(CUSTOMERS):
        name = f"CU-{i:03d}"
        first = 1 + i % 3
        customers.append(CustomerRecord(name, date(2025, first, 2)))
        base = rng.uniform(5, 8)
        share = 0.0
        for month in range(first, MONTHS + 1):
            nps = base + 2.0 * share + rng.gauss(0, 0.5)
            events.append(EventRecord(name, date(2025, month, 20), "nps", round(nps, 3)))
            if rng.random() < 0.3:
                events.append(EventRecord(name, date(2025, month, 21), "renewal", None))
            share = 0.0
            if rng.random() < 0.8:  # a reviewed call this month
                call_id = f"K-{i:03d}-{month}"
                score = rng.choice((5, 1))
                started = f"2025-{month:02d}-10T10:00:00Z"
                rows.append([call_id, "Ana", TRANSCRIPT, "Harbour", "billing", "voice",
                             "billing_correction", started, "", "45"])  # fmt: skip
                for dimension in ("acknowledgment", "summary", "next_steps", "loop_closure"):
                    reviews.append(f"{call_id},rita@example.com,{dimension},{score}")
                owners[call_id] = name
                calls.append(ReviewedCall(name, date(2025, month, 10), score == 5))
                share = 1.0 if score == 5 else 0.0
    assert cli("import", "calls", write_calls(tmp_path / "c.csv", rows, HEADER)).exit_code == 0
    (tmp_path / "r.csv").write_text("call_id,reviewer,dimension,score\n" + "\n".join(reviews))
    assert cli("import", "reviews", tmp_path / "r.csv").exit_code == 0
    with Session(engine) as session:
        pks = {}
        for c in customers:
            row = Customer(customer_id=c.customer_id, onboarded_at=_at(c.onboarded_at.month, 2))
            session.add(row)
            session.flush()
            pks[c.customer_id] = row.id
        for e in events:
            at = _at(e.at.month, e.at.day)
            session.add(CustomerEvent(customer_pk=pks[e.customer_id], at=at, kind=e.kind,
                                      value=e.value))  # fmt: skip
        for call in session.exec(select(Call)):
            call.customer_id = owners[call.call_id]
            session.add(call)
        session.commit()
    return customers, events, calls


def test_panel_json_matches_the_model_on_the_written_records(cli, world):
    result = cli("panel", "--outcome", "nps", "--flag", "acknowledged", "--lags", "1,12",
                 "--as-of", "2025-06-30", "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    expected = panel_report(*world, "nps", "acknowledged", [1, 12], AS_OF).as_dict()
    assert report["outcome"] == "nps" and report["flag"] == "acknowledged"
    one, twelve = report["lags"]
    assert one["lag"] == 1 and one["n_customers"] == CUSTOMERS
    assert one["n_obs"] == expected["lags"][0]["n_obs"]
    assert one["coefficient"] == pytest.approx(expected["lags"][0]["coefficient"], rel=1e-9)
    assert one["ci"] == pytest.approx(expected["lags"][0]["ci"], rel=1e-9)
    assert one["ci"][0] < 2.0 < one["ci"][1]  # the planted effect
    assert twelve["coefficient"] is None and "12 month(s) later" in twelve["reason"]
    assert report["unreviewed_months"] == expected["unreviewed_months"] > 0
    assert "association" in report["association"]


def test_panel_table_and_refusals(cli, world):
    result = cli("panel", "--outcome", "renewal", "--flag", "acknowledged", "--lags", "1,3")
    assert result.exit_code == 0, result.output
    assert "renewal k months later" in result.output and "Association:" in result.output
    bad = cli("panel", "--outcome", "nps", "--flag", "kindness", "--lags", "1")
    assert bad.exit_code == 1 and "unknown flag 'kindness'" in bad.output
    assert cli("panel", "--outcome", "nps", "--flag", "acknowledged").exit_code == 2
    assert cli("panel", "--outcome", "nps", "--flag", "x", "--lags", "1,a").exit_code == 2


def test_analysis_plan_create_amend_show_and_panel_from_the_plan(cli, engine, world, tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN)
    created = cli("analysis-plan", "create", path)
    assert created.exit_code == 0, created.output
    assert cli("analysis-plan", "create", path).exit_code == 1  # a change is an amendment
    path.write_text(PLAN.replace('flag = "acknowledged"', 'flag = "kind"'))
    refused = cli("analysis-plan", "amend", path, "--reason", "typo")
    assert refused.exit_code == 1 and "plan.toml:2: unknown flag 'kind'" in refused.output
    path.write_text(PLAN.replace("renewal = [3]", "renewal = [3, 6]"))
    assert cli("analysis-plan", "amend", path, "--reason", " ").exit_code == 1
    assert cli("analysis-plan", "amend", path).exit_code == 2  # --reason is required
    amended = cli("analysis-plan", "amend", path, "--reason", "renewals are half-yearly too")
    assert amended.exit_code == 0, amended.output
    with Session(engine) as session:
        row = session.exec(select(AnalysisPlan)).one()
        assert row.amendments == 1 and "[3, 6]" in row.content
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "analysis_plan.amended")
        ).one()
        assert event.reason == "renewals are half-yearly too"
    shown = cli("analysis-plan", "show", "empathy-lags")
    assert "Amendments: 1" in shown.output and "renewals are half-yearly too" in shown.output
    assert cli("analysis-plan", "show", "nope").exit_code == 1

    result = cli("panel", "--plan", "empathy-lags", "--as-of", "2025-06-30", "--format", "json")
    assert result.exit_code == 0, result.output
    reports = json.loads(result.output)
    assert [r["outcome"] for r in reports] == ["nps", "renewal"]
    assert [lag["lag"] for lag in reports[1]["lags"]] == [3, 6]
    assert reports[0]["plan"]["name"] == "empathy-lags"
    assert reports[0]["plan"]["amendment_count"] == 1
    assert reports[0]["plan"]["content_hash"] == row.content_hash
    table = cli("panel", "--plan", "empathy-lags", "--outcome", "nps")
    assert "Analysis plan empathy-lags" in table.output and "half-yearly" in table.output
    mixed = cli("panel", "--plan", "empathy-lags", "--lags", "2")
    assert mixed.exit_code == 2 and "--plan fixes" in mixed.output
    other = cli("panel", "--plan", "empathy-lags", "--outcome", "churn")
    assert other.exit_code == 1 and "no outcome churn" in other.output
