"""The API's request and response shapes (marshmallow): the same declarations validate each
request and write the OpenAPI document, so the two cannot drift apart."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from qa_app.domain.imports.calls import TEXT_LIMITS

MAX_TURNS = 5_000
MAX_TEXT = 100_000
PAGE_LIMIT = 500


class TurnSchema(Schema):
    speaker = fields.String(required=True, validate=validate.OneOf(["agent", "customer"]))
    text = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT))
    at = fields.Float(load_default=None, allow_none=True, allow_nan=False,
                      validate=validate.Range(min=0, max=86_400 * 7),
                      metadata={"description": "seconds from the start of the call"})  # fmt: skip


class Transcript(fields.Field):
    """The transcript as the file import's text (one ``Agent: ...`` / ``Customer: ...`` turn
    per line, ``[mm:ss]`` offsets optional) or as a list of turns."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            if not value.strip() or len(value) > MAX_TEXT * 10:
                raise ValidationError(f"give the transcript's turns (at most {MAX_TEXT * 10:,} "
                                      "characters)")  # fmt: skip
            return value
        if isinstance(value, list) and 0 < len(value) <= MAX_TURNS:
            return TurnSchema(many=True).load(value)
        raise ValidationError(f"give the transcript as text, one turn per line, or as a list of "
                              f"1 to {MAX_TURNS:,} turns {{speaker, text, at}}")  # fmt: skip


def transcript_property(self, field, **kwargs) -> dict:
    """OpenAPI for :class:`Transcript` (apispec's marshmallow plugin calls this per field)."""
    if not isinstance(field, Transcript):
        return {}
    turn = {
        "type": "object",
        "required": ["speaker", "text"],
        "additionalProperties": False,
        "properties": {
            "speaker": {"type": "string", "enum": ["agent", "customer"]},
            "text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
            "at": {"type": ["number", "null"], "minimum": 0, "maximum": 86_400 * 7},
        },
    }
    return {"oneOf": [{"type": "string", "minLength": 1, "maxLength": MAX_TEXT * 10},
                      {"type": "array", "items": turn, "minItems": 1, "maxItems": MAX_TURNS}]}


def _text(name: str, **kwargs):
    return fields.String(allow_none=True, validate=validate.Length(max=TEXT_LIMITS[name]),
                         **kwargs)  # fmt: skip


class CallIn(Schema):
    """A call as the calls import takes it; its ID is the path's."""

    agent = fields.String(required=True, validate=validate.Length(min=1, max=TEXT_LIMITS["agent"]))
    transcript = Transcript(required=True)
    team = _text("team")
    queue = _text("queue")
    channel = _text("channel")
    interaction_type = _text("interaction_type")
    started_at = fields.String(allow_none=True, validate=validate.Length(max=40),
                               metadata={"format": "date-time", "description":
                                         "ISO 8601 with a time zone (UTC if none)"})  # fmt: skip
    save_script = _text("save_script")
    agent_tenure_days = fields.Integer(allow_none=True,
                                       validate=validate.Range(min=0, max=36_500))  # fmt: skip
    customer_id = _text("customer_id")


class CallBulkLine(CallIn):
    """One line of ``POST /api/v1/calls:bulk``: a call with its ID."""

    call_id = fields.String(required=True,
                            validate=validate.Length(min=1, max=TEXT_LIMITS["call_id"]))


class BulkOut(Schema):
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    transcripts_kept = fields.Integer(required=True, metadata={
        "description": "earlier transcripts kept as numbered versions"})


class ReplaceArgs(Schema):
    replace = fields.Boolean(load_default=False, metadata={
        "description": "Replace stored fields this call changes (the old values go in the "
                       "audit trail); without it such a change is refused with 409."})  # fmt: skip


class CallOut(Schema):
    call_id = fields.String(required=True)
    result = fields.String(required=True, metadata={"enum": ["created", "updated", "unchanged"]})
    agent = fields.String(required=True)
    team = fields.String(allow_none=True)
    queue = fields.String(allow_none=True)
    channel = fields.String(allow_none=True)
    interaction_type = fields.String(allow_none=True)
    started_at = fields.String(allow_none=True)
    save_script = fields.String(allow_none=True)
    agent_tenure_days = fields.Integer(allow_none=True)
    customer_id = fields.String(allow_none=True)
    transcript_version = fields.Integer(required=True)


class PageArgs(Schema):
    since = fields.AwareDateTime(load_default=None, default_timezone=None, metadata={
        "description": "Only what changed at or after this moment (ISO 8601 with a zone)."})
    cursor = fields.String(load_default=None, validate=validate.Length(max=200))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=PAGE_LIMIT))


class ScoreOut(Schema):
    score = fields.Integer(allow_none=True)
    not_applicable = fields.Boolean(required=True)
    note = fields.String(required=True)
    evidence = fields.List(fields.Integer(), required=True)


class ReviewOut(Schema):
    id = fields.Integer(required=True)
    call_id = fields.String(required=True)
    reviewer = fields.String(required=True)
    rubric = fields.String(required=True)
    version = fields.Integer(required=True)
    submitted_at = fields.String(allow_none=True)
    updated_at = fields.String(required=True)
    scores = fields.Dict(keys=fields.String(), values=fields.Nested(ScoreOut), required=True)
    flags = fields.Dict(keys=fields.String(), values=fields.Boolean(allow_none=True),
                        required=True)  # fmt: skip


class ReviewPage(Schema):
    items = fields.List(fields.Nested(ReviewOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True, metadata={
        "description": "Send as 'cursor' for the next page; null on the last."})


def unencodable(value, path: str = "") -> list[str]:
    """Where the body holds text that is not Unicode (JSON allows lone surrogates such as
    ``\\ud800``; no database stores them): the paths, ``transcript.0.text``."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return [path]
        return []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in unencodable(v, f"{path}.{k}".lstrip("."))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in unencodable(v, f"{path}.{i}".lstrip("."))]
    return []
