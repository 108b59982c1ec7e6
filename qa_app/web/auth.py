"""Accounts: password hashing, the logged-in user, and per-route role checks."""

from __future__ import annotations

import time
from datetime import timedelta
from functools import wraps

from flask import abort, current_app, g, redirect, request, session, url_for
from sqlalchemy import delete, false, func
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from qa_app.models import LoginAttempt, Role, User, utcnow
from qa_app.store import audit
from qa_app.store.users import end_sessions, find_user, normalise_email
from qa_app.web.database import get_session

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


def begin_login_attempt(db: Session, email: str, address: str) -> tuple[LoginAttempt, str | None]:
    """Record an attempt, then say whether it is one too many (a message) or may go on (None).

    The attempt is committed *before* anything is counted, so every process counting sees it:
    of N simultaneous guesses the k-th to commit counts at least k, and at most
    MAX_FAILURES_PER_ACCOUNT of them reach the password check, across every server process.
    Failures before the account's ``throttle_reset_at`` (its last successful login, or a
    password reset) do not count. Kept in the database, so the limit holds across servers.
    """
    email = normalise_email(email)[:254]
    now = utcnow()
    since = now - THROTTLE_WINDOW
    db.exec(delete(LoginAttempt).where(LoginAttempt.at < since))  # the window's state only
    attempt = LoginAttempt(email=email, address=address[:64], at=now)
    db.add(attempt)
    db.commit()
    failed = select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.at >= since, LoginAttempt.succeeded == false()
    )
    user = find_user(db, email)
    account_since = max(since, user.throttle_reset_at) if user and user.throttle_reset_at else since
    minutes = int(THROTTLE_WINDOW.total_seconds() // 60)
    by_account = failed.where(LoginAttempt.email == email, LoginAttempt.at >= account_since)
    if db.exec(by_account).one() > MAX_FAILURES_PER_ACCOUNT:
        return attempt, (
            f"Too many failed logins for this account. Wait {minutes} minutes, or ask an "
            "admin to reset the password."
        )
    if db.exec(failed.where(LoginAttempt.address == attempt.address)).one() > (
        MAX_FAILURES_PER_ADDRESS
    ):
        return attempt, f"Too many failed logins from your network address. Wait {minutes} minutes."
    return attempt, None


def finish_login_attempt(
    db: Session, attempt: LoginAttempt, user: User | None, refusal: str | None = None
) -> None:
    """Record how the attempt ended, in the throttle and in the audit trail.

    A success never deletes failures (the audit trail keeps them all); it only stops the
    account's earlier failures from counting.
    """
    details = {"email": attempt.email, "address": attempt.address}
    if user is not None:
        attempt.succeeded = True
        user.throttle_reset_at = attempt.at
        db.add_all([attempt, user])
        audit.record(db, user, "login.succeeded", "user", user.id, after=details)
    else:
        known = find_user(db, attempt.email)
        audit.record(
            db,
            None,
            "login.failed",
            "user",
            known.id if known else attempt.email,
            after=details,
            reason="throttled" if refusal else "wrong email or password, or deactivated",
        )
    db.commit()


def login(user: User) -> None:
    """Start a fresh session for ``user`` (a new session defeats session fixation)."""
    session.clear()
    session["user_id"] = user.id
    session["generation"] = user.session_generation
    session["started"] = session["seen"] = time.time()
    session.permanent = False


# A request refreshes the session's last-seen time at most this often (each refresh re-sends
# the cookie).
SEEN_REFRESH_SECONDS = 60


def _session_expired(now: float) -> bool:
    """True when this login went unused for longer than the idle limit, or began longer ago
    than the absolute lifetime (both configurable), or carries no times (made before them)."""
    started, seen = session.get("started"), session.get("seen")
    if not isinstance(started, int | float) or not isinstance(seen, int | float):
        return True
    config = current_app.config
    idle = config["SESSION_IDLE_MINUTES"] * 60
    lifetime = config["SESSION_MAX_DAYS"] * 86400
    return now - seen > idle or now - started > lifetime


def logout(db: Session) -> None:
    """End this session and every other session of the same account, on every server."""
    user = current_user()
    if user is not None:
        # The database first: if it cannot be written (busy), the person stays logged in
        # and is told, rather than logged out here while their other sessions go on.
        end_sessions(user)
        db.add(user)
        db.commit()
    session.clear()


def current_user() -> User | None:
    """The logged-in, still active user for this request."""
    if "current_user" not in g:
        user = None
        user_id = session.get("user_id")
        now = time.time()
        if user_id is not None and _session_expired(now):
            session.clear()
            user_id = None
        if user_id is not None:
            user = get_session().get(User, user_id)
            # A deactivated account, or one whose sessions were ended since this one began
            # (logout elsewhere, password reset, role change), is logged out here too.
            if user is not None and (
                not user.active or session.get("generation") != user.session_generation
            ):
                session.clear()
                user = None
            elif user is not None and now - session["seen"] > SEEN_REFRESH_SECONDS:
                session["seen"] = now
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
