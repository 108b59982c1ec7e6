"""``Idempotency-Key``: a retried API request is answered as the first one was, once.

The answer is kept with the key (per token, a day) in the same transaction as what the
request wrote, so a request and its record commit together or not at all; two copies sent at
once cannot both act: the second fails on the key's uniqueness, is rolled back, and is told
to send it again (when it gets the first one's answer).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

from flask import Response, abort, g, json, request
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from qa_app.models import ApiIdempotency, utcnow
from qa_app.web.database import get_session
from qa_app.web.problems import problem

KEPT = timedelta(days=1)
MAX_KEY = 200


def answer_once(compute: Callable[[], dict | Response], schema) -> Response:
    """Run ``compute`` (its dict is dumped with ``schema``) and commit, or answer a retry
    of the same request with the answer kept under its ``Idempotency-Key``."""
    key = request.headers.get("Idempotency-Key")
    db = get_session()
    if key is None:
        response = _response(compute(), schema)
        db.commit()
        return response
    if not 1 <= len(key) <= MAX_KEY:
        abort(problem(422, "Some of what was sent needs fixing", errors=[
            {"field": "header.Idempotency-Key", "message": f"1 to {MAX_KEY} characters"}]))
    token_id = g.api_caller.token_id
    digest = hashlib.sha256(b"\n".join(
        [request.method.encode(), request.full_path.encode(), request.get_data()])).hexdigest()
    db.exec(delete(ApiIdempotency).where(ApiIdempotency.created_at < utcnow() - KEPT))
    kept = db.exec(select(ApiIdempotency).where(ApiIdempotency.token_id == token_id,
                                                ApiIdempotency.key == key)).first()  # fmt: skip
    if kept is not None:
        db.commit()
        if kept.request_hash != digest:
            abort(problem(422, "The Idempotency-Key was used for another request",
                          "Use a new key for a new request."))  # fmt: skip
        replay = Response(kept.body, status=kept.status, mimetype=_mimetype(kept.status))
        replay.headers["Idempotent-Replayed"] = "true"
        return replay
    response = _response(compute(), schema)
    db.add(ApiIdempotency(token_id=token_id, key=key, request_hash=digest,
                          status=response.status_code, body=response.get_data(as_text=True)))
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        abort(problem(409, "A request with this Idempotency-Key is being answered",
                      "Send it again in a moment to get its answer.",
                      headers={"Retry-After": "1"}))  # fmt: skip
    return response


def _response(result: dict | Response, schema) -> Response:
    if isinstance(result, Response):
        return result
    return Response(json.dumps(schema.dump(result)), status=200, mimetype="application/json")


def _mimetype(status: int) -> str:
    return "application/json" if status < 400 else "application/problem+json"
