"""API tokens in the database: made, listed, revoked, and checked on every API request.

The rules (scopes, lifetimes, the token's form) are qa_app.domain.api.tokens; this module
stores only each token's SHA-256 and records making and revoking it in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from qa_app.domain.api.tokens import (
    SCOPES,
    TokenProblem,
    new_token,
    parse_lifetime,
    parse_scopes,
    token_hash,
)
from qa_app.models import ApiToken, User, utcnow
from qa_app.store import audit

# A token's last use is written at most this often: not one write per request.
LAST_USED_EVERY = timedelta(minutes=1)


class TokenRefused(Exception):
    """The request's token cannot be used; ``reason`` says why, for the 401 answer."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Caller:
    """Who an API request acts as: the token and its user."""

    token_id: int
    token_name: str
    scopes: tuple[str, ...]
    user: User

    @property
    def via(self) -> str:
        """How the audit trail says the user acted."""
        return f"via API token '{self.token_name}' (#{self.token_id})"


def create_token(
    db: Session, email: str, name: str, scopes: str, lifetime: str | None, created_by: str,
    actor: User | None = None,
) -> tuple[ApiToken, str]:
    """A new token for the user with that email; returns the row and the token itself,
    which is not stored and cannot be shown again. TokenProblem for anything not allowed."""
    user = db.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise TokenProblem(f"no account has the email '{email}'")
    if not user.active:
        raise TokenProblem(f"'{user.email}' is deactivated: activate the account first")
    name = name.strip()
    if not name or len(name) > 100:
        raise TokenProblem("give the token a name of 1 to 100 characters (what uses it)")
    checked = parse_scopes(scopes, str(user.role))
    duration = parse_lifetime(lifetime)
    token = new_token()
    row = ApiToken(
        user_id=user.id, name=name, shown=token[:10], token_hash=token_hash(token),
        scopes=checked, created_by=created_by,
        expires_at=utcnow() + duration if duration else None,
    )  # fmt: skip
    db.add(row)
    db.flush()
    audit.record(db, actor, "token.created", "api_token", row.id, None,
                 {"user": user.email, "name": name, "scopes": checked,
                  "expires_at": row.expires_at.isoformat() if row.expires_at else None},
                 label=created_by)  # fmt: skip
    return row, token


def all_tokens(db: Session) -> list[tuple[ApiToken, str]]:
    """Every token, newest first, with its user's email."""
    rows = db.exec(
        select(ApiToken, User.email).join(User, User.id == ApiToken.user_id)
        .order_by(ApiToken.id.desc())
    )  # fmt: skip
    return [(token, email) for token, email in rows]


def state(token: ApiToken) -> str:
    """``active``, ``revoked`` or ``expired``."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= utcnow():
        return "expired"
    return "active"


def revoke(db: Session, token_id: int, revoked_by: str, actor: User | None = None) -> ApiToken:
    """Revoke a token at once (TokenProblem when there is no such token)."""
    row = db.get(ApiToken, token_id)
    if row is None:
        raise TokenProblem(f"there is no API token #{token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.add(row)
        audit.record(db, actor, "token.revoked", "api_token", row.id, {"state": "active"},
                     {"state": "revoked"}, label=revoked_by)  # fmt: skip
    return row


def authenticate(db: Session, token: str) -> Caller:
    """The caller a token stands for, or TokenRefused saying why not (unknown, revoked,
    expired, or its user deactivated)."""
    row = db.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(token))).first()
    if row is None:
        raise TokenRefused("the token is not known")
    current = state(row)
    if current != "active":
        raise TokenRefused(f"the token is {current}")
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        raise TokenRefused("the token's user is deactivated")
    # A role changed since the token was made: it keeps only the scopes the role still has.
    scopes = tuple(s for s in row.scopes if s in SCOPES and str(user.role) in SCOPES[s][1])
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_EVERY:
        row.last_used_at = now
        db.add(row)
        db.commit()
    return Caller(row.id, row.name, scopes, user)
