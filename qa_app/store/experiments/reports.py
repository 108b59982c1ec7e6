"""An experiment's report: the pre-registered analysis of every metric, the power calculation,
the contamination check, the amendments, the analysis as amended (when an amendment changed
the metrics, window, lags or subgroups; labelled as amended) and (below, labelled) anything
exploratory.

The pre-registered analysis reads the plan as registered (its metrics, window, lags,
subgroups and power inputs), never the amended one: an amendment made after seeing the data
cannot make its metric "pre-registered" (qa_app.domain.experiments.amendments).

The calls that count: started in the plan's window, from the day the lag after assignment
ends, in one of the experiment's units (its queue, or the weekday-shift of its start). Each
call takes its unit's arm from the stored assignment (intention to treat: who handled the call
does not change the arm; the contamination check counts how far that matters). Metric values
come from the catalogue (qa_app.store.metrics); the estimates from
qa_app.domain.experiments.analysis.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
from sqlmodel import Session, select

from qa_app.domain.experiments.amendments import (
    analysis_changed,
    analysis_changes,
    registered_analysis,
)
from qa_app.domain.experiments.analysis import estimate_effect
from qa_app.domain.experiments.contamination import contamination_check
from qa_app.domain.experiments.plan import ExperimentPlan, parse_experiment_plan
from qa_app.domain.experiments.units import (
    design_summary,
    minimum_detectable,
    subgroup_values,
    unit_of_call,
)
from qa_app.domain.metrics import is_rate, parse_metric
from qa_app.models import (
    AgentExposure,
    CalibrationConsensus,
    Call,
    Outcome,
    Review,
    ReviewScore,
    User,
    naive_utc,
)
from qa_app.store.experiments.plans import (
    LOCKED,
    ExperimentStoreError,
    StoredExperiment,
    load,
    stored_balance,
)
from qa_app.store.fingerprints import fingerprint
from qa_app.store.metrics import call_metric_frame
from qa_app.store.rubrics import DEFAULT_RUBRIC_ID

EXPLORATORY = "Exploratory — not pre-registered"
AMENDED = "Amended after registration — not pre-registered"
PERMUTATIONS = 2000


def analysis_days(
    stored: StoredExperiment, plan: ExperimentPlan | None = None
) -> tuple[date, date]:
    """The first and last day whose calls count under ``plan`` (by default the registered
    plan's analysis): the window, from the end of the lag after assignment."""
    row = stored.row
    if plan is None:
        plan = registered_analysis(stored.registered_plan, stored.plan)
    first = plan.window_start
    if row.assigned_at is not None:
        # The UTC day (PostgreSQL hands the time back in the session's zone).
        assigned = naive_utc(row.assigned_at).date()
        first = max(first, assigned + timedelta(days=plan.lag_after_assignment_days))
    return first, plan.window_end


def _with_units(plan: ExperimentPlan, frame: pd.DataFrame, assignment: dict) -> pd.DataFrame:
    """The calls of ``frame`` in the experiment's units, with unit, arm and subgroup columns."""
    units = [
        unit_of_call(plan, q, None if pd.isna(s) else s.to_pydatetime())
        for q, s in zip(frame["queue"], frame["started_at"], strict=True)
    ]
    frame = frame.assign(unit=units)
    frame = frame[frame["unit"].notna()].copy()
    frame["arm"] = frame["unit"].map(assignment)
    for column in plan.subgroups.columns:
        frame[column] = [
            subgroup_values(plan, it, None if pd.isna(t) else int(t), ch)[column]
            for it, t, ch in zip(
                frame["interaction_type"],
                frame["agent_tenure_days"],
                frame["channel"],
                strict=True,
            )  # fmt: skip
        ]
    return frame


def _effects(stored, plan, key, primary, frame_of, permutations) -> list[dict]:
    """One entry per treatment arm against the control: the estimate, or why there is none."""
    try:
        spec = parse_metric(key)
        frame = frame_of(spec)
    except ValueError as exc:
        return [_missing(key, primary, plan.control, arm, str(exc)) for arm in plan.treatment_arms]
    rate = is_rate(spec, frame["value"])
    entries = []
    for arm in plan.treatment_arms:
        try:
            effect = estimate_effect(
                frame, metric=spec.key, primary=primary, control=plan.control, treatment=arm,
                strata=stored.strata, arms=list(plan.arms), seed=int(stored.row.seed),
                subgroup_columns=plan.subgroups.columns, permutations=permutations,
                allocation=plan.allocation,
            )  # fmt: skip
        except ValueError as exc:
            entries.append(_missing(spec.key, primary, plan.control, arm, str(exc)))
            continue
        entries.append(effect.to_json() | {"label": spec.label, "error": None, "rate": rate})
    return entries


def _missing(metric, primary, control, treatment, reason) -> dict:
    return {
        "metric": metric, "primary": primary, "effect": None, "ci": None, "p_value": None,
        "method": None, "control": control, "treatment": treatment, "subgroups": [],
        "warnings": [], "label": metric, "error": reason,
    }  # fmt: skip


def _calls_in_units(db: Session, stored: StoredExperiment, first: date, last: date) -> pd.DataFrame:
    """Every call in the window and the units (for the contamination check), any metric."""
    start = datetime.combine(first, time(), tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC)
    query = select(Call.call_id, Call.agent, Call.queue, Call.started_at).where(
        Call.started_at >= start, Call.started_at < end
    )
    if stored.plan.unit == "queue":
        query = query.where(Call.queue.in_(stored.plan.units))
    rows = []
    for call_id, agent, queue, started_at in db.exec(query):
        unit = unit_of_call(stored.plan, queue, started_at)
        if unit is not None:
            rows.append({"call_id": call_id, "agent": agent, "unit": unit,
                         "arm": stored.assignment[unit], "started_at": started_at})  # fmt: skip
    frame = pd.DataFrame(rows, columns=["call_id", "agent", "unit", "arm", "started_at"])
    frame["started_at"] = pd.to_datetime(frame["started_at"], utc=True)
    return frame


def _exposures(db: Session, plan: ExperimentPlan) -> pd.DataFrame:
    """The plan's intervention's exposures, each counted from the end of its lag."""
    rows = db.exec(
        select(AgentExposure.agent, AgentExposure.intervention, AgentExposure.at).where(
            AgentExposure.intervention == plan.intervention.name
        )
    ).all()
    frame = pd.DataFrame(rows, columns=["agent", "intervention", "at"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True) + pd.Timedelta(
        days=plan.lag_after_exposure_days
    )
    return frame


def _plan_json(plan: ExperimentPlan) -> dict:
    return {
        "hypothesis": plan.hypothesis,
        "intervention": {
            "kind": plan.intervention.kind,
            "name": plan.intervention.name,
            "playbook": plan.intervention.playbook,
        },  # fmt: skip
        "unit": plan.unit,
        "arms": list(plan.arms),
        "allocation": plan.arm_weights,
        "control": plan.control,
        "primary_metric": plan.primary_metric,
        "secondary_metrics": list(plan.secondary_metrics),
        "window": {"start": plan.window_start.isoformat(), "end": plan.window_end.isoformat()},
        "lags": {
            "after_assignment_days": plan.lag_after_assignment_days,
            "after_exposure_days": plan.lag_after_exposure_days,
        },  # fmt: skip
        "subgroups": list(plan.subgroups.columns),
        "decision_rule": plan.decision_rule,
    }


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def _amendments(db: Session, stored: StoredExperiment) -> list[dict]:
    """Each amendment with who made it, why, and what it changed in the analysis (against
    the plan before it)."""
    ids = {a.by for a in stored.amendments if a.by}
    # .all(): a Result has .keys() (its column names), so dict() would read it as a mapping.
    emails = dict(db.exec(select(User.id, User.email).where(User.id.in_(ids))).all()) if ids else {}
    entries, before = [], stored.registered_plan
    for a in stored.amendments:
        after = parse_experiment_plan(a.content, stored.row.name)
        entries.append({
            "at": _iso(a.at),
            "by": emails.get(a.by, "system"),
            "reason": a.reason,
            "content_hash": a.content_hash,
            "changes": analysis_changes(before, after),
        })  # fmt: skip
        before = after
    return entries


def _analysis(db, stored, plan, explore, rubric_id, permutations) -> dict:
    """The metrics of ``plan`` (and the exploratory ones it lacks) over its window and lags."""
    first, last = analysis_days(stored, plan)
    warnings = []
    if first > last:
        warnings.append(
            f"the lag after assignment ends on {first}, after the window's end ({last}): "
            "no call counts"
        )

    def frame_of(spec):
        frame = call_metric_frame(db, spec, since=first, until=last, default_rubric_id=rubric_id)
        return _with_units(plan, frame, stored.assignment)

    metrics = []
    for key in plan.metrics:
        metrics += _effects(stored, plan, key, key == plan.primary_metric, frame_of, permutations)
    explored = []
    for key in explore:
        if key not in plan.metrics:
            explored += _effects(stored, plan, key, False, frame_of, permutations)
    return {"first": first, "last": last, "warnings": warnings, "metrics": metrics,
            "explored": explored}  # fmt: skip


def _window_json(analysed: dict, calls: int | None) -> dict:
    window = {"first_day": analysed["first"].isoformat(), "last_day": analysed["last"].isoformat()}
    return window if calls is None else window | {"calls_in_units": calls}


def data_fingerprint(db: Session, name: str) -> tuple:
    """What a report depends on, cheaply: the experiment's current plan, lock and assignment,
    and the row count and latest change of every table its figures come from (calls,
    outcomes, reviews and their scores, calibration consensus, exposures). Two reports with
    the same fingerprint are the same report, so the page can keep a computed one."""
    stored = load(db, name)
    tables = fingerprint(db, (
        (Call.id, Call.updated_at), (Outcome.id, Outcome.updated_at),
        (Review.id, Review.updated_at), (ReviewScore.id, ReviewScore.id),
        (CalibrationConsensus.id, CalibrationConsensus.decided_at),
        (AgentExposure.id, AgentExposure.id),
    ))  # fmt: skip
    return tables + (
        stored.row.id, stored.current_hash, stored.row.status, _iso(stored.row.locked_at),
        stored.row.seed, _iso(stored.row.assigned_at),
    )  # fmt: skip


def report(
    db: Session,
    name: str,
    *,
    explore: tuple[str, ...] = (),
    rubric_id: str = DEFAULT_RUBRIC_ID,
    permutations: int = PERMUTATIONS,
) -> dict:
    """The experiment's report as JSON-ready data. Refused (ExperimentStoreError) before the
    plan is registered and before its units are assigned."""
    stored = load(db, name)
    row, plan = stored.row, stored.plan
    if row.status != LOCKED:
        raise ExperimentStoreError(
            f"experiment '{name}' is a draft: results are not computed before the plan is "
            f"registered (locked); register it first: qa-app experiment register FILE"
        )
    if row.assigned_at is None:
        raise ExperimentStoreError(
            f"experiment '{name}' has no assignment yet: qa-app experiment assign {name} --seed S"
        )
    registered = registered_analysis(stored.registered_plan, plan)
    analysed = _analysis(db, stored, registered, explore, rubric_id, permutations)
    first, last, warnings = analysed["first"], analysed["last"], analysed["warnings"]
    calls = _calls_in_units(db, stored, first, last)
    contamination = contamination_check(
        calls, _exposures(db, registered), intervention=plan.intervention.name,
        treatment_arms=list(plan.treatment_arms),
    )  # fmt: skip
    try:
        power = minimum_detectable(registered, stored.strata)
    except ValueError as exc:  # inputs the power calculation cannot use: said, not hidden
        power, warnings = None, [*warnings, f"no power calculation: {exc}"]
    amendments = _amendments(db, stored)
    amended = None
    if analysis_changed(registered, plan):
        # Analysed too, since an amendment may have good reasons; but labelled as amended,
        # below the registered analysis, with what changed and why.
        again = _analysis(db, stored, plan, (), rubric_id, permutations)
        amended = {
            "label": AMENDED,
            "current_plan_hash": stored.current_hash,
            "changes": analysis_changes(registered, plan),
            "reasons": [
                {"at": a["at"], "by": a["by"], "reason": a["reason"], "changes": a["changes"]}
                for a in amendments
                if a["changes"]
            ],
            "plan": _plan_json(plan),
            "analysis_window": _window_json(again, None),
            "metrics": again["metrics"],
            "warnings": again["warnings"],
        }
    return {
        "experiment": name,
        "plan_hash": row.content_hash,
        "locked_at": _iso(row.locked_at),
        "current_plan_hash": stored.current_hash,
        "seed": row.seed,
        "assigned_at": _iso(row.assigned_at),
        "plan": _plan_json(stored.registered_plan),
        "analysis_window": _window_json(analysed, len(calls)),
        "assignment": [{"unit": u.unit, "stratum": u.stratum, "arm": u.arm} for u in stored.units],
        "balance": stored_balance(stored),
        "metrics": analysed["metrics"],
        "design": design_summary(plan, stored.strata, seed=int(row.seed)),
        "power": power,
        "contamination": contamination.to_json() | {"clean": contamination.clean},
        "amendments": amendments,
        "amended_analysis": amended,
        "exploratory": {"label": EXPLORATORY, "metrics": analysed["explored"]},
        "warnings": warnings,
    }
