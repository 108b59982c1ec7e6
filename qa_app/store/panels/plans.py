"""Analysis plans in the database: stored with their time and content hash; a later change is
an amendment that needs a reason, counted on the plan and kept in the audit trail."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from qa_app.domain.panels.plan import AnalysisPlanSpec, parse_analysis_plan
from qa_app.models import AnalysisPlan, AuditEvent, User, utcnow
from qa_app.store import audit

ENTITY = "analysis_plan"


class AnalysisPlanStoreError(ValueError):
    """The plan cannot be stored, amended or found as asked; the message says what to do."""


@dataclass(frozen=True)
class Amendment:
    at: datetime
    by: str
    reason: str
    before_hash: str | None
    after_hash: str | None


@dataclass(frozen=True)
class StoredPlan:
    """A stored plan as reports show it: the checked spec, its times, hash and amendments."""

    spec: AnalysisPlanSpec
    content: str
    content_hash: str
    created_at: datetime
    updated_at: datetime
    amendments: list[Amendment]

    def as_dict(self) -> dict:
        return {
            "name": self.spec.name,
            "flag": self.spec.flag,
            "dose": self.spec.dose,
            "outcomes": {o: list(lags) for o, lags in self.spec.outcomes.items()},
            "content_hash": self.content_hash,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "amendment_count": len(self.amendments),
            "amendments": [
                {"at": a.at.isoformat(), "by": a.by, "reason": a.reason} for a in self.amendments
            ],
        }


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def find(db: Session, name: str) -> AnalysisPlan | None:
    return db.exec(select(AnalysisPlan).where(AnalysisPlan.name == name)).first()


def all_plans(db: Session) -> list[AnalysisPlan]:
    return list(db.exec(select(AnalysisPlan).order_by(AnalysisPlan.name)))


def create(
    db: Session, text: str, source: str, actor: User | None, known_flags=None
) -> AnalysisPlan:
    """Store a new plan. A name already stored is refused: changing it is an amendment."""
    spec = parse_analysis_plan(text, source, known_flags)
    if find(db, spec.name) is not None:
        raise AnalysisPlanStoreError(
            f"analysis plan '{spec.name}' is already stored; a change is an amendment: "
            f"qa-app analysis-plan amend FILE --reason TEXT"
        )
    row = AnalysisPlan(
        name=spec.name, content=text, content_hash=_hash(text),
        created_by=actor.id if actor else None,
    )  # fmt: skip
    db.add(row)
    db.flush()
    audit.record(db, actor, "analysis_plan.created", ENTITY, spec.name, None,
                 {"content_hash": row.content_hash})  # fmt: skip
    return row


def amend(
    db: Session, text: str, source: str, reason: str, actor: User | None, known_flags=None
) -> AnalysisPlan:
    """Replace a stored plan's content; the reason is required and kept in the audit trail
    with the hashes before and after."""
    spec = parse_analysis_plan(text, source, known_flags)
    reason = (reason or "").strip()
    if not reason:
        raise AnalysisPlanStoreError("an amendment needs a reason (--reason TEXT)")
    row = find(db, spec.name)
    if row is None:
        raise AnalysisPlanStoreError(
            f"no analysis plan named '{spec.name}' to amend; store it first: "
            "qa-app analysis-plan create FILE"
        )
    new_hash = _hash(text)
    if new_hash == row.content_hash:
        raise AnalysisPlanStoreError(f"'{spec.name}' is unchanged: nothing to amend")
    before = {"content_hash": row.content_hash, "content": row.content}
    row.content, row.content_hash = text, new_hash
    row.updated_at = utcnow()
    row.amendments += 1
    db.add(row)
    db.flush()
    audit.record(db, actor, "analysis_plan.amended", ENTITY, spec.name, before,
                 {"content_hash": new_hash, "content": text}, reason)  # fmt: skip
    return row


def load(db: Session, name: str) -> StoredPlan:
    """The stored plan with its amendment history; :class:`AnalysisPlanStoreError` naming the
    stored plans when there is none of that name."""
    row = find(db, name)
    if row is None:
        known = ", ".join(p.name for p in all_plans(db)) or "none yet"
        raise AnalysisPlanStoreError(f"no analysis plan named '{name}'; stored: {known}")
    events = db.exec(
        select(AuditEvent)
        .where(
            AuditEvent.entity_type == ENTITY,
            AuditEvent.entity_id == name,
            AuditEvent.action == "analysis_plan.amended",
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    amendments = [
        Amendment(
            e.at,
            e.actor_label,
            e.reason,
            (e.before or {}).get("content_hash"),
            (e.after or {}).get("content_hash"),
        )  # fmt: skip
        for e in events
    ]
    return StoredPlan(
        parse_analysis_plan(row.content, row.name), row.content, row.content_hash,
        row.created_at, row.updated_at, amendments,
    )  # fmt: skip
