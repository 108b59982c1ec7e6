"""Writing the demo data set; loading it twice changes nothing."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from qa_app.db import transaction
from qa_app.domain.demo.calls import DEMO_PLAN, DemoData, DemoReview, generate_demo, plan_reviews
from qa_app.domain.demo.customers import DemoCustomers, generate_customers
from qa_app.domain.imports.outcomes import OutcomeRecord
from qa_app.models import (
    Assignment,
    Call,
    Customer,
    Review,
    ReviewScore,
    ReviewStatus,
    RubricVersion,
    User,
    utcnow,
)
from qa_app.store import final_scores
from qa_app.store.calls import existing_call_ids, upsert_calls
from qa_app.store.outcomes import upsert_outcomes
from qa_app.store.rubrics import (
    DEFAULT_RUBRIC_ID,
    current_rubric_row,
    register_rubric_files,
    rubric_files,
)
from qa_app.store.users import create_user, find_user


@dataclass
class DemoResult:
    users_created: int
    calls_created: int
    outcomes_created: int
    reviews_created: int
    assignments_created: int = 0
    plans_drawn: int = 0
    customers_created: int = 0

    @property
    def changed(self) -> bool:
        return any(
            (
                self.users_created,
                self.calls_created,
                self.outcomes_created,
                self.reviews_created,
                self.assignments_created,
                self.plans_drawn,
                self.customers_created,
            )
        )


def load_demo(engine: Engine, rubrics_dir: Path, data: DemoData | None = None) -> DemoResult:
    """Register the rubric files, then add whatever part of the demo data is missing."""
    data = data or generate_demo()
    with transaction(engine) as db:
        register_rubric_files(db, rubric_files(rubrics_dir))
        rubric = current_rubric_row(db, DEFAULT_RUBRIC_ID)
        if rubric is None:
            raise ValueError(f"no '{DEFAULT_RUBRIC_ID}' rubric file in {rubrics_dir}")
        users_created = 0
        for demo_user in data.users:
            if find_user(db, demo_user.email) is None:
                create_user(db, demo_user.email, demo_user.name, demo_user.role, demo_user.password)
                users_created += 1
        # Each demo call carries its demo customer, so loading again changes nothing.
        base = generate_customers(data)
        # The demo's calls are reference data: loading again restores any that were edited.
        calls = upsert_calls(
            db,
            [dataclasses.replace(c, customer_id=base.call_customer[c.call_id]) for c in data.calls],
            replace=True,
            actor=(None, "demo"),
            source="demo data",
        )
        call_pks = existing_call_ids(db, [c.call_id for c in data.calls])
        outcome_records = [OutcomeRecord(0, *row) for row in data.outcomes]
        outcomes = upsert_outcomes(db, outcome_records, call_pks)
        reviews_created = _add_reviews(db, data.reviews, call_pks, rubric)
        assignments_created = _add_assignments(db, data.assignments, call_pks)
        plan_reviews_created = _add_plan(db, data, call_pks, rubric)
        if reviews_created or plan_reviews_created:  # their final scores, as any review's
            final_scores.refresh_calls(db, call_pks.values())
        customers_created = _add_customers(db, base)
        if customers_created:
            _add_outreach(db, data, base, call_pks)
        from qa_app.store.experiments.plans import add_demo_experiment

        add_demo_experiment(db)  # the Experiments page's locked, assigned pilot (once)
    return DemoResult(
        users_created,
        calls.created,
        outcomes.created,
        reviews_created + plan_reviews_created,
        assignments_created,
        1 if plan_reviews_created else 0,
        customers_created,
    )


def _add_customers(db: Session, base: DemoCustomers) -> int:
    """The demo customers and their events (once)."""
    from qa_app.store.customers import upsert_customers, upsert_events

    if db.exec(select(Customer.id).limit(1)).first() is not None:
        return 0
    written = upsert_customers(db, base.customers, source="demo")
    upsert_events(db, base.events, source="demo")
    return written.created


def _add_outreach(db: Session, data: DemoData, base: DemoCustomers, call_pks) -> None:
    """Write the demo's outreach pilot (closed alerts, customers the daily cap held back), then
    run the shipped outreach rules once, on the day of the latest demo call, so the Outreach
    page has a queue (a few alerts) and "What happened next" has a history."""
    from qa_app.domain.demo.customers import outreach_pilot
    from qa_app.domain.outreach.rules import load_rules
    from qa_app.models import OutreachAlert, OutreachOptOut, OutreachSuppression
    from qa_app.store.outreach.alerts import latest_call_day, run_outreach

    rules_key = load_rules().key
    lead = db.exec(select(User.id).where(User.email == "lead@example.com")).first()
    alerts, held = outreach_pilot(data, base)
    for a in alerts:
        closed = datetime.combine(a.day + timedelta(days=2), time(15), tzinfo=UTC)
        row = OutreachAlert(
            customer_id=a.customer_id,
            call_pk=call_pks.get(a.call_id),
            day=a.day,
            team=a.team,
            rule="demo pilot",
            rules_key=rules_key,
            priority=1,
            signals=["empathy_absent"],
            reasons=["let down on a reviewed call (demo pilot)"],
            status="closed",
            closed_at=closed,
            closed_by=lead,
            pathway=a.pathway,
            credit=a.credit,
            do_not_contact=a.do_not_contact,
        )
        db.add(row)
        if a.do_not_contact:
            db.flush()
            db.add(
                OutreachOptOut(
                    customer_id=a.customer_id, at=closed, alert_id=row.id, recorded_by=lead
                )
            )
    db.add_all(
        OutreachSuppression(
            customer_id=h.customer_id,
            day=h.day,
            reason="daily_cap",
            team=h.team,
            signals=["empathy_absent"],
        )
        for h in held
    )
    db.flush()
    day = latest_call_day(db)
    if day is not None:
        run_outreach(db, load_rules(), day, DEFAULT_RUBRIC_ID)


def _add_plan(db: Session, data: DemoData, call_pks: dict[str, int], rubric) -> int:
    """Store and draw the demo's sampling plan once, and review what it drew."""
    from qa_app.domain.sampling.plan import parse_plan
    from qa_app.store.sampling.plans import draw, find_plan, save_plan

    if find_plan(db, parse_plan(DEMO_PLAN).name) is not None:
        return 0
    result = draw(db, save_plan(db, DEMO_PLAN, "demo", None), None)
    emails = dict(db.exec(select(User.id, User.email)).all())
    drawn = [(c.call_id, emails[result.assigned[c.call_pk]]) for c in result.drawn]
    reviewed = set(
        db.exec(
            select(Call.call_id)
            .join(Review, Review.call_pk == Call.id)
            .where(Review.status == ReviewStatus.SUBMITTED)
        ).all()
    )
    return _add_reviews(db, plan_reviews(data, drawn, reviewed), call_pks, rubric)


