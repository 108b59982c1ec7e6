"""An experiment's units seen from its calls: the unit a call belongs to (its queue, or the
weekday-shift block of its start), the units' strata, a call's equity subgroups, and the power
calculation for the plan's design."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from qa_app.domain.experiment_plan import (
    CHANNEL,
    COMPLEXITY,
    NO_CALLS,
    STRATIFY_SCHEDULE,
    TENURE,
    WEEKDAYS,
    ExperimentPlan,
)


def unit_of_call(
    plan: ExperimentPlan, queue: str | None, started_at: datetime | None
) -> str | None:
    """The experiment unit a call belongs to (its queue, or the weekday-shift of its start in
    the plan's time zone; naive times are UTC), or None when it is in none of the units."""
    if plan.unit == "queue":
        return queue if queue in plan.units else None
    if started_at is None:
        return None
    moment = started_at if started_at.tzinfo else started_at.replace(tzinfo=UTC)
    local = moment.astimezone(ZoneInfo(plan.timezone))
    for shift in plan.shifts:
        if shift.contains(local.hour):
            # A night shift after midnight belongs to the weekday it started on.
            day = local.weekday()
            if shift.start > shift.end and local.hour < shift.end:
                day = (day - 1) % 7
            block = f"{WEEKDAYS[day]}-{shift.name}"
            return block if block in plan.units else None
    return None


def strata_from_calls(plan: ExperimentPlan, calls: Iterable[tuple[str, str | None]]) -> dict:
    """Each unit's stratum: given in the file; for schedule blocks stratified by weekday or
    shift, read from the block's name; otherwise the most common ``stratify_by`` value among
    the unit's calls so far ((unit, value) pairs; ties go to the first in alphabetical order;
    a unit without calls is its own stratum "(no calls)"). Without stratify_by, one stratum."""
    if plan.strata is not None:
        return dict(plan.strata)
    if plan.stratify_by is None:
        return dict.fromkeys(plan.units, "all")
    if plan.stratify_by in STRATIFY_SCHEDULE:
        index = 0 if plan.stratify_by == "weekday" else 1
        return {u: u.split("-", 1)[index] for u in plan.units}
    counts: dict[str, Counter] = {u: Counter() for u in plan.units}
    for unit, value in calls:
        if unit in counts and value not in (None, ""):
            counts[unit][str(value)] += 1
    return {u: (min(c, key=lambda v: (-c[v], v)) if c else NO_CALLS) for u, c in counts.items()}


def subgroup_values(plan: ExperimentPlan, interaction_type, tenure_days, channel) -> dict:
    """A call's equity subgroups (only those the plan names); unknown values are "unknown"."""
    groups = plan.subgroups
    values = {}
    if groups.complex_types:
        values[COMPLEXITY] = (
            "unknown" if not interaction_type
            else "complex" if interaction_type in groups.complex_types else "routine"
        )  # fmt: skip
    if groups.new_agent_days is not None:
        values[TENURE] = (
            "unknown" if tenure_days is None
            else f"new (< {groups.new_agent_days} days)" if tenure_days < groups.new_agent_days
            else "experienced"
        )  # fmt: skip
    if groups.channel:
        values[CHANNEL] = channel or "unknown"
    return values


def units_per_arm(plan: ExperimentPlan) -> int:
    """The fewest units any arm gets (the assignment keeps arms within one unit)."""
    return len(plan.units) // len(plan.arms)


def minimum_detectable(plan: ExperimentPlan) -> dict | None:
    """The power calculation for the primary metric (qa_app.domain.experiment_power), with the
    inputs it used; None when the plan has no [power] table."""
    from qa_app.domain.experiment_power import minimum_detectable_effect

    if plan.power is None:
        return None
    p = plan.power
    inputs = {
        "baseline_mean": p.baseline_mean, "baseline_sd": p.baseline_sd,
        "units_per_arm": units_per_arm(plan), "calls_per_unit": p.calls_per_unit,
        "icc": p.icc, "alpha": p.alpha, "power": p.power, "binary": p.binary,
    }  # fmt: skip
    return {"metric": plan.primary_metric, "inputs": inputs, **minimum_detectable_effect(**inputs)}
