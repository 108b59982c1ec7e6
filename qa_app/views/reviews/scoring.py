"""The scoring page: transcript beside the rubric, autosaved answers, submit, audited edits."""

from __future__ import annotations

from collections.abc import Sequence

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
from sqlmodel import select

from qa_app.domain.rubrics.definitions import FlagRule, Rubric
from qa_app.domain.rubrics.scoring import DimensionAnswer, ScoringError, parse_answer
from qa_app.models import Call, Review, ReviewStatus, Role, RubricVersion, User
from qa_app.store.reviews import (
    queue as queue_queries,
)
from qa_app.store.reviews import (
    reviews as review_store,
)
from qa_app.store.reviews import (
    transcripts as transcript_store,
)
from qa_app.store.rubrics import current_rubric_row, rubric_from_row
from qa_app.views.reviews.machine import machine_beside
from qa_app.web.auth import current_user, roles_required
from qa_app.web.database import get_session
from qa_app.web.requests import form_int, wants_fragment
from qa_app.web.security import session_expired

bp = Blueprint("scoring", __name__)
SCORERS = (Role.REVIEWER, Role.LEAD)
EDITORS = (Role.LEAD, Role.ADMIN)


def _call_or_404(call_id: str) -> Call:
    call = get_session().exec(select(Call).where(Call.call_id == call_id)).first()
    if call is None:
        abort(404, description=f"There is no call '{call_id}'.")
    return call


def _transcript_context(call: Call, review: Review | None) -> dict:
    """The transcript a page shows: the version the review was scored on (a new draft: the
    newest), and, when an import has replaced that version since, when and by what."""
    db = get_session()
    version = review.transcript_version if review else call.transcript_version
    return {
        "turns": transcript_store.turns(db, call, version),
        "transcript_version": version,
        "replaced": transcript_store.replacement(db, call, version),
    }


def _turn_count(call: Call, review: Review | None) -> int:
    """Turns evidence may cite: those of the transcript version the review is scored on."""
    version = review.transcript_version if review else call.transcript_version
    return transcript_store.turn_count(get_session(), call, version)


def _own_review_context(call: Call) -> tuple[Review | None, RubricVersion, Rubric]:
    """The user's review of the call (if any) and the rubric it is (or will be) scored under."""
    db = get_session()
    user = current_user()
    review = review_store.own_review(db, call.id, user.id)
    if review is None and not review_store.is_assigned(db, call.id, user.id):
        abort(403, description=f"Call {call.call_id} is not in your queue.")
    rubric_id = current_app.config["RUBRIC_ID"]
    row = db.get(RubricVersion, review.rubric_pk) if review else current_rubric_row(db, rubric_id)
    if row is None:
        abort(
            409,
            description=f"No '{rubric_id}' rubric is loaded; ask an admin to run "
            "`qa-app rubric load`.",
        )
    return review, row, rubric_from_row(row)


def _flags(rubric: Rubric, answers: dict[str, DimensionAnswer]) -> dict[str, bool | None]:
    return rubric.flags_for({d: a.score for d, a in answers.items()})


def flag_meaning(flag: FlagRule) -> str:
    """Whether a flag being "yes" is good news: ``"good"``, ``"bad"`` or ``"neutral"``.

    Rubric points run from the worst behaviour (the lowest point) to the best, so a flag
    whose every condition asks for high scores (``>=``, ``>``) marks good behaviour, and one
    whose every condition fires on low scores (``<=``, ``<``, e.g. ``empathy_absent``) marks a
    problem. Anything else (``==``, ``!=``, or a mix) is shown without a verdict.
    """
    ops = {condition.op for condition in flag.conditions}
    if ops and ops <= {">=", ">"}:
        return "good"
    if ops and ops <= {"<=", "<"}:
        return "bad"
    return "neutral"


def flag_verdicts(rubric: Rubric, flags: dict[str, bool | None]) -> dict[str, str]:
    """Per flag, how its value reads: ``"good"``, ``"bad"``, ``"neutral"`` or ``"unknown"``."""
    verdicts = {}
    for flag in rubric.flags:
        value, meaning = flags.get(flag.name), flag_meaning(flag)
        if value is None:
            verdicts[flag.name] = "unknown"
        elif meaning == "neutral":
            verdicts[flag.name] = "neutral"
        else:
            verdicts[flag.name] = meaning if value else ("bad" if meaning == "good" else "good")
    return verdicts


@bp.get("/calls/<call_id>/review")
@roles_required(*SCORERS)
def page(call_id: str):
    """The scoring page of the user's own review of this call."""
    call = _call_or_404(call_id)
    review, row, rubric = _own_review_context(call)
    if review is not None and review.status == ReviewStatus.SUBMITTED:
        return redirect(url_for("scoring.review", review_id=review.id))
    answers = review_store.load_answers(get_session(), review.id if review else None)
    return render_template(
        "scoring/page.html",
        call=call,
        **_transcript_context(call, review),
        rubric=rubric,
        rubric_row=row,
        review=review,
        answers=answers,
        version=review.version if review else 0,
        values=edit_values(rubric, answers),
    )