def _add_assignments(
    db: Session, assignments: list[tuple[str, str]], call_pks: dict[str, int]
) -> int:
    users = {u.email: u.id for u in db.exec(select(User))}
    existing = set(db.exec(select(Assignment.call_pk, Assignment.reviewer_id)).all())
    wanted = {(call_pks[call_id], users[email]) for call_id, email in assignments}
    lead = users.get("lead@example.com")
    new = sorted(wanted - existing)
    db.add_all([Assignment(call_pk=c, reviewer_id=r, assigned_by=lead) for c, r in new])
    return len(new)


def _add_reviews(
    db: Session, demos: list[DemoReview], call_pks: dict[str, int], rubric: RubricVersion
) -> int:
    """Add the demo reviews not stored yet (by call, reviewer and rubric); return how many.

    Reviews are added together and flushed once, then their answers: the demo loads in every
    test that uses it, and one query per review and answer made that a second each time.
    """
    users = dict(db.exec(select(User.email, User.id)).all())
    stored = set(
        db.exec(
            select(Review.call_pk, Review.reviewer_id).where(Review.rubric_pk == rubric.id)
        ).all()
    )
    now = utcnow()
    new: list[tuple[Review, DemoReview]] = []
    for demo in demos:
        key = (call_pks[demo.call_id], users[demo.reviewer_email])
        if key in stored:
            continue
        stored.add(key)
        review = Review(
            call_pk=key[0],
            reviewer_id=key[1],
            rubric_pk=rubric.id,
            status=ReviewStatus.SUBMITTED if demo.submitted else ReviewStatus.DRAFT,
            submitted_at=now if demo.submitted else None,
        )
        new.append((review, demo))
    db.add_all(review for review, _demo in new)
    db.flush()
    db.add_all(
        ReviewScore(
            review_id=review.id,
            dimension=dimension,
            score=score,
            not_applicable=score is None,
            note=demo.notes.get(dimension, ""),
            evidence=list(demo.evidence.get(dimension, [])),
        )
        for review, demo in new
        for dimension, score in demo.scores.items()
    )
    return len(new)
