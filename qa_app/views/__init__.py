"""Blueprints: each view parses the request, calls queries or domain code, renders."""

from __future__ import annotations

from flask import Flask

from qa_app.web.auth import current_user


def init_app(app: Flask) -> None:
    from qa_app.views import (
        audit,
        auth,
        flags,
        health,
        home,
        imports,
        machine,
        mix,
        outreach,
        panels,
        recognition,
        rollouts,
        sampling,
        survival,
        tokens,
        users,
    )
    from qa_app.views.calibration import panelists, sessions
    from qa_app.views.experiments import pages as experiments
    from qa_app.views.reviews import assign, queue, scoring
    from qa_app.views.surveys import manage as surveys
    from qa_app.views.surveys import respond as survey_answers

    modules = (
        health, auth, home, queue, scoring, assign, users, audit, imports, flags, sessions,
        panelists, sampling, mix, survival, panels, outreach, survey_answers, surveys,
        recognition, experiments, rollouts, machine, tokens,
    )
    for module in modules:
        app.register_blueprint(module.bp)
    from qa_app.domain.money import currency_prefix, format_money

    # Money everywhere with the organisation's currency (QA_APP_CURRENCY).
    app.jinja_env.filters["money"] = lambda value, signed=False, digits=2: format_money(
        value, app.config.get("CURRENCY", ""), signed=signed, digits=digits
    )
    app.jinja_env.globals["currency_prefix"] = lambda: currency_prefix(
        app.config.get("CURRENCY", "")
    )
    app.context_processor(
        lambda: {
            "current_user": current_user(),
            "organisation_name": app.config.get("ORGANISATION_NAME", ""),
        }
    )
    from qa_app.web import errors

    errors.init_app(app)
    from qa_app.views import api

    api.init_app(app)
