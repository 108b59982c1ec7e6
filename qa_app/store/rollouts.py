"""The unit × period panel of a catalogue metric, for a rollout evaluation.

Each call's metric value (qa_app.store.metrics) is averaged per unit (queue or team, as the
rollout file says) and period (ISO week starting Monday, or calendar month); the call count
is kept beside the mean. Periods are numbered 1, 2, ... over the calendar from the first to
the last period read, and a unit's ``first_treated`` is the number of the period holding its
adoption date (the adoption period counts as treated, even if adoption was mid-period).
Units with calls but no row in the rollout file are never treated: the comparison units.

Takes an Engine or a Session, like qa_app.store.metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from sqlalchemy.engine import Engine
from sqlmodel import Session

from qa_app.domain.metrics import MetricSpec, is_rate
from qa_app.domain.rollouts.files import Rollout
from qa_app.store.metrics import MetricError, call_metric_frame
from qa_app.store.rubrics import DEFAULT_RUBRIC_ID

PERIODS = ("week", "month")
# Periods before the first adoption and after the last one in the headline estimate; the
# panel reads twice as many so the sensitivity check has a longer window to use.
DEFAULT_WINDOW = {"week": 12, "month": 6}


@dataclass
class RolloutPanel:
    """``frame``: unit, period, value (mean), calls, first_treated (0 = never); ``rate``:
    the metric is a rate, so its effects read as percentage points."""

    frame: pd.DataFrame
    labels: dict[int, str]
    window: int
    period: str
    notes: list[str] = field(default_factory=list)
    rate: bool = False


def period_start(day: date, period: str) -> date:
    """The first day of the week (Monday) or month holding ``day``."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next(start: date, period: str) -> date:
    if period == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def _shift(start: date, periods: int, period: str) -> date:
    """``periods`` periods before (negative) or after ``start``."""
    if period == "week":
        return start + timedelta(days=7 * periods)
    months = start.year * 12 + start.month - 1 + periods
    return date(months // 12, months % 12 + 1, 1)


def rollout_panel(
    engine_or_session: Engine | Session,
    rollout: Rollout,
    spec: MetricSpec,
    *,
    period: str = "month",
    window: int | None = None,
    rubric: str | None = None,
    default_rubric_id: str = DEFAULT_RUBRIC_ID,
) -> RolloutPanel:
    """The panel for ``spec`` around the rollout's adoption dates (see the module docstring)."""
    if period not in PERIODS:
        raise MetricError(f"period must be week or month, not '{period}'")
    window = window or DEFAULT_WINDOW[period]
    first = period_start(min(rollout.adopted_on.values()), period)
    last = period_start(max(rollout.adopted_on.values()), period)
    try:
        since = _shift(first, -2 * window, period)
        until = _shift(last, 2 * window, period) - timedelta(days=1)
    except (OverflowError, ValueError):
        # read_rollout_file refuses such years; this guards a Rollout built some other way.
        raise MetricError(
            f"adoption dates {first} to {last}: {2 * window} {period}s either side run off "
            "the calendar; check the years"
        ) from None
    calls = call_metric_frame(
        engine_or_session,
        spec,
        since=since,
        until=until,
        rubric=rubric,
        default_rubric_id=default_rubric_id,
    )
    unit_column = rollout.kind
    calls = calls[calls[unit_column].notna() & (calls[unit_column] != "")]
    calls = calls[calls["started_at"].notna()]
    notes: list[str] = []
    if calls.empty:
        raise MetricError(
            f"no call with a value of {spec.key} and a {unit_column} between {since} and {until}"
        )
    known = set(calls[unit_column])
    missing = sorted(set(rollout.adopted_on) - known)
    if len(missing) == len(rollout.adopted_on):
        shown = ", ".join(sorted(known)[:20])
        raise MetricError(
            f"no {unit_column} in the rollout file has calls with {spec.key} in "
            f"{since} to {until}; {unit_column}s with calls: {shown}"
        )
    if missing:
        notes.append(
            f"{len(missing)} {unit_column}(s) in the rollout file have no calls with "
            f"{spec.key} in the period read: {', '.join(missing[:10])}"
        )
    starts = [period_start(d.date(), period) for d in calls["started_at"]]
    calendar = [since]
    while _next(calendar[-1], period) <= until:
        calendar.append(_next(calendar[-1], period))
    index = {start: number for number, start in enumerate(calendar, start=1)}
    labels = {number: _label(start, period) for start, number in index.items()}
    calls = calls.assign(period=[index[s] for s in starts], unit=calls[unit_column])
    frame = calls.groupby(["unit", "period"])["value"].agg(value="mean", calls="size").reset_index()
    adoption = {
        name: index.get(period_start(day, period), 0) for name, day in rollout.adopted_on.items()
    }
    frame["first_treated"] = frame["unit"].map(adoption).fillna(0).astype(int)
    return RolloutPanel(frame, labels, window, period, notes, is_rate(spec, calls["value"]))


def _label(start: date, period: str) -> str:
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{start.year}-{start.month:02d}"
