"""What a request asks for, read the same way by every view and by the app's own error pages:
a fragment or a page, a number from a form, the local page to go back to.

Below both the views and the app-wide handlers (security, errors), so neither imports the other.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request

# Row ids are 32-bit integers on PostgreSQL; a bigger number is no row, not a server error.
MAX_ID = 2**31 - 1



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


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: never an open redirect.

    ``//host`` and ``/\\host`` are refused too: browsers read both as another site.
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ch == "\\" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def page_to_return_to() -> str | None:
    """The page the person was looking at when this request was sent, as a local path.

    htmx names it in ``HX-Current-URL``; a plain form post has it as its Referer
    (``Referrer-Policy: same-origin`` keeps that header on this site); a GET is its own page.
    """
    if request.endpoint == "auth.login":  # coming back to the login form itself helps nobody
        return safe_next(request.args.get("next"))
    if request.method == "GET":
        return safe_next(request.full_path.rstrip("?"))
    for header in ("HX-Current-URL", "Referer"):
        url = request.headers.get(header)
        if not url:
            continue
        parts = urlsplit(url)
        if parts.netloc != request.host:
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return safe_next(path)
    return None
