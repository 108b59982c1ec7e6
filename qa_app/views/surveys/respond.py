"""The customer's survey page: opened from a per-call link, no account, phone-first.

The items come in the order recorded on the link (rotated per respondent), every point of the
scale is labelled, one open-text box, then a thank-you. A link is answered once and expires.
Nothing about the call or its QA scores is shown.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from qa_app.store.surveys import responses as store
from qa_app.store.surveys.files import load_surveys
from qa_app.web.database import get_session

bp = Blueprint("customer_survey", __name__, url_prefix="/survey")
MAX_OPEN_TEXT = 4000


def _problem(problem: store.LinkProblem):
    page = render_template(
        "customer_survey/closed.html", title=problem.title, message=problem.message
    )
    return page, problem.status


@bp.get("/thanks")
def thanks():
    """The end of the survey: nothing to do but close the page."""
    return render_template("customer_survey/thanks.html")


@bp.route("/<token>", methods=["GET", "POST"])
def respond(token: str):
    db = get_session()
    try:
        link = store.open_link(db, token)
    except store.LinkProblem as problem:
        return _problem(problem)
    survey = load_surveys().get(link.survey_key)
    if survey is None:  # the survey file was removed after the link was made
        return _problem(
            store.LinkProblem(410, "This survey has closed", "This survey is no longer running.")
        )
    items = [survey.item(item_id) for item_id in link.item_order]
    errors: dict[str, str] = {}
    chosen: dict[str, str] = {}
    open_text = ""
    status = 200
    if request.method == "POST":
        scores: dict[str, int] = {}
        for item in items:
            raw = (request.form.get(item.id) or "").strip()
            chosen[item.id] = raw
            if raw.isascii() and raw.isdigit() and int(raw) in survey.scale:
                scores[item.id] = int(raw)
            else:
                errors[item.id] = "Please choose one answer for this statement."
        open_text = (request.form.get("open_text") or "").strip()
        if len(open_text) > MAX_OPEN_TEXT:
            errors["open_text"] = (
                f"Please shorten your comment to {MAX_OPEN_TEXT} characters "
                f"(it has {len(open_text)})."
            )
        if not errors:
            try:
                store.record_link_answers(db, link, scores, open_text)
                db.commit()
            except store.LinkProblem as problem:
                db.rollback()
                return _problem(problem)
            return redirect(url_for("customer_survey.thanks"), 303)
        status = 422
    page = render_template(
        "customer_survey/respond.html",
        survey=survey,
        items=items,
        points=[(point, survey.labels[point]) for point in survey.scale],
        chosen=chosen,
        open_text=open_text,
        errors=errors,
        max_open_text=MAX_OPEN_TEXT,
    )
    return page, status
