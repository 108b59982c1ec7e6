"""``/api/v1/calls``: a call put by its external ID, through the calls import's own checks."""

from __future__ import annotations

from flask import abort, json, request
from flask.views import MethodView
from marshmallow import ValidationError
from sqlmodel import select

from qa_app.domain.files.tables import Table
from qa_app.domain.imports.calls import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, TEXT_LIMITS
from qa_app.models import Call
from qa_app.views.api.auth import token_required
from qa_app.views.api.blueprint import ApiBlueprint
from qa_app.views.api.idempotency import answer_once
from qa_app.views.api.importing import imported, is_answer
from qa_app.views.api.schemas import (
    BulkOut,
    CallBulkLine,
    CallIn,
    CallOut,
    ReplaceArgs,
    unencodable,
)
from qa_app.web.database import get_session
from qa_app.web.problems import field_errors, problem

bp = ApiBlueprint("calls", __name__, url_prefix="/api/v1",
               description="Calls, as the calls import takes them.")  # fmt: skip
@bp.route("/calls/<external_id>")
class CallByExternalId(MethodView):
    @token_required("calls:write")
    @bp.arguments(ReplaceArgs, location="query")
    @bp.arguments(CallIn)
    @bp.response(200, CallOut)
    @bp.problems(401, 403, 409, 422, 429)
    def put(self, args, body, external_id):
        """Create or update one call by its ID in your system.

        The same checks as the calls import: a stored field the request changes is refused
        (409, naming it) unless ``replace=true``; a changed transcript is kept as a new
        numbered version. With an ``Idempotency-Key`` header a retried request is answered
        as the first was, without acting twice."""
        return answer_once(lambda: _put(external_id, body, args["replace"]), CallOut())

    @token_required("calls:read")
    @bp.response(200, CallOut)
    @bp.problems(401, 403, 404, 429)
    def get(self, external_id):
        """One call's fields and transcript version."""
        call = get_session().exec(select(Call).where(Call.call_id == external_id)).first()
        if call is None:
            abort(problem(404, "No such call", f"No call has the ID '{external_id}'."))
        return _call_out(call, "unchanged")


def _put(external_id: str, body: dict, replace: bool):
    if not external_id.strip() or len(external_id) > TEXT_LIMITS["call_id"]:
        abort(problem(422, "Some of what was sent needs fixing",
                      errors=[{"field": "path.external_id", "message":
                               f"give a call ID of 1 to {TEXT_LIMITS['call_id']} characters"}]))
    broken = unencodable(body)
    if broken:
        abort(problem(422, "Some of what was sent needs fixing", errors=[
            {"field": f"json.{path}", "message": "text with a lone surrogate (\\ud800-\\udfff) "
             "is not Unicode text; send it as UTF-8"} for path in broken]))  # fmt: skip
    row = _as_import_row({"call_id": external_id, **body})
    table = Table([*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS], [(1, row)], row_unit="call")
    result = imported("calls", table, replace)
    if is_answer(result):
        return result
    written = result.written
    outcome = ("created" if written.created else "updated" if written.updated else "unchanged")
    # The import's own reading of the ID (surrounding spaces dropped), as it stored it.
    stored_id = result.report.records[0].call_id
    call = get_session().exec(select(Call).where(Call.call_id == stored_id)).one()
    return _call_out(call, outcome)


def _as_import_row(call: dict) -> dict:
    """A checked call as the JSON-lines import reads one (turns' ``at`` is its ``offset``)."""
    if isinstance(call["transcript"], list):
        call = dict(call, transcript=[{"speaker": t["speaker"], "text": t["text"],
                                       "offset": t["at"]} for t in call["transcript"]])
    return call


def _call_out(call: Call, outcome: str) -> dict:
    return {
        "call_id": call.call_id, "result": outcome, "agent": call.agent, "team": call.team,
        "queue": call.queue, "channel": call.channel, "interaction_type": call.interaction_type,
        "started_at": call.started_at.isoformat() if call.started_at else None,
        "save_script": call.save_script, "agent_tenure_days": call.agent_tenure_days,
        "customer_id": call.customer_id, "transcript_version": call.transcript_version,
    }  # fmt: skip


MAX_BULK = 10_000


@bp.route("/calls:bulk")
class CallsInBulk(MethodView):
    @token_required("calls:write")
    @bp.arguments(ReplaceArgs, location="query")
    @bp.doc(requestBody={"required": True, "description": (
        f"NDJSON: one call per line (at most {MAX_BULK:,}), each a CallBulkLine."),
        "content": {"application/x-ndjson": {
            "schema": {"$ref": "#/components/schemas/CallBulkLine"}}}})  # fmt: skip
    @bp.response(200, BulkOut)
    @bp.problems(401, 403, 409, 413, 422, 429)
    def post(self, args):
        """Create or update many calls at once, one JSON object per line, all or nothing.

        The calls import's own checks run on every line first; any line at fault refuses the
        whole request (422, each problem naming its line and field) and nothing is written.
        The same no-silent-overwrite rule and ``replace=true`` as one call."""
        return answer_once(lambda: _bulk(args["replace"]), BulkOut())


def _bulk(replace: bool):
    lines = request.get_data().splitlines()
    lines = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    if not lines or len(lines) > MAX_BULK:
        return problem(422, "Some of what was sent needs fixing",
                       f"Send 1 to {MAX_BULK:,} calls, one JSON object per line.")  # fmt: skip
    rows, errors = [], []
    schema = CallBulkLine()
    for number, line in lines:
        try:
            loaded = schema.load(json.loads(line))
        except ValueError as exc:  # not JSON, or not UTF-8
            errors.append({"field": f"line.{number}", "message": f"not a JSON object: {exc}"})
            continue
        except ValidationError as exc:
            errors += [dict(e, field=f"line.{number}.{e['field']}")
                       for e in field_errors(exc.messages)]  # fmt: skip
            continue
        broken = unencodable(loaded)
        if broken:
            errors += [{"field": f"line.{number}.{p}", "message": "not Unicode text"}
                       for p in broken]  # fmt: skip
            continue
        rows.append((number, _as_import_row(loaded)))
    if errors:
        return problem(422, "Some of what was sent needs fixing", errors=errors[:100])
    table = Table([*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS], rows, row_unit="line")
    result = imported("calls", table, replace, field_of=lambda e: f"line.{e.row}")
    if is_answer(result):
        return result
    written = result.written
    return {"created": written.created, "updated": written.updated,
            "unchanged": written.unchanged, "transcripts_kept": written.transcripts_kept}
