"""CSRF protection, htmx request detection and security headers for every response."""

from __future__ import annotations

from flask import Flask, abort, request
from flask_htmx import HTMX
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter

csrf = CSRFProtect()
htmx = HTMX()

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# Row ids are 32-bit integers on PostgreSQL; a bigger number is no row, not a server error.
MAX_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in routes: a non-negative whole number a database id can hold."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Register CSRF protection, flask-htmx, the checks on incoming text and the headers.

    Call before blueprints are registered: routes take the bounded ``int`` converter.
    """
    app.url_map.converters["int"] = RowIdConverter
    csrf.init_app(app)
    htmx.init_app(app)
    app.before_request(_refuse_nul_characters)
    app.after_request(_security_headers)


def _refuse_nul_characters():
    # No database column can hold U+0000 (PostgreSQL refuses it); say so instead of failing.
    for source in (request.args, request.form):
        for name, value in source.items(multi=True):
            if "\x00" in value or "\x00" in name:
                abort(400, description=f"'{name}' contains a NUL character; remove it.")


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    # One URL may answer with a page or an htmx fragment; caches must keep them apart.
    response.vary.add("HX-Request")
    return response
