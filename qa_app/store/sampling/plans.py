"""Sampling plans in the database: storing a plan, previewing it, drawing and assigning its calls.

The choices (allocation, drawing, balancing) are plain functions in
qa_app.domain.sampling.plan and qa_app.domain.sampling.draw; this module reads the
population, writes the draw and the assignments in one transaction, and records both in the
audit trail.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from qa_app.domain.sampling.draw import (
    PROBABILITY_SAMPLE,
    DrawnCall,
    PopulationCall,
    balance_assignments,
    draw_sample,
)
from qa_app.domain.sampling.plan import (
    DEFAULT_OVERSAMPLING,
    STRATUM_FIELDS,
    PlanPreview,
    SamplingPlanSpec,
    parse_plan,
    preview_plan,
    stratum_key,
)
from qa_app.models import Assignment, Call, Review, Role, SampledCall, SamplingPlan, User, utcnow
from qa_app.store import audit
from qa_app.store.reviews.queue import day_start
from qa_app.store.sampling.machine_strata import MachineStratumError, machine_bands


class SamplingError(ValueError):
    """The plan cannot be stored or drawn as asked; the message says what to change."""


def _period(spec_or_row) -> tuple:
    since = spec_or_row.since
    until = spec_or_row.until
    if hasattr(since, "date"):
        since, until = since.date(), until.date()
    return day_start(since), day_start(until + timedelta(days=1))


def save_plan(db: Session, text: str, source: str, actor: User | None) -> SamplingPlan:
    """Store a checked plan file (a new one, or a plan not drawn yet under the same name).

    Raises :class:`PlanError` for a file with problems and :class:`SamplingError` for a
    plan already drawn or a reviewer who cannot review."""
    spec = parse_plan(text, source)
    reviewer_ids(db, spec)
    row = find_plan(db, spec.name)
    if row is not None and row.drawn_at is not None:
        raise SamplingError(
            f"plan '{spec.name}' was drawn on {row.drawn_at:%Y-%m-%d %H:%M} UTC: its calls and "
            "probabilities are fixed; give the changed plan a new name"
        )
    since, until_next = _period(spec)
    values = {
        "since": since,
        "until": until_next - timedelta(days=1),
        "seed": spec.seed,
        "strata": list(spec.strata),
        "content": text,
        "content_hash": hashlib.sha256(text.encode()).hexdigest(),
    }
    before = None
    if row is None:
        row = SamplingPlan(name=spec.name, created_by=actor.id if actor else None, **values)
    else:
        before = {"content_hash": row.content_hash}
        for key, value in values.items():
            setattr(row, key, value)
    db.add(row)
    db.flush()
    audit.record(
        db, actor, "plan.saved", "sampling_plan", spec.name, before,
        {"content_hash": row.content_hash, "since": str(spec.since), "until": str(spec.until)},
    )  # fmt: skip
    return row


def find_plan(db: Session, name: str) -> SamplingPlan | None:
    return db.exec(select(SamplingPlan).where(SamplingPlan.name == name)).first()


def get_plan(db: Session, name: str) -> SamplingPlan:
    """The stored plan of that name, or :class:`SamplingError` naming the known plans."""
    row = find_plan(db, name)
    if row is None:
        known = ", ".join(p.name for p in all_plans(db)) or "none yet"
        raise SamplingError(f"no sampling plan named '{name}'; plans: {known}")
    return row


def all_plans(db: Session) -> list[SamplingPlan]:
    newest_first = select(SamplingPlan).order_by(SamplingPlan.since.desc(), SamplingPlan.name)
    return list(db.exec(newest_first))


def plan_spec(row: SamplingPlan) -> SamplingPlanSpec:
    return parse_plan(row.content, row.name)


def reviewer_ids(db: Session, spec: SamplingPlanSpec) -> list[int]:
    """The plan's reviewers as user ids, in the plan's order; every one must be an active
    reviewer or lead."""
    users = {u.email: u for u in db.exec(select(User).where(User.email.in_(list(spec.reviewers))))}
    problems = []
    for email in spec.reviewers:
        user = users.get(email)
        if user is None:
            problems.append(f"'{email}' has no account")
        elif not user.active or user.role not in (Role.REVIEWER, Role.LEAD):
            problems.append(f"'{email}' is not an active reviewer or lead")
    if problems:
        raise SamplingError(f"plan '{spec.name}' reviewers: {'; '.join(problems)}")
    return [users[email].id for email in spec.reviewers]


def population(
    db: Session, row: SamplingPlan, spec: SamplingPlanSpec
) -> tuple[list[PopulationCall], dict[tuple, int], str | None]:
    """Calls started in the plan's period, less those another plan already drew, their
    number per stratum (keyed by the stratum's values in the order of ``spec.strata``) and,
    for a plan stratified on the machine's prediction, the model that gave it."""
    since, until_next = _period(row)
    fields = [name for name in spec.strata if name in STRATUM_FIELDS]
    taken = select(SampledCall.call_pk).where(SampledCall.plan_id != row.id)
    rows = db.exec(
        select(Call.id, Call.call_id, Call.agent, *(getattr(Call, f) for f in fields)).where(
            Call.started_at >= since, Call.started_at < until_next, Call.id.not_in(taken)
        )
    ).all()
    bands, model = {}, None
    if spec.machine_target is not None:
        try:
            bands, model = machine_bands(
                db, spec.machine_target, since, until_next, [r[0] for r in rows]
            )
        except MachineStratumError as error:
            raise SamplingError(f"plan '{spec.name}': {error}") from None
    calls, counts = [], Counter()
    for r in rows:
        by_field = dict(zip(fields, r[3:], strict=True))
        values = tuple(by_field[n] if n in by_field else bands[r[0]] for n in spec.strata)
        counts[values] += 1
        calls.append(PopulationCall(r[0], r[1], stratum_key(values), r[2]))
    return calls, dict(counts), model


def preview(db: Session, row: SamplingPlan) -> tuple[SamplingPlanSpec, PlanPreview, list]:
    """The plan's allocation over the population of its period (nothing is written)."""
    spec = plan_spec(row)
    calls, populations, model = population(db, row, spec)
    plan_preview = preview_plan(spec, populations)
    plan_preview.machine_model = model
    return spec, plan_preview, calls


@dataclass
class DrawResult:
    plan: SamplingPlan
    spec: SamplingPlanSpec
    preview: PlanPreview
    drawn: list[DrawnCall]
    assigned: dict[int, int]
    dry_run: bool

    def as_dict(self) -> dict:
        """The JSON of ``sample draw`` (docs/sampling.md)."""
        counts: dict[str, int] = {}
        for call in self.drawn:
            if call.purpose == PROBABILITY_SAMPLE:
                counts[call.stratum] = counts.get(call.stratum, 0) + 1
        extra = [c.call_id for c in self.drawn if c.purpose != PROBABILITY_SAMPLE]
        return {
            "plan": self.spec.name,
            "seed": self.spec.seed,
            "dry_run": self.dry_run,
            "drawn": len(self.drawn),
            "calls": [c.call_id for c in self.drawn],
            "strata": [
                {
                    "stratum": s.values,
                    "population": s.population,
                    "drawn": counts.get(s.key, 0),
                    "probability": round(s.probability, 6),
                }
                for s in self.preview.strata
            ],
            "agent_minimum_calls": extra,
            "design_effect": _round(self.preview.design_effect),
            "effective_n": _round(self.preview.effective_n),
            "machine_model": self.preview.machine_model,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def draw(db: Session, row: SamplingPlan, actor: User | None, dry_run: bool = False) -> DrawResult:
    """Draw the plan's calls and assign them to its reviewers, balanced by workload.

    A dry run draws the same calls without writing anything; a plan is drawn once.
    """
    if row.drawn_at is not None and not dry_run:
        raise SamplingError(
            f"plan '{row.name}' was already drawn on {row.drawn_at:%Y-%m-%d %H:%M} UTC"
        )
    spec, plan_preview, calls = preview(db, row)
    reviewers = reviewer_ids(db, spec)
    if plan_preview.planned == 0:
        raise SamplingError(
            f"plan '{row.name}' draws no calls: no call in {spec.since}–{spec.until} falls in a "
            "stratum with a size above 0"
        )
    drawn = draw_sample(plan_preview, calls, spec.seed, spec.min_per_agent)
    assigned = balance_assignments([c.call_pk for c in drawn], reviewers, open_work(db, reviewers))
    if not dry_run:
        population_of = {s.key: s.population for s in plan_preview.strata}
        db.add_all(
            SampledCall(
                plan_id=row.id,
                call_pk=c.call_pk,
                stratum=c.stratum,
                purpose=c.purpose,
                probability=c.probability,
                stratum_population=population_of.get(c.stratum, 0),
            )
            for c in drawn
        )
        existing = set(
            db.exec(
                select(Assignment.call_pk, Assignment.reviewer_id).where(
                    Assignment.call_pk.in_(list(assigned))
                )
            ).all()
        )
        now = utcnow()
        db.add_all(
            Assignment(
                call_pk=call_pk,
                reviewer_id=reviewer,
                assigned_by=actor.id if actor else None,
                assigned_at=now,
            )
            for call_pk, reviewer in assigned.items()
            if (call_pk, reviewer) not in existing
        )
        row.drawn_at, row.drawn_by = now, actor.id if actor else None
        db.add(row)
        after = {"seed": spec.seed, "drawn": len(drawn), "population": plan_preview.population}
        if plan_preview.machine_model:
            after["machine_model"] = plan_preview.machine_model
        audit.record(db, actor, "plan.drawn", "sampling_plan", row.name, None, after)
        db.flush()
    return DrawResult(row, spec, plan_preview, drawn, assigned, dry_run)


def open_work(db: Session, reviewers: list[int]) -> dict[int, int]:
    """Assigned calls each reviewer has not submitted yet."""
    submitted = select(Review.call_pk).where(
        Review.reviewer_id == Assignment.reviewer_id, Review.status == "submitted"
    )
    rows = db.exec(
        select(Assignment.reviewer_id, func.count())
        .where(Assignment.reviewer_id.in_(reviewers), Assignment.call_pk.not_in(submitted))
        .group_by(Assignment.reviewer_id)
    ).all()
    return dict(rows)


def plan_calls(db: Session, row: SamplingPlan) -> list[str]:
    """The plan's drawn call IDs, hard cases first: calls of the interaction types the plan
    oversamples, then the rest, each in call_id order (for calibration sessions)."""
    spec = plan_spec(row)
    factors = spec.oversample or DEFAULT_OVERSAMPLING
    rows = db.exec(
        select(Call.call_id, Call.interaction_type)
        .join(SampledCall, SampledCall.call_pk == Call.id)
        .where(SampledCall.plan_id == row.id)
    ).all()
    return [
        call_id
        for call_id, _kind in sorted(rows, key=lambda r: (-factors.get(r[1] or "", 1.0), r[0]))
    ]
