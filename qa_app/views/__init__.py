"""Blueprints: each view parses the request, calls queries or domain code, renders."""

from __future__ import annotations

from flask import Flask, render_template, request

from qa_app.auth import current_user


def init_app(app: Flask) -> None:
    from qa_app.views import auth_views, home

    app.register_blueprint(auth_views.bp)
    app.register_blueprint(home.bp)
    app.context_processor(lambda: {"current_user": current_user()})
    for status in (400, 401, 403, 404, 405):
        app.register_error_handler(status, _error_page)


def _error_page(error):
    """Errors as a full page, or as a small fragment for a non-boosted htmx request."""
    template = "errors/_error.html" if _wants_fragment() else "errors/error.html"
    return render_template(template, error=error), error.code


def _wants_fragment() -> bool:
    headers = request.headers
    return bool(
        headers.get("HX-Request")
        and not headers.get("HX-Boosted")
        and not headers.get("HX-History-Restore-Request")
    )
