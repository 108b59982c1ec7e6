"""What happened after outreach (issue 15, "Tracking"): contact rate, opt-outs after outreach,
resolution pathways, and 90-day churn and spend of alerted customers against comparable
customers who met the same signals but were not alerted (the daily cap held them back, or the
rules did not exist yet).

Plain rows in, a plain dict out; qa_app.store.outreach.outcomes reads the rows. Intervals
and tests come from statsmodels (Wilson, Newcombe's hybrid score, Welch). The two groups share
no customer: anyone alerted by the as-of date is only in the alerted group, so the intervals'
independent-samples assumption holds. The comparison is
observational: the alert went to customers a rule picked and a cap or the calendar did not
hold back, so any difference is an association, never the effect of the outreach.

Windows: a customer's 90 days are the 90 calendar days after the alert (or comparison) day,
day+1 through day+90. Churn counts a customer whose end date falls in them; spend sums their
``spend`` events in them. Only customers whose 90 days have ended by the as-of date are
compared; the rest are counted as still in follow-up. The as-of date may not be after today
(AsOfError): a later one would count customers as followed up before their 90 days are over.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from qa_app.domain.outreach.opening import CONTACTED, PATHWAYS

FOLLOW_UP_DAYS = 90
# Below this many customers (or alerts) a group gets a warning and no interval.
MIN_GROUP = 10
# Spend is skewed and often zero: Welch's interval leans on the group means being close to
# normal, which needs more customers than a proportion does. At 30 per group a seeded
# zero-heavy, log-normal simulation keeps about 95% coverage (94.3%,
# tests/domain/outreach/test_outcomes.py). It is not a cure: when one group has much heavier
# tails than the other (60% zeros, sigma 1.5 against 70% zeros, sigma 1.0) coverage was about
# 81% at 30 per group and 77% at 10, hence SPEND_CAVEAT beside every spend figure.
MIN_SPEND_GROUP = 30
SPEND_CAVEAT = (
    "Spend is skewed: the interval (Welch's) assumes the group means are close to normal; a "
    "few very large spenders in one group can make it too narrow."
)
SOURCES = {"daily_cap": "held back by the daily cap", "before_rules": "before the rules existed"}
ASSOCIATION = (
    "An association, not an effect: alerts went to customers a rule picked on days the cap "
    "left room; the comparison customers met the same signals but were held back by the daily "
    "cap or met them before the rules existed. Other differences between the groups may "
    "explain any gap."
)


class AsOfError(ValueError):
    """An as-of date the report cannot be made for."""


def check_as_of(as_of: date, today: date) -> None:
    """Refuse an as-of date after ``today`` (UTC): follow-up windows would count as over
    before they are."""
    if as_of > today:
        raise AsOfError(
            f"as-of date {as_of.isoformat()} is after today ({today.isoformat()}, UTC): "
            f"customers would count as followed up for {FOLLOW_UP_DAYS} days before those days "
            "are over; give today or an earlier day"
        )


@dataclass(frozen=True)
class AlertRow:
    customer_id: str
    day: date
    status: str
    pathway: str | None = None
    credit: float | None = None
    do_not_contact: bool = False
    closed_at: datetime | None = None


@dataclass(frozen=True)
class ComparisonRow:
    """A customer who met the rules on ``day`` without being alerted; ``source`` says why:
    ``daily_cap`` (a guard held them back) or ``before_rules`` (no alerts were made yet)."""

    customer_id: str
    day: date
    source: str


@dataclass(frozen=True)
class SpendRow:
    customer_id: str
    at: datetime
    value: float


def _end(day: date) -> date:
    return day + timedelta(days=FOLLOW_UP_DAYS)


def _in_window(moment: datetime | date, day: date) -> bool:
    """True when ``moment`` falls on day+1 .. day+90."""
    on = moment.date() if isinstance(moment, datetime) else moment
    return day < on <= _end(day)


def _rate(count: int, n: int, what: str) -> dict:
    """A proportion with its Wilson interval, or a warning and no interval for a small n."""
    from statsmodels.stats.proportion import proportion_confint

    result = {"count": count, "n": n, "rate": count / n if n else None, "ci": None}
    if n == 0:
        result["warning"] = f"No {what} yet."
        return result
    if n < MIN_GROUP:
        result["warning"] = (
            f"Only {n} {what}: too few for an interval (at least {MIN_GROUP} are needed)."
        )
        return result
    low, high = proportion_confint(count, n, alpha=0.05, method="wilson")
    result["ci"] = [float(low), float(high)]
    result["warning"] = None
    return result


def contact_rate(alerts: Sequence[AlertRow]) -> dict:
    """Closed alerts in which someone spoke with the customer (any pathway but no contact)."""
    closed = [a for a in alerts if a.status == "closed"]
    reached = sum(1 for a in closed if a.pathway in CONTACTED)
    return _rate(reached, len(closed), "closed alerts")


def opt_out_rate(
    alerts: Sequence[AlertRow], opt_outs: Mapping[str, Sequence[datetime]], as_of: date
) -> dict:
    """Contacted customers who opted out within 90 days of the alert: asked not to be
    contacted when the alert was closed, were recorded as opted out in the app, or have an
    ``opt_out`` event. Counted per alert, and only for alerts whose 90 days have ended by
    ``as_of`` (as in follow()); the others are counted in ``in_window``, since counting them
    would push the rate down with opt-outs that may still come."""
    contacted = [a for a in alerts if a.status == "closed" and a.pathway in CONTACTED]
    due = [a for a in contacted if _end(a.day) <= as_of]
    opted = 0
    for alert in due:
        later = any(
            alert.day <= moment.date() <= _end(alert.day)
            for moment in opt_outs.get(alert.customer_id, ())
        )
        opted += alert.do_not_contact or later
    result = _rate(opted, len(due), f"contacted alerts with {FOLLOW_UP_DAYS} days behind them")
    result["in_window"] = len(contacted) - len(due)
    return result


def pathways(alerts: Sequence[AlertRow]) -> list[dict]:
    """Each resolution pathway's count and share of closed alerts, with Wilson intervals, and
    the credit given along it."""
    closed = [a for a in alerts if a.status == "closed"]
    counts = Counter(a.pathway for a in closed)
    rows = []
    for key, label in PATHWAYS.items():
        credits = [a.credit for a in closed if a.pathway == key and a.credit]
        rows.append(
            {
                "pathway": key,
                "label": label,
                **_rate(counts.get(key, 0), len(closed), "closed alerts"),
                "with_credit": len(credits),
                "credit_total": round(sum(credits), 2),
            }
        )
    return rows


@dataclass(frozen=True)
class Member:
    """One customer in a group, from their first day in it."""

    customer_id: str
    day: date
    source: str


def first_days(rows: Iterable[tuple[str, date, str]]) -> list[Member]:
    """Each customer once, on their earliest day (ties: the first source given)."""
    first: dict[str, Member] = {}
    for customer_id, day, source in rows:
        if customer_id not in first or day < first[customer_id].day:
            first[customer_id] = Member(customer_id, day, source)
    return sorted(first.values(), key=lambda m: (m.day, m.customer_id))


@dataclass
class Followed:
    """A group's customers split into those whose 90 days have ended and those still in them."""

    churned: list[bool]
    spend: list[float]
    in_follow_up: int
    ended_before: int  # customers who had already left by their day (not at risk: left out)