def _version() -> int:
    version = form_int(request.form.get("version"))
    if version is None:
        abort(
            400,
            description="The form did not say which version of the review it started "
            "from. Reload the page.",
        )
    return version


def _status(message: str, status: int = 200, version: int | None = None, kind: str = "saved"):
    """The save status for htmx; a plain form post goes back to the call with the message."""
    if not wants_fragment():
        flash(message, "error" if kind == "error" else "info")
        return redirect(url_for("scoring.page", call_id=request.view_args["call_id"]), 303)
    return render_template(
        "scoring/_save_status.html", message=message, kind=kind, version=version
    ), status


@bp.post("/calls/<call_id>/review/dimensions/<dimension>")
@roles_required(*SCORERS)
def autosave(call_id: str, dimension: str):
    """Save one dimension of the draft (htmx); answers with the save status and new version."""
    call = _call_or_404(call_id)
    review, row, rubric = _own_review_context(call)
    db = get_session()
    try:
        answer = parse_answer(rubric, dimension, request.form, _turn_count(call, review))
        review = review_store.save_draft_answer(
            db, review, call.id, current_user(), row, dimension, answer, _version()
        )
        db.commit()
    except ScoringError as exc:
        return _status(f"Not saved: {exc}", 422, kind="error")
    except review_store.StaleReview as exc:
        return _refused(call, rubric, dimension, answer, exc.review, str(exc))
    except review_store.ReviewLocked as exc:
        return _refused(call, rubric, dimension, answer, review, str(exc))
    name = rubric.dimension(dimension).name
    saved_at = review.updated_at.strftime("%H:%M:%S")
    return _status(f"Saved {name} at {saved_at} UTC.", version=review.version)


def _refused(
    call: Call,
    rubric: Rubric,
    dimension: str,
    sent: DimensionAnswer,
    stored_review: Review | None,
    message: str,
):
    """A 409 for a save that would overwrite a newer review: the message, and the dimension
    as it is stored, so the form stops showing an answer that was never saved.

    The page's version is left as it was: every later save from this stale page is refused
    too, until the person reloads and sees every latest answer.
    """
    if not wants_fragment():
        return _status(message, 409, kind="error")
    db = get_session()
    answers = review_store.load_answers(db, stored_review.id if stored_review else None)
    stored = answers.get(dimension, DimensionAnswer())
    index = next(i for i, d in enumerate(rubric.dimensions, start=1) if d.id == dimension)
    if stored_review is not None and stored_review.status == ReviewStatus.SUBMITTED:
        why, shown = "this review is already submitted", "the submitted answer"
    else:
        why, shown = "this review changed elsewhere", "the stored answer"
    refused = (
        f"Not saved: you chose {sent.display()} here, but {why}. Shown: {shown} "
        f"({stored.display()}). Reload the page to see every latest answer."
    )
    status = render_template(
        "scoring/_save_status.html", message=message, kind="error", version=None
    )
    stored_dimension = render_template(
        "scoring/_dimension.html",
        call=call,
        dimension=rubric.dimension(dimension),
        loop_index=index,
        mode="autosave",
        values=edit_values(rubric, answers),
        oob=True,
        refused=refused,
    )
    return status + stored_dimension, 409


@bp.errorhandler(401)
def _logged_out(_error):
    """A scoring request from someone no longer logged in: nothing was saved, log in again."""
    return session_expired(401)


@bp.post("/calls/<call_id>/review/submit")
@roles_required(*SCORERS)
def submit(call_id: str):
    """Submit the draft; an incomplete review is refused with the dimensions still to score."""
    call = _call_or_404(call_id)
    review, _row, rubric = _own_review_context(call)
    db = get_session()
    if review is None:
        missing = ", ".join(d.name for d in rubric.dimensions)
        return _submit_problem(
            call,
            f"Not submitted: still to score {missing}.",
            422,
            [d.id for d in rubric.dimensions],
        )
    try:
        review_store.submit_review(db, review, rubric, _version(), current_user())
        db.commit()
    except review_store.ReviewIncomplete as exc:
        missing_ids = [d.id for d in rubric.dimensions if d.name in exc.missing]
        return _submit_problem(call, str(exc), 422, missing_ids)
    except (review_store.StaleReview, review_store.ReviewLocked) as exc:
        return _submit_problem(call, str(exc), 409)
    target = url_for("scoring.review", review_id=review.id, submitted=1)
    if request.headers.get("HX-Request"):
        return "", 204, {"HX-Redirect": target}
    return redirect(target)


