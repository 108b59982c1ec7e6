"""Database side of humane outreach: the records a run needs, the alerts it writes, and the
changes leads and coaches make to them (assignment, closing, opt-outs), each audited.

Reviewed calls' final scores and flags come from the export's query (export_queries), so an
alert's "empathy absent" is the flag the flag spreadsheet shows. Moments are naive UTC.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from qa_app.domain.outreach.engine import GuardState, RunPlan, plan_run
from qa_app.domain.outreach.opening import CONTACTED, PATHWAYS
from qa_app.domain.outreach.rules import OutreachRules
from qa_app.domain.outreach.signals import OutreachCall, UsagePoint, is_customer_speaker, window
from qa_app.domain.rubrics.definitions import Rubric
from qa_app.models import (
    Call,
    Customer,
    CustomerEvent,
    OutreachAlert,
    OutreachOptOut,
    OutreachSuppression,
    TranscriptTurn,
    User,
    naive_utc,
    utcnow,
)
from qa_app.store import audit
from qa_app.store.flags.rows import iter_flag_rows, plan_export
from qa_app.store.reviews.queue import CallFilters

MAX_CREDIT = 1_000_000
MAX_NOTE = 2000


class OutreachError(ValueError):
    """A change that cannot be made; the message says why."""


@dataclass
class RunInputs:
    calls: dict[str, list[OutreachCall]]
    usage: dict[str, list[UsagePoint]]
    state: GuardState
    rubric: Rubric
    call_pks: dict[str, int]


def _span(rules: OutreachRules, as_of: date) -> tuple:
    """The earliest moment any signal looks at, and the end of the run's day."""
    settings = rules.settings
    longest = max(s["window_days"] for s in settings.values())
    dip = settings["usage_dip"]
    start, end = window(as_of, max(longest, dip["window_days"] + dip["baseline_days"]))
    return start.replace(tzinfo=UTC), end.replace(tzinfo=UTC)


def run_inputs(db: Session, rules: OutreachRules, as_of: date, default_rubric_id: str) -> RunInputs:
    """Every record a run on ``as_of`` reads (ExportError when the rubric cannot be chosen)."""
    start, end = _span(rules, as_of)
    longest_call_window = max(s["window_days"] for s in rules.settings.values())
    call_start = window(as_of, longest_call_window)[0].replace(tzinfo=UTC)
    rows = db.exec(
        select(
            Call.id,
            Call.call_id,
            Call.customer_id,
            Call.started_at,
            Call.team,
            Call.agent,
            Call.sentiment,
        )
        .where(Call.customer_id.is_not(None), Call.started_at.is_not(None))
        .where(Call.started_at >= call_start, Call.started_at < end)
    ).all()
    plan = plan_export(
        db, CallFilters(since=call_start.date(), until=as_of), None, default_rubric_id
    )
    reviewed = {}
    if rows:
        dims = [d.id for d in plan.rubric.dimensions]
        flags = [f.name for f in plan.rubric.flags]
        period = CallFilters(since=call_start.date(), until=as_of)
        for row in iter_flag_rows(db, period, plan, outcomes=False):
            reviewed[row["call_id"]] = (
                {f: row.get(f"flag_{f}") for f in flags},
                {d: row.get(f"score_{d}") for d in dims},
            )
    needs_text = [pk for pk, *_rest, sentiment in rows if sentiment is None]
    texts: dict[int, list[str]] = defaultdict(list)
    for chunk_start in range(0, len(needs_text), 1000):
        chunk = needs_text[chunk_start : chunk_start + 1000]
        for call_pk, speaker, text in db.exec(
            select(TranscriptTurn.call_pk, TranscriptTurn.speaker, TranscriptTurn.text)
            .where(TranscriptTurn.call_pk.in_(chunk))
            .order_by(TranscriptTurn.call_pk, TranscriptTurn.position)
        ):
            if is_customer_speaker(speaker):
                texts[call_pk].append(text)
    calls: dict[str, list[OutreachCall]] = defaultdict(list)
    call_pks = {}
    for pk, call_id, customer_id, started_at, team, agent, sentiment in rows:
        flags, scores = reviewed.get(call_id, ({}, {}))
        call_pks[call_id] = pk
        calls[customer_id].append(
            OutreachCall(
                call_id,
                customer_id,
                naive_utc(started_at),
                team,
                agent,
                flags,
                scores,
                sentiment,
                tuple(texts.get(pk, ())),
            )
        )
    usage: dict[str, list[UsagePoint]] = defaultdict(list)
    for customer_id, at, value in db.exec(
        select(Customer.customer_id, CustomerEvent.at, CustomerEvent.value)
        .join(Customer, Customer.id == CustomerEvent.customer_pk)
        .where(CustomerEvent.kind == "usage", CustomerEvent.value.is_not(None))
        .where(CustomerEvent.at >= start, CustomerEvent.at < end)
    ):
        usage[customer_id].append(UsagePoint(customer_id, naive_utc(at), value))
    return RunInputs(dict(calls), dict(usage), guard_state(db, as_of), plan.rubric, call_pks)


