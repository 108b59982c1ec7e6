"""Experiments on the web: list, store a plan as a draft (pasted or uploaded TOML, or the New
experiment form, written as TOML), lock it, amend it with a reason, assign its units from a
seed, and read the report.

The logic is qa_app.store.experiments.plans's and experiment_queries' (the same as ``qa-app
experiment``); this module reads the form, calls them and renders. A refused plan shows every
problem (each naming its line) beside the form, with the text as typed, and stores nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.resources import files

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError

from qa_app.domain.experiments.plan import ExperimentPlanError, parse_experiment_plan
from qa_app.domain.experiments.units import design_summary, minimum_detectable
from qa_app.kept import Kept
from qa_app.models import Role
from qa_app.store.experiments import plans as experiment_store
from qa_app.store.experiments.plans import ExperimentStoreError
from qa_app.web.auth import current_user, roles_required
from qa_app.web.database import get_session
from qa_app.web.forms import acts_once
from qa_app.web.plan_upload import MAX_PLAN_BYTES, typed_plan_text

bp = Blueprint("experiments", __name__, url_prefix="/experiments")
READERS = (Role.COACH, Role.LEAD, Role.ADMIN)
MANAGERS = (Role.LEAD, Role.ADMIN)
MAX_SEED = 2**63 - 1
MAX_REASON = 2000
# Computed reports, keyed by experiment, exploratory metrics, rubric and the data fingerprint
# (experiment_queries.data_fingerprint): the randomisation inference takes seconds, and the
# same data always give the same report, so a page view recomputes only after a change.
_REPORTS = Kept(16)


def example_plan() -> str:
    """The shipped example plan, the form's starting text; blank when the installed package
    does not carry it (it is packaged as qa_app.experiments)."""
    try:
        return (files("qa_app.experiments") / "empathy-pilot-example.toml").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return ""


def _index(text: str | None = None, problems=None, status: int = 200):
    return render_template(
        "experiments/index.html",
        experiments=experiment_store.all_experiments(get_session()),
        text=example_plan() if text is None else text,
        problems=problems or [],
        can_manage=current_user().role in MANAGERS,
    ), status


@bp.get("")
@roles_required(*READERS)
def index():
    return _index()


@bp.post("")
@roles_required(*MANAGERS)
@acts_once
def save():
    """Store the plan as a draft (replacing a draft of the same name); nothing on a problem."""
    text, source, problems = typed_plan_text()
    if problems:
        return _index(text, problems, 422)
    db = get_session()
    try:
        row = experiment_store.save_draft(db, text, source, current_user())
        db.commit()
    except ExperimentPlanError as exc:
        db.rollback()
        return _index(text, exc.problems, 422)
    except ExperimentStoreError as exc:
        db.rollback()
        return _index(text, [str(exc)], 409)
    except IntegrityError:  # the same name stored by another request at the same moment
        db.rollback()
        return _index(text, ["an experiment of that name was stored at the same moment"], 409)
    flash(f"Saved '{row.name}' as a draft. Check it, then lock (register) it.", "info")
    return redirect(url_for("experiments.show", name=row.name), 303)


@bp.get("/new")
@roles_required(*MANAGERS)
def new():
    """The structured "New experiment" form (queue-randomised plans)."""
    from qa_app.views.experiments.form import render_form

    return render_form()


@bp.post("/new")
@roles_required(*MANAGERS)
@acts_once
def create():
    """Write the form's plan as TOML and store it as a draft through the same path as a
    pasted plan; on a problem the form comes back with its values and the written plan."""
    from qa_app.domain.experiments.plan_form import plan_toml
    from qa_app.views.experiments.form import read_fields, render_form

    fields = read_fields()
    text = plan_toml(fields)
    if len(text.encode()) > MAX_PLAN_BYTES:
        return render_form(fields, [f"plan: over {MAX_PLAN_BYTES:,} bytes; shorten the texts"],
                           text, 422)  # fmt: skip
    db = get_session()
    try:
        row = experiment_store.save_draft(db, text, "plan", current_user())
        db.commit()
    except ExperimentPlanError as exc:
        db.rollback()
        return render_form(fields, exc.problems, text, 422)
    except ExperimentStoreError as exc:
        db.rollback()
        return render_form(fields, [str(exc)], text, 409)
    except IntegrityError:
        db.rollback()
        problem = "an experiment of that name was stored at the same moment"
        return render_form(fields, [problem], text, 409)
    flash(f"Saved '{row.name}' as a draft. Check it, then lock (register) it.", "info")
    return redirect(url_for("experiments.show", name=row.name), 303)


def _stored(name: str):
    try:
        return experiment_store.load(get_session(), name)
    except ExperimentStoreError:
        abort(404, description=f"There is no experiment named '{name}'.")


def _show(stored, error: str | None = None, status: int = 200, balance=None, amend=None,
          confirm_lock: bool = False):  # fmt: skip
    """The experiment's page; ``amend`` is (text, reason, problems) of a refused amendment;
    ``confirm_lock`` asks whether to lock, since a lock cannot be undone."""
    mde, mde_error = None, None
    strata = stored.strata or None
    try:
        mde = minimum_detectable(stored.plan, strata)
    except ValueError as exc:  # inputs the power calculation cannot use: said, not hidden
        mde_error = str(exc)
    design = design_summary(stored.plan, strata, seed=stored.row.seed or 0)
    return render_template(
        "experiments/show.html",
        stored=stored,
        row=stored.row,
        plan=stored.plan,
        mde=mde,
        mde_error=mde_error,
        design=design,
        balance=balance if balance is not None else experiment_store.stored_balance(stored),
        error=error,
        can_manage=current_user().role in MANAGERS,
        amend_text=amend[0] if amend else _current_text(stored),
        amend_reason=amend[1] if amend else "",
        amend_problems=amend[2] if amend else [],
        confirm_lock=confirm_lock,
    ), status


def _current_text(stored) -> str:
    return stored.amendments[-1].content if stored.amendments else stored.row.content


@bp.get("/<name>")
@roles_required(*READERS)
def show(name: str):
    return _show(_stored(name))


@bp.post("/<name>/lock")
@roles_required(*MANAGERS)
def lock(name: str):
    """Register the draft: its content hash and the time are fixed. A lock cannot be undone,
    so the first press asks; only the confirmation's own button (confirm=yes) locks."""
    stored = _stored(name)
    if request.form.get("confirm") != "yes":
        return _show(stored, confirm_lock=stored.row.status != "locked")
    db = get_session()
    try:
        row = experiment_store.lock(db, name, current_user())
        db.commit()
    except (ExperimentStoreError, ExperimentPlanError) as exc:
        db.rollback()
        return _show(_stored(name), f"Not locked: {exc}", 409)
    flash(f"Registered '{name}': sha256 {row.content_hash[:12]}, locked.", "info")
    return redirect(url_for("experiments.show", name=name), 303)


