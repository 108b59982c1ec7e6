"""Lags, dosage and panel models: does a behaviour this month go with an outcome k months on?

Plain Python on plain records (no Flask, no database): the CLI and the Outcomes over time
page both call :func:`panel_report`.

- **Panel**: one row per customer and calendar month, from the onboarding month to the month
  ``ended_at`` falls in, or to the as-of month for customers still active (events, calls and
  endings after the as-of date are not seen).
- **Dosage** (:func:`dosage`): per customer-month, the number of reviewed calls with the flag
  and their share of the reviewed calls whose flag could be evaluated. A customer-month with
  no reviewed call has dose 0 and ``unreviewed`` set; the model keeps those months and adds
  ``unreviewed`` as a control, so "no call reviewed" is not mistaken for "calls without the
  flag".
- **Outcomes** per month: ``nps`` the mean NPS event value (months without one are left out),
  ``renewal`` 1 if a renewal event falls in the month, else 0, ``spend`` the sum of spend
  values (months without one are left out; lag 12 reads the month twelve months on),
  ``churn`` 1 in the month ``ended_at`` falls in, else 0.
- **Model**: outcome at month t+k on dose at t, with customer and calendar-month fixed
  effects and errors clustered by customer — linearmodels ``PanelOLS`` (two-way within
  estimator; cluster-robust covariance with the G/(G−1) small-sample factor), 95% intervals.
  We write the preparation and the checks, never the estimator.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from qa_app.domain.panels.plan import OUTCOMES

MIN_CUSTOMERS = 10  # fewer clusters than this: no interval is reported
FEW_CUSTOMERS = 30  # fewer than this: the interval is shown with a warning
METHOD = (
    "Two-way fixed effects (customer and calendar month) regression of the outcome k months "
    "later on this month's dose, controlling for months without a reviewed call; "
    "linearmodels PanelOLS, errors clustered by customer, 95% intervals."
)
ASSOCIATION = (
    "These are associations in observational data, not effects proven to be caused by the "
    "flag: the fixed effects remove what is constant about a customer and what hit every "
    "customer in a month, not what changed for one customer (an incident, say) and moved "
    "both their calls and their outcome."
)
DOSE_TREATMENT = (
    "A customer-month with no reviewed call has dose 0 and is marked unreviewed; the model "
    "keeps it and controls for being unreviewed. Calls whose flag could not be evaluated "
    "(not applicable) are left out of the dose."
)


@dataclass(frozen=True)
class CustomerRecord:
    customer_id: str
    onboarded_at: date
    ended_at: date | None = None


@dataclass(frozen=True)
class EventRecord:
    customer_id: str
    at: date
    kind: str
    value: float | None = None


@dataclass(frozen=True)
class ReviewedCall:
    """A reviewed call of a customer with its flag: True, False or None (not evaluable)."""

    customer_id: str
    started_at: date
    flagged: bool | None


@dataclass(frozen=True)
class DoseRow:
    customer_id: str
    month: int  # year * 12 + month - 1
    reviewed: int  # reviewed calls whose flag could be evaluated
    flagged: int

    @property
    def share(self) -> float:
        return self.flagged / self.reviewed if self.reviewed else 0.0

    @property
    def unreviewed(self) -> bool:
        return self.reviewed == 0


@dataclass
class LagResult:
    lag: int
    coefficient: float | None = None
    ci: tuple[float, float] | None = None
    std_error: float | None = None
    p_value: float | None = None
    n_customers: int = 0
    n_obs: int = 0
    n_informative: int = 0  # customers with a reviewed month in the comparison
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "lag": self.lag,
            "coefficient": self.coefficient,
            "ci": list(self.ci) if self.ci else None,
            "std_error": self.std_error,
            "p_value": self.p_value,
            "n_customers": self.n_customers,
            "n_obs": self.n_obs,
            "n_informative": self.n_informative,
            "reason": self.reason,
            "warnings": self.warnings,
        }


@dataclass
class PanelReport:
    outcome: str
    flag: str
    dose: str
    as_of: date
    lags: list[LagResult]
    customers: int
    customer_months: int
    unreviewed_months: int
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The report as the JSON the CLI prints (the issue's keys, then the explanation)."""
        return {
            "outcome": self.outcome,
            "flag": self.flag,
            "lags": [lag.as_dict() for lag in self.lags],
            "dose": self.dose,
            "as_of": self.as_of.isoformat(),
            "customers": self.customers,
            "customer_months": self.customer_months,
            "unreviewed_months": self.unreviewed_months,
            "dose_treatment": DOSE_TREATMENT,
            "method": METHOD,
            "association": ASSOCIATION,
            "warnings": self.warnings,
        }