def guard_state(db: Session, as_of: date) -> GuardState:
    """Opt-outs (events up to the end of ``as_of`` and those recorded here), open alerts, each
    customer's latest alert day, and the alerts already made on ``as_of`` per team."""
    end = window(as_of, 1)[1].replace(tzinfo=UTC)
    opted = set(
        db.exec(
            select(Customer.customer_id)
            .join(CustomerEvent, CustomerEvent.customer_pk == Customer.id)
            .where(CustomerEvent.kind == "opt_out", CustomerEvent.at < end)
        ).all()
    )
    opted |= set(db.exec(select(OutreachOptOut.customer_id)).all())
    open_alerts = set(
        db.exec(select(OutreachAlert.customer_id).where(OutreachAlert.status == "open")).all()
    )
    last = dict(
        db.exec(
            select(OutreachAlert.customer_id, func.max(OutreachAlert.day))
            .where(OutreachAlert.day <= as_of)
            .group_by(OutreachAlert.customer_id)
        ).all()
    )
    today = Counter(
        dict(
            db.exec(
                select(OutreachAlert.team, func.count())
                .where(OutreachAlert.day == as_of)
                .group_by(OutreachAlert.team)
            ).all()
        )
    )
    return GuardState(opted, open_alerts, last, today)


def run_outreach(
    db: Session,
    rules: OutreachRules,
    as_of: date,
    default_rubric_id: str,
    dry_run: bool = False,
    actor: User | None = None,
) -> RunPlan:
    """Evaluate the rules on ``as_of`` and, unless ``dry_run``, write the alerts and the
    customers the guards held back. A second run the same day creates nothing new: every
    customer alerted has an open alert by then."""
    inputs = run_inputs(db, rules, as_of, default_rubric_id)
    names = {d.id: d.name for d in inputs.rubric.dimensions}
    plan = plan_run(rules, as_of, inputs.calls, inputs.usage, inputs.state, names)
    if dry_run:
        return plan
    for draft in plan.created:
        alert = OutreachAlert(
            customer_id=draft.customer_id,
            call_pk=inputs.call_pks.get(draft.call_id),
            day=as_of,
            team=draft.team,
            rule=draft.rule,
            rules_key=rules.key,
            priority=draft.priority,
            signals=list(draft.signals),
            reasons=list(draft.reasons),
        )
        db.add(alert)
        db.flush()
        audit.record(
            db,
            actor,
            "outreach.alert_created",
            "outreach_alert",
            alert.id,
            after={**draft.as_json(), "day": as_of.isoformat(), "rules": rules.key},
        )
    # A customer alerted today is not "held back" by a second run's open-alert guard.
    held = set(
        db.exec(select(OutreachSuppression.customer_id).where(OutreachSuppression.day == as_of))
    )
    held |= set(db.exec(select(OutreachAlert.customer_id).where(OutreachAlert.day == as_of)))
    for reason, draft in plan.suppressed:
        if draft.customer_id not in held:
            db.add(
                OutreachSuppression(
                    customer_id=draft.customer_id,
                    day=as_of,
                    reason=reason,
                    team=draft.team,
                    signals=list(draft.signals),
                )
            )
    return plan


