"""Outcomes, customers and customer events over the API, each through its file import's own
checks and its refusal to replace a stored value without ``replace=true``."""

from __future__ import annotations

from flask import abort
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from qa_app.domain.files.tables import Table
from qa_app.domain.imports.customers import CUSTOMER_COLUMNS, EVENT_COLUMNS, EVENT_KINDS
from qa_app.views.api.auth import token_required
from qa_app.views.api.blueprint import ApiBlueprint
from qa_app.views.api.idempotency import answer_once
from qa_app.views.api.importing import imported, is_answer
from qa_app.views.api.schemas import ReplaceArgs, unencodable
from qa_app.web.problems import problem

bp = ApiBlueprint("records", __name__, url_prefix="/api/v1",
                  description="Outcomes, customers and their events, as those imports take them.")
MAX_OUTCOMES = 100
ID = validate.Length(min=1, max=100)


class Outcomes(Schema):
    values = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,99}$")),
        values=fields.Raw(allow_none=True, metadata={"type": ["boolean", "number"]}),
        required=True, validate=validate.Length(min=1, max=MAX_OUTCOMES),
        metadata={"description": "outcome name -> true/false or a number (saved, credit_amount)"},
    )  # fmt: skip


class CustomerIn(Schema):
    onboarded_at = fields.String(required=True, validate=validate.Length(min=1, max=40),
                                 metadata={"format": "date-time"})  # fmt: skip
    ended_at = fields.String(allow_none=True, validate=validate.Length(max=40),
                             metadata={"format": "date-time"})  # fmt: skip
    segment = fields.String(allow_none=True, validate=validate.Length(max=100))
    monthly_value = fields.Float(allow_none=True, allow_nan=False,
                                 validate=validate.Range(min=0, max=1e12))  # fmt: skip


class EventIn(Schema):
    at = fields.String(required=True, validate=validate.Length(min=1, max=40),
                       metadata={"format": "date-time"})  # fmt: skip
    kind = fields.String(required=True, validate=validate.OneOf(EVENT_KINDS))
    value = fields.Float(allow_none=True, allow_nan=False, validate=validate.Range(-1e12, 1e12))
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))


class Written(Schema):
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)


@bp.route("/calls/<external_id>/outcomes")
class CallOutcomes(MethodView):
    @token_required("outcomes:write")
    @bp.arguments(ReplaceArgs, location="query")
    @bp.arguments(Outcomes)
    @bp.response(200, Written)
    @bp.problems(401, 403, 409, 422, 429)
    def put(self, args, body, external_id):
        """Record a call's outcomes: ``{"values": {"saved": true, "credit_amount": 15}}``.

        A boolean outcome stays boolean and a numeric one numeric, as in the import; a stored
        value the request changes is refused (409) unless ``replace=true``."""
        values = body["values"]
        if any(isinstance(v, (list, dict, str)) for v in values.values()):
            abort(problem(422, "Some of what was sent needs fixing", errors=[
                {"field": f"json.values.{k}", "message": "true, false, a number or null"}
                for k, v in values.items() if isinstance(v, (list, dict, str))]))  # fmt: skip
        row = {"call_id": external_id, **values}
        return answer_once(lambda: _write("outcomes", ["call_id", *values], row, args), Written())


@bp.route("/customers/<customer_id>")
class Customer(MethodView):
    @token_required("customers:write")
    @bp.arguments(ReplaceArgs, location="query")
    @bp.arguments(CustomerIn)
    @bp.response(200, Written)
    @bp.problems(401, 403, 409, 422, 429)
    def put(self, args, body, customer_id):
        """Create or update a customer by their ID in your system (as the customers import)."""
        row = {"customer_id": customer_id, **body}
        return answer_once(lambda: _write("customers", list(CUSTOMER_COLUMNS), row, args),
                           Written())  # fmt: skip


@bp.route("/customers/<customer_id>/events")
class CustomerEvents(MethodView):
    @token_required("customers:write")
    @bp.arguments(ReplaceArgs, location="query")
    @bp.arguments(EventIn)
    @bp.response(200, Written)
    @bp.problems(401, 403, 409, 422, 429)
    def post(self, args, body, customer_id):
        """Record one event of a customer (renewal, incident, nps, ...). The same customer,
        moment and kind again is the same event: a changed value needs ``replace=true``."""
        row = {"customer_id": customer_id, **body}
        return answer_once(lambda: _write("events", list(EVENT_COLUMNS), row, args), Written())


def _write(kind: str, columns: list[str], row: dict, args: dict):
    broken = unencodable(row)
    if broken:
        return problem(422, "Some of what was sent needs fixing", errors=[
            {"field": f"json.{path}", "message": "not Unicode text; send it as UTF-8"}
            for path in broken])  # fmt: skip
    result = imported(kind, Table(columns, [(1, row)], row_unit="request"), args["replace"])
    if is_answer(result):
        return result
    written = result.written
    return {"created": written.created, "updated": written.updated,
            "unchanged": written.unchanged}  # fmt: skip
