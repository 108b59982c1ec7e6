"""Sampling plans on the web: list, store (pasted or uploaded TOML), preview, draw and assign.

The plan logic is qa_app.store.sampling.plans's (the same as ``qa-app sample``); this module reads
the form, calls it and renders. A refused plan shows every problem (each naming its line)
beside the form, with the text as it was typed, and stores nothing.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import UTC, date, datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from qa_app.domain.sampling.draw import PROBABILITY_SAMPLE
from qa_app.domain.sampling.plan import DEFAULT_OVERSAMPLING, PlanError
from qa_app.models import Assignment, Call, Review, Role, SampledCall, SamplingPlan, User
from qa_app.store.reviews.queue import assignable_users
from qa_app.store.sampling import plans as sampling_store
from qa_app.store.sampling.plans import SamplingError
from qa_app.web.auth import current_user, roles_required
from qa_app.web.database import get_session
from qa_app.web.forms import acts_once
from qa_app.web.plan_upload import MAX_PLAN_BYTES, typed_plan_text

bp = Blueprint("plans", __name__, url_prefix="/plans")
READERS = (Role.COACH, Role.LEAD, Role.ADMIN)
MANAGERS = (Role.LEAD, Role.ADMIN)


def example_plan(db, today: date | None = None) -> str:
    """A commented plan for next month with the default oversampling, drawing 200 calls and
    assigning them to the active reviewers (the textarea's starting text)."""
    today = today or datetime.now(UTC).date()
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    last = calendar.monthrange(year, month)[1]
    people = [u for u in assignable_users(db) if u.role == Role.REVIEWER] or assignable_users(db)
    reviewers = ", ".join(f'"{u.email}"' for u in people) or '"reviewer@example.com"'
    factors = "\n".join(f"# {kind} = {factor}" for kind, factor in DEFAULT_OVERSAMPLING.items())
    return (
        f"# A sampling plan for {year}-{month:02d}: which calls to review, drawn at random\n"
        "# within each interaction type. Change what you need, then store it.\n"
        f'name = "plan-{year}-{month:02d}"\n'
        f"since = {year}-{month:02d}-01\n"
        f"until = {year}-{month:02d}-{last:02d}\n"
        "# The seed makes the draw repeatable: the same plan draws the same calls.\n"
        f"seed = {year}{month:02d}01\n"
        '# Optionally crossed with "channel", "queue" or "team".\n'
        'strata = ["interaction_type"]\n'
        "# Drawn calls are shared out between these reviewers, evening out their workload.\n"
        f"reviewers = [{reviewers}]\n"
        "# Calls to draw in all, shared over the interaction types in proportion to their\n"
        "# calls times the oversampling factor.\n"
        "total = 200\n"
        "# min_per_agent = 2   # optional: extra calls so every agent gets at least this many\n"
        "# Without an [oversample] table the defaults apply: the hard calls three times their\n"
        "# share, quick wins half of theirs. To change them, uncomment and edit:\n"
        "# [oversample]\n"
        f"{factors}\n"
        "# ... or instead of total, give the calls per stratum:\n"
        "# [sizes]\n"
        "# escalation = 40\n"
        "# quick_win = 10\n"
    )


def _plan_rows(db) -> list[dict]:
    """Every plan with its period, whether drawn, and its number of drawn calls."""
    plans = sampling_store.all_plans(db)
    counts = dict(
        db.exec(select(SampledCall.plan_id, func.count()).group_by(SampledCall.plan_id)).all()
    )
    return [{"plan": p, "drawn_calls": counts.get(p.id, 0)} for p in plans]


def _index(text: str | None = None, problems=None, status: int = 200):
    db = get_session()
    return render_template(
        "plans/index.html",
        plans=_plan_rows(db),
        text=text if text is not None else example_plan(db),
        problems=problems or [],
        can_manage=current_user().role in MANAGERS,
        max_bytes=MAX_PLAN_BYTES,
    ), status


@bp.get("")
@roles_required(*READERS)
def index():
    return _index()


@bp.post("")
@roles_required(*MANAGERS)
@acts_once
def save():
    """Store a new plan, or replace one not drawn yet; on any problem nothing is stored."""
    text, source, problems = typed_plan_text()
    if problems:
        return _index(text, problems, 422)
    db = get_session()
    try:
        row = sampling_store.save_plan(db, text, source, current_user())
        db.commit()
    except PlanError as exc:
        db.rollback()
        return _index(text, exc.problems, 422)
    except SamplingError as exc:
        db.rollback()
        return _index(text, [str(exc)], 422)
    except IntegrityError:  # the same name stored by another request at the same moment
        db.rollback()
        return _index(text, ["a plan of that name was stored at the same moment; try again"], 409)
    flash(f"Stored plan '{row.name}'. Check its preview, then draw it.", "info")
    return redirect(url_for("plans.show", name=row.name), 303)


def _plan(name: str) -> SamplingPlan:
    row = sampling_store.find_plan(get_session(), name)
    if row is None:
        abort(404, description=f"There is no sampling plan named '{name}'.")
    return row


def drawn_calls(db, row: SamplingPlan) -> list[dict]:
    """The plan's drawn calls, per stratum: call id, who has it, whether it is reviewed."""
    rows = db.exec(
        select(
            SampledCall.stratum, SampledCall.purpose, SampledCall.probability, Call.id, Call.call_id
        )  # fmt: skip
        .join(Call, Call.id == SampledCall.call_pk)
        .where(SampledCall.plan_id == row.id)
        .order_by(SampledCall.stratum, Call.call_id)
    ).all()
    pks = [r[3] for r in rows]
    holders: dict[int, list[str]] = defaultdict(list)
    mine: set[int] = set()
    reviewed: dict[int, int] = {}
    user = current_user()
    if pks:
        for call_pk, user_id, name in db.exec(
            select(Assignment.call_pk, User.id, User.name)
            .join(User, User.id == Assignment.reviewer_id)
            .where(Assignment.call_pk.in_(pks))
            .order_by(User.name)
        ):
            holders[call_pk].append(name)
            if user is not None and user_id == user.id:
                mine.add(call_pk)
        reviewed = dict(
            db.exec(
                select(Review.call_pk, func.min(Review.id))
                .where(Review.call_pk.in_(pks), Review.status == "submitted")
                .group_by(Review.call_pk)
            ).all()
        )
    groups: dict[str, list[dict]] = {}
    for stratum, purpose, probability, call_pk, call_id in rows:
        key = stratum if purpose == PROBABILITY_SAMPLE else f"{stratum} (agent minimum)"
        groups.setdefault(key, []).append(
            {
                "call_id": call_id,
                "reviewers": holders.get(call_pk, []),
                "reviewed": call_pk in reviewed,
                "review_id": reviewed.get(call_pk),
                "mine": call_pk in mine,
                "probability": probability,
            }
        )
    return [{"stratum": k, "calls": v} for k, v in groups.items()]


def _show(row: SamplingPlan, error: str | None = None, status: int = 200):
    db = get_session()
    spec = plan_preview = None
    problem = error
    try:
        spec, plan_preview, _calls = sampling_store.preview(db, row)
    except PlanError as exc:  # a stored plan always parses; said plainly if it ever does not
        problem = "; ".join(exc.problems)
    drawn = drawn_calls(db, row) if row.drawn_at else []
    drawn_by = db.get(User, row.drawn_by) if row.drawn_by else None
    return render_template(
        "plans/show.html",
        plan=row,
        spec=spec,
        preview=plan_preview,
        drawn=drawn,
        drawn_total=sum(len(g["calls"]) for g in drawn),
        drawn_by=drawn_by,
        error=problem,
        can_manage=current_user().role in MANAGERS,
        # A submitted review opens for leads and admins; a call still to review opens for
        # the user it is assigned to (the scoring page is its assignees').
        can_read_reviews=current_user().role in MANAGERS,
    ), status


@bp.get("/<name>")
@roles_required(*READERS)
def show(name: str):
    return _show(_plan(name))


@bp.post("/<name>/draw")
@roles_required(*MANAGERS)
@acts_once
def draw(name: str):
    """Draw the plan's calls and assign them to its reviewers (once)."""
    db = get_session()
    row = _plan(name)
    try:
        result = sampling_store.draw(db, row, current_user())
        db.commit()
    except SamplingError as exc:
        db.rollback()
        return _show(row, f"Nothing was drawn: {exc}.", 409)
    except IntegrityError:  # a second draw at the same moment: the first one stands
        db.rollback()
        row = _plan(name)
        return _show(row, f"Nothing was drawn: plan '{name}' was drawn at the same moment.", 409)
    reviewers = len(set(result.assigned.values()))
    flash(
        f"Drew {len(result.drawn)} calls (seed {result.spec.seed}) and assigned them to "
        f"{reviewers} reviewer(s).",
        "info",
    )
    return redirect(url_for("plans.show", name=row.name), 303)
