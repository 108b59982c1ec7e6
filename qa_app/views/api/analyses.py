"""``/api/v1/flags/summary`` and ``/api/v1/machine/scores``: figures and machine scores out."""

from __future__ import annotations

from flask import abort, current_app
from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlmodel import select

from qa_app.models import Call, MachineModel, MachineScore, RubricVersion
from qa_app.views.api.auth import token_required
from qa_app.views.api.blueprint import ApiBlueprint
from qa_app.views.api.schemas import PAGE_LIMIT
from qa_app.web.database import get_engine, get_session
from qa_app.web.problems import problem

bp = ApiBlueprint("analyses", __name__, url_prefix="/api/v1",
                  description="Weighted flag rates, and the machine rater's scores.")
BY = ("team", "queue", "channel", "interaction_type", "tenure_band")


class SummaryArgs(Schema):
    by = fields.String(load_default=None, validate=validate.OneOf(BY))
    since = fields.Date(load_default=None)
    until = fields.Date(load_default=None)
    team = fields.String(load_default=None, validate=validate.Length(max=200))
    queue = fields.String(load_default=None, validate=validate.Length(max=200))
    channel = fields.String(load_default=None, validate=validate.Length(max=50))
    interaction_type = fields.String(load_default=None, validate=validate.Length(max=100))
    rubric = fields.String(load_default=None, validate=validate.Length(max=120),
                           metadata={"description": "rubric version as ID@VERSION"})


class Summary(Schema):
    """The JSON of ``qa-app flags summary`` (docs/sampling.md)."""

    rubric = fields.String(required=True)
    weighting = fields.String(required=True)
    weighting_note = fields.String(required=True)
    method = fields.String(required=True)
    score_method = fields.String(required=True)
    by = fields.String(allow_none=True, required=True)
    filters = fields.Dict(required=True)
    reviewed_calls = fields.Integer(required=True)
    left_out_of_weighted = fields.Integer(required=True)
    groups = fields.List(fields.Dict(), required=True, metadata={
        "description": "per group: flags {name: {n, rate, weighted_rate, ci, effective_n, "
                       "too_small}} and scores {dimension: {n, mean, weighted_mean, ci, ...}}"})


class ScoreArgs(Schema):
    cursor = fields.Integer(load_default=None, validate=validate.Range(min=0, max=2**62),
                            metadata={"description": "the next_cursor of the page before"})
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=PAGE_LIMIT * 10))


class MachineScoreOut(Schema):
    call_id = fields.String(required=True)
    model = fields.String(required=True, metadata={"description": "rubric key and version"})
    kind = fields.String(required=True)
    dimension = fields.String(required=True)
    score = fields.Integer(allow_none=True, required=True)
    confidence = fields.Float(allow_none=True, required=True)
    evidence = fields.List(fields.Integer(), required=True)
    reason = fields.String(required=True)


class MachinePage(Schema):
    items = fields.List(fields.Nested(MachineScoreOut), required=True)
    next_cursor = fields.Integer(allow_none=True, required=True)


@bp.route("/flags/summary")
class FlagSummary(MethodView):
    @token_required("flags:read")
    @bp.arguments(SummaryArgs, location="query")
    @bp.response(200, Summary)
    @bp.problems(401, 403, 422, 429)
    def get(self, args):
        """Per group, each flag's rate and mean final score, weighted back to the interaction
        mix or the sampling plan, with design-based intervals: the JSON of ``qa-app flags
        summary`` (the guide's Sampling plans page). People's figures only."""
        from qa_app.store.flags.rows import ExportError
        from qa_app.store.flags.summary import flags_summary
        from qa_app.store.reviews.queue import CallFilters

        filters = CallFilters(**{k: args[k] for k in ("since", "until", "team", "queue",
                                                      "channel", "interaction_type")})
        try:
            return flags_summary(get_engine(), filters, args["by"], args["rubric"],
                                 current_app.config["RUBRIC_ID"])  # fmt: skip
        except ExportError as exc:
            abort(problem(422, "Some of what was sent needs fixing", str(exc)))


@bp.route("/machine/scores")
class MachineScores(MethodView):
    @token_required("machine:read")
    @bp.arguments(ScoreArgs, location="query")
    @bp.response(200, MachinePage)
    @bp.problems(401, 403, 422, 429)
    def get(self, args):
        """Every machine score, oldest first, page by page: the call, the model (rubric
        version and model version), the score or null, its probability, the evidence turns
        and (an external model's) reason. Kept apart from people's reviews."""
        db = get_session()
        query = (
            select(MachineScore, Call.call_id, MachineModel.version, MachineModel.kind,
                   RubricVersion.rubric_id, RubricVersion.version)
            .join(Call, Call.id == MachineScore.call_pk)
            .join(MachineModel, MachineModel.id == MachineScore.model_pk)
            .join(RubricVersion, RubricVersion.id == MachineModel.rubric_pk)
        )  # fmt: skip
        if args["cursor"] is not None:
            query = query.where(MachineScore.id > args["cursor"])
        limit = args["limit"]
        rows = db.exec(query.order_by(MachineScore.id).limit(limit + 1)).all()
        page = rows[:limit]
        items = [
            {"call_id": call_id, "model": f"{rubric_id}@{rubric_version} v{version}",
             "kind": kind, "dimension": s.dimension, "score": s.score,
             "confidence": s.confidence, "evidence": list(s.evidence or []), "reason": s.reason}
            for s, call_id, version, kind, rubric_id, rubric_version in page
        ]  # fmt: skip
        more = len(rows) > limit
        return {"items": items, "next_cursor": page[-1][0].id if page and more else None}
