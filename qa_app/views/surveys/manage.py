"""The Survey page: what customers said after their calls, beside QA's scores.

Each item's full distribution by interaction type and channel (weighted to the interaction
mix, the weighting named), response rates, the shared-language check for one item and its
rubric dimension (heat map, Spearman with its interval, disagreements one click from the next
calibration session), mean by position shown, and the open-text answers (filterable by an
item's score, searchable; an htmx fragment of the same partial).
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func
from sqlmodel import select

from qa_app.domain.dates import DayError, parse_day
from qa_app.domain.surveys.compare import (
    ASSOCIATION,
    WEIGHTING,
    distribution,
    mean_by_position,
    mix_weights_for,
    response_rates,
)
from qa_app.domain.surveys.definition import SurveyError
from qa_app.models import (
    CalibrationCall,
    CalibrationSession,
    Call,
    Review,
    ReviewStatus,
    Role,
    SessionState,
)
from qa_app.store import audit
from qa_app.store.flags.rows import ExportError
from qa_app.store.reviews.queue import CallFilters
from qa_app.store.surveys import queries
from qa_app.store.surveys.files import load_surveys
from qa_app.web.auth import current_user, roles_required
from qa_app.web.database import get_session
from qa_app.web.requests import wants_fragment

bp = Blueprint("customer_surveys", __name__)
READERS = (Role.COACH, Role.LEAD, Role.ADMIN)
LEADS = (Role.LEAD, Role.ADMIN)
MAX_TEXTS = 200


def _day(raw: str, name: str, problems: list[str]) -> date | None:
    try:
        return parse_day(raw, name)
    except DayError as exc:
        problems.append(str(exc))
        return None


def _choices(args):
    """Survey, item, period and open-text filters asked for, and what is wrong with them."""
    problems: list[str] = []
    try:
        surveys = load_surveys()
    except SurveyError as exc:
        abort(500, description=f"A survey file is broken: {exc}")
    key = (args.get("survey") or "").strip() or next(
        (k for k in sorted(surveys) if k.startswith("customer-empathy@")), None
    )
    if not surveys:
        abort(404, description="No survey files: qa-app survey check lists the folder read.")
    survey = surveys.get(key)
    if survey is None:
        key = key or ""
        problems.append(f"survey: '{key[:60]}' is not one of {', '.join(sorted(surveys))}")
        survey = surveys[sorted(surveys)[0]]
    item_ids = [i.id for i in survey.items]
    item = (args.get("item") or "").strip() or item_ids[0]
    if item not in item_ids:
        problems.append(f"item: '{item[:60]}' is not one of {', '.join(item_ids)}")
        item = item_ids[0]
    filters = CallFilters(
        since=_day(args.get("since"), "since", problems),
        until=_day(args.get("until"), "until", problems),
    )
    if filters.date_problem():
        problems.append(filters.date_problem())
    text_item = (args.get("text_item") or "").strip()
    text_score = (args.get("text_score") or "").strip()
    if text_item and text_item not in item_ids:
        problems.append(f"open text item: '{text_item[:60]}' is not one of {', '.join(item_ids)}")
        text_item = ""
    if text_score and not (text_score.isdigit() and int(text_score) in survey.scale):
        problems.append(
            f"open text score: '{text_score[:10]}' is not a point of "
            f"{survey.scale_min}–{survey.scale_max}"
        )
        text_score = ""
    search = (args.get("q") or "").strip()[:200]
    return surveys, survey, item, filters, (text_item, text_score, search), problems


def _open_texts(db, survey, filters, text_filter):
    text_item, text_score, search = text_filter
    texts = queries.open_texts(db, survey, filters)
    if text_item and text_score:
        texts = [t for t in texts if t.scores.get(text_item) == int(text_score)]
    if search:
        needle = search.casefold()
        texts = [t for t in texts if needle in t.text.casefold()]
    return texts


def _heat(count: int, largest: int) -> int:
    """A heat class 0–5 for a cross-table cell (CSS classes; no inline styles under the CSP)."""
    if not count or not largest:
        return 0
    return max(1, round(5 * count / largest))


@bp.get("/surveys")
@roles_required(*READERS)
def index():
    surveys, survey, item, filters, text_filter, problems = _choices(request.args)
    db = get_session()
    texts = _open_texts(db, survey, filters, text_filter)
    common = {
        "survey": survey,
        "texts": texts[:MAX_TEXTS],
        "texts_total": len(texts),
        "text_item": text_filter[0],
        "text_score": text_filter[1],
        "q": text_filter[2],
        "args": request.args,
    }
    if wants_fragment():
        return render_template("customer_survey/_open_text.html", **common)
    answers = queries.answers(db, survey, filters)
    scale = list(survey.scale)
    per_item = {}
    for entry in survey.items:
        of_item = [a for a in answers if a.item == entry.id]
        weights = mix_weights_for(of_item, queries.calls_by_type(db, filters))
        per_item[entry.id] = {
            "all": distribution(of_item, scale, weights),
            "interaction_type": distribution(of_item, scale, weights, by="interaction_type"),
            "channel": distribution(of_item, scale, weights, by="channel"),
        }
    comparison, compare_error = None, None
    dimension = survey.item(item).dimension
    try:
        comparison = queries.comparison(db, survey, item, dimension, filters)
    except ExportError as exc:
        compare_error = str(exc)
    largest = max(
        (n for row in (comparison.crosstab.values() if comparison else []) for n in row.values()),
        default=0,
    )
    reviews = {}
    if comparison and comparison.disagreements:
        reviews = dict(
            db.exec(
                select(Call.call_id, func.max(Review.id))
                .join(Review, Review.call_pk == Call.id)
                .where(
                    Call.call_id.in_(comparison.disagreements),
                    Review.status == ReviewStatus.SUBMITTED,
                )
                .group_by(Call.call_id)
            ).all()
        )
    page = render_template(
        "customer_survey/index.html",
        **common,
        surveys=sorted(surveys),
        item=item,
        dimension=dimension,
        since=request.args.get("since", ""),
        until=request.args.get("until", ""),
        problems=problems,
        scale=scale,
        per_item=per_item,
        rates=response_rates(queries.link_outcomes(db, survey, filters)),
        positions=mean_by_position(answers),
        comparison=comparison,
        compare_error=compare_error,
        heat=lambda n: _heat(n, largest),
        reviews=reviews,
        weighting=WEIGHTING,
        association=ASSOCIATION,
        draft=_next_session(db),
        can_calibrate=current_user().role in LEADS,
    )
    return page, (422 if problems else 200)


def _next_session(db) -> CalibrationSession | None:
    """The calibration session being prepared (the newest draft): the "next" one."""
    return db.exec(
        select(CalibrationSession)
        .where(CalibrationSession.state == SessionState.DRAFT)
        .order_by(CalibrationSession.created_at.desc(), CalibrationSession.id.desc())
    ).first()


@bp.post("/surveys/calibrate")
@roles_required(*LEADS)
def calibrate():
    """Add one call where QA and the customer disagree to the next calibration session."""
    db = get_session()
    call_id = (request.form.get("call_id") or "").strip()
    back = url_for("customer_surveys.index", **{
        k: v for k, v in request.form.items() if k in ("survey", "item", "since", "until") and v
    })  # fmt: skip
    call = db.exec(select(Call).where(Call.call_id == call_id)).first() if call_id else None
    if call is None:
        flash(f"There is no call '{call_id[:100]}'.", "error")
        return redirect(back, 303)
    session = _next_session(db)
    if session is None:
        flash(
            "No calibration session is being prepared. Create one on the Calibration page, "
            "then add the call from here.",
            "error",
        )
        return redirect(back, 303)
    present = db.exec(
        select(CalibrationCall).where(
            CalibrationCall.session_id == session.id, CalibrationCall.call_pk == call.id
        )
    ).first()
    if present is not None:
        flash(f"Call {call.call_id} is already in “{session.name}”.", "info")
        return redirect(back, 303)
    last = db.exec(
        select(func.max(CalibrationCall.position)).where(CalibrationCall.session_id == session.id)
    ).one()
    db.add(CalibrationCall(session_id=session.id, call_pk=call.id, position=(last or 0) + 1))
    audit.record(db, current_user(), "calibration.call_added", "calibration_session", session.id,
                 after={"call_id": call.call_id}, reason="survey disagreement")  # fmt: skip
    db.commit()
    flash(f"Call {call.call_id} added to “{session.name}”.", "info")
    return redirect(back, 303)
