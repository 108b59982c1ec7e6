"""One outreach run: which customers meet a rule on a day, and which guards hold them back.

Plain records in, a :class:`RunPlan` out; qa_app.store.outreach.alerts reads the records and writes
the alerts. Guards are applied in this order, each customer counted once under the first that
holds: opted out, an open alert, an alert within the cooldown, the team's daily cap.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from qa_app.domain.outreach.rules import OutreachRules
from qa_app.domain.outreach.signals import OutreachCall, UsagePoint, find_signals, reasons

GUARD_REASONS = ("opted_out", "cooldown", "open_alert", "daily_cap")
NO_TEAM = "(no team)"


@dataclass(frozen=True)
class AlertDraft:
    """A customer who met a rule: the alert to create, or the one a guard held back."""

    customer_id: str
    call_id: str | None
    signals: tuple[str, ...]
    priority: int
    rule: str
    reasons: tuple[str, ...]
    team: str

    def as_json(self) -> dict:
        return {
            "customer_id": self.customer_id,
            "call_id": self.call_id,
            "signals": list(self.signals),
            "priority": self.priority,
        }


@dataclass
class GuardState:
    """What the guards need to know, as it stood before this run."""

    opted_out: set[str] = field(default_factory=set)
    open_alerts: set[str] = field(default_factory=set)
    # The day of each customer's latest alert, open or closed.
    last_alert_day: dict[str, date] = field(default_factory=dict)
    # Alerts already created on the run's day, per team (a second run the same day counts them).
    created_today: Counter = field(default_factory=Counter)


@dataclass
class RunPlan:
    as_of: date
    created: list[AlertDraft]
    suppressed: list[tuple[str, AlertDraft]]

    def counts(self) -> dict[str, int]:
        counted = Counter(reason for reason, _draft in self.suppressed)
        return {reason: counted.get(reason, 0) for reason in GUARD_REASONS}

    def as_json(self) -> dict:
        """The run as ``qa-app outreach run --format json`` prints it (issue 15)."""
        return {
            "as_of": self.as_of.isoformat(),
            "created": len(self.created),
            "suppressed": self.counts(),
            "alerts": [d.as_json() for d in self.created],
        }


def candidates(
    rules: OutreachRules,
    as_of: date,
    calls: Mapping[str, Sequence[OutreachCall]],
    usage: Mapping[str, Sequence[UsagePoint]],
    dimension_names: Mapping[str, str],
) -> list[AlertDraft]:
    """Every customer who meets a rule on ``as_of``, most urgent first (priority, then the
    number of signals, then customer id, so the daily cap keeps the most pressing)."""
    found = []
    for customer_id in sorted(set(calls) | set(usage)):
        customer_calls = calls.get(customer_id, ())
        findings = find_signals(customer_calls, usage.get(customer_id, ()), as_of, rules.settings)
        rule = rules.first_rule_met(findings.signals)
        if rule is None:
            continue
        trigger = findings.trigger
        if trigger is None and customer_calls:
            trigger = max(customer_calls, key=lambda c: c.started_at)
        found.append(
            AlertDraft(
                customer_id=customer_id,
                call_id=trigger.call_id if trigger else None,
                signals=tuple(s for s in _ORDER if s in findings.signals),
                priority=rule.priority,
                rule=rule.name,
                reasons=tuple(reasons(findings, dimension_names)),
                team=(trigger.team if trigger and trigger.team else NO_TEAM),
            )
        )
    found.sort(key=lambda d: (d.priority, -len(d.signals), d.customer_id))
    return found


_ORDER = ("empathy_absent", "usage_dip", "repeated_contacts", "negative_sentiment")


def apply_guards(
    rules: OutreachRules, as_of: date, drafts: Sequence[AlertDraft], state: GuardState
) -> RunPlan:
    """Split ``drafts`` into alerts to create and ones held back, with the guard that held
    each. A customer who opted out is never alerted, whatever the rules say."""
    created, suppressed = [], []
    per_team = Counter(state.created_today)
    for draft in drafts:
        customer = draft.customer_id
        last = state.last_alert_day.get(customer)
        if customer in state.opted_out:
            suppressed.append(("opted_out", draft))
        elif customer in state.open_alerts:
            suppressed.append(("open_alert", draft))
        elif last is not None and (as_of - last).days < rules.cooldown_days:
            suppressed.append(("cooldown", draft))
        elif per_team[draft.team] >= rules.daily_cap_per_team:
            suppressed.append(("daily_cap", draft))
        else:
            per_team[draft.team] += 1
            created.append(draft)
    return RunPlan(as_of, created, suppressed)


def plan_run(
    rules: OutreachRules,
    as_of: date,
    calls: Mapping[str, Sequence[OutreachCall]],
    usage: Mapping[str, Sequence[UsagePoint]],
    state: GuardState,
    dimension_names: Mapping[str, str] | None = None,
) -> RunPlan:
    """Signals, rules and guards for one day."""
    drafts = candidates(rules, as_of, calls, usage, dimension_names or {})
    return apply_guards(rules, as_of, drafts, state)
