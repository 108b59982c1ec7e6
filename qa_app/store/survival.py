"""Database rows for survival by cohort: customers, their anchor events, reviewed calls.

Reviewed calls' final scores and flags come from the export's query (export_queries), so
the flags here are the ones the flag spreadsheet shows; only calls with a customer are kept.
Every moment is handed on as naive UTC, so values from SQLite and PostgreSQL compare alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from qa_app.domain.survival.cohorts import ANCHOR_KINDS, CallRecord, CustomerRecord, EventRecord
from qa_app.models import Call, Customer, CustomerEvent, naive_utc
from qa_app.store.flags.rows import iter_flag_rows, plan_export
from qa_app.store.reviews.queue import CallFilters


@dataclass
class SurvivalData:
    """Plain records for qa_app.domain.survival.cohorts, and the rubric the flags come from."""

    customers: list[CustomerRecord]
    events: list[EventRecord]
    calls: list[CallRecord]
    rubric_key: str
    flag_names: list[str]


def survival_data(db: Session, rubric_key: str | None, default_rubric_id: str) -> SurvivalData:
    """Every customer, their renewal and incident events, and each reviewed call that names
    a customer, with its final flags (ExportError when the rubric cannot be chosen)."""
    customers = [
        CustomerRecord(
            c.customer_id,
            naive_utc(c.onboarded_at),
            naive_utc(c.ended_at),
            c.segment,
            c.monthly_value,
        )
        for c in db.exec(select(Customer).order_by(Customer.customer_id))
    ]
    events = [
        EventRecord(customer_id, naive_utc(at), kind)
        for customer_id, at, kind in db.exec(
            select(Customer.customer_id, CustomerEvent.at, CustomerEvent.kind)
            .join(Customer, Customer.id == CustomerEvent.customer_pk)
            .where(CustomerEvent.kind.in_(sorted(set(ANCHOR_KINDS.values()))))
        )
    ]
    owners = dict(
        db.exec(select(Call.call_id, Call.customer_id).where(Call.customer_id.is_not(None))).all()
    )
    plan = plan_export(db, CallFilters(), rubric_key, default_rubric_id)
    flag_names = [f.name for f in plan.rubric.flags]
    calls = []
    if owners:
        for row in iter_flag_rows(db, CallFilters(), plan, outcomes=False):
            customer_id = owners.get(row["call_id"])
            if customer_id is None or row["started_at"] is None:
                continue
            calls.append(
                CallRecord(
                    row["call_id"],
                    customer_id,
                    naive_utc(row["started_at"]),
                    {name: row.get(f"flag_{name}") for name in flag_names},
                    row["channel"],
                    row["interaction_type"],
                    row["agent_tenure_days"],
                )
            )
    return SurvivalData(customers, events, calls, plan.rubric_row.key, flag_names)


def survival_report(
    db: Session,
    cohort: str,
    flag: str,
    as_of: datetime | None,
    horizon: float,
    by: str | None,
    window: int | None,
    rubric_key: str | None,
    default_rubric_id: str,
    currency: str = "",
):
    """The cohort and its analysis (qa_app.domain.survival.analysis.analyse), for the CLI and
    the page.

    Raises SurvivalError for a flag the rubric does not have, ExportError when the rubric
    cannot be chosen.
    """
    from qa_app.domain.survival.analysis import analyse
    from qa_app.domain.survival.cohorts import SurvivalError, build_cohort

    if as_of is not None:
        # The as-of day counts whole: ends and calls during it are before the cut.
        as_of = as_of.replace(hour=23, minute=59, second=59, microsecond=999999)
    data = survival_data(db, rubric_key, default_rubric_id)
    if flag not in data.flag_names:
        raise SurvivalError(
            f"unknown flag '{flag}'; the flags of {data.rubric_key}: {', '.join(data.flag_names)}"
        )
    chosen = build_cohort(data.customers, data.events, data.calls, cohort, flag, as_of, window)
    report = analyse(chosen, horizon, by, currency)
    report["rubric"] = data.rubric_key
    return chosen, report