def _alert(db: Session, alert_id: int) -> OutreachAlert:
    alert = db.get(OutreachAlert, alert_id)
    if alert is None:
        raise OutreachError(f"no outreach alert {alert_id}")
    return alert


def assign_alert(db: Session, alert_id: int, assignee: str, actor: User) -> OutreachAlert:
    """Give the alert to an agent or a team (free text: a name or a team)."""
    assignee = assignee.strip()
    if not assignee or len(assignee) > 200:
        raise OutreachError("assign to: give an agent's or a team's name (up to 200 characters)")
    alert = _alert(db, alert_id)
    if alert.status != "open":
        raise OutreachError(f"alert {alert_id} is closed; it can no longer be assigned")
    before = {"assigned_to": alert.assigned_to}
    alert.assigned_to, alert.updated_at = assignee, utcnow()
    audit.record(
        db,
        actor,
        "outreach.alert_assigned",
        "outreach_alert",
        alert.id,
        before=before,
        after={"assigned_to": assignee},
    )
    return alert


def close_alert(
    db: Session,
    alert_id: int,
    pathway: str,
    credit: float | None,
    do_not_contact: bool,
    note: str,
    actor: User,
) -> OutreachAlert:
    """Close the alert with its resolution pathway and any credit; a customer who asked not
    to be contacted again is recorded as opted out."""
    if pathway not in PATHWAYS:
        raise OutreachError(f"pathway: choose one of {', '.join(PATHWAYS.values())}")
    if credit is not None and not 0 <= credit <= MAX_CREDIT:
        raise OutreachError(f"credit: a amount from 0 to {MAX_CREDIT:,}, or blank for none")
    if len(note) > MAX_NOTE:
        raise OutreachError(f"note: at most {MAX_NOTE} characters")
    alert = _alert(db, alert_id)
    if alert.status != "open":
        raise OutreachError(f"alert {alert_id} is already closed")
    now = utcnow()
    alert.status, alert.closed_at, alert.closed_by, alert.updated_at = "closed", now, actor.id, now
    alert.pathway, alert.credit = pathway, credit
    alert.do_not_contact, alert.note = do_not_contact, note.strip()
    after = {
        "pathway": pathway,
        "credit": credit,
        "do_not_contact": do_not_contact,
        "contacted": pathway in CONTACTED,
    }
    audit.record(
        db,
        actor,
        "outreach.alert_closed",
        "outreach_alert",
        alert.id,
        before={"status": "open"},
        after=after,
        reason=alert.note,
    )
    if do_not_contact:
        record_opt_out(db, alert.customer_id, actor, alert.id)
    return alert


def record_opt_out(
    db: Session, customer_id: str, actor: User | None, alert_id: int | None = None
) -> bool:
    """Record that the customer asked not to be contacted; False when already recorded."""
    existing = db.exec(
        select(OutreachOptOut).where(OutreachOptOut.customer_id == customer_id)
    ).first()
    if existing is not None:
        return False
    db.add(
        OutreachOptOut(
            customer_id=customer_id, alert_id=alert_id, recorded_by=actor.id if actor else None
        )
    )
    audit.record(
        db,
        actor,
        "outreach.opt_out_recorded",
        "customer",
        customer_id,
        after={"alert_id": alert_id},
    )
    return True


def latest_call_day(db: Session) -> date | None:
    """The day of the latest call (the demo runs its rules on that day)."""
    latest = db.exec(select(func.max(Call.started_at))).one()
    return naive_utc(latest).date() if latest is not None else None


def backfill(
    db: Session, rules: OutreachRules, last_day: date, days: int, default_rubric_id: str
) -> int:
    """Run the rules for each of the ``days`` days up to ``last_day`` (the demo uses this so
    the Outreach page has a queue); returns the alerts created."""
    created = 0
    for offset in range(days - 1, -1, -1):
        created += len(
            run_outreach(db, rules, last_day - timedelta(days=offset), default_rubric_id).created
        )
        db.flush()
    return created
