"""Tracking what happened after outreach (issue 15) on hand-made rows: each rate, the 90-day
windows at their edges, follow-up still running, small groups, groups that share no customer,
the as-of date, the association label, the intervals against published values, and the
churn- and spend-difference intervals' coverage."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta

import pytest

from qa_app.domain.outreach.outcomes import (
    MIN_SPEND_GROUP,
    AlertRow,
    AsOfError,
    ComparisonRow,
    Followed,
    Member,
    SpendRow,
    check_as_of,
    churn_comparison,
    contact_rate,
    follow,
    opt_out_rate,
    pathways,
    spend_comparison,
    tracking_report,
)

DAY = date(2026, 3, 1)
AS_OF = date(2026, 11, 30)


def at(day: date, days: int = 0) -> datetime:
    return datetime.combine(day + timedelta(days=days), datetime.min.time()).replace(hour=12)


def closed(customer: str, pathway: str, dnc: bool = False, credit=None) -> AlertRow:
    return AlertRow(customer, DAY, "closed", pathway, credit, dnc, at(DAY, 2))


def test_contact_rate_counts_closed_alerts_with_someone_reached():
    alerts = [closed(f"C{i}", "apology_and_fix") for i in range(6)]
    alerts += [closed(f"D{i}", "customer_declined") for i in range(3)]
    alerts += [closed(f"N{i}", "no_contact") for i in range(3)]
    alerts.append(AlertRow("OPEN", DAY, "open"))  # not closed: not counted
    rate = contact_rate(alerts)
    assert (rate["count"], rate["n"], rate["rate"]) == (9, 12, 0.75)
    low, high = rate["ci"]
    assert low < 0.75 < high and rate["warning"] is None


def test_wilson_interval_matches_newcombe_1998_single_proportion():
    # Newcombe RG (1998) Two-sided confidence intervals for the single proportion: comparison
    # of seven methods. Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score):
    # 81/263 -> 0.2553 to 0.3662; 15/148 -> 0.0624 to 0.1605.
    for reached, n, expected in ((81, 263, (0.2553, 0.3662)), (15, 148, (0.0624, 0.1605))):
        alerts = [closed(f"C{i}", "escalated") for i in range(reached)]
        alerts += [closed(f"N{i}", "no_contact") for i in range(n - reached)]
        assert contact_rate(alerts)["ci"] == pytest.approx(expected, abs=5e-5)


def test_opt_out_rate_after_outreach():
    opt_outs = {
        "EVENT30": [at(DAY, 30)],  # an opt_out event a month later: counted
        "EVENT91": [at(DAY, 91)],  # after the 90 days: not counted
        "BEFORE": [at(DAY, -5)],  # before the alert: not "after outreach"
        "NOCONTACT": [at(DAY, 3)],  # never reached: not in the denominator
    }
    alerts = [
        closed("DNC", "customer_declined", dnc=True),  # asked on the call: counted
        closed("EVENT30", "apology_and_fix"),
        closed("EVENT91", "apology_and_fix"),
        closed("BEFORE", "follow_up_scheduled"),
        closed("NOCONTACT", "no_contact"),
        *(closed(f"OK{i}", "escalated") for i in range(6)),
    ]
    rate = opt_out_rate(alerts, opt_outs, AS_OF)
    assert (rate["count"], rate["n"], rate["in_window"]) == (2, 10, 0)


@pytest.mark.parametrize(("days", "n", "in_window"), [(89, 0, 10), (90, 10, 0)])
def test_opt_out_rate_counts_only_alerts_whose_90_days_are_over(days, n, in_window):
    # Alerts on DAY: their 90 days end on DAY+90. One day short, none is counted (an opt-out
    # may still come), they are said to be still in their window; on DAY+90 all ten are.
    alerts = [closed("DNC", "customer_declined", dnc=True)]
    alerts += [closed(f"OK{i}", "escalated") for i in range(9)]
    rate = opt_out_rate(alerts, {"OK0": [at(DAY, 60)]}, DAY + timedelta(days=days))
    assert (rate["n"], rate["in_window"]) == (n, in_window)
    assert rate["count"] == (2 if n else 0)
    if n == 0:
        assert rate["rate"] is None and rate["warning"].startswith("No contacted alerts with 90")


def test_pathways_counts_shares_and_credit():
    alerts = [closed(f"A{i}", "apology_and_fix", credit=10.0 if i < 2 else None) for i in range(8)]
    alerts += [closed("E1", "escalated"), closed("E2", "escalated")]
    rows = {row["pathway"]: row for row in pathways(alerts)}
    assert list(rows) == [
        "apology_and_fix",
        "follow_up_scheduled",
        "escalated",
        "customer_declined",
        "no_contact",
    ]
    assert (rows["apology_and_fix"]["count"], rows["apology_and_fix"]["rate"]) == (8, 0.8)
    assert (rows["apology_and_fix"]["with_credit"], rows["apology_and_fix"]["credit_total"]) == (
        2,
        20.0,
    )
    assert rows["escalated"]["rate"] == 0.2 and rows["no_contact"]["count"] == 0


@pytest.mark.parametrize(("days", "churned"), [(89, True), (90, True), (91, False)])
def test_churn_window_is_the_90_days_after_the_day(days, churned):
    member = Member("K", DAY, "alert")
    followed = follow([member], {"K": at(DAY, days)}, {}, AS_OF)
    assert followed.churned == [churned]


def test_spend_window_and_customers_gone_before_their_day():
    spend = {
        "K": [
            SpendRow("K", at(DAY, 0), 1000.0),  # on the day itself: before the window
            SpendRow("K", at(DAY, 1), 10.0),
            SpendRow("K", at(DAY, 90), 5.0),
            SpendRow("K", at(DAY, 91), 1000.0),
        ]
    }
    members = [Member("K", DAY, "alert"), Member("GONE", DAY, "alert")]
    followed = follow(members, {"GONE": at(DAY, -1)}, spend, AS_OF)
    assert followed.spend == [15.0] and followed.ended_before == 1


def test_customers_still_in_follow_up_are_counted_not_compared():
    members = [Member("K", DAY, "alert")]
    assert follow(members, {}, {}, DAY + timedelta(days=89)).in_follow_up == 1
    done = follow(members, {}, {}, DAY + timedelta(days=90))
    assert done.in_follow_up == 0 and done.churned == [False]


def _group(left: int, n: int, spend: list[float] | None = None) -> Followed:
    return Followed([i < left for i in range(n)], spend or [0.0] * n, 0, 0)


def test_small_groups_get_a_warning_and_no_interval():
    result = churn_comparison(_group(3, 9), _group(5, 40))
    assert result["ci"] is None and result["p_value"] is None
    assert result["warning"].startswith("Too few customers to compare (9 alerted, 40")
    assert result["alerted"]["ci"] is None and "Only 9" in result["alerted"]["warning"]
    assert result["difference"] == pytest.approx(3 / 9 - 5 / 40)
    assert result["association"] is True
    spend = spend_comparison(_group(0, 9, [1.0] * 9), _group(0, 40, [2.0] * 40))
    assert spend["ci"] is None and "Too few" in spend["warning"]


def test_spend_needs_30_customers_per_group_and_says_why():
    # 29 alerted: churn gets its interval (10 suffice), spend does not, and the warning says
    # it is because spend is skewed; at 30 per group spend gets its interval too.
    rng = random.Random(4)
    values = [0.0 if rng.random() < 0.5 else rng.lognormvariate(4, 1) for _ in range(80)]
    short, enough = _group(3, 29, values[:29]), _group(3, 30, values[:30])
    other = _group(5, 40, values[40:])
    assert MIN_SPEND_GROUP == 30
    assert churn_comparison(short, other)["ci"] is not None
    spend = spend_comparison(short, other)
    assert spend["ci"] is None and spend["difference"] is not None
    assert spend["warning"].startswith("Too few customers to compare (29 alerted, 40")
    assert "at least 30 in each are needed because spend is skewed" in spend["warning"]
    assert "skewed" in spend["caveat"]
    spend = spend_comparison(enough, other)
    assert spend["warning"] is None and spend["ci"][0] < spend["difference"] < spend["ci"][1]


def test_newcombe_interval_matches_newcombe_1998_table_ii():
    # Newcombe RG (1998) Interval estimation for the difference between independent
    # proportions: comparison of eleven methods. Statistics in Medicine 17:873-890, Table II,
    # method 10 (hybrid score): 56/70 - 48/80 = 0.2000, 95% interval 0.0524 to 0.3339; and
    # 9/10 - 3/10 = 0.6000, 0.1705 to 0.8090. (statsmodels' own test of this method,
    # statsmodels/stats/tests/test_proportion.py::test_confint_2indep, uses Fagerland et al.
    # 2015's 7/34 - 1/34: 0.019 to 0.340, checked below too.)
    result = churn_comparison(_group(56, 70), _group(48, 80))
    assert result["difference"] == pytest.approx(0.2)
    assert result["ci"] == pytest.approx([0.0524, 0.3339], abs=5e-5)
    assert 0 < result["p_value"] < 0.05 and result["warning"] is None
    assert churn_comparison(_group(9, 10), _group(3, 10))["ci"] == pytest.approx(
        [0.1705, 0.8090], abs=5e-5
    )
    assert churn_comparison(_group(7, 34), _group(1, 34))["ci"] == pytest.approx(
        [0.019, 0.340], abs=5e-4
    )


def test_welch_interval_matches_r_t_test_sleep_example():
    # R Core Team, stats::t.test documentation example on Student's (1908) sleep data
    # (datasets::sleep), `t.test(extra ~ group, data = sleep)`: Welch t = -1.8608,
    # df = 17.776, p-value = 0.07939, 95 percent interval -3.3654832 to 0.2054832.
    group1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
    group2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
    # (10 per group, below the report's minimum of 30: the published case checks the method.)
    result = spend_comparison(_group(0, 10, group1), _group(0, 10, group2), minimum=10)
    assert result["difference"] == pytest.approx(0.75 - 2.33)
    assert result["ci"] == pytest.approx([-3.3654832, 0.2054832], abs=1e-6)
    assert result["p_value"] == pytest.approx(0.07939, abs=5e-6)


def test_churn_difference_interval_covers_the_truth_about_95_percent():
    # 400 seeded replications of two groups (60 and 45 customers, 30% and 20% leaving): the
    # Newcombe interval should hold the true difference (0.10) in about 95% of them. With 400
    # replications the Monte Carlo standard error is about 1.1 points, so we accept 92%-98%.
    rng = random.Random(15)
    covered = 0
    for _ in range(400):
        alerted = Followed([rng.random() < 0.3 for _ in range(60)], [0.0] * 60, 0, 0)
        compared = Followed([rng.random() < 0.2 for _ in range(45)], [0.0] * 45, 0, 0)
        low, high = churn_comparison(alerted, compared)["ci"]
        covered += low <= 0.1 <= high
    assert 0.92 <= covered / 400 <= 0.98


def test_spend_difference_interval_covers_the_truth_on_skewed_zero_heavy_spend():
    # 1000 seeded replications at the minimum group size (30 and 30): half the alerted and 60%
    # of the comparison customers spend nothing, the rest log-normal (mu 4, sigma 1 and 1.2),
    # so the true means are 0.5*exp(4.5) and 0.4*exp(4.72). Welch's interval should hold the
    # true difference in about 95% of replications; Monte Carlo standard error is about 0.7
    # points, so we accept 93%-97% (this seed: 94.3%). Much heavier tails in one group (60%
    # zeros, sigma 1.5 against 70% zeros, sigma 1.0) bring it down to about 81%: hence the
    # caveat shown with every spend figure.
    rng = random.Random(15)
    truth = 0.5 * math.exp(4 + 1 / 2) - 0.4 * math.exp(4 + 1.2**2 / 2)

    def spend(p_zero: float, sigma: float) -> list[float]:
        return [0.0 if rng.random() < p_zero else rng.lognormvariate(4, sigma) for _ in range(30)]

    covered = 0
    for _ in range(1000):
        alerted = Followed([False] * 30, spend(0.5, 1.0), 0, 0)
        compared = Followed([False] * 30, spend(0.6, 1.2), 0, 0)
        low, high = spend_comparison(alerted, compared)["ci"]
        covered += low <= truth <= high
    assert 0.93 <= covered / 1000 <= 0.97


def test_groups_share_no_customer_held_back_then_alerted_the_next_day():
    # The daily cap holds H0..H11 back on DAY; H0..H4 are alerted the next day (the cap is per
    # day). They count only as alerted; H5..H11 stay in the comparison group. H0 and H5 leave
    # within 90 days.
    alerts = [closed(f"A{i}", "apology_and_fix") for i in range(10)]
    alerts += [AlertRow(f"H{i}", DAY + timedelta(days=1), "closed", "escalated") for i in range(5)]
    comparison = [ComparisonRow(f"H{i}", DAY, "daily_cap") for i in range(12)]
    ended = {"H0": at(DAY, 20), "H5": at(DAY, 20)}
    report = tracking_report(alerts, comparison, {}, ended, [], AS_OF)
    churn = report["churn_90d"]
    assert (churn["alerted"]["n"], churn["alerted"]["count"]) == (15, 1)
    assert (churn["comparison"]["n"], churn["comparison"]["count"]) == (7, 1)
    assert report["comparison_sources"]["daily_cap"]["customers"] == 7
    assert report["comparison_excluded_alerted"] == 5
    assert report["notes"][-1].startswith("5 customer(s) held back by the daily cap or found")
    assert "no customer is in both groups" in report["notes"][-1]


def test_as_of_after_today_is_refused():
    check_as_of(DAY, DAY)  # today itself is fine
    with pytest.raises(AsOfError, match=r"as-of date 2026-03-02 is after today \(2026-03-01"):
        check_as_of(DAY + timedelta(days=1), DAY)


def test_report_groups_sources_and_labels_association():
    alerts = [closed(f"A{i}", "apology_and_fix") for i in range(12)]
    alerts.append(AlertRow("LATE", AS_OF - timedelta(days=10), "open"))  # still in follow-up
    comparison = [ComparisonRow(f"Q{i}", DAY, "daily_cap") for i in range(11)]
    comparison += [
        ComparisonRow(f"B{i}", DAY - timedelta(days=60), "before_rules") for i in range(4)
    ]
    # Held back before or after being alerted: only in the alerted group.
    comparison += [
        ComparisonRow("A0", DAY - timedelta(days=1), "daily_cap"),
        ComparisonRow("A1", DAY + timedelta(days=40), "daily_cap"),
    ]
    ended = {"A0": at(DAY, 30), "Q0": at(DAY, 30), "Q1": at(DAY, 60), "B0": at(DAY, 10)}
    spend = [SpendRow(f"A{i}", at(DAY, 10), 20.0 + i) for i in range(12)]
    report = tracking_report(alerts, comparison, {}, ended, spend, AS_OF, ["a note"])
    assert report["association"] is True and "association" in report["association_note"]
    assert report["in_follow_up"] == {"alerted": 1, "comparison": 0}
    churn = report["churn_90d"]
    assert (churn["alerted"]["n"], churn["alerted"]["count"]) == (12, 1)
    # 11 held back by the cap and 4 before the rules; A0 and A1 were alerted.
    assert (churn["comparison"]["n"], churn["comparison"]["count"]) == (15, 3)  # Q0, Q1, B0
    assert churn["ci"] is not None and churn["warning"] is None
    assert report["comparison_excluded_alerted"] == 2
    sources = report["comparison_sources"]
    assert sources["daily_cap"]["customers"] == 11
    assert sources["before_rules"]["churn_90d"]["ci"] is None
    assert "Too few" in sources["before_rules"]["churn_90d"]["warning"]
    assert report["spend_90d"]["alerted"]["mean"] == pytest.approx(25.5)
    assert report["notes"][0] == "a note" and report["notes"][1].startswith("2 customer(s)")