def _submit_problem(call: Call, message: str, status: int, missing: Sequence[str] = ()):
    """Why the review was not submitted; ``missing`` names the dimension ids still to score,
    so the page can take the person to the first of them."""
    if wants_fragment():
        return render_template(
            "scoring/_submit_status.html", message=message, missing=missing
        ), status
    flash(message, "error")
    return redirect(url_for("scoring.page", call_id=call.call_id)), 303


def _review_for_viewer(review_id: int) -> tuple[Review, User]:
    """A review its owner may see; leads and admins may see every review."""
    db = get_session()
    review = db.get(Review, review_id)
    user = current_user()
    if review is None:
        abort(404, description="There is no such review.")
    if review.reviewer_id != user.id and user.role not in EDITORS:
        abort(403, description="This is another reviewer's review.")
    return review, user


@bp.get("/reviews/<int:review_id>")
@roles_required(Role.REVIEWER, Role.LEAD, Role.ADMIN)
def review(review_id: int):
    """A review with its behaviour flags; submitted reviews can be edited with a reason."""
    review, user = _review_for_viewer(review_id)
    if review.status == ReviewStatus.DRAFT and review.reviewer_id == user.id:
        call = get_session().get(Call, review.call_pk)
        return redirect(url_for("scoring.page", call_id=call.call_id))
    return _render_review(review, review_store.load_answers(get_session(), review.id))


def edit_values(rubric: Rubric, answers, form=None) -> dict[str, dict[str, str]]:
    """What the edit form shows per dimension: the stored answers, or what was just typed."""
    values = {}
    for dimension in rubric.dimensions:
        if form is not None:
            prefix = f"{dimension.id}-"
            values[dimension.id] = {
                k: form.get(prefix + k, "") for k in ("score", "note", "evidence")
            }
            continue
        answer = answers.get(dimension.id, DimensionAnswer())
        score = (
            "na" if answer.not_applicable else ("" if answer.score is None else str(answer.score))
        )
        values[dimension.id] = {
            "score": score,
            "note": answer.note,
            "evidence": ", ".join(str(p + 1) for p in answer.evidence),
        }
    return values


def _render_review(
    review: Review,
    answers,
    status: int = 200,
    message: str | None = None,
    reason: str = "",
    form=None,
):
    db = get_session()
    call = db.get(Call, review.call_pk)
    row = db.get(RubricVersion, review.rubric_pk)
    rubric = rubric_from_row(row)
    user = current_user()
    next_call = (
        queue_queries.next_call(db, user.id, call.id) if user.id == review.reviewer_id else None
    )
    flags = _flags(rubric, answers)
    return render_template(
        "scoring/review.html",
        machine=machine_beside(review, row, rubric, answers),
        review=review,
        call=call,
        **_transcript_context(call, review),
        rubric=rubric,
        rubric_row=row,
        answers=answers,
        flags=flags,
        verdicts=flag_verdicts(rubric, flags),
        reviewer=db.get(User, review.reviewer_id),
        message=message,
        reason=reason,
        can_edit=review.status == ReviewStatus.SUBMITTED,
        next_call=next_call,
        values=edit_values(rubric, answers, form),
    ), status


@bp.post("/reviews/<int:review_id>/edit")
@roles_required(Role.REVIEWER, Role.LEAD, Role.ADMIN)
def edit(review_id: int):
    """Change a submitted review: its reviewer or a lead, with a reason; audited."""
    review, user = _review_for_viewer(review_id)
    db = get_session()
    call = db.get(Call, review.call_pk)
    rubric = rubric_from_row(db.get(RubricVersion, review.rubric_pk))
    reason = (request.form.get("reason") or "").strip()
    answers = {}
    try:
        for dimension in rubric.dimensions:
            prefix = f"{dimension.id}-"
            fields = {k[len(prefix) :]: v for k, v in request.form.items() if k.startswith(prefix)}
            answers[dimension.id] = parse_answer(
                rubric, dimension.id, fields, _turn_count(call, review)
            )
        changed = review_store.edit_submitted(db, review, rubric, answers, _version(), user, reason)
        db.commit()
    except (ScoringError, ValueError, review_store.ReviewIncomplete) as exc:
        db.rollback()
        return _render_review(
            review,
            review_store.load_answers(db, review.id),
            422,
            f"Not saved: {exc}",
            reason,
            request.form,
        )
    except (review_store.StaleReview, review_store.ReviewLocked) as exc:
        return _render_review(
            db.get(Review, review_id),
            review_store.load_answers(db, review_id),
            409,
            str(exc),
            reason,
            request.form,
        )
    flash(
        f"Saved: {changed} dimension(s) changed, with your reason in the audit trail."
        if changed
        else "Nothing changed.",
        "info",
    )
    return redirect(url_for("scoring.review", review_id=review.id))