def month_index(day: date) -> int:
    """A calendar month as one number (year * 12 + month - 1)."""
    return day.year * 12 + day.month - 1


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def latest_date(
    customers: Iterable[CustomerRecord],
    events: Iterable[EventRecord],
    calls: Iterable[ReviewedCall],
) -> date | None:
    """The latest date in the data: the default as-of date."""
    days = [c.onboarded_at for c in customers] + [c.ended_at for c in customers if c.ended_at]
    days += [e.at for e in events] + [c.started_at for c in calls]
    return max(days, default=None)


def customer_months(customers: Iterable[CustomerRecord], as_of: date) -> dict[str, range]:
    """Each customer's months in the panel: onboarding month to end (or as-of) month."""
    last = month_index(as_of)
    spans = {}
    for customer in customers:
        if customer.onboarded_at > as_of:
            continue
        end = last
        if customer.ended_at is not None and customer.ended_at <= as_of:
            end = month_index(customer.ended_at)
        spans[customer.customer_id] = range(month_index(customer.onboarded_at), end + 1)
    return spans


def dosage(
    spans: dict[str, range], calls: Iterable[ReviewedCall], as_of: date
) -> tuple[list[DoseRow], dict[str, int]]:
    """Per customer-month, reviewed calls and flagged calls (every month of the panel, 0 when
    none was reviewed); with counts of the calls left out and why."""
    reviewed: dict[tuple[str, int], int] = defaultdict(int)
    flagged: dict[tuple[str, int], int] = defaultdict(int)
    left_out = {"not_evaluable": 0, "outside_panel": 0}
    for call in calls:
        span = spans.get(call.customer_id)
        month = month_index(call.started_at)
        if span is None or month not in span or call.started_at > as_of:
            left_out["outside_panel"] += 1
        elif call.flagged is None:
            left_out["not_evaluable"] += 1
        else:
            reviewed[call.customer_id, month] += 1
            flagged[call.customer_id, month] += int(call.flagged)
    rows = [
        DoseRow(customer, month, reviewed[customer, month], flagged[customer, month])
        for customer, span in spans.items()
        for month in span
    ]
    return rows, left_out


