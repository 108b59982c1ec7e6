"""Forms that make something act once: however often the same showing of the form is sent
(Back then Send, a reload, a double-click), one object is made and every later sending is
shown the page the first one led to.

A form opts in with ``<input type="hidden" name="form_token" value="{{ form_token(action) }}">``
and its view with :func:`acts_once`. The token is claimed in the database before the view
runs (so two servers agree), settled with the redirect the view answered, and released when
the view refused the form, so the corrected form can be sent with the same token.
"""

from __future__ import annotations

import re
import secrets
import time
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, flash, redirect, render_template, request

from qa_app.web.auth import current_user
from qa_app.web.database import get_session

FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
# How long a second sending waits for the first one to finish before it says so.
WAIT_SECONDS = 10.0


def form_token(action: str, **same) -> str:
    """The token for a form posting to ``action``: the one just sent when this very form
    comes back refused (same address, and the same values of the hidden fields named in
    ``same``: one form per outreach alert, say), otherwise a new one."""
    sent = request.form.get("form_token", "") if request.method == "POST" else ""
    this_form = urlsplit(action).path == request.path and all(
        request.form.get(name, "") == str(value) for name, value in same.items()
    )
    return sent if this_form and FORM_TOKEN.fullmatch(sent) else secrets.token_urlsafe(24)


def init_app(app: Flask) -> None:
    """Offer ``form_token()`` to every template."""
    app.jinja_env.globals["form_token"] = form_token


def acts_once(view):
    """Wrap a POST view that makes something and answers a redirect when it did."""
    from qa_app.store import forms as store

    @wraps(view)
    def wrapped(*args, **kwargs):
        token = request.form.get("form_token", "")
        user = current_user()
        if not FORM_TOKEN.fullmatch(token) or user is None:
            return view(*args, **kwargs)
        db = get_session()
        first = store.claim(db, token, user.id, request.path)
        if first is not None:
            if first.user_id != user.id or first.path != request.path:
                # A token shown to someone else or on another form: not this form's sending.
                return view(*args, **kwargs)
            answer = _sent_before(db, first, token)
            if answer is not None:
                return answer
            if store.claim(db, token, user.id, request.path) is not None:
                return render_template("errors/sent_before.html"), 409
        try:
            response = view(*args, **kwargs)
        except BaseException:
            store.release(db, token)
            raise
        if getattr(response, "status_code", 200) in (301, 302, 303, 307, 308):
            store.settle(db, token, response.location)
        else:
            store.release(db, token)
        return response

    return wrapped


def _sent_before(db, first, token: str):
    """The answer to a second sending: the first one's page once it is there; None when the
    first was refused meanwhile (so this one is acted on like any sending)."""
    from qa_app.store import forms as store

    deadline = time.monotonic() + WAIT_SECONDS
    while not first.location and time.monotonic() < deadline:
        time.sleep(0.2)
        first = store.earlier(db, token)
        if first is None:
            return None
    if not first.location:
        return render_template("errors/sent_before.html"), 409
    flash("This form was already sent, so nothing new was made: here is what it made.", "info")
    return redirect(first.location, 303)
