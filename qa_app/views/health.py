"""``/healthz``: for load balancers and monitoring; no login, no personal data."""

from __future__ import annotations

from functools import cache

from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from qa_app import db
from qa_app.web import database

bp = Blueprint("health", __name__)
# The newest migration is fixed for the running code: read the scripts once, not per probe.
_head_revision = cache(db.head_revision)


@bp.get("/healthz")
def healthz():
    """200 when the database answers and its schema is current; 503 naming what is wrong.

    A proxy takes a server out of rotation on 503, so a process left behind by an upgrade
    (schema newer or older than its code) stops receiving users instead of failing their saves.
    """
    try:
        current = db.current_revision(database.get_engine())
    except SQLAlchemyError as exc:
        # The driver's text names the host, port and database: for the log, not for anyone
        # who can reach this address without logging in.
        current_app.logger.warning("healthz: database unreachable: %s", exc)
        return _no_store(jsonify(status="unavailable", database="unreachable")), 503
    head = _head_revision()
    if current != head:
        body = jsonify(
            status="unavailable",
            database="ok",
            schema=f"at {current or 'empty'}, code needs {head}: run `{db.UPGRADE_COMMAND}`",
        )
        return _no_store(body), 503
    return _no_store(jsonify(status="ok", database="ok", schema="current")), 200


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response
