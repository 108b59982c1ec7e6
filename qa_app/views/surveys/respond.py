"""The customer's survey page: opened from a per-call link, no account, phone-first.

The items come in the order recorded on the link (rotated per respondent), every point of the
scale is labelled, one open-text box, then a thank-you. A link is answered once and expires.
Nothing about the call or its QA scores is shown.

Every post is answered with a redirect (Post/Redirect/Get), so Back and reload never offer to
send the answers again: accepted answers go on to the thank-you page; answers with a statement
missing are kept in the respondent's session and the link's page shows them again, at the
first unanswered statement (the address's #fragment puts it in view, no script needed).
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from qa_app.store.surveys import responses as store
from qa_app.store.surveys.files import load_surveys
from qa_app.web.database import get_session

bp = Blueprint("customer_survey", __name__, url_prefix="/survey")
MAX_OPEN_TEXT = 4000
# The session key of the answers kept from a refused post: {"link", "scores", "open_text"}.
DRAFT = "survey_draft"
MISSING = "Please choose one answer for this statement."


def _problem(problem: store.LinkProblem):
    page = render_template(
        "customer_survey/closed.html", title=problem.title, message=problem.message
    )
    return page, problem.status


@bp.get("/thanks")
def thanks():
    """The end of the survey: nothing to do but close the page."""
    return render_template("customer_survey/thanks.html")


def _check(items, scale, scores: dict[str, int], open_text: str) -> dict[str, str]:
    """What is missing or wrong, by item id (and ``open_text``), in the order shown."""
    errors = {item.id: MISSING for item in items if scores.get(item.id) not in scale}
    if len(open_text) > MAX_OPEN_TEXT:
        errors["open_text"] = (
            f"Please shorten your comment to {MAX_OPEN_TEXT} characters (it has {len(open_text)})."
        )
    return errors


def _posted_scores(items, scale) -> dict[str, int]:
    scores: dict[str, int] = {}
    for item in items:
        raw = (request.form.get(item.id) or "").strip()
        if raw.isascii() and raw.isdigit() and int(raw) in scale:
            scores[item.id] = int(raw)
    return scores


def _keep_draft(draft: dict) -> bool:
    """Keep the refused answers in the session cookie if the cookie stays within what every
    browser stores (about 4 KB); a cookie too large would be dropped and the answers lost."""
    app = current_app
    signer = app.session_interface.get_signing_serializer(app)
    if signer is None:
        return False
    value = signer.dumps({**session, DRAFT: draft})
    # The name, '=' and the attributes (path, expiry, HttpOnly, SameSite, Secure) come on top.
    if len(app.config["SESSION_COOKIE_NAME"]) + len(value) + 150 > app.config["MAX_COOKIE_SIZE"]:
        return False
    session[DRAFT] = draft
    return True


@bp.route("/<token>", methods=["GET", "POST"])
def respond(token: str):
    db = get_session()
    try:
        link = store.open_link(db, token)
    except store.LinkProblem as problem:
        session.pop(DRAFT, None)
        return _problem(problem)
    survey = load_surveys().get(link.survey_key)
    if survey is None:  # the survey file was removed after the link was made
        return _problem(
            store.LinkProblem(410, "This survey has closed", "This survey is no longer running.")
        )
    items = [survey.item(item_id) for item_id in link.item_order]
    errors: dict[str, str] = {}
    scores: dict[str, int] = {}
    open_text = ""
    status = 200
    if request.method == "POST":
        scores = _posted_scores(items, survey.scale)
        open_text = (request.form.get("open_text") or "").strip()
        errors = _check(items, survey.scale, scores, open_text)
        if not errors:
            try:
                store.record_link_answers(db, link, scores, open_text)
                db.commit()
            except store.LinkProblem as problem:
                db.rollback()
                return _problem(problem)
            session.pop(DRAFT, None)
            return redirect(url_for("customer_survey.thanks"), 303)
        draft = {"link": link.id, "scores": scores, "open_text": open_text}
        if _keep_draft(draft):
            # The page again, by GET, scrolled to the first statement still to answer.
            first = next(iter(errors))
            anchor = "open_text" if first == "open_text" else f"item-{first}"
            return redirect(url_for("customer_survey.respond", token=token, _anchor=anchor), 303)
        status = 422  # too much to keep in the session: answer the post with the page itself
    else:
        draft = session.get(DRAFT)
        if isinstance(draft, dict) and draft.get("link") == link.id:
            scores = {k: v for k, v in dict(draft.get("scores") or {}).items() if v in survey.scale}
            open_text = str(draft.get("open_text") or "")
            errors = _check(items, survey.scale, scores, open_text)
    page = render_template(
        "customer_survey/respond.html",
        survey=survey,
        items=items,
        points=[(point, survey.labels[point]) for point in survey.scale],
        chosen={item_id: str(score) for item_id, score in scores.items()},
        open_text=open_text,
        errors=errors,
        max_open_text=MAX_OPEN_TEXT,
    )
    return page, status
