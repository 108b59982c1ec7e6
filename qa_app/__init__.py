"""qa_app: call-review calibration and QA for contact centres."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: Mapping | None = None) -> Flask:
    """Build the web application.

    ``config`` overrides settings from the environment (tests pass DATABASE_URL,
    SECRET_KEY, CHECK_SCHEMA ...). Unless CHECK_SCHEMA is false the app refuses
    to start on a database whose schema is not up to date.
    """
    # Imported here, not at the top: every ``qa_app.*`` import runs this file first, and
    # `qa-app --help` or the domain code should not pay for Flask.
    from flask import Flask

    from qa_app.config import instance_path, load_settings
    from qa_app.resources import static_dir

    instance = instance_path()
    app = Flask(
        __name__,
        instance_path=str(instance),
        static_folder=str(static_dir()),
        static_url_path="/static",
    )
    app.config.from_mapping(load_settings(instance, config))

    from qa_app import db, scratch, views
    from qa_app.web import database, forms, security

    # Uploads and exports interrupted by a killed process left scratch files: remove them.
    scratch.remove_stale_once(app.logger)
    database.init_app(app)
    if app.config["CHECK_SCHEMA"]:
        try:
            db.check_schema(db.get_engine_for(app))
        except db.SchemaOutOfDate:
            db.get_engine_for(app).dispose()
            raise
    security.init_app(app)
    forms.init_app(app)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind N reverse proxies, the client address (for login throttling) is in X-Forwarded-For.
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"], x_proto=app.config["TRUSTED_PROXIES"]
        )
    views.init_app(app)
    return app
