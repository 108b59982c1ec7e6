"""``/api/v1/calibration/sessions``: revealed calibration sessions with their agreement."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlmodel import select

from qa_app.models import CalibrationSession, RubricVersion, SessionState
from qa_app.views.api.auth import token_required
from qa_app.views.api.blueprint import ApiBlueprint
from qa_app.web.database import get_session

bp = ApiBlueprint("calibration_api", __name__, url_prefix="/api/v1",
                  description="Revealed calibration sessions and their agreement.")
# Each session's agreement is a bootstrap of 1,000 resamples per group (kept once worked
# out): a page holds few of them.
SESSIONS_PER_PAGE = 20


class SessionArgs(Schema):
    cursor = fields.Integer(load_default=None, validate=validate.Range(min=0, max=2**62))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=SESSIONS_PER_PAGE))


class SessionOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    rubric = fields.String(required=True)
    state = fields.String(required=True)
    revealed_at = fields.String(allow_none=True, required=True)
    closed_at = fields.String(allow_none=True, required=True)
    agreement = fields.Dict(required=True, metadata={"description": (
        "per group (everyone, qa, panel; with_machine when the lead included the machine "
        "rater): the agreement JSON of `qa-app agreement` (docs/calibration.md), or null")})
    consensus = fields.Dict(required=True, metadata={
        "description": "call_id -> dimension -> the agreed score (null: N/A)"})


class SessionPage(Schema):
    items = fields.List(fields.Nested(SessionOut), required=True)
    next_cursor = fields.Integer(allow_none=True, required=True)


@bp.route("/calibration/sessions")
class Sessions(MethodView):
    @token_required("calibration:read")
    @bp.arguments(SessionArgs, location="query")
    @bp.response(200, SessionPage)
    @bp.problems(401, 403, 422, 429)
    def get(self, args):
        """Revealed and closed sessions, oldest first, each with its agreement by group
        (ordinal alpha with its interval, AC2, exact and within-one agreement, per dimension
        and overall) and its consensus. Sessions still blind are never shown."""
        from qa_app.store.calibration import results
        from qa_app.store.rubrics import rubric_from_row

        db = get_session()
        query = select(CalibrationSession).where(
            CalibrationSession.state.in_([SessionState.REVEALED, SessionState.CLOSED]))
        if args["cursor"] is not None:
            query = query.where(CalibrationSession.id > args["cursor"])
        limit = args["limit"]
        sessions = db.exec(query.order_by(CalibrationSession.id).limit(limit + 1)).all()
        items = []
        for session in sessions[:limit]:
            rubric_row = db.get(RubricVersion, session.rubric_pk)
            agreed = results.consensus(db, session.id)
            numbers = results.dashboard_numbers(db, session, rubric_from_row(rubric_row), agreed)
            consensus: dict[str, dict] = {}
            for (call_id, dimension), row in agreed.items():
                consensus.setdefault(call_id, {})[dimension] = row.score
            items.append({
                "id": session.id, "name": session.name, "rubric": rubric_row.key,
                "state": session.state,
                "revealed_at": session.revealed_at.isoformat() if session.revealed_at else None,
                "closed_at": session.closed_at.isoformat() if session.closed_at else None,
                "agreement": {group: report.as_dict(units=False) if report else None
                              for group, report in numbers["agreement"].items()},
                "consensus": consensus,
            })  # fmt: skip
        more = len(sessions) > limit
        return {"items": items, "next_cursor": sessions[limit - 1].id if more else None}