def outcome_values(
    outcome: str,
    spans: dict[str, range],
    customers: Iterable[CustomerRecord],
    events: Iterable[EventRecord],
    as_of: date,
) -> dict[tuple[str, int], float]:
    """The outcome per customer-month of the panel; a month missing from the result has no
    value (no NPS answer, no spend record)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome '{outcome}'; known: {', '.join(OUTCOMES)}")
    values: dict[tuple[str, int], float] = {}
    if outcome == "churn":
        ended = {c.customer_id: c.ended_at for c in customers}
        for customer, span in spans.items():
            end = ended.get(customer)
            for month in span:
                hit = end is not None and end <= as_of and month_index(end) == month
                values[customer, month] = 1.0 if hit else 0.0
        return values
    collected: dict[tuple[str, int], list[float]] = defaultdict(list)
    for event in events:
        if event.kind != outcome or event.at > as_of:
            continue
        span = spans.get(event.customer_id)
        month = month_index(event.at)
        if span is None or month not in span:
            continue
        if outcome == "renewal":
            collected[event.customer_id, month].append(1.0)
        elif event.value is not None and math.isfinite(event.value):
            collected[event.customer_id, month].append(float(event.value))
    if outcome == "renewal":
        for customer, span in spans.items():
            for month in span:
                values[customer, month] = 1.0 if collected.get((customer, month)) else 0.0
    elif outcome == "nps":
        values = {key: sum(v) / len(v) for key, v in collected.items()}
    else:  # spend
        values = {key: sum(v) for key, v in collected.items()}
    return values


def panel_report(
    customers: Sequence[CustomerRecord],
    events: Sequence[EventRecord],
    calls: Sequence[ReviewedCall],
    outcome: str,
    flag: str,
    lags: Sequence[int],
    as_of: date | None = None,
    dose: str = "share",
) -> PanelReport:
    """The lagged panel model for one outcome and flag, one result per lag.

    A lag without enough data is reported with its reason, never raised."""
    as_of = as_of or latest_date(customers, events, calls) or date.today()
    spans = customer_months(customers, as_of)
    doses, left_out = dosage(spans, calls, as_of)
    values = outcome_values(outcome, spans, customers, events, as_of)
    warnings = []
    if left_out["not_evaluable"]:
        warnings.append(
            f"{left_out['not_evaluable']} reviewed call(s) could not evaluate the flag "
            "(not applicable) and are left out of the dose."
        )
    if left_out["outside_panel"]:
        warnings.append(
            f"{left_out['outside_panel']} reviewed call(s) fall outside their customer's "
            "months (no such customer, before onboarding, after the end or the as-of date) "
            "and are left out."
        )
    if not any(d.reviewed for d in doses):
        warnings.append(f"No customer has a reviewed call with the flag '{flag}' evaluated.")
    results = [_fit_lag(doses, values, lag, dose, outcome) for lag in lags]
    return PanelReport(
        outcome=outcome,
        flag=flag,
        dose=dose,
        as_of=as_of,
        lags=results,
        customers=len(spans),
        customer_months=len(doses),
        unreviewed_months=sum(d.unreviewed for d in doses),
        warnings=warnings,
    )


def _fit_lag(
    doses: list[DoseRow], values: dict[tuple[str, int], float], lag: int, dose: str, outcome: str
) -> LagResult:
    import pandas as pd

    rows = [
        (d.customer_id, d.month, d.share if dose == "share" else float(d.flagged),
         float(d.unreviewed), values[d.customer_id, d.month + lag])
        for d in doses
        if (d.customer_id, d.month + lag) in values
    ]  # fmt: skip
    result = LagResult(lag)
    if not rows:
        result.reason = (
            f"no customer-month has a {outcome} value {lag} month(s) later before the as-of date"
        )
        return result
    frame = pd.DataFrame(rows, columns=["customer", "month", "dose", "unreviewed", "y"])
    result.n_obs = len(frame)
    result.n_customers = int(frame["customer"].nunique())
    if result.n_customers < MIN_CUSTOMERS:
        result.reason = (
            f"{result.n_customers} customer(s) have the outcome {lag} month(s) on; at least "
            f"{MIN_CUSTOMERS} are needed for errors clustered by customer"
        )
        return result
    if frame["y"].nunique() < 2:
        constant = frame["y"].iloc[0]
        result.reason = f"the {outcome} value {lag} month(s) on never varies ({constant:g})"
        return result
    # With months without a reviewed call controlled for, the dose's coefficient compares
    # reviewed months of different doses (within a customer, or their changes across
    # customers): it rests on the customers with a reviewed month here.
    reviewed = frame[frame["unreviewed"] == 0]
    result.n_informative = int(reviewed["customer"].nunique())
    if reviewed.empty:
        result.reason = f"none of these customer-months has a reviewed call {lag} month(s) earlier"
        return result
    if reviewed["dose"].nunique() < 2:
        result.reason = (
            f"every reviewed month has the same dose ({reviewed['dose'].iloc[0]:g}): "
            "nothing to compare"
        )
        return result
    if result.n_informative < FEW_CUSTOMERS:
        result.warnings.append(
            f"only {result.n_informative} customer(s) have a reviewed month in this "
            "comparison: the coefficient rests on them"
        )
    return _estimate(frame, result)


def fit_two_way(frame, dependent: str, regressors: list[str]):
    """The model every lag uses, in one place: ``dependent`` on ``regressors`` with entity
    and time fixed effects (``frame`` indexed by entity, time), errors clustered by entity
    with the G/(G−1) factor. Returns linearmodels' fitted result; tests check it against
    the published wage-panel figures."""
    import warnings as python_warnings

    from linearmodels import PanelOLS

    with python_warnings.catch_warnings():
        python_warnings.simplefilter("ignore")
        model = PanelOLS(
            frame[dependent], frame[regressors], entity_effects=True, time_effects=True,
            drop_absorbed=True,
        )  # fmt: skip
        return model.fit(cov_type="clustered", cluster_entity=True, group_debias=True)


def _estimate(frame, result: LagResult) -> LagResult:
    import numpy as np

    frame = frame.set_index(["customer", "month"])
    columns = ["dose"]
    if 0 < frame["unreviewed"].sum() < len(frame):
        columns.append("unreviewed")
    try:
        fitted = fit_two_way(frame, "y", columns)
    except (ValueError, np.linalg.LinAlgError) as exc:
        result.reason = f"the model could not be fitted: {exc}"
        return result
    if "dose" not in fitted.params.index:
        result.reason = "the dose is absorbed by the customer and month effects"
        return result
    coefficient = float(fitted.params["dose"])
    error = float(fitted.std_errors["dose"])
    low, high = (float(v) for v in fitted.conf_int().loc["dose"])
    if not all(math.isfinite(v) for v in (coefficient, error, low, high)) or error <= 0:
        result.reason = "the model gave no usable interval (too little variation left)"
        return result
    result.coefficient, result.std_error = coefficient, error
    result.ci = (low, high)
    result.p_value = float(fitted.pvalues["dose"])
    result.n_obs = int(fitted.nobs)
    if result.n_customers < FEW_CUSTOMERS:
        result.warnings.append(
            f"only {result.n_customers} customers: intervals clustered on fewer than "
            f"{FEW_CUSTOMERS} customers can be too narrow"
        )
    return result
