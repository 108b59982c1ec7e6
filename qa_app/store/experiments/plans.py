"""Experiments in the database: drafts, the lock (registration), amendments with a reason,
the seeded assignment of units to arms, and the exposure log.

Registering locks a plan: its content and hash are kept as registered, with the time. The
plan is never overwritten afterwards: a change is an amendment (new content, its hash and a
reason), listed on every report. The assignment is drawn once, from a seed that is stored.
Every change is in the audit trail.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from qa_app.domain.experiments.assignment import assign_units, balance_table
from qa_app.domain.experiments.exposure import ExposureRecord
from qa_app.domain.experiments.plan import (
    ExperimentPlan,
    ExperimentPlanError,
    parse_experiment_plan,
)
from qa_app.domain.experiments.units import strata_from_calls, unit_of_call
from qa_app.models import (
    AgentExposure,
    Call,
    Experiment,
    ExperimentAmendment,
    ExperimentUnit,
    User,
    naive_utc,
    utcnow,
)
from qa_app.store import audit

ENTITY = "experiment"
DRAFT, LOCKED = "draft", "locked"
MAX_SEED = 2**63 - 1


class ExperimentStoreError(ValueError):
    """The experiment cannot be stored, locked, amended, assigned or reported as asked; the
    message says why and what to do."""


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class StoredExperiment:
    """An experiment as reports show it: the registered plan, the current one (after the
    amendments), the amendments and the assignment."""

    row: Experiment
    registered_plan: ExperimentPlan
    plan: ExperimentPlan
    amendments: list[ExperimentAmendment]
    units: list[ExperimentUnit]

    @property
    def current_hash(self) -> str:
        return self.amendments[-1].content_hash if self.amendments else self.row.content_hash

    @property
    def assignment(self) -> dict[str, str]:
        return {u.unit: u.arm for u in self.units}

    @property
    def strata(self) -> dict[str, str]:
        return {u.unit: u.stratum for u in self.units}


def find(db: Session, name: str) -> Experiment | None:
    return db.exec(select(Experiment).where(Experiment.name == name)).first()


def all_experiments(db: Session) -> list[Experiment]:
    return list(db.exec(select(Experiment).order_by(Experiment.name)))


def get(db: Session, name: str) -> Experiment:
    """The experiment of that name; ExperimentStoreError naming the stored ones otherwise."""
    row = find(db, name)
    if row is None:
        known = ", ".join(e.name for e in all_experiments(db)) or "none yet"
        raise ExperimentStoreError(f"no experiment named '{name}'; stored: {known}")
    return row


def save_draft(db: Session, text: str, source: str, actor: User | None) -> Experiment:
    """Store a plan as a draft (a new one, or replacing a draft of the same name). A locked
    plan is refused: changing it is an amendment."""
    plan = parse_experiment_plan(text, source)
    row = find(db, plan.name)
    if row is not None and row.status == LOCKED:
        raise ExperimentStoreError(
            f"experiment '{plan.name}' is registered (locked) since "
            f"{row.locked_at:%Y-%m-%d %H:%M} UTC; a change is an amendment with a reason"
        )
    digest = content_hash(text)
    if row is None:
        row = Experiment(name=plan.name, content=text, content_hash=digest,
                         created_by=actor.id if actor else None)  # fmt: skip
        db.add(row)
        db.flush()
        audit.record(db, actor, "experiment.draft_saved", ENTITY, plan.name, None,
                     {"content_hash": digest})  # fmt: skip
    elif row.content_hash != digest:
        before = {"content_hash": row.content_hash}
        row.content, row.content_hash = text, digest
        db.add(row)
        db.flush()
        audit.record(db, actor, "experiment.draft_saved", ENTITY, plan.name, before,
                     {"content_hash": digest})  # fmt: skip
    return row


def lock(db: Session, name: str, actor: User | None) -> Experiment:
    """Register a stored draft: its content hash and the time are fixed from now on."""
    row = get(db, name)
    if row.status == LOCKED:
        raise ExperimentStoreError(
            f"experiment '{name}' is already registered (locked {row.locked_at:%Y-%m-%d %H:%M} UTC)"
        )
    parse_experiment_plan(row.content, name)  # a stored draft always parses; checked again
    row.status, row.locked_at = LOCKED, utcnow()
    row.locked_by = actor.id if actor else None
    db.add(row)
    db.flush()
    audit.record(db, actor, "experiment.registered", ENTITY, name, {"status": DRAFT},
                 {"status": LOCKED, "content_hash": row.content_hash})  # fmt: skip
    return row


def register(db: Session, text: str, source: str, actor: User | None) -> tuple[Experiment, bool]:
    """Store and lock a plan in one step; (row, False) when exactly this plan is registered
    already. A registered plan with other content is refused: that is an amendment."""
    plan = parse_experiment_plan(text, source)
    row = find(db, plan.name)
    if row is not None and row.status == LOCKED:
        if row.content_hash == content_hash(text):
            return row, False
        raise ExperimentStoreError(
            f"experiment '{plan.name}' is registered with other content (sha256 "
            f"{row.content_hash[:12]}, locked {row.locked_at:%Y-%m-%d %H:%M} UTC); a change "
            f"is an amendment: qa-app experiment amend {plan.name} FILE --reason TEXT"
        )
    save_draft(db, text, source, actor)
    return lock(db, plan.name, actor), True


def amend(
    db: Session, name: str, text: str, source: str, reason: str, actor: User | None
) -> ExperimentAmendment:
    """Record a new version of a registered plan with its reason. The units, their strata and
    the arms cannot change once the units are assigned."""
    reason = (reason or "").strip()
    if not reason:
        raise ExperimentStoreError("an amendment needs a reason (--reason TEXT)")
    plan = parse_experiment_plan(text, source)
    if plan.name != name:
        raise ExperimentStoreError(f"{source} is the plan of '{plan.name}', not of '{name}'")
    stored = load(db, name)
    if stored.row.status != LOCKED:
        raise ExperimentStoreError(
            f"experiment '{name}' is a draft: change it freely and register it; amendments "
            "are for registered plans"
        )
    digest = content_hash(text)
    if digest == stored.current_hash:
        raise ExperimentStoreError(f"'{name}' is unchanged: nothing to amend")
    if stored.row.assigned_at is not None:
        old = stored.plan
        if (
            plan.units != old.units
            or plan.arms != old.arms
            or plan.strata != old.strata
            or plan.arm_weights != old.arm_weights
        ):
            raise ExperimentStoreError(
                f"experiment '{name}' is assigned: its units, strata, arms and allocation are "
                "fixed (the amendment changes them)"
            )
    amendment = ExperimentAmendment(experiment_id=stored.row.id, content=text,
                                    content_hash=digest, reason=reason,
                                    by=actor.id if actor else None)  # fmt: skip
    db.add(amendment)
    db.flush()
    before, after = {"content_hash": stored.current_hash}, {"content_hash": digest}
    audit.record(db, actor, "experiment.amended", ENTITY, name, before, after, reason)
    return amendment


def load(db: Session, name: str) -> StoredExperiment:
    """The experiment with its plans, amendments (oldest first) and units."""
    row = get(db, name)
    amendments = list(
        db.exec(
            select(ExperimentAmendment)
            .where(ExperimentAmendment.experiment_id == row.id)
            .order_by(ExperimentAmendment.at, ExperimentAmendment.id)
        )
    )
    units = list(
        db.exec(
            select(ExperimentUnit)
            .where(ExperimentUnit.experiment_id == row.id)
            .order_by(ExperimentUnit.stratum, ExperimentUnit.unit)
        )
    )
    registered = parse_experiment_plan(row.content, name)
    current = parse_experiment_plan(amendments[-1].content, name) if amendments else registered
    return StoredExperiment(row, registered, current, amendments, units)


@dataclass(frozen=True)
class Assignment:
    seed: int
    assigned_at: datetime
    assignment: dict[str, str]
    strata: dict[str, str]
    balance: list[dict]


def unit_strata(db: Session, plan: ExperimentPlan) -> dict[str, str]:
    """Each unit's stratum: from the plan, or (stratify_by a call attribute) from the calls
    stored so far."""
    calls: list[tuple[str, str | None]] = []
    if plan.strata is None and plan.stratify_by not in (None, "weekday", "shift"):
        column = getattr(Call, plan.stratify_by)
        query = select(Call.queue, Call.started_at, column)
        if plan.unit == "queue":
            query = query.where(Call.queue.in_(plan.units))
        for queue, started_at, value in db.exec(query):
            unit = unit_of_call(plan, queue, started_at)
            if unit is not None:
                calls.append((unit, value))
    return strata_from_calls(plan, calls)


def assign(db: Session, name: str, seed: int, actor: User | None) -> Assignment:
    """Draw the units' arms (stratified, in the plan's allocation, reproducible from the seed)
    and store them with the seed. Once only: a second assignment is refused. The allocation is
    read from the plan as registered or amended; it cannot change once assigned, so reports
    re-draw the same design."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ExperimentStoreError(f"the seed must be a whole number from 0 to {MAX_SEED}")
    stored = load(db, name)
    row = stored.row
    if row.status != LOCKED:
        raise ExperimentStoreError(
            f"experiment '{name}' is a draft: register (lock) it before assigning units"
        )
    if row.assigned_at is not None:
        raise ExperimentStoreError(
            f"experiment '{name}' was assigned on {row.assigned_at:%Y-%m-%d %H:%M} UTC with "
            f"seed {row.seed}; an assignment is made once"
        )
    plan = stored.plan
    strata = unit_strata(db, plan)
    try:
        assignment = assign_units(strata, plan.arms, seed, plan.allocation)
        balance = balance_table(strata, assignment, plan.arms)
    except ValueError as exc:
        raise ExperimentStoreError(str(exc)) from None
    for unit in plan.units:
        db.add(ExperimentUnit(experiment_id=row.id, unit=unit, stratum=strata[unit],
                              arm=assignment[unit]))  # fmt: skip
    row.seed, row.assigned_at = seed, utcnow()
    db.add(row)
    db.flush()
    audit.record(db, actor, "experiment.assigned", ENTITY, name, None,
                 {"seed": seed, "assignment": assignment, "strata": strata})  # fmt: skip
    return Assignment(seed, row.assigned_at, assignment, strata, balance)


