"""`qa-app survival` on a real database (SQLite and PostgreSQL): customers and events stored
through SQLModel, calls and reviews through the importers, the JSON as the issue gives it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session

from qa_app.models import Customer, CustomerEvent
from tests.store.test_imports import good_row, write_calls
from tests.store.test_review_import import HEADER, full_review, setup

ONBOARDED = datetime(2025, 1, 1, 10, 0, tzinfo=UTC)
CALL = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)  # five days after onboarding
# customer: (acknowledged on the first call, days from the call to the end or None)
TIMELINES = {
    **{f"W{i}": (True, days) for i, days in enumerate([181, 271, None, None, None, None])},
    **{f"N{i}": (False, days) for i, days in enumerate([30, 60, 90, 120, None, None, None])},
}


def _load(engine, cli, tmp_path):
    setup(cli, tmp_path)  # rubric, reviewer rita@example.com, calls C-1 and C-2
    rows = [good_row(f"K-{c}", started=CALL.strftime("%Y-%m-%dT%H:%M:%SZ")) for c in TIMELINES]
    rows.append(good_row("K-EARLY", started=CALL.strftime("%Y-%m-%dT%H:%M:%SZ")))
    assert cli("import", "calls", write_calls(tmp_path / "k.csv", rows)).exit_code == 0
    reviews = tmp_path / "k-reviews.csv"
    body = HEADER
    for customer, (acknowledged, _days) in TIMELINES.items():
        scores = ("5", "3", "", "N/A") if acknowledged else ("2", "3", "", "N/A")
        body += full_review(f"K-{customer}", "rita@example.com", scores)
    body += full_review("K-EARLY", "rita@example.com", ("5", "3", "", "N/A"))
    reviews.write_text(body)
    result = cli("import", "reviews", reviews)
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        for customer, (_ack, days) in TIMELINES.items():
            ended = CALL + timedelta(days=days) if days is not None else None
            session.add(Customer(customer_id=customer, onboarded_at=ONBOARDED, ended_at=ended,
                                 segment="smb", monthly_value=90.0))  # fmt: skip
        # Ended before the call; never called; the two renewals of the renewal cohort.
        early = Customer(customer_id="EARLY", onboarded_at=ONBOARDED, ended_at=CALL.replace(day=3))
        session.add_all([early, Customer(customer_id="QUIET", onboarded_at=ONBOARDED)])
        session.flush()
        for customer in ("W0", "N0"):
            pk = session.exec(
                text("SELECT id FROM customers WHERE customer_id = :c").bindparams(c=customer)
            ).one()[0]
            session.add(
                CustomerEvent(customer_pk=pk, at=datetime(2025, 1, 20, tzinfo=UTC), kind="renewal")
            )
        session.commit()
        # The call importer does not take customer_id yet: linked here.
        for customer in [*TIMELINES, "EARLY"]:
            session.exec(
                text("UPDATE calls SET customer_id = :c WHERE call_id = :k").bindparams(
                    c=customer, k=f"K-{customer}"
                )
            )
        session.commit()


def test_survival_json_on_each_backend(app, engine, cli, tmp_path):
    _load(engine, cli, tmp_path)
    result = cli("survival", "--cohort", "onboarding", "--flag", "acknowledged",
                 "--as-of", "2025-12-31", "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["cohort"], report["flag"], report["as_of"]) == (
        "onboarding",
        "acknowledged",
        "2025-12-31",
    )
    with_flag, without = report["groups"]
    assert (with_flag["group"], with_flag["n"], with_flag["events"]) == ("with", 6, 2)
    assert (without["group"], without["n"], without["events"]) == ("without", 7, 4)
    # Without: ends at 30, 60, 90 and 120 days of seven; S falls below 1/2 at 120.
    assert without["median_days"] == 120.0
    assert without["survival"] == {"90": 0.5714, "180": 0.4286, "365": None}
    assert with_flag["median_days"] is None
    assert with_flag["survival"]["180"] == 1.0
    assert with_flag["survival"]["365"] is None  # followed 359 days: not observed at 365
    assert with_flag["small"] and without["small"]
    assert report["logrank"]["statistic"] > 0 and 0 < report["logrank"]["p_value"] < 1
    assert set(report["cox"]) >= {"hazard_ratio", "ci", "adjusted_for"}
    assert {c["covariate"] for c in report["cox"]["not_adjusted_for"]} == {
        "interaction_type",
        "channel",
        "agent_tenure_days",
    }
    rmst = report["rmst"]
    # The 'with' group is followed 359 days at most: the restricted means stop there.
    assert rmst["horizon"] == 359 and rmst["asked_horizon"] == 365
    assert rmst["with"] > rmst["without"]
    assert abs(rmst["difference"] - (rmst["with"] - rmst["without"])) <= 0.011  # each rounded
    assert rmst["ci"][0] < rmst["difference"] < rmst["ci"][1]
    assert report["value"]["monthly_value_mean"] == 90.0
    assert report["value"]["difference"] > 0
    assert "feelings were acknowledged stayed on average" in report["value"]["sentence"]
    assert report["left_out"] == {"ended_before_call": 1, "no_call_in_window": 1}
    assert "association" in report["association"]


def test_renewal_cohort_censoring_by_and_errors(app, engine, cli, tmp_path):
    _load(engine, cli, tmp_path)
    result = cli("survival", "--cohort", "renewal", "--as-of", "2025-03-01", "--format", "json")
    report = json.loads(result.output)
    assert [(g["n"], g["events"]) for g in report["groups"]] == [(1, 0), (1, 1)]
    assert report["left_out"]["no_anchor"] == 13
    table = cli("survival", "--by", "segment", "--as-of", "2025-12-31")
    assert table.exit_code == 0, table.output
    assert "segment = smb" in table.output and "association" in table.output
    wrong = cli("survival", "--flag", "kindness")
    assert wrong.exit_code == 1
    assert "unknown flag 'kindness'" in wrong.output and "acknowledged" in wrong.output


def test_the_as_of_day_counts_whole(app, engine, cli, tmp_path):
    _load(engine, cli, tmp_path)

    def groups(as_of):
        result = cli("survival", "--as-of", as_of, "--format", "json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        return {g["group"]: (g["n"], g["events"]) for g in report["groups"]}, report

    # N0 ended at 10:00 on 2025-02-05, 30 days after its call: an end on the as-of day.
    by_group, report = groups("2025-02-05")
    assert by_group["without"] == (7, 1) and report["as_of"] == "2025-02-05"
    # The calls were at 10:00 on 2025-01-06: on the as-of day, so seen.
    by_group, _ = groups("2025-01-06")
    assert sum(n for n, _ in by_group.values()) == 13
