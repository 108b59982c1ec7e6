"""Database rows for the panel model, as plain records (qa_app.domain.panels.model).

Customers and their events come straight from their tables; reviewed calls and their flags
come from the export's own reading of final scores (qa_app.store.flags.rows), so the panel
sees a call's flag exactly as the flag export does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from qa_app.domain.panels.model import CustomerRecord, EventRecord, ReviewedCall
from qa_app.models import Call, Customer, CustomerEvent
from qa_app.store.flags.rows import ExportError, iter_flag_rows, plan_export
from qa_app.store.reviews.queue import CallFilters
from qa_app.store.rubrics import current_rubric_row, rubric_from_row


class PanelQueryError(ValueError):
    """The panel cannot be read as asked (unknown flag, mixed rubric versions...)."""


@dataclass
class PanelData:
    customers: list[CustomerRecord]
    events: list[EventRecord]
    calls: list[ReviewedCall]
    rubric: str | None


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def rubric_flags(db: Session, default_rubric_id: str) -> list[str]:
    """The current rubric's flag names (what a panel's exposure may be)."""
    row = current_rubric_row(db, default_rubric_id)
    return [f.name for f in rubric_from_row(row).flags] if row else []


def load_panel_data(
    db: Session, flag: str, default_rubric_id: str, rubric_key: str | None = None
) -> PanelData:
    """Customers, the events of kinds the outcomes use, and every reviewed call of a known
    customer with its flag (True, False, or None when the flag cannot be evaluated)."""
    customers = [
        CustomerRecord(c.customer_id, _day(c.onboarded_at), c.ended_at and _day(c.ended_at))
        for c in db.exec(select(Customer).order_by(Customer.id))
    ]
    events = [
        EventRecord(customer_id, _day(at), kind, value)
        for customer_id, at, kind, value in db.exec(
            select(Customer.customer_id, CustomerEvent.at, CustomerEvent.kind, CustomerEvent.value)
            .join(Customer, Customer.id == CustomerEvent.customer_pk)
            .where(CustomerEvent.kind.in_(("nps", "renewal", "spend")))
        )
    ]
    owners = dict(
        db.exec(select(Call.call_id, Call.customer_id).where(Call.customer_id.is_not(None))).all()
    )
    calls: list[ReviewedCall] = []
    rubric = None
    if owners:
        try:
            plan = plan_export(db, CallFilters(), rubric_key, default_rubric_id)
        except ExportError as exc:
            raise PanelQueryError(str(exc)) from None
        known = [f.name for f in plan.rubric.flags]
        if flag not in known:
            raise PanelQueryError(
                f"unknown flag '{flag}'; the flags of {plan.rubric_row.key}: {', '.join(known)}"
            )
        rubric = plan.rubric_row.key
        for row in iter_flag_rows(db, CallFilters(), plan, outcomes=False):
            owner = owners.get(row["call_id"])
            if owner is None or row["started_at"] is None:
                continue
            calls.append(ReviewedCall(owner, _day(row["started_at"]), row.get(f"flag_{flag}")))
    else:
        known = rubric_flags(db, default_rubric_id)
        if known and flag not in known:
            raise PanelQueryError(f"unknown flag '{flag}'; the rubric's flags: {', '.join(known)}")
    return PanelData(customers, events, calls, rubric)


@dataclass
class PanelRequest:
    """What a panel report is asked for: from the command line or the page, or a stored
    analysis plan (whose outcomes, lags, flag and dose then rule)."""

    outcomes: list[str]
    flag: str | None
    lags: list[int]
    as_of: date | None = None
    dose: str = "share"
    plan: str | None = None


def panel_reports(db: Session, request: PanelRequest, default_rubric_id: str) -> list[dict]:
    """One report (the CLI's JSON) per outcome; with a plan, each names the plan, its time,
    hash and amendments. Raises :class:`PanelQueryError` or the plan store's error."""
    from qa_app.domain.panels.model import panel_report
    from qa_app.store.panels.plans import load

    plan = None
    jobs = [(outcome, request.lags) for outcome in request.outcomes]
    flag, dose = request.flag, request.dose
    if request.plan:
        plan = load(db, request.plan)
        flag, dose = plan.spec.flag, plan.spec.dose
        chosen = request.outcomes or list(plan.spec.outcomes)
        missing = [o for o in chosen if o not in plan.spec.outcomes]
        if missing:
            raise PanelQueryError(
                f"plan '{plan.spec.name}' has no outcome {', '.join(missing)}; its outcomes: "
                f"{', '.join(plan.spec.outcomes)}"
            )
        jobs = [(o, list(plan.spec.outcomes[o])) for o in chosen]
    data = load_panel_data(db, flag, default_rubric_id)
    reports = []
    for outcome, lags in jobs:
        report = panel_report(
            data.customers, data.events, data.calls, outcome, flag, lags, request.as_of, dose
        ).as_dict()
        report["rubric"] = data.rubric
        if plan is not None:
            report["plan"] = plan.as_dict()
        reports.append(report)
    return reports
