"""The app's own error pages: a plain title and explanation per status, and a way back that
suits the reader (home for a logged-in user, the login page for a logged-out visitor, the
invite link for a customer panelist, who has no account and must never be sent to log in).

A non-boosted htmx request gets a small fragment instead (errors/_error.html).
"""

from __future__ import annotations

import secrets

from flask import Flask, current_app, g, render_template, request
from markupsafe import escape
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from qa_app.db import is_busy, is_unreachable
from qa_app.web.problems import field_errors, is_api_request, problem
from qa_app.web.requests import safe_next, wants_fragment

# Seconds a browser or script is asked to wait before sending a refused request again.
BUSY_RETRY_AFTER = 5

ERROR_STATUSES = (400, 401, 403, 404, 405, 409, 413, 422, 429)

# Title and the explanation used when the code that refused gave no reason of its own.
PLAIN_WORDS = {
    400: (
        "The page sent something we could not use",
        "Part of what your browser sent was missing or garbled. Go back, reload the page "
        "and try again.",
    ),
    401: ("Please log in again", "You are no longer logged in, so this was not done."),
    403: (
        "This is not open to you",
        "Your account does not give access to this page or action. If you need it, ask an "
        "admin to change your role.",
    ),
    404: (
        "We could not find that page",
        "The address may be mistyped, or what it pointed to no longer exists.",
    ),
    405: (
        "That cannot be done from here",
        "This address does not take that kind of request. Use the buttons and links on the "
        "app's pages instead.",
    ),
    409: (
        "That clashes with the current state",
        "Something changed since the page was loaded. Reload it to see where things stand, "
        "then try again.",
    ),
    413: ("That file is too large", None),  # the limit is in the app's settings
    422: (
        "Some of what was sent needs fixing",
        "Go back, correct what is marked and send it again.",
    ),
    429: ("Too many attempts", "Wait a few minutes, then try again."),
    500: (
        "Something went wrong on our side",
        "This is not your mistake, and it has been logged. Try again in a moment; if it keeps "
        "happening, tell your admin the reference below.",
    ),
}


# Panelists meet these through their invite link, which is about one calibration session.
PANEL_TITLES = {
    403: "This calibration session is not open",
    404: "This link does not work",
}


def init_app(app: Flask) -> None:
    """Register the error pages for every status the app answers with, and for crashes."""
    for status in ERROR_STATUSES:
        app.register_error_handler(status, error_page)
    app.register_error_handler(500, server_error_page)
    app.register_error_handler(DBAPIError, database_error)
    app.register_error_handler(PoolTimeout, database_error)


def database_error(error: Exception):
    """A database timeout or lock, or a database that cannot be reached, gets the "try again"
    page (503); any other database error is a crash."""
    if is_busy(error) or is_unreachable(error):
        return busy_page(error)
    raise error  # Flask logs it and answers with server_error_page


def busy_page(error: BaseException):
    """503 with Retry-After: the database was too busy (a lock or timeout) or could not be
    reached; nothing was saved.

    Rendered without touching the database again: it is the thing that is busy.
    """
    unreachable = is_unreachable(error)
    current_app.logger.warning(
        "database %s: %s %s: %s",
        "unreachable" if unreachable else "busy, gave up waiting",
        request.method,
        request.path,
        error,
    )
    session = g.get("db_session")
    if session is not None:
        try:
            session.rollback()  # the failed transaction, so teardown has nothing to wait for
        except Exception:  # noqa: BLE001 - the page matters more; teardown closes it anyway
            current_app.logger.warning("rollback after a busy database failed", exc_info=True)
    if is_api_request():
        return problem(503, "The database is busy", "Nothing was saved; send it again.",
                       headers={"Retry-After": str(BUSY_RETRY_AFTER)})  # fmt: skip
    # base.html shows who is logged in; if that was not read yet, do not ask the database now.
    g.setdefault("current_user", None)
    template = "errors/_busy.html" if wants_fragment() else "errors/busy.html"
    context = {
        "changed": request.method not in ("GET", "HEAD"),
        "again": safe_next(request.full_path.rstrip("?")),
        "headline": "The database is not answering" if unreachable else "The database is busy",
    }
    return render_template(template, **context), 503, {"Retry-After": str(BUSY_RETRY_AFTER)}


