"""The Machine rater page: how the newest model agrees with people, its versions, and
whether reviewers see its scores after submitting. Leads and admins."""

from __future__ import annotations

import threading

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select

from qa_app.db import get_engine_for
from qa_app.models import Call, MachineModel, MachineScore, Role, RubricVersion
from qa_app.web.auth import current_user, roles_required
from qa_app.web.background import Background, Pending
from qa_app.web.database import get_session
from qa_app.web.requests import wants_fragment

bp = Blueprint("machine", __name__)
LEADS = (Role.LEAD, Role.ADMIN)
# The monthly drift by model and data fingerprint: it reads every reviewed call's scores.
_DRIFT = Background(8)


def _range(values: list[float]) -> str | None:
    """'0.47 to 0.71', or one figure when they are all the same; None when there are none."""
    if not values:
        return None
    low, high = min(values), max(values)
    return f"{low:.2f}" if round(low, 2) == round(high, 2) else f"{low:.2f} to {high:.2f}"


@bp.get("/machine")
@roles_required(*LEADS)
def index():
    """The newest model's agreement with people, per dimension, then its versions."""
    from qa_app.store.machine import newest_model, shown_after_submit
    from qa_app.store.machine.jobs import active_job, latest_job

    db = get_session()
    running = active_job(db, _running)
    db.commit()  # a job found stopped is marked so
    models = db.exec(select(MachineModel).order_by(MachineModel.id.desc()).limit(20)).all()
    # The figures are a trained model's: an external model has no held-out evaluation.
    model = newest_model(db, kind="trained")
    context = {"model": model, "models": models, "rubric": None, "dimensions": {},
               "headline": None, "scored": 0, "calls": 0,
               "shown": shown_after_submit(db, current_app.config["RUBRIC_ID"]),
               "rubric_id": current_app.config["RUBRIC_ID"], "running": running,
               "job": latest_job(db)}  # fmt: skip
    if model is not None:
        rubric = db.get(RubricVersion, model.rubric_pk)
        dimensions = model.metrics.get("dimensions", {})
        machine = [d["alpha"] for d in dimensions.values() if d.get("alpha") is not None]
        people = [d["human_alpha"] for d in dimensions.values()
                  if d.get("human_alpha") is not None]  # fmt: skip
        context.update(
            rubric=rubric,
            rubric_id=rubric.rubric_id,
            shown=shown_after_submit(db, rubric.rubric_id),
            dimensions=dimensions,
            headline={"machine": _range(machine), "people": _range(people),
                      "count": len(dimensions)},  # fmt: skip
            scored=db.exec(select(func.count(func.distinct(MachineScore.call_pk))).where(
                MachineScore.model_pk == model.id)).one(),  # fmt: skip
            calls=db.exec(select(func.count(Call.id))).one(),
        )
    return render_template("machine/index.html", **context)


@bp.post("/machine/visibility")
@roles_required(*LEADS)
def visibility():
    """Show reviewers the machine's scores after they submit, or hide them (audited)."""
    from qa_app.store.machine import set_shown_after_submit

    db = get_session()
    rubric_id = (request.form.get("rubric_id") or "").strip()
    choice = request.form.get("after_submit")
    known = set(db.exec(select(RubricVersion.rubric_id).distinct()).all())
    if rubric_id not in known or choice not in ("yes", "no"):
        flash("Choose a loaded rubric and whether reviewers see the machine's scores.", "error")
        return redirect(url_for("machine.index")), 303
    user = current_user()
    if set_shown_after_submit(db, rubric_id, choice == "yes", user, user.email):
        db.commit()
    shown = "after they submit their own review" if choice == "yes" else "never"
    flash(f"Reviewers now see {rubric_id}'s machine scores {shown}.", "info")
    return redirect(url_for("machine.index")), 303


@bp.get("/machine/drift")
@roles_required(*LEADS)
def drift():
    """The newest trained model's alpha against people month by month (an htmx fragment,
    worked out in the background)."""
    from qa_app.store.fingerprints import flags_fingerprint
    from qa_app.store.machine import newest_model

    db = get_session()
    model = newest_model(db, kind="trained")
    if model is None:
        return render_template("machine/_drift.html", months=None, pending=None, dimensions=[])
    model_pk, rubric_pk, seed = model.id, model.rubric_pk, model.seed

    def compute():
        from qa_app.domain.machine.evaluation import drift as monthly
        from qa_app.store.machine import pairs_by_month
        from qa_app.store.rubrics import rubric_from_row

        session = get_session()
        rubric = rubric_from_row(session.get(RubricVersion, rubric_pk))
        pairs = pairs_by_month(session, session.get(MachineModel, model_pk))
        return {"months": monthly(pairs, list(rubric.scale), seed),
                "dimensions": [d.id for d in rubric.dimensions]}  # fmt: skip

    answer = _DRIFT.answer((model_pk, flags_fingerprint(db)), compute)
    if isinstance(answer, Pending):
        return render_template("machine/_drift.html", months=None, pending=answer, dimensions=[])
    return render_template("machine/_drift.html", pending=None, **answer)


# The machine jobs this process is running (their threads die with it).
_running: set[int] = set()


@bp.record_once
def _recover_stopped_jobs(state) -> None:
    """At a start, machine jobs whose server process died are marked failed."""
    from qa_app.store.machine.jobs import recover

    app = state.app
    if not app.config.get("CHECK_SCHEMA"):
        return  # the schema may not exist yet; the page marks a stopped job when it looks
    try:
        recover(get_engine_for(app), _running)
    except SQLAlchemyError:  # a busy database must not stop the server from starting
        app.logger.warning("could not check for interrupted machine jobs", exc_info=True)


@bp.post("/machine/jobs")
@roles_required(*LEADS)
def start_job():
    """Train then score, or score the calls not scored yet, in the background. While one
    runs another is refused, so a button pressed twice starts one job."""
    from qa_app.store.machine.jobs import MachineJobRefused, latest_job
    from qa_app.store.machine.jobs import start_job as start

    db = get_session()
    try:
        job = start(db, request.form.get("kind", ""), current_user(), _running)
    except MachineJobRefused as exc:
        db.commit()  # a job found stopped on the way is marked so
        message = str(exc)[0].upper() + str(exc)[1:] + "."
        if wants_fragment():
            return render_template("machine/_job.html", job=latest_job(db), refused=message)
        flash(message, "at:machine-job")
        return redirect(url_for("machine.index", _anchor="machine-job")), 303
    db.commit()
    app = current_app._get_current_object()
    _running.add(job.id)
    threading.Thread(target=_run, args=(app, job.id), daemon=True,
                     name="qa-app-machine-job").start()  # fmt: skip
    if wants_fragment():
        return render_template("machine/_job.html", job=job)
    return redirect(url_for("machine.index", _anchor="machine-job")), 303


def _run(app, job_id: int) -> None:
    from qa_app.store.machine.jobs import run_job

    try:
        run_job(get_engine_for(app), job_id, app.config["RUBRIC_ID"])
    finally:
        _running.discard(job_id)


@bp.get("/machine/jobs/<token>")
@roles_required(*LEADS)
def job_status(token: str):
    """A machine job's progress (an htmx fragment that polls itself while the job runs)."""
    from qa_app.models import MachineJob
    from qa_app.store.machine.jobs import active_job

    db = get_session()
    active_job(db, _running)  # marks this job failed if its process is gone
    db.commit()
    job = db.exec(select(MachineJob).where(MachineJob.token == token)).first()
    if job is None:
        abort(404, description="There is no such machine job.")
    return render_template("machine/_job.html", job=job)
