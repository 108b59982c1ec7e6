"""The weight every reviewed call carries in the app's figures, and the stratum it was drawn in.

Two weightings, named on every report:

- **plan**: some reviewed calls in the filtered set were drawn by a sampling plan. Each of
  those carries its design weight N_h / r_h: the stratum's population over its drawn calls
  reviewed so far, which is 1/π_h once every drawn call is reviewed (and, before that, keeps
  a half-reviewed stratum from counting half). Reviewed calls outside any plan and outside
  every plan's period are weighted to the interaction mix of the calls outside those periods
  (N_type / r_type, the same scale). Reviewed calls inside a plan's period that the plan did
  not draw (added by hand, or to reach an agent's minimum) are left out of weighted figures:
  the plan's sample already stands for their period. They still count in unweighted ones.
- **mix**: no plan calls: weight = share of the interaction type among all calls / share
  among reviewed calls, as before plans existed.

Every weighted figure is a Hájek ratio Σwy / Σw, so the two scales never meet in one figure
(a plan-weighted report uses population-scale weights throughout).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, true
from sqlmodel import Session, select

from qa_app.domain.rubrics.final_scores import mix_weights
from qa_app.domain.sampling.draw import PROBABILITY_SAMPLE
from qa_app.models import Call, SampledCall, SamplingPlan
from qa_app.store.reviews.queue import CallFilters

PLAN, MIX, NONE = "plan", "mix", "none"
OUTSIDE = "outside plans"
LEFT_OUT = "left out"
DESCRIPTIONS = {
    PLAN: "weighted by the sampling plan's design: weight N_h / r_h (1/π once every drawn "
    "call is reviewed) for calls a plan drew; calls outside every plan's period weighted to "
    "their interaction mix; other calls in a plan's period left out of weighted figures",
    MIX: "weighted to the interaction mix (share of the type among all calls / share among "
    "reviewed calls)",
    NONE: "unweighted (no reviewed calls to weight)",
}


@dataclass
class Weighting:
    """Weights for the reviewed calls matching one set of filters."""

    mode: str
    by_type: dict = field(default_factory=dict)
    # call_pk -> (weight, stratum) for reviewed calls a plan drew with a known probability.
    plan_calls: dict[int, tuple[float, str]] = field(default_factory=dict)
    stratum_sizes: dict[str, int] = field(default_factory=dict)
    periods: list[tuple[datetime, datetime]] = field(default_factory=list)
    left_out: int = 0

    @property
    def description(self) -> str:
        return DESCRIPTIONS[self.mode]

    def weight_and_stratum(
        self, call_pk: int, interaction_type: str | None, started_at
    ) -> tuple[float | None, str]:
        """The call's weight and the stratum its variance is computed in."""
        if self.mode == PLAN:
            if call_pk in self.plan_calls:
                return self.plan_calls[call_pk]
            if self._in_plan_period(started_at):
                return None, LEFT_OUT
            return self.by_type.get(interaction_type), f"{OUTSIDE}: {interaction_type}"
        if self.mode == MIX:
            return self.by_type.get(interaction_type), f"type: {interaction_type}"
        return 1.0, "all"

    def _in_plan_period(self, started_at) -> bool:
        if started_at is None:
            return False
        moment = started_at if started_at.tzinfo else started_at.replace(tzinfo=UTC)
        return any(since <= moment < until for since, until in self.periods)


def plan_periods(db: Session) -> list[tuple[datetime, datetime]]:
    """[since, until + 1 day) of every drawn plan, as aware UTC datetimes."""
    periods = []
    for since, until in db.exec(
        select(SamplingPlan.since, SamplingPlan.until).where(SamplingPlan.drawn_at.is_not(None))
    ):
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
        until = until if until.tzinfo else until.replace(tzinfo=UTC)
        periods.append((since, until + timedelta(days=1)))
    return periods


def weighting_for(db: Session, filters: CallFilters, scored) -> Weighting:
    """The weighting for the reviewed calls matching ``filters``; ``scored`` is the select
    of call pks that have final scores (under the report's rubric version)."""
    plan_rows = db.exec(
        filters.apply(
            select(SampledCall.call_pk)
            .join(Call, Call.id == SampledCall.call_pk)
            .where(SampledCall.purpose == PROBABILITY_SAMPLE, SampledCall.call_pk.in_(scored))
        ).limit(1)
    ).first()
    if plan_rows is None:
        everyone = _counts_by_type(db, filters, None)
        reviewed = _counts_by_type(db, filters, Call.id.in_(scored))
        weights = mix_weights(everyone, reviewed)
        sizes = {f"type: {kind}": count for kind, count in everyone.items()}
        return Weighting(MIX if weights else NONE, weights, stratum_sizes=sizes)
    return _plan_weighting(db, filters, scored)


def _counts_by_type(db: Session, filters: CallFilters, condition) -> dict:
    query = select(Call.interaction_type, func.count()).select_from(Call)
    if condition is not None:
        query = query.where(condition)
    return dict(db.exec(filters.apply(query.group_by(Call.interaction_type))).all())


def _plan_weighting(db: Session, filters: CallFilters, scored) -> Weighting:
    # Design weights use every reviewed call of the stratum, whatever the filters: a call's
    # weight belongs to the call, and a filter picks a domain of the same design.
    drawn = db.exec(
        select(
            SampledCall.call_pk,
            SampledCall.plan_id,
            SampledCall.stratum,
            SampledCall.stratum_population,
        ).where(SampledCall.purpose == PROBABILITY_SAMPLE, SampledCall.call_pk.in_(scored))
    ).all()
    reviewed = Counter((plan_id, stratum) for _pk, plan_id, stratum, _n in drawn)
    names = dict(db.exec(select(SamplingPlan.id, SamplingPlan.name)).all())
    plan_calls, sizes = {}, {}
    for call_pk, plan_id, stratum, population in drawn:
        label = f"{names.get(plan_id, plan_id)}: {stratum}"
        plan_calls[call_pk] = (population / reviewed[(plan_id, stratum)], label)
        sizes[label] = population
    periods = plan_periods(db)
    outside = _outside_periods(periods)
    everyone = _counts_by_type(db, filters, outside)
    outside_reviewed = _counts_by_type(
        db, filters, outside & Call.id.in_(scored) & Call.id.not_in(select(SampledCall.call_pk))
    )
    by_type = {
        kind: everyone.get(kind, 0) / count for kind, count in outside_reviewed.items() if count
    }
    for kind, count in everyone.items():
        sizes[f"{OUTSIDE}: {kind}"] = count
    return Weighting(PLAN, by_type, plan_calls=plan_calls, stratum_sizes=sizes, periods=periods)


def _outside_periods(periods):
    """Calls that started outside every period (or whose start is unknown)."""
    condition = true()
    for since, until in periods:
        outside = or_(Call.started_at.is_(None), Call.started_at < since, Call.started_at >= until)
        condition = and_(condition, outside)
    return condition
