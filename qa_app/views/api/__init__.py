"""The HTTP API under ``/api/v1``: bearer tokens with scopes, an OpenAPI 3.1 document made
from the same declarations that check each request (flask-smorest), problem details for
every error, and a rate limit per token (Flask-Limiter)."""

from __future__ import annotations

from flask import Flask

API_PREFIX = "/api/v1"


def init_app(app: Flask) -> None:
    """Register the API's blueprints, its OpenAPI document and its rate limit."""
    from flask_limiter import Limiter

    from qa_app.views.api import analyses, auth, calibration, calls, records, reviews, schemas
    from qa_app.web.security import csrf

    app.config.update(
        API_TITLE="qa_app API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
    )
    api = _Api(app, spec_kwargs={"info": {"description": (
        "Calls in, reviews out. Send 'Authorization: Bearer <token>' (qa-app tokens create); "
        "errors are RFC 9457 problem details.")}})  # fmt: skip
    api.spec.components.security_scheme("token", {"type": "http", "scheme": "bearer"})
    api.ma_plugin.converter.add_attribute_function(schemas.transcript_property)
    api.spec.components.schema("CallBulkLine", schema=schemas.CallBulkLine)
    limiter = Limiter(
        key_func=auth.rate_key,
        app=app,
        storage_uri=app.config["API_RATE_STORAGE"],
        headers_enabled=True,
        default_limits=[],
    )
    for module in (calls, records, reviews, analyses, calibration):
        limiter.limit(lambda: app.config["API_RATE_LIMIT"])(module.bp)
        # And per address, whatever tokens it sends: made-up tokens each have a count of
        # their own, and must not buy unlimited tries.
        limiter.limit(lambda: app.config["API_ADDRESS_RATE_LIMIT"], key_func=auth.address_key,
                      scope="address")(module.bp)  # fmt: skip
        api.register_blueprint(module.bp, parameters=[])
        csrf.exempt(module.bp)
    api.spec.options["security"] = [{"token": []}]  # every operation needs a token


class _Api:
    """flask-smorest's Api without its app-wide error handlers: the app's own answer every
    error, as problem details on the API and as pages everywhere else."""

    def __new__(cls, app: Flask, spec_kwargs: dict):
        from flask_smorest import Api

        class Quiet(Api):
            DEFAULT_ERROR_RESPONSE_NAME = None

            def _register_error_handlers(self):
                pass

        return Quiet(app, spec_kwargs=spec_kwargs)
