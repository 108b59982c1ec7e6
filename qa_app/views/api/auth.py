"""Who an API request acts as: its bearer token, never a cookie, within the token's scopes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from flask import abort, g, request

from qa_app.store.tokens import Caller, TokenRefused, authenticate
from qa_app.web.database import get_session
from qa_app.web.problems import problem


def bearer_token() -> str | None:
    """The token of ``Authorization: Bearer ...``, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def rate_key() -> str:
    """What the API's rate limit counts by: the token (a hash of it), else the address."""
    token = bearer_token()
    if token:
        return "token:" + hashlib.sha256(token.encode()).hexdigest()[:24]
    return address_key()


def address_key() -> str:
    """The client's address (behind QA_APP_TRUSTED_PROXIES, the one the proxy saw)."""
    return "address:" + (request.remote_addr or "unknown")


def token_required(scope: str) -> Callable:
    """The view runs only for a valid token holding ``scope``; ``g.api_caller`` is who."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def checked(*args, **kwargs):
            g.api_caller = caller(scope)
            return view(*args, **kwargs)

        return checked

    return decorate


def caller(scope: str) -> Caller:
    token = bearer_token()
    if token is None:
        abort(problem(401, "A token is needed",
                      "Send 'Authorization: Bearer <token>' (qa-app tokens create); "
                      "cookies do not sign in to the API.",
                      headers={"WWW-Authenticate": 'Bearer realm="qa_app"'}))  # fmt: skip
    try:
        found = authenticate(get_session(), token)
    except TokenRefused as refused:
        abort(problem(401, "The token cannot be used", f"{refused.reason}.",
                      headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}))  # fmt: skip
    if scope not in found.scopes:
        abort(problem(403, "The token lacks a scope", f"This needs the scope '{scope}'; the "
                      f"token has {', '.join(found.scopes) or 'none'}.",
                      headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", '
                                                   f'scope="{scope}"'}))  # fmt: skip
    return found
