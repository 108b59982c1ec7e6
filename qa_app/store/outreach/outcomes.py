"""Database side of outreach tracking: the rows qa_app.domain.outreach.outcomes needs.

Alerts and their closing, opt-outs (recorded here or as ``opt_out`` events), the comparison
group (customers the daily cap held back, and customers who met the same rules on past days
before the first alert was made), the customers' end dates and their ``spend`` events.
Nothing is written: the "before the rules" group comes from evaluating the rules on past days
with the engine's own functions, without guards that need alerts and without creating any.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from qa_app.domain.outreach.engine import candidates
from qa_app.domain.outreach.outcomes import (
    AlertRow,
    ComparisonRow,
    SpendRow,
    check_as_of,
    tracking_report,
)
from qa_app.domain.outreach.rules import OutreachRules
from qa_app.models import (
    Call,
    Customer,
    CustomerEvent,
    OutreachAlert,
    OutreachOptOut,
    OutreachSuppression,
    Review,
    ReviewScore,
    TranscriptTurn,
    naive_utc,
)
from qa_app.store.fingerprints import fingerprint

# The "before the rules" group: the rules evaluated once a week over the half year before the
# first alert (weekly, because the signals look back 14 days and each evaluation reads that
# fortnight's calls; daily would take seven times as long for few new customers).
LOOKBACK_DAYS = 180
STEP_DAYS = 7
CHUNK = 1000


def alert_rows(db: Session) -> list[AlertRow]:
    """Every alert with how it was closed."""
    rows = db.exec(
        select(
            OutreachAlert.customer_id,
            OutreachAlert.day,
            OutreachAlert.status,
            OutreachAlert.pathway,
            OutreachAlert.credit,
            OutreachAlert.do_not_contact,
            OutreachAlert.closed_at,
        ).order_by(OutreachAlert.day, OutreachAlert.id)
    ).all()
    return [
        AlertRow(c, d, s, p, cr, bool(dnc), naive_utc(at) if at else None)
        for c, d, s, p, cr, dnc, at in rows
    ]


def opt_out_moments(db: Session) -> dict[str, list[datetime]]:
    """When each customer opted out: recorded in the app, or an ``opt_out`` event."""
    moments: dict[str, list[datetime]] = defaultdict(list)
    for customer_id, at in db.exec(select(OutreachOptOut.customer_id, OutreachOptOut.at)):
        moments[customer_id].append(naive_utc(at))
    for customer_id, at in db.exec(
        select(Customer.customer_id, CustomerEvent.at)
        .join(Customer, Customer.id == CustomerEvent.customer_pk)
        .where(CustomerEvent.kind == "opt_out")
    ):
        moments[customer_id].append(naive_utc(at))
    return dict(moments)


def daily_cap_rows(db: Session) -> list[ComparisonRow]:
    """Customers the daily cap held back, on each day it did."""
    return [
        ComparisonRow(customer_id, day, "daily_cap")
        for customer_id, day in db.exec(
            select(OutreachSuppression.customer_id, OutreachSuppression.day)
            .where(OutreachSuppression.reason == "daily_cap")
            .order_by(OutreachSuppression.day)
        )
    ]


def first_alert_day(db: Session) -> date | None:
    return db.exec(select(func.min(OutreachAlert.day))).one()


def alerts_rules_key(db: Session) -> str | None:
    """The rules most alerts were made with (``id@version``)."""
    keys = Counter(
        dict(
            db.exec(
                select(OutreachAlert.rules_key, func.count()).group_by(OutreachAlert.rules_key)
            ).all()
        )
    )
    return keys.most_common(1)[0][0] if keys else None


def before_rules_rows(
    db: Session, rules: OutreachRules, first_day: date, default_rubric_id: str
) -> list[ComparisonRow]:
    """Customers who met ``rules`` on a past day before ``first_day`` (every STEP_DAYS over
    LOOKBACK_DAYS), each on the first day found. Customers who had opted out by that day are
    left out: they could never have been alerted. Nothing is written."""
    from qa_app.store.outreach.alerts import run_inputs

    found: dict[str, date] = {}
    day = first_day - timedelta(days=LOOKBACK_DAYS)
    while day < first_day:
        inputs = run_inputs(db, rules, day, default_rubric_id)
        for draft in candidates(rules, day, inputs.calls, inputs.usage, {}):
            if draft.customer_id not in inputs.state.opted_out:
                found.setdefault(draft.customer_id, day)
        day += timedelta(days=STEP_DAYS)
    return [ComparisonRow(c, d, "before_rules") for c, d in found.items()]


def _chunks(values: list[str]):
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def customer_history(
    db: Session, customer_ids: set[str]
) -> tuple[dict[str, datetime | None], list[SpendRow]]:
    """End dates and ``spend`` events of the given customers."""
    ended: dict[str, datetime | None] = {}
    spend: list[SpendRow] = []
    for chunk in _chunks(sorted(customer_ids)):
        for customer_id, ended_at in db.exec(
            select(Customer.customer_id, Customer.ended_at).where(Customer.customer_id.in_(chunk))
        ):
            ended[customer_id] = naive_utc(ended_at) if ended_at else None
        for customer_id, at, value in db.exec(
            select(Customer.customer_id, CustomerEvent.at, CustomerEvent.value)
            .join(Customer, Customer.id == CustomerEvent.customer_pk)
            .where(Customer.customer_id.in_(chunk), CustomerEvent.kind == "spend")
            .where(CustomerEvent.value.is_not(None))
        ):
            spend.append(SpendRow(customer_id, naive_utc(at), value))
    return ended, spend


def outreach_tracking(
    db: Session, rules: OutreachRules, as_of: date | None, default_rubric_id: str
) -> dict:
    """The tracking report as of ``as_of`` (default: today, UTC); ``rules`` are evaluated on
    past days for the "before the rules" group. Raises ExportError when the rubric cannot be
    chosen (the rules read reviewed calls' flags), AsOfError when ``as_of`` is after today."""
    today = datetime.now(UTC).date()
    as_of = as_of or today
    check_as_of(as_of, today)
    alerts = alert_rows(db)
    notes = []
    comparison = daily_cap_rows(db)
    first = first_alert_day(db)
    if first is None:
        notes.append("No alerts yet: nothing to compare.")
    else:
        used = alerts_rules_key(db)
        if used != rules.key:
            notes.append(
                f"The alerts were made with rules {used}; the customers before the rules were "
                f"found with {rules.key}."
            )
        comparison += before_rules_rows(db, rules, first, default_rubric_id)
        notes.append(
            f"Before the rules: customers who met {rules.key} on a day in the "
            f"{LOOKBACK_DAYS} days before the first alert ({first.isoformat()}), checked every "
            f"{STEP_DAYS} days, using reviews as they stand today."
        )
    ids = {a.customer_id for a in alerts} | {c.customer_id for c in comparison}
    ended, spend = customer_history(db, ids)
    report = tracking_report(alerts, comparison, opt_out_moments(db), ended, spend, as_of, notes)
    report["rules"] = rules.key
    return report


def data_fingerprint(db: Session) -> tuple:
    """What the tracking report depends on, cheaply: the database, and the row count and
    latest change of every table it reads (alerts and their closing, suppressions, opt-outs,
    customers, customer events, and the calls, transcripts, reviews and scores the rules
    read for the "before the rules" group). The same fingerprint, rules and as-of day give the
    same report, so the page can keep a computed one."""
    return fingerprint(db, (
        (OutreachAlert.id, OutreachAlert.updated_at),
        (OutreachSuppression.id, OutreachSuppression.id),
        (OutreachOptOut.id, OutreachOptOut.at),
        (Customer.id, Customer.updated_at),
        # A re-import updates an event's value in place: its sum changes, its id does not.
        (CustomerEvent.id, func.sum(CustomerEvent.value)),
        (Call.id, Call.updated_at),
        (TranscriptTurn.id, TranscriptTurn.id),
        (Review.id, Review.updated_at),
        (ReviewScore.id, ReviewScore.id),
    ))  # fmt: skip
