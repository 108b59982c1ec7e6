"""The survival page's sentence: the days first, compared with those without, then the money,
and no money from groups too small to stand behind."""

from __future__ import annotations

from qa_app.domain.survival.analysis import compare, value_sentence
from qa_app.domain.survival.cohorts import Member


def test_the_days_are_compared_before_the_money_is_named():
    text = value_sentence("acknowledged", 365, 56.2, 184.4, [12.0, 100.0])
    assert text == (
        "In their first year, customers whose feelings were acknowledged stayed on average 56 "
        "days longer than those without (95% interval 12 to 100 days). At their monthly value "
        "that is about 184 per customer more (in the currency of monthly_value)."
    )


def test_the_money_carries_the_organisations_currency():
    text = value_sentence("acknowledged", 365, 56.2, 1184.4, [12.0, 100.0], "EUR")
    assert text.endswith("At their monthly value that is about €1,184 per customer more.")
    assert value_sentence("acknowledged", 365, -5.0, -40.0, None, "CHF").endswith(
        "about CHF 40 per customer less."
    )


def test_the_restricted_mean_stops_where_follow_up_ends():
    """Follow-up ends at 180 days in one group: the headline speaks of the first 180 days,
    not a year whose last half no one was followed through."""
    members = [member(n, n % 2 == 0, 20.0 + n * 3, n % 4 == 0) for n in range(60)]
    members += [member(100 + n, True, 400.0, False) for n in range(10)]  # only 'with' go far
    report = compare(members, 365, "acknowledged")
    assert report["rmst"]["horizon"] == 197.0 and report["rmst"]["asked_horizon"] == 365
    assert report["value"]["sentence"].startswith("In their first 197 days, customers")
    assert any("the 'without' group is followed for 197 days at most" in w
               and "over the first 197 days, not the 365 asked for" in w
               for w in report["warnings"])  # fmt: skip


def test_an_interval_through_zero_and_no_money():
    text = value_sentence("acknowledged", 180, -3.0, None, [-20.0, 14.0])
    assert text.startswith("In their first 180 days, customers")
    assert "3 days less long than those without (95% interval -20 to 14 days); the" in text
    assert text.endswith("includes no difference at all.") and "monthly value" not in text


def member(n: int, exposed: bool, days: float, ended: bool) -> Member:
    return Member(f"K{n}", f"C{n}", exposed, days, ended, None, None, None, None, 100.0)


def test_small_groups_give_no_money_figure():
    members = [member(n, n % 2 == 0, 30.0 + n * 10, n % 3 == 0) for n in range(12)]
    report = compare(members, 365, "acknowledged")
    assert all(group["small"] for group in report["groups"])
    sentence = report["value"]["sentence"]
    assert "stayed on average" in sentence and "monthly value" not in sentence