def follow(
    members: Sequence[Member],
    ended_at: Mapping[str, datetime | None],
    spend: Mapping[str, Sequence[SpendRow]],
    as_of: date,
) -> Followed:
    """Churn and 90-day spend of each member whose 90 days have fully elapsed by ``as_of``."""
    result = Followed([], [], 0, 0)
    for member in members:
        ended = ended_at.get(member.customer_id)
        if ended is not None and ended.date() <= member.day:
            result.ended_before += 1
            continue
        if _end(member.day) > as_of:
            result.in_follow_up += 1
            continue
        result.churned.append(ended is not None and _in_window(ended, member.day))
        result.spend.append(
            sum(s.value for s in spend.get(member.customer_id, ()) if _in_window(s.at, member.day))
        )
    return result


def _too_small(alerted: int, compared: int, minimum: int = MIN_GROUP, why: str = "") -> str | None:
    if min(alerted, compared) >= minimum:
        return None
    return (
        f"Too few customers to compare ({alerted} alerted, {compared} in the comparison group "
        f"with 90 days of follow-up; at least {minimum} in each are needed{why}): no interval."
    )


def churn_comparison(alerted: Followed, compared: Followed) -> dict:
    """90-day churn of the two groups, their difference (alerted minus comparison) with
    Newcombe's hybrid score interval and the score test's p-value."""
    from statsmodels.stats.proportion import test_proportions_2indep

    from qa_app.domain.comparison_statistics import rate_difference_interval

    groups = {}
    for name, group in (("alerted", alerted), ("comparison", compared)):
        n, count = len(group.churned), sum(group.churned)
        groups[name] = _rate(count, n, "customers with 90 days of follow-up")
    a, c = groups["alerted"], groups["comparison"]
    result = {**groups, "difference": None, "ci": None, "p_value": None, "association": True}
    result["warning"] = _too_small(a["n"], c["n"])
    if a["n"] and c["n"]:
        result["difference"] = a["rate"] - c["rate"]
    if result["warning"] is None:
        result["ci"] = rate_difference_interval(a["rate"], a["n"], c["rate"], c["n"])
        if a["count"] + c["count"] in (0, a["n"] + c["n"]):
            # Nobody (or everybody) left in both groups: the score test divides by zero.
            result["p_value"] = 1.0
        else:
            test = test_proportions_2indep(
                a["count"], a["n"], c["count"], c["n"], method="score", compare="diff"
            )
            result["p_value"] = float(test.pvalue)
    return result


