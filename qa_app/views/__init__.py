"""Blueprints: each view parses the request, calls queries or domain code, renders."""

from __future__ import annotations

from flask import Flask, request

from qa_app.web.auth import current_user
from qa_app.web.security import MAX_ID


def init_app(app: Flask) -> None:
    from qa_app.views import (
        audit,
        health,
        home,
        imports,
        mix,
        outreach,
        recognition,
        rollouts,
        survival,
    )
    from qa_app.views import (
        auth as auth_views,
    )
    from qa_app.views import (
        flags as coach,
    )
    from qa_app.views import (
        panels as outcomes_over_time,
    )
    from qa_app.views import (
        sampling as plans,
    )
    from qa_app.views import (
        users as admin,
    )
    from qa_app.views.calibration import panelists as panel
    from qa_app.views.calibration import sessions as calibration
    from qa_app.views.experiments import pages as experiments
    from qa_app.views.reviews import assign, queue, scoring
    from qa_app.views.surveys import manage as customer_survey
    from qa_app.views.surveys import respond as customer_survey_respond

    modules = (
        health, auth_views, home, queue, scoring, assign, admin, audit, imports, coach, calibration,
        panel, plans, mix, survival, outcomes_over_time, outreach, customer_survey_respond,
        customer_survey, recognition, experiments, rollouts,
    )
    for module in modules:
        app.register_blueprint(module.bp)
    app.context_processor(lambda: {"current_user": current_user()})
    from qa_app.web import errors

    errors.init_app(app)


def form_int(value: str | None, blank: int | None = None) -> int | None:
    """A whole number from a form or query string; ``blank`` when the field is empty, None
    when it holds anything else than a number a database id or count can hold.

    Only ASCII digits count: ``"²".isdigit()`` is true, but ``int("²")`` fails.
    """
    value = (value or "").strip()
    if not value:
        return blank
    if value.isascii() and value.isdigit() and int(value) <= MAX_ID:
        return int(value)
    return None


def wants_fragment() -> bool:
    """True for a non-boosted htmx request that is not a history restore."""
    headers = request.headers
    return bool(
        headers.get("HX-Request")
        and not headers.get("HX-Boosted")
        and not headers.get("HX-History-Restore-Request")
    )
