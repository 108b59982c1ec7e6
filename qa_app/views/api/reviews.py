"""``/api/v1/reviews``: submitted reviews with their scores and flags, page by page."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from flask import abort
from flask.views import MethodView
from sqlalchemy import and_, or_
from sqlmodel import select

from qa_app.models import Call, Review, ReviewScore, ReviewStatus, RubricVersion, User
from qa_app.views.api.auth import token_required
from qa_app.views.api.blueprint import ApiBlueprint
from qa_app.views.api.schemas import PageArgs, ReviewPage
from qa_app.web.database import get_session
from qa_app.web.problems import problem

bp = ApiBlueprint("reviews", __name__, url_prefix="/api/v1",
               description="Submitted reviews, for a data warehouse or a BI tool.")  # fmt: skip


@bp.route("/reviews")
class Reviews(MethodView):
    @token_required("reviews:read")
    @bp.arguments(PageArgs, location="query")
    @bp.response(200, ReviewPage)
    @bp.problems(401, 403, 422, 429)
    def get(self, args):
        """Submitted reviews in the order they last changed, oldest first.

        ``since`` keeps those changed at or after a moment (a sync sends the time of its last
        run); ``next_cursor`` gives the next page, null on the last. An edited review comes
        again with its new version."""
        db = get_session()
        query = (
            select(Review, Call.call_id, User.email, RubricVersion)
            .join(Call, Call.id == Review.call_pk)
            .join(User, User.id == Review.reviewer_id)
            .join(RubricVersion, RubricVersion.id == Review.rubric_pk)
            .where(Review.status == ReviewStatus.SUBMITTED)
        )
        if args["since"] is not None:
            query = query.where(Review.updated_at >= args["since"])
        if args["cursor"]:
            moment, last_id = _read_cursor(args["cursor"])
            query = query.where(or_(Review.updated_at > moment,
                                    and_(Review.updated_at == moment, Review.id > last_id)))
        limit = args["limit"]
        rows = db.exec(query.order_by(Review.updated_at, Review.id).limit(limit + 1)).all()
        page, more = rows[:limit], len(rows) > limit
        scores = _scores([review.id for review, *_ in page])
        items = [_review(review, call_id, email, rubric, scores.get(review.id, {}))
                 for review, call_id, email, rubric in page]  # fmt: skip
        last = page[-1][0] if page and more else None
        return {"items": items, "next_cursor": _cursor(last) if last else None}


def _scores(review_ids: list[int]) -> dict[int, dict[str, ReviewScore]]:
    found: dict[int, dict[str, ReviewScore]] = {}
    if review_ids:
        for score in get_session().exec(
            select(ReviewScore).where(ReviewScore.review_id.in_(review_ids))
        ):
            found.setdefault(score.review_id, {})[score.dimension] = score
    return found


def _review(review: Review, call_id: str, email: str, rubric_row, scores: dict) -> dict:
    from qa_app.store.rubrics import rubric_from_row

    rubric = rubric_from_row(rubric_row)
    points = {d: s.score for d, s in scores.items() if not s.not_applicable}
    return {
        "id": review.id, "call_id": call_id, "reviewer": email, "rubric": rubric.key,
        "version": review.version,
        "submitted_at": review.submitted_at.isoformat() if review.submitted_at else None,
        "updated_at": review.updated_at.isoformat(),
        "scores": {d: {"score": s.score, "not_applicable": s.not_applicable, "note": s.note,
                       "evidence": list(s.evidence or [])} for d, s in scores.items()},
        "flags": rubric.flags_for(points),
    }  # fmt: skip


def _cursor(review: Review) -> str:
    raw = json.dumps([review.updated_at.isoformat(), review.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(text: str) -> tuple[datetime, int]:
    try:
        moment, last_id = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        return datetime.fromisoformat(moment), int(last_id)
    except (ValueError, TypeError, UnicodeDecodeError):
        abort(problem(422, "Some of what was sent needs fixing", errors=[
            {"field": "query.cursor", "message": "not a cursor this API gave; start without "
             "one"}]))  # fmt: skip
