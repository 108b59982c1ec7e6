"""Accounts: password hashing, the logged-in user, and per-route role checks."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import abort, g, redirect, request, session, url_for
from sqlalchemy import delete, func
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from qa_app.accounts import find_user, normalise_email
from qa_app.db import get_session
from qa_app.models import LoginFailure, Role, User, utcnow

ALL_ROLES = tuple(Role)
# Checked when the email is unknown, so a wrong email costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def authenticate(db: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    user = find_user(db, email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


def login_throttled(db: Session, email: str, address: str) -> str | None:
    """A message when too many logins failed lately for this account or from this address.

    Kept in the database, so the limit holds across several server processes.
    """
    since = utcnow() - THROTTLE_WINDOW
    recent = select(func.count()).select_from(LoginFailure).where(LoginFailure.at >= since)
    minutes = int(THROTTLE_WINDOW.total_seconds() // 60)
    by_account = db.exec(recent.where(LoginFailure.email == normalise_email(email))).one()
    if by_account >= MAX_FAILURES_PER_ACCOUNT:
        return (
            f"Too many failed logins for this account. Wait {minutes} minutes, or ask an "
            "admin to reset the password."
        )
    if db.exec(recent.where(LoginFailure.address == address)).one() >= MAX_FAILURES_PER_ADDRESS:
        return f"Too many failed logins from your network address. Wait {minutes} minutes."
    return None


def record_login_failure(db: Session, email: str, address: str) -> None:
    """Remember a failed login; forget failures older than the window while at it."""
    db.exec(delete(LoginFailure).where(LoginFailure.at < utcnow() - THROTTLE_WINDOW))
    db.add(LoginFailure(email=normalise_email(email)[:254], address=address[:64]))
    db.commit()


def clear_login_failures(db: Session, email: str) -> None:
    db.exec(delete(LoginFailure).where(LoginFailure.email == normalise_email(email)))
    db.commit()


def login(user: User) -> None:
    """Start a fresh session for ``user`` (a new session defeats session fixation)."""
    session.clear()
    session["user_id"] = user.id
    session.permanent = False


def logout() -> None:
    session.clear()


def current_user() -> User | None:
    """The logged-in, still active user for this request."""
    if "current_user" not in g:
        user = None
        user_id = session.get("user_id")
        if user_id is not None:
            user = get_session().get(User, user_id)
            if user is not None and not user.active:
                user = None
        g.current_user = user
    return g.current_user


def roles_required(*roles: Role):
    """Allow only logged-in users with one of ``roles``.

    Logged out: a page request is sent to the login page, an htmx request gets 401.
    Wrong role: 403 (the error handler renders a fragment for htmx).
    """
    allowed = {str(role) for role in roles}

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                if request.headers.get("HX-Request"):
                    abort(401)
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