@bp.post("/<name>/amend")
@roles_required(*MANAGERS)
def amend(name: str):
    """Amend the registered plan with a reason (the same as ``qa-app experiment amend``);
    every problem (the plan's named by line, a missing reason) is shown beside the text, and
    nothing is stored."""
    stored = _stored(name)
    text, source, problems = typed_plan_text()
    reason = (request.form.get("reason") or "").strip()
    if not problems:
        try:
            parse_experiment_plan(text, source)
        except ExperimentPlanError as exc:
            problems = list(exc.problems)
    if not reason:
        problems.append("reason: an amendment needs a reason; it is shown on every report")
    elif len(reason) > MAX_REASON:
        problems.append(f"reason: over {MAX_REASON} characters; a sentence or two is enough")
    if problems:
        return _show(stored, status=422, amend=(text, reason, problems))
    db = get_session()
    try:
        amendment = experiment_store.amend(db, name, text, source, reason, current_user())
        db.commit()
    except ExperimentPlanError as exc:
        db.rollback()
        return _show(_stored(name), status=422, amend=(text, reason, list(exc.problems)))
    except ExperimentStoreError as exc:
        db.rollback()
        return _show(_stored(name), status=409, amend=(text, reason, [str(exc)]))
    flash(f"Amended '{name}': sha256 {amendment.content_hash[:12]}, with its reason.", "info")
    return redirect(url_for("experiments.show", name=name, _anchor="amendments"), 303)


@bp.post("/<name>/assign")
@roles_required(*MANAGERS)
@acts_once
def assign(name: str):
    """Randomise the units to arms from the seed typed (once)."""
    stored = _stored(name)
    typed = (request.form.get("seed") or "").strip()
    if not (typed.isascii() and typed.isdigit()) or int(typed) > MAX_SEED:
        return _show(stored, f"Not assigned: the seed must be a whole number from 0 to "
                             f"{MAX_SEED}; got '{typed[:30]}'", 422)  # fmt: skip
    db = get_session()
    try:
        result = experiment_store.assign(db, name, int(typed), current_user())
        db.commit()
    except ExperimentStoreError as exc:
        db.rollback()
        return _show(_stored(name), f"Not assigned: {exc}", 409)
    except IntegrityError:  # a second assignment at the same moment: the first stands
        db.rollback()
        return _show(_stored(name), "Not assigned: it was assigned at the same moment", 409)
    flash(f"Assigned {len(result.assignment)} units with seed {result.seed}.", "info")
    return redirect(url_for("experiments.show", name=name, _anchor="assignment"), 303)


@bp.get("/<name>/report")
@roles_required(*READERS)
def report(name: str):
    """The report: what was promised, then what happened; refused before the lock."""
    from qa_app.store.experiments.reports import data_fingerprint
    from qa_app.store.experiments.reports import report as build_report

    stored = _stored(name)
    explore = tuple(k.strip() for k in request.args.getlist("explore") if k.strip())[:5]
    rubric_id = current_app.config["RUBRIC_ID"]
    key = (name, explore, rubric_id, data_fingerprint(get_session(), name))
    cached = _REPORTS.get(key)
    if cached is None:
        try:
            data = build_report(get_session(), name, explore=explore, rubric_id=rubric_id)
        except ExperimentStoreError as exc:
            return _show(stored, f"No report: {exc}", 409)
        cached = (data, datetime.now(UTC))
        _REPORTS.put(key, cached)
    data, computed_at = cached
    return render_template(
        "experiments/report.html", data=data, stored=stored, explore=", ".join(explore),
        computed_at=computed_at,
    )  # fmt: skip