def spend_comparison(alerted: Followed, compared: Followed, minimum: int = MIN_SPEND_GROUP) -> dict:
    """Mean 90-day spend of the two groups and the difference (alerted minus comparison)
    with Welch's interval and test (unequal variances), given at least ``minimum`` customers
    in each group (spend is skewed, see MIN_SPEND_GROUP)."""
    from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

    def side(values: list[float]) -> dict:
        return {"n": len(values), "mean": sum(values) / len(values) if values else None}

    a, c = side(alerted.spend), side(compared.spend)
    result = {
        "alerted": a,
        "comparison": c,
        "difference": a["mean"] - c["mean"] if a["n"] and c["n"] else None,
        "ci": None,
        "p_value": None,
        "association": True,
        "warning": _too_small(
            a["n"],
            c["n"],
            minimum,
            " because spend is skewed and often zero, and the "
            "interval needs the group means to be close to normal",
        ),
        "caveat": SPEND_CAVEAT,
    }
    if result["warning"] is None:
        both = [*alerted.spend, *compared.spend]
        if max(both) == min(both):
            result["warning"] = "Every customer spent the same: no interval."
            return result
        means = CompareMeans(DescrStatsW(alerted.spend), DescrStatsW(compared.spend))
        with warnings.catch_warnings():
            # One group with no spread gives a zero variance term; Welch's formula still holds.
            warnings.filterwarnings("ignore", category=RuntimeWarning)
            low, high = means.tconfint_diff(alpha=0.05, usevar="unequal")
            _t, p_value, _df = means.ttest_ind(usevar="unequal")
        result["ci"] = [float(low), float(high)]
        result["p_value"] = float(p_value) if not math.isnan(p_value) else None
    return result


def tracking_report(
    alerts: Sequence[AlertRow],
    comparison: Sequence[ComparisonRow],
    opt_outs: Mapping[str, Sequence[datetime]],
    ended_at: Mapping[str, datetime | None],
    spend_rows: Sequence[SpendRow],
    as_of: date,
    notes: Sequence[str] = (),
) -> dict:
    """Everything the report shows, as plain JSON-ready values. ``notes`` are caveats from
    the caller (e.g. which rules the "before" group was evaluated with)."""
    spend: dict[str, list[SpendRow]] = {}
    for row in spend_rows:
        spend.setdefault(row.customer_id, []).append(row)
    alerted = first_days((a.customer_id, a.day, "alert") for a in alerts if a.day <= as_of)
    first_alert = {m.customer_id: m.day for m in alerted}
    # The groups share no customer: anyone alerted by the as-of date is only in the alerted
    # group. A customer the daily cap held back is often alerted a day or two later; kept in
    # both groups they would be counted twice, pull the difference toward zero and break the
    # independent-samples assumption of the intervals.
    seen_comparison = [r for r in comparison if r.day <= as_of]
    excluded = {r.customer_id for r in seen_comparison if r.customer_id in first_alert}
    usable = [r for r in seen_comparison if r.customer_id not in first_alert]
    by_source = {
        source: first_days((r.customer_id, r.day, r.source) for r in usable if r.source == source)
        for source in SOURCES
    }
    pooled = first_days(
        (m.customer_id, m.day, m.source) for members in by_source.values() for m in members
    )
    followed_alerted = follow(alerted, ended_at, spend, as_of)
    followed_pooled = follow(pooled, ended_at, spend, as_of)
    churn = churn_comparison(followed_alerted, followed_pooled)
    spend_90d = spend_comparison(followed_alerted, followed_pooled)
    breakdown = {}
    for source, members in by_source.items():
        followed = follow(members, ended_at, spend, as_of)
        breakdown[source] = {
            "label": SOURCES[source],
            "customers": len(members),
            "in_follow_up": followed.in_follow_up,
            "churn_90d": churn_comparison(followed_alerted, followed),
            "spend_90d": spend_comparison(followed_alerted, followed),
        }
    seen = [a for a in alerts if a.day <= as_of]
    return {
        "as_of": as_of.isoformat(),
        "follow_up_days": FOLLOW_UP_DAYS,
        "alerts": len(seen),
        "closed_alerts": sum(1 for a in seen if a.status == "closed"),
        "contact_rate": contact_rate(seen),
        "opt_out_rate": opt_out_rate(seen, opt_outs, as_of),
        "pathways": pathways(seen),
        "churn_90d": churn,
        "spend_90d": spend_90d,
        "in_follow_up": {
            "alerted": followed_alerted.in_follow_up,
            "comparison": followed_pooled.in_follow_up,
        },
        "left_before_day": {
            "alerted": followed_alerted.ended_before,
            "comparison": followed_pooled.ended_before,
        },
        "comparison_sources": breakdown,
        # Customers who met the signals without an alert but were alerted too (before or
        # after): counted only in the alerted group.
        "comparison_excluded_alerted": len(excluded),
        "association": True,
        "association_note": ASSOCIATION,
        "notes": [*notes, *_exclusion_note(len(excluded))],
    }


def _exclusion_note(count: int) -> list[str]:
    if not count:
        return []
    return [
        f"{count} customer(s) held back by the daily cap or found before the rules were also "
        "alerted: they count only in the alerted group, so no customer is in both groups. "
        "Whether someone was alerted later can depend on what happened after their day, so "
        "leaving them out of the comparison group may shift it either way."
    ]
