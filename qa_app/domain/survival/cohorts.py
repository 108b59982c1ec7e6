"""Survival cohorts: which customers are compared, from when, and who is left out.

Plain records in (customers, their events, reviewed calls with flags), a cohort out; no Flask,
no database. :func:`build_cohort` takes each customer's first reviewed call within the window
around an anchor (onboarding, a renewal or an incident) and times it to the customer's end or
to as-of; qa_app.domain.survival.analysis then compares the customers with and without the
flag.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

COHORTS = ("onboarding", "renewal", "incident")
# (days before the anchor, days after it) by default; --window W makes it (0, W), or (W, W)
# for renewals, which are looked at on both sides of the renewal date.
DEFAULT_WINDOWS = {"onboarding": (0, 30), "renewal": (30, 30), "incident": (0, 14)}
ANCHOR_KINDS = {"renewal": "renewal", "incident": "incident"}
DEFAULT_FLAG = "acknowledged"
LEFT_OUT_REASONS = {
    "no_anchor": "no {anchor} event",
    "no_call_in_window": "no reviewed call in the window",
    "ended_before_call": "ended before their first reviewed call in the window",
    "flag_not_applicable": "the flag was not applicable (N/A) on that call",
}


class SurvivalError(ValueError):
    """The analysis cannot run as asked; the message says what to change."""


@dataclass(frozen=True)
class CustomerRecord:
    customer_id: str
    onboarded_at: datetime
    ended_at: datetime | None = None
    segment: str | None = None
    monthly_value: float | None = None


@dataclass(frozen=True)
class EventRecord:
    customer_id: str
    at: datetime
    kind: str


@dataclass(frozen=True)
class CallRecord:
    call_id: str
    customer_id: str
    started_at: datetime
    flags: Mapping[str, bool | None]
    channel: str | None = None
    interaction_type: str | None = None
    agent_tenure_days: int | None = None


@dataclass(frozen=True)
class Member:
    """One customer in the cohort: time from their call to the end (or to as-of)."""

    customer_id: str
    call_id: str
    exposed: bool
    days: float
    ended: bool
    segment: str | None
    channel: str | None
    interaction_type: str | None
    agent_tenure_days: int | None
    monthly_value: float | None


@dataclass
class Cohort:
    cohort: str
    flag: str
    as_of: datetime
    window: tuple[int, int]
    members: list[Member]
    left_out: dict[str, int] = field(default_factory=dict)


def latest_date(
    customers: Iterable[CustomerRecord], events: Iterable[EventRecord], calls: Iterable[CallRecord]
) -> datetime | None:
    """The latest moment anywhere in the data: the default as-of date."""
    moments = [c.onboarded_at for c in customers] + [c.ended_at for c in customers if c.ended_at]
    moments += [e.at for e in events] + [c.started_at for c in calls]
    return max(moments, default=None)


def window_for(cohort: str, window: int | None) -> tuple[int, int]:
    """(days before, days after) the anchor in which the customer's first call is looked for."""
    if cohort not in COHORTS:
        raise SurvivalError(f"unknown cohort '{cohort}'; choose one of {', '.join(COHORTS)}")
    if window is None:
        return DEFAULT_WINDOWS[cohort]
    if window < 0:
        raise SurvivalError("the window is a number of days, 0 or more")
    return (window, window) if cohort == "renewal" else (0, window)


def build_cohort(
    customers: Sequence[CustomerRecord],
    events: Sequence[EventRecord],
    calls: Sequence[CallRecord],
    cohort: str = "onboarding",
    flag: str = DEFAULT_FLAG,
    as_of: datetime | None = None,
    window: int | None = None,
) -> Cohort:
    """Each customer's first reviewed call within the window around an anchor, with the flag.

    Anchors: onboarding; any renewal event (on both sides); any incident event (after it).
    Calls after ``as_of`` are not seen. Time runs from that call to ``ended_at``; a customer
    who ended after ``as_of``, or not at all, is censored at ``as_of``. Customers with no
    anchor, no call in the window, an end before the call, or an N/A flag are left out and
    counted by reason in ``left_out``.
    """
    before, after = window_for(cohort, window)
    as_of = as_of or latest_date(customers, events, calls)
    if as_of is None:
        return Cohort(cohort, flag, datetime.now(), (before, after), [], {})
    calls_by_customer: dict[str, list[CallRecord]] = {}
    for call in calls:
        if call.customer_id and call.started_at <= as_of:
            calls_by_customer.setdefault(call.customer_id, []).append(call)
    anchors: dict[str, list[datetime]] = {}
    if cohort == "onboarding":
        anchors = {c.customer_id: [c.onboarded_at] for c in customers}
    else:
        for event in events:
            if event.kind == ANCHOR_KINDS[cohort] and event.at <= as_of:
                anchors.setdefault(event.customer_id, []).append(event.at)
    members, left_out = [], Counter()
    for customer in customers:
        moments = anchors.get(customer.customer_id)
        if not moments:
            left_out["no_anchor"] += 1
            continue
        spans = [(m - timedelta(days=before), m + timedelta(days=after)) for m in moments]
        in_window = sorted(
            (
                c
                for c in calls_by_customer.get(customer.customer_id, ())
                if any(low <= c.started_at <= high for low, high in spans)
            ),
            key=lambda c: (c.started_at, c.call_id),
        )
        if not in_window:
            left_out["no_call_in_window"] += 1
            continue
        call = in_window[0]
        if flag not in call.flags:
            known = ", ".join(sorted(call.flags)) or "none"
            raise SurvivalError(f"unknown flag '{flag}'; the rubric's flags: {known}")
        if customer.ended_at is not None and customer.ended_at < call.started_at:
            left_out["ended_before_call"] += 1
            continue
        if call.flags[flag] is None:
            left_out["flag_not_applicable"] += 1
            continue
        ended = customer.ended_at is not None and customer.ended_at <= as_of
        end = customer.ended_at if ended else as_of
        members.append(
            Member(
                customer.customer_id,
                call.call_id,
                bool(call.flags[flag]),
                (end - call.started_at).total_seconds() / 86400,
                ended,
                customer.segment,
                call.channel,
                call.interaction_type,
                call.agent_tenure_days,
                customer.monthly_value,
            )
        )
    return Cohort(cohort, flag, as_of, (before, after), members, dict(left_out))


def describe_left_out(cohort: Cohort) -> list[str]:
    """One sentence per reason customers were left out, with how many."""
    anchor = ANCHOR_KINDS.get(cohort.cohort, "onboarding")
    return [
        f"{count} customer(s): {LEFT_OUT_REASONS[reason].format(anchor=anchor)}"
        for reason, count in sorted(cohort.left_out.items())
        if count
    ]
