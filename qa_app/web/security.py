"""CSRF protection, htmx request detection and security headers for every response."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_htmx import HTMX
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.routing import IntegerConverter

from qa_app.web.auth import current_user
from qa_app.web.errors import render_error
from qa_app.web.requests import MAX_ID, page_to_return_to, wants_fragment

csrf = CSRFProtect()
htmx = HTMX()

HSTS = "max-age=31536000"  # a year; only sent when cookies are HTTPS-only (served over TLS)

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
    app.after_request(_name_saved_form)
    app.register_error_handler(CSRFError, _csrf_refused)


def session_expired(status: int):
    """Tell the person their change was NOT saved because they are logged out or the page's
    CSRF token no longer matches, with a way back to the page they were on.

    A fragment for a non-boosted htmx request (it lands where the save status is shown),
    otherwise a full page.
    """
    back = page_to_return_to()
    typed = typed_fields()
    context = {
        "logged_in": current_user() is not None,
        "back": back,
        "login_url": _login_url(back),
        "typed": typed,
        "shown": shown_fields(typed),
        # Offered only for a post from one of this site's own pages (a Referer from here): a
        # post from elsewhere is never turned into a one-click "send it again".
        "resend_to": request.path if request.method == "POST" and back else None,
    }
    template = (
        "scoring/_session_expired.html" if wants_fragment() else "scoring/session_expired.html"
    )
    return render_template(template, **context), status


# Posted fields never shown back or carried on: the stale token itself, and secrets.
UNSHOWN_FIELDS = ("csrf_token",)
# Fields a form carries for itself, not typed by anyone: carried on, not listed.
MACHINERY_FIELDS = ("form_token", "version")


def typed_fields() -> list[tuple[str, str]]:
    """What the refused form carried, in order, without its token or anything secret."""
    return [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in UNSHOWN_FIELDS and "password" not in name.lower()
    ]


def shown_fields(fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The fields worth showing a person: what they typed, not record numbers or tokens."""
    return [
        (name.replace("_", " ").capitalize(), value)
        for name, value in fields
        if value.strip()
        and name not in MACHINERY_FIELDS
        and not (name.endswith(("_id", "_ids", "_pk")) and value.isdigit())
    ]


def _login_url(back: str | None) -> str:
    return url_for("auth.login", next=back) if back else url_for("auth.login")


# Endpoints that answer a refused CSRF token in their own way (the login form shows itself again
# with its own message). Views register them with answers_csrf_refusal, so this module, which
# every view imports, imports no view.
_csrf_refusal_answers: dict[str, Callable[[], ResponseReturnValue | None]] = {}


def answers_csrf_refusal(endpoint: str):
    """Register the decorated function as what ``endpoint`` answers when the CSRF token of a
    request to it is refused; it may return None to fall back to the usual answer."""

    def register(answer):
        _csrf_refusal_answers[endpoint] = answer
        return answer

    return register


def _csrf_refused(error: CSRFError):
    # Flask-WTF's own text ("The CSRF tokens do not match.") tells nobody what happened to
    # their work: an expired session and a stale page both end here.
    answer = _csrf_refusal_answers.get(request.endpoint)
    if answer is not None:
        response = answer()
        if response is not None:
            return response
    if request.path.startswith("/panel/"):
        # A panelist has no staff login to go back to: their invite link is the way in.
        from werkzeug.exceptions import BadRequest

        expired = BadRequest(
            "This page had expired, so your last answer was not saved. Open your invite link "
            "again and answer once more."
        )
        return render_error(expired, 400)
    # Flask-WTF's reason ("The CSRF session token is missing.") means nothing to the person:
    # the page says in plain words what happened and keeps what was typed.
    return session_expired(400)


def _refuse_nul_characters():
    # No database column can hold U+0000 (PostgreSQL refuses it); say so instead of failing.
    for source in (request.args, request.form):
        for name, value in source.items(multi=True):
            if "\x00" in value or "\x00" in name:
                abort(400, description=f"'{name}' contains a NUL character; remove it.")


SAVED_FORM_COOKIE = "qa_app_saved_form"


def _name_saved_form(response):
    """Tell the page that follows an accepted form post which form was saved (static/drafts.js
    then forgets the copy it kept of what was typed)."""
    if (
        request.method == "POST"
        and response.status_code < 400
        and "HX-Request" not in request.headers
    ):
        response.set_cookie(
            SAVED_FORM_COOKIE,
            request.path,
            max_age=120,
            samesite="Strict",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        )
    return response


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    # One URL may answer with a page or an htmx fragment; caches must keep them apart.
    response.vary.add("HX-Request")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        # The site is served over HTTPS: browsers must never try it over plain HTTP again.
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint != "static":
        # Every page may show calls, scores or names (and a panel link's page is the
        # panelist's own): no browser or proxy cache may keep a copy. Static files are the
        # same for everyone and stay cacheable.
        response.headers["Cache-Control"] = "no-store"
    return response
