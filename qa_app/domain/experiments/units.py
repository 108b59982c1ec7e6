"""An experiment's units seen from its calls: the unit a call belongs to (its queue, or the
weekday-shift block of its start), the units' strata, a call's equity subgroups, and the power
calculation for the plan's design."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from qa_app.domain.experiments.plan import (
    CHANNEL,
    COMPLEXITY,
    NO_CALLS,
    TENURE,
    ExperimentPlan,
)
from qa_app.domain.experiments.plan_design import STRATIFY_SCHEDULE, WEEKDAYS


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


def units_per_arm(plan: ExperimentPlan) -> dict[str, int]:
    """The whole units each arm is sure to get: its share of the units under the allocation,
    rounded down (the assignment never gives an arm less)."""
    from qa_app.domain.experiments.assignment import arm_counts

    shares = arm_counts(len(plan.units), plan.arms, plan.allocation)
    return {arm: int(share + 1e-9) for arm, share in shares.items()}


def known_strata(plan: ExperimentPlan, strata: dict | None = None) -> tuple[dict, bool]:
    """The units' strata for design calculations and whether they are the real ones: given,
    in the plan, or read from schedule block names; a call attribute's strata are known only
    at assignment, so before it the units count as one stratum (the most assignments, so the
    smallest p-value found is a best case)."""
    if strata:
        return dict(strata), True
    if plan.strata is not None or plan.stratify_by is None or plan.stratify_by in STRATIFY_SCHEDULE:
        return strata_from_calls(plan, []), True
    return dict.fromkeys(plan.units, "all"), False


def design_summary(plan: ExperimentPlan, strata: dict | None = None, seed: int = 0) -> dict:
    """What the randomisation can and cannot show, worked out from the design (units, strata,
    allocation): per treatment arm, the distinct assignments of its and the control's units
    and the smallest p-value the randomisation test can give; ``exploratory`` when that is
    above the plan's alpha (0.05 without a [power] table), with a plain note."""
    from qa_app.domain.experiments.assignment import design_resolution

    strata, known = known_strata(plan, strata)
    alpha = plan.power.alpha if plan.power else 0.05
    counts = units_per_arm(plan)
    comparisons = []
    for arm in plan.treatment_arms:
        r = design_resolution(strata, plan.arms, plan.allocation, treatment=arm, seed=seed)
        comparisons.append({"treatment": arm, "control": plan.control, **r})
    worst = max(comparisons, key=lambda c: c["smallest_p_value"])
    exploratory = len(plan.units) < 30 and worst["smallest_p_value"] > alpha
    left_over = len(plan.units) - sum(counts.values())
    share = ", ".join(f"{a} {'at least ' if left_over else ''}{counts[a]}" for a in plan.arms)
    if left_over:  # the units no arm is sure of: said, so the counts add up
        share += (f"; the {left_over} unit{'s' if left_over > 1 else ''} left over "
                  f"{'go' if left_over > 1 else 'goes'} to an arm at random")  # fmt: skip
    note = (
        f"{len(plan.units)} units ({share}): the "
        f"randomisation test has {worst['distinct_assignments']} distinct assignments of the "
        f"{worst['control']} and {worst['treatment']} units"
        f"{'' if known else ' at most (before the strata are known)'}, so its p-value can "
        f"never fall below {worst['smallest_p_value']:.3f}. "
    )
    note += (
        f"No result can reach α = {alpha:g}: this is an exploratory, underpowered pilot — its "
        "effects show direction and size, not proof."
        if exploratory
        else f"A p-value below α = {alpha:g} is attainable."
    )
    return {
        "units": len(plan.units),
        "units_per_arm": counts,
        "allocation": plan.arm_weights,
        "strata_known": known,
        "alpha": alpha,
        "comparisons": comparisons,
        "smallest_p_value": worst["smallest_p_value"],
        "exploratory": exploratory,
        "note": note,
    }


def minimum_detectable(plan: ExperimentPlan, strata: dict | None = None) -> dict | None:
    """The power calculation for the primary metric (qa_app.domain.experiments.power), with the
    inputs it used: the smallest treatment arm against the control, and the randomisation
    test's resolution from the design (design_summary); None when the plan has no [power]
    table."""
    from qa_app.domain.experiments.power import minimum_detectable_effect

    if plan.power is None:
        return None
    p = plan.power
    counts = units_per_arm(plan)
    treatment = min(plan.treatment_arms, key=lambda a: counts[a])
    design = design_summary(plan, strata)
    resolution = next(c for c in design["comparisons"] if c["treatment"] == treatment)
    inputs = {
        "baseline_mean": p.baseline_mean, "baseline_sd": p.baseline_sd,
        "units_per_arm": counts[treatment], "control_units": counts[plan.control],
        "calls_per_unit": p.calls_per_unit, "icc": p.icc, "alpha": p.alpha, "power": p.power,
        "binary": p.binary,
    }  # fmt: skip
    result = minimum_detectable_effect(
        **inputs,
        smallest_p_value=resolution["smallest_p_value"],
        distinct_assignments=resolution["distinct_assignments"],
    )
    return {"metric": plan.primary_metric, "treatment": treatment, "inputs": inputs, **result}
