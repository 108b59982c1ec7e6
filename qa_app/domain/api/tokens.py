"""API tokens: what each scope allows, who may hold it, and how a token is written.

A token is ``qa_`` and 43 URL-safe characters (256 random bits). Only its SHA-256 is stored:
the token is shown once, when made. A token carries scopes, and never more than its user's
role could do in the app: a scope a role may not hold is refused when the token is made.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

PREFIX = "qa_"
# scope -> (what it allows, the roles that may hold it)
SCOPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "calls:write": ("create and update calls (as the calls import)", ("admin", "lead")),
    "calls:read": ("read calls", ("admin", "lead", "coach")),
    "outcomes:write": ("record calls' outcomes (as the outcomes import)", ("admin", "lead")),
    "customers:write": ("create and update customers and their events (as those imports)",
                        ("admin", "lead")),
    "reviews:read": ("read submitted reviews with their scores and flags",
                     ("admin", "lead", "coach")),
    "flags:read": ("read weighted flag rates and mean scores", ("admin", "lead", "coach")),
    "machine:read": ("read the machine rater's scores", ("admin", "lead")),
    "calibration:read": ("read revealed calibration sessions and their agreement",
                         ("admin", "lead")),
}  # fmt: skip
MAX_DAYS = 3650
LIFETIME = re.compile(r"^\s*(\d{1,5})\s*([dhw])\s*$")


class TokenProblem(ValueError):
    """A token cannot be made as asked; the message says what to change."""


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_scopes(text: str, role: str) -> list[str]:
    """``calls:write,reviews:read`` as a checked list: each a known scope, each one the role
    may hold."""
    asked = [s.strip() for s in text.split(",") if s.strip()]
    if not asked:
        raise TokenProblem(f"give at least one scope; scopes: {', '.join(SCOPES)}")
    unknown = [s for s in asked if s not in SCOPES]
    if unknown:
        raise TokenProblem(f"unknown scope {', '.join(unknown)}; scopes: {', '.join(SCOPES)}")
    beyond = [s for s in asked if role not in SCOPES[s][1]]
    if beyond:
        raise TokenProblem(
            f"a {role} cannot hold {', '.join(beyond)}: a token never does more than its user "
            "could in the app"
        )
    return sorted(set(asked), key=list(SCOPES).index)


def parse_lifetime(text: str | None) -> timedelta | None:
    """``90d``, ``12h`` or ``8w`` as a duration (None: the token does not expire)."""
    if text is None or text.strip().lower() in ("", "never"):
        return None
    match = LIFETIME.match(text.lower())
    if not match:
        raise TokenProblem(f"'{text}' is not a lifetime: give days, hours or weeks (90d, 12h, 8w)")
    number, unit = int(match.group(1)), match.group(2)
    lifetime = {"d": timedelta(days=number), "h": timedelta(hours=number),
                "w": timedelta(weeks=number)}[unit]  # fmt: skip
    if not timedelta(hours=1) <= lifetime <= timedelta(days=MAX_DAYS):
        raise TokenProblem(f"a token lives from 1 hour to {MAX_DAYS} days, not {text.strip()}")
    return lifetime
