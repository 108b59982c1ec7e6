"""The API's blueprints: flask-smorest's, with every error documented as problem details."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields

PROBLEMS = {
    401: "No token, or one that cannot be used",
    403: "The token lacks the scope",
    404: "Not found",
    409: "The stored values differ: send replace=true to change them",
    413: "The request is larger than the server takes (QA_APP's upload limit)",
    422: "Something in the request needs fixing (each field named)",
    429: "Too many requests for this token: wait for Retry-After",
}


class FieldProblem(Schema):
    field = fields.String(required=True)
    message = fields.String(required=True)


class Problem(Schema):
    """RFC 9457 problem details."""

    class Meta:
        unknown = "include"

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String()
    errors = fields.List(fields.Nested(FieldProblem))
    changes = fields.List(fields.String())
    reference = fields.String()


class ApiBlueprint(Blueprint):
    """No flask-smorest default error response: the app answers errors itself."""

    DEFAULT_ERROR_RESPONSE_NAME = None

    def problems(self, *statuses: int):
        """Document these problem answers on an operation."""

        def decorate(view):
            for status in statuses:
                view = self.alt_response(status, description=PROBLEMS[status], schema=Problem,
                                         content_type="application/problem+json")(view)  # fmt: skip
            return view

        return decorate