def stored_balance(stored: StoredExperiment) -> list[dict]:
    """The balance table of the stored assignment (empty before it)."""
    if not stored.units:
        return []
    return balance_table(stored.strata, stored.assignment, stored.plan.arms)


@dataclass(frozen=True)
class ExposureWrite:
    created: int
    unchanged: int


def write_exposures(
    db: Session, records: list[ExposureRecord], actor: User | None, source: str
) -> ExposureWrite:
    """Add the exposures not stored yet (the same agent, intervention and moment again is
    unchanged); one audit event for the file."""
    existing = {
        (agent, intervention, naive_utc(at))
        for agent, intervention, at in db.exec(
            select(AgentExposure.agent, AgentExposure.intervention, AgentExposure.at).where(
                AgentExposure.agent.in_(sorted({r.agent for r in records}))
            )
        )
    }
    created = 0
    for record in records:
        if (record.agent, record.intervention, naive_utc(record.at)) in existing:
            continue
        db.add(AgentExposure(agent=record.agent, intervention=record.intervention, at=record.at))
        created += 1
    db.flush()
    audit.record(db, actor, "exposures.imported", "exposures", source, None,
                 {"created": created, "rows": len(records)})  # fmt: skip
    return ExposureWrite(created, len(records) - created)


DEMO_PLAN_FILE = "demo-empathy-pilot.toml"
DEMO_LOCKED_AT = datetime(2026, 6, 20, 9, 0, tzinfo=UTC)
DEMO_SEED = 20260620


