"""The demo's customer base: who was on each demo call, and what happened to them over time.

Every demo call gets a customer. Three calls in five come from a customer onboarded a few days
to four weeks earlier (their first call after onboarding); the rest from customers onboarded
up to two years before, around a renewal or soon after an incident. Each customer has monthly
NPS, spend and usage, yearly renewals while active, occasional incidents, and an end date
drawn from a hazard that is a little lower (by a quarter) after a call where their feelings
were acknowledged, and where the agent closed the emotional loop; NPS next month and spend
follow the same calls modestly. The same seed gives the same customers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from qa_app.domain.demo.calls import DemoData
from qa_app.domain.imports.customers import CustomerRecord, EventRecord

SEED = 20261203
AS_OF = datetime(2026, 11, 30, tzinfo=UTC)
EARLIEST = datetime(2024, 11, 1, tzinfo=UTC)
SEGMENTS = {"consumer": (0.7, 28.0), "small_business": (0.25, 95.0), "enterprise": (0.05, 640.0)}
NEW_CUSTOMER_SHARE = 0.6
# Monthly hazard of leaving, and how a call with the behaviour changes it.
BASE_MONTHLY_HAZARD = 0.1
ACKNOWLEDGED_HAZARD_RATIO = 0.75
LOOP_CLOSED_HAZARD_RATIO = 0.85


@dataclass
class DemoCustomers:
    customers: list[CustomerRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    call_customer: dict[str, str] = field(default_factory=dict)  # call_id -> customer_id


def _segment(rng: random.Random) -> tuple[str, float]:
    roll, total = rng.random(), 0.0
    for name, (share, value) in SEGMENTS.items():
        total += share
        if roll <= total:
            return name, round(value * rng.uniform(0.7, 1.3), 2)
    return "consumer", 28.0


def _months(start: datetime, end: datetime):
    """The first of each month from the month after ``start`` through ``end``."""
    year, month = start.year, start.month
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        moment = datetime(year, month, 1, 9, 0, tzinfo=UTC)
        if moment > end:
            return
        yield moment


def generate_customers(data: DemoData, seed: int = SEED) -> DemoCustomers:
    """Customers, their events, and the customer of every demo call."""
    rng = random.Random(seed)
    result = DemoCustomers()
    row = 0
    for call in sorted(data.calls, key=lambda c: (c.started_at, c.call_id)):
        row += 1
        levels = data.true_levels[call.call_id]
        customer_id = f"CUST-{row:04d}"
        segment, value = _segment(rng)
        anchor_events: list[tuple[datetime, str, float | None]] = []
        if rng.random() < NEW_CUSTOMER_SHARE:
            onboarded = call.started_at - timedelta(days=rng.uniform(1, 28))
        else:
            onboarded = EARLIEST + timedelta(
                days=rng.uniform(0, max(1, (call.started_at - EARLIEST).days - 60))
            )
            if rng.random() < 0.5:  # an incident a few days before the call
                anchor_events.append(
                    (call.started_at - timedelta(days=rng.uniform(1, 10)), "incident", None)
                )
        hazard = BASE_MONTHLY_HAZARD
        if levels["acknowledgment"] >= 4:
            hazard *= ACKNOWLEDGED_HAZARD_RATIO
        if levels["loop_closure"] >= 4:
            hazard *= LOOP_CLOSED_HAZARD_RATIO
        # Time to leaving, counted from the call (customers do not leave before calling).
        months = rng.expovariate(hazard)
        ended = call.started_at + timedelta(days=30.4 * months)
        ended_at = ended if ended <= AS_OF else None
        last = ended_at or AS_OF
        result.customers.append(
            CustomerRecord(row, customer_id, onboarded, ended_at, segment, value)
        )
        result.call_customer[call.call_id] = customer_id
        warmth = (levels["acknowledgment"] - 3) * 0.35 + (levels["loop_closure"] - 3) * 0.25
        events = list(anchor_events)
        renewal = onboarded + timedelta(days=365)
        while renewal <= last:
            events.append((renewal, "renewal", None))
            renewal += timedelta(days=365)
        for month in _months(onboarded, last):
            after_call = month > call.started_at
            nps = 7.0 + rng.gauss(0, 1.6) + (warmth if after_call else 0.0)
            events.append((month, "nps", float(max(0, min(10, round(nps))))))
            spend = value * (1 + (0.04 * warmth if after_call else 0.0)) * rng.uniform(0.85, 1.15)
            events.append((month, "spend", round(spend, 2)))
            # Usage dips in the weeks before a customer leaves.
            leaving = ended_at is not None and month > last - timedelta(days=45)
            usage = 100 * rng.uniform(0.8, 1.2) * (0.6 if leaving else 1.0)
            events.append((month + timedelta(days=14), "usage", round(usage, 1)))
            if rng.random() < 0.03:
                events.append((month + timedelta(days=rng.uniform(1, 25)), "incident", None))
        for at, kind, amount in sorted(events, key=lambda e: (e[0], e[1])):
            if at > last or at < onboarded:
                continue
            result.events.append(EventRecord(0, customer_id, at, kind, amount, ""))
    return result


# The demo's outreach pilot: customers let down on a call (acknowledgment at 2 or below)
# before PILOT_END, a week after the call. Most were alerted and their alerts closed; the rest
# were held back by the daily cap, so the Outreach page's "What happened next" has both groups
# with their 90 days behind them. Generated here, not evaluated by the rules (the demo's few
# months of calls are too short for the rules to find enough customers).
PILOT_END = datetime(2026, 8, 25, tzinfo=UTC)
PILOT_DELAY_DAYS = 7
PILOT_HELD_BACK_SHARE = 0.4
# (pathway, weight): most conversations end in an apology and a fix.
PILOT_PATHWAYS = (
    ("apology_and_fix", 0.45),
    ("follow_up_scheduled", 0.2),
    ("escalated", 0.1),
    ("customer_declined", 0.1),
    ("no_contact", 0.15),
)


@dataclass(frozen=True)
class PilotAlert:
    customer_id: str
    call_id: str
    day: date
    team: str
    pathway: str
    credit: float | None
    do_not_contact: bool


@dataclass(frozen=True)
class PilotHeldBack:
    customer_id: str
    day: date
    team: str


def outreach_pilot(
    data: DemoData, base: DemoCustomers, seed: int = SEED
) -> tuple[list[PilotAlert], list[PilotHeldBack]]:
    """The pilot's closed alerts and the customers the daily cap held back (same seed, same
    pilot)."""
    rng = random.Random(seed + 15)
    alerts, held = [], []
    for call in sorted(data.calls, key=lambda c: (c.started_at, c.call_id)):
        if call.started_at >= PILOT_END or data.true_levels[call.call_id]["acknowledgment"] > 2:
            continue
        customer_id = base.call_customer[call.call_id]
        day = (call.started_at + timedelta(days=PILOT_DELAY_DAYS)).date()
        if rng.random() < PILOT_HELD_BACK_SHARE:
            held.append(PilotHeldBack(customer_id, day, call.team))
            continue
        pathway = rng.choices(*zip(*PILOT_PATHWAYS, strict=True))[0]
        contacted = pathway != "no_contact"
        credit = round(rng.uniform(10, 60), 2) if contacted and rng.random() < 0.3 else None
        declined = pathway == "customer_declined" and rng.random() < 0.5
        alerts.append(
            PilotAlert(customer_id, call.call_id, day, call.team, pathway, credit, declined)
        )
    return alerts, held
