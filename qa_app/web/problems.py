"""API errors as RFC 9457 problem details: ``application/problem+json`` naming the field."""

from __future__ import annotations

from flask import Response, json, request

PROBLEM_JSON = "application/problem+json"
API_PREFIX = "/api/"


def is_api_request() -> bool:
    """Whether the request is for the HTTP API (errors answer in JSON, never a page)."""
    return request.path.startswith(API_PREFIX)


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    errors: list[dict] | None = None,
    headers: dict | list | None = None,
    **extra,
) -> Response:
    """A problem details response: type, title, status, detail, instance, and ``errors``
    (each ``{"field": ..., "message": ...}``) when fields are to blame."""
    body = {"type": "about:blank", "title": title, "status": status, "instance": request.path}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for key, value in (headers.items() if isinstance(headers, dict) else headers or []):
        if key.lower() != "content-type":
            response.headers[key] = value
    return response


def field_errors(messages, prefix: str = "") -> list[dict]:
    """webargs/marshmallow's nested messages as a flat list naming each field by its path
    (``json.transcript.0.speaker``)."""
    found = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            found += field_errors(value, path)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        found += [{"field": prefix, "message": m} for m in messages]
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            found += field_errors(value, f"{prefix}.{index}")
    else:
        found.append({"field": prefix, "message": str(messages)})
    return found