def _reader() -> str:
    """Who is reading: 'panelist' (an invite-link page), 'user' (logged in) or 'visitor'."""
    if request.path.startswith("/panel/"):
        return "panelist"
    from qa_app.web.auth import current_user

    return "user" if current_user() is not None else "visitor"


def _explanation(error: HTTPException, status: int) -> str:
    own = type(error).description
    described = error.description and error.description != own
    if described:  # the app's own reason ("Call X is not in this session.") says most
        return error.description
    if status == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        size = f"{limit // 2**20} MB" if limit >= 2**20 else f"{limit // 2**10} KB"
        return (
            f"Uploads can be up to {size}. Split the file, or import it with the qa-app "
            "command on the server."
        )
    return PLAIN_WORDS[status][1]


def render_error(error: HTTPException, status: int, reference: str | None = None):
    """The error as a page (or an htmx fragment) with this status."""

    reader = _reader()
    title = PLAIN_WORDS.get(status, (error.name, None))[0]
    if reader == "panelist":
        title = PANEL_TITLES.get(status, title)
    title = getattr(error, "title", None) or title  # an error that names itself, e.g. panel.py's
    context = {
        "status": status,
        "title": title,
        "explanation": _explanation(error, status),
        "reader": reader,
        "reference": reference,
    }
    template = "errors/_error.html" if wants_fragment() else "errors/error.html"
    # Keep what the status needs, e.g. Allow on a 405 and Retry-After on a 429.
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return render_template(template, **context), status, headers


def error_page(error: HTTPException):
    """4xx answers in the app's words (problem details on the API)."""
    if is_api_request():
        return api_error(error)
    return render_error(error, error.code)


def api_error(error: HTTPException):
    """An API request's error as problem details, its fields named (webargs puts them in
    ``error.data["messages"]``) and its headers kept (Retry-After, WWW-Authenticate)."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = field_errors(data.get("messages")) if data.get("messages") else None
    described = error.description and error.description != type(error).description
    title = PLAIN_WORDS.get(status, (error.name, None))[0]
    return problem(status, title, error.description if described else None, errors=errors,
                   headers=[(k, v) for k, v in error.get_headers()])  # fmt: skip


def server_error_page(error: InternalServerError):
    """A crash: log it with a short reference the page shows, and answer in plain words."""
    reference = secrets.token_hex(4)
    if is_api_request():
        current_app.logger.error("error reference %s: %s %s failed", reference, request.method,
                                 request.path)  # fmt: skip
        return problem(500, PLAIN_WORDS[500][0], PLAIN_WORDS[500][1], reference=reference)
    original = getattr(error, "original_exception", None) or error
    # Flask has logged the traceback just before; this line ties it to what the user sees.
    current_app.logger.error(
        "error reference %s: %s %s failed with %s: %s",
        reference,
        request.method,
        request.path,
        type(original).__name__,
        original,
    )
    if is_busy(original) or is_unreachable(original):  # e.g. a page that needed it while down
        return busy_page(original)
    try:
        from qa_app.web.database import get_session

        get_session().rollback()  # a failed transaction would fail the page's own queries
        return render_error(error, 500, reference)
    except Exception:  # the page itself failed (e.g. the database is down): plain HTML
        current_app.logger.exception("the error page for reference %s failed too", reference)
        title, text = PLAIN_WORDS[500]
        body = (
            f"<!doctype html><html lang='en'><title>{title}</title><h1>{title}</h1>"
            f"<p>{text}</p><p>Reference: <code>{escape(reference)}</code></p></html>"
        )
        return body, 500, {"Content-Type": "text/html; charset=utf-8"}
