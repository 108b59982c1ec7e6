"""What an amendment changed in an experiment's analysis, and the plan the pre-registered
analysis reads.

The pre-registered analysis is the one the registered plan promised: its metrics (primary and
secondary), window, lags, equity subgroups and power inputs. An amendment may change those
after the data came in, so the report never lets it rewrite the pre-registered section: the
registered analysis comes first, and what the amendments changed is analysed separately,
labelled as amended. The design (units, arms, strata, allocation) is the assignment's: it is
fixed once the units are assigned, and the assignment is what the data were drawn from.
"""

from __future__ import annotations

from dataclasses import replace

from qa_app.domain.experiments.plan import ExperimentPlan

# The fields of a plan that decide what the analysis computes (not how units were randomised).
ANALYSIS_FIELDS = (
    "primary_metric",
    "secondary_metrics",
    "window_start",
    "window_end",
    "lag_after_assignment_days",
    "lag_after_exposure_days",
    "subgroups",
    "power",
)


def registered_analysis(registered: ExperimentPlan, current: ExperimentPlan) -> ExperimentPlan:
    """The plan the pre-registered analysis reads: the current plan's design (the one the
    units were assigned from) with the registered plan's metrics, window, lags, subgroups and
    power inputs."""
    return replace(current, **{name: getattr(registered, name) for name in ANALYSIS_FIELDS})


def analysis_changed(before: ExperimentPlan, after: ExperimentPlan) -> bool:
    """Whether ``after`` analyses anything differently from ``before``."""
    return any(getattr(before, name) != getattr(after, name) for name in ANALYSIS_FIELDS)


def _subgroups(plan: ExperimentPlan) -> str:
    return ", ".join(plan.subgroups.columns) or "none"


def _window(plan: ExperimentPlan) -> str:
    return f"{plan.window_start} to {plan.window_end}"


def analysis_changes(before: ExperimentPlan, after: ExperimentPlan) -> list[str]:
    """What ``after`` changes in the analysis of ``before``, one plain sentence each: metrics
    added or removed, the primary metric, the window, the lags, the subgroups, the power
    inputs. Empty when the analysis is the same (a reworded hypothesis, say)."""
    changes = []
    if before.primary_metric != after.primary_metric:
        changes.append(
            f"primary metric changed from {before.primary_metric} to {after.primary_metric}"
        )
    added = [m for m in after.metrics if m not in before.metrics]
    removed = [m for m in before.metrics if m not in after.metrics]
    if added:
        changes.append(f"metric{'s' if len(added) > 1 else ''} added: {', '.join(added)}")
    if removed:
        changes.append(f"metric{'s' if len(removed) > 1 else ''} removed: {', '.join(removed)}")
    if (before.window_start, before.window_end) != (after.window_start, after.window_end):
        changes.append(f"window changed from {_window(before)} to {_window(after)}")
    for name, label in (
        ("lag_after_assignment_days", "lag after assignment"),
        ("lag_after_exposure_days", "lag after exposure"),
    ):
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            changes.append(f"{label} changed from {old} to {new} day(s)")
    if before.subgroups != after.subgroups:
        changes.append(
            f"equity subgroups changed from {_subgroups(before)} to {_subgroups(after)}"
            + (" (same columns, other cut-offs)" if _subgroups(before) == _subgroups(after) else "")
        )
    if before.power != after.power:
        changes.append("power inputs changed")
    return changes