def add_demo_experiment(db: Session) -> bool:
    """The demo's pilot (experiments/demo-empathy-pilot.toml), registered and assigned as if
    on 20 June 2026, before the demo calls of its window, with exposures for the agents who
    mostly work the trained queues; once (False when it is there, or the package lacks the
    file). Demo data only: the real register and assign stamp the current time."""
    from importlib.resources import files

    try:
        text = (files("qa_app.experiments") / DEMO_PLAN_FILE).read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return False
    plan = parse_experiment_plan(text, DEMO_PLAN_FILE)
    if find(db, plan.name) is not None:
        return False
    row, _ = register(db, text, DEMO_PLAN_FILE, None)
    result = assign(db, plan.name, DEMO_SEED, None)
    row.locked_at, row.assigned_at = DEMO_LOCKED_AT, DEMO_LOCKED_AT + timedelta(hours=1)
    db.add(row)
    trained = {u for u, arm in result.assignment.items() if arm != plan.control}
    calls: dict[str, list[int]] = {}
    for agent, queue in db.exec(select(Call.agent, Call.queue).where(Call.queue.in_(plan.units))):
        if agent:
            calls.setdefault(agent, [0, 0])[queue in trained] += 1
    at = DEMO_LOCKED_AT + timedelta(days=5)
    mostly_trained = sorted(a for a, (other, in_trained) in calls.items() if in_trained > other)
    for agent in mostly_trained:
        db.add(AgentExposure(agent=agent, intervention=plan.intervention.name, at=at))
    db.flush()
    return True


__all__ = [
    "DRAFT",
    "LOCKED",
    "ExperimentPlanError",
    "ExperimentStoreError",
    "StoredExperiment",
    "add_demo_experiment",
    "all_experiments",
    "amend",
    "assign",
    "find",
    "load",
    "lock",
    "register",
    "save_draft",
    "write_exposures",
]
