"""Creating, finding, listing and (de)activating user accounts.

Shared by the CLI, the demo data and the admin pages, so both ways of managing users apply the
same rules and leave the same audit trail.
"""

from __future__ import annotations

import re
import secrets

from sqlmodel import Session, func, select
from werkzeug.security import generate_password_hash

from qa_app.models import Role, User, utcnow
from qa_app.store import audit

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_NAME_LENGTH = 200  # the users.name column
MIN_PASSWORD_LENGTH = 10
# werkzeug's scrypt; the test suite swaps in a cheaper method to stay fast.
PASSWORD_HASH_METHOD = "scrypt"


def password_hash(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_HASH_METHOD)


class AccountError(ValueError):
    """A user cannot be created as asked; the message says why."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    """Why ``email`` cannot be an account's address, or None."""
    email = normalise_email(email)
    if not EMAIL.match(email):
        return f"'{email}' is not an email address"
    if len(email) > 254:  # RFC 5321's limit, and the column's
        return "the email address is longer than 254 characters"
    return None


def create_imported_reviewer(db: Session, email: str) -> User:
    """An account for a reviewer known only from imported history: deactivated, no usable
    password. An admin reactivates it and sets a password if the person is to log in.
    """
    name = normalise_email(email).split("@")[0][:MAX_NAME_LENGTH]
    user = create_user(db, email, name, Role.REVIEWER, secrets.token_urlsafe(24))
    user.active = False
    db.add(user)
    db.flush()
    return user


def create_user(db: Session, email: str, name: str, role: str, password: str) -> User:
    """Add an account; refuse a bad email, unknown role, short password or taken email."""
    email = normalise_email(email)
    if problem := email_problem(email):
        raise AccountError(problem)
    if role not in {r.value for r in Role}:
        raise AccountError(f"role '{role}' is not one of {', '.join(r.value for r in Role)}")
    if not name.strip():
        raise AccountError("name is empty")
    if len(name.strip()) > MAX_NAME_LENGTH:
        raise AccountError(f"name is longer than {MAX_NAME_LENGTH} characters")
    validate_password(password)
    if find_user(db, email) is not None:
        raise AccountError(f"a user with email {email} already exists")
    user = User(email=email, name=name.strip(), role=role, password_hash=password_hash(password))
    db.add(user)
    db.flush()
    return user


def find_user(db: Session, email: str) -> User | None:
    return db.exec(select(User).where(User.email == normalise_email(email))).first()


def validate_password(password: str) -> None:
    """Refuse a password too short to keep, or one that is not text (bytes read from stdin)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        raise AccountError("the password is not UTF-8 text") from None


def end_sessions(user: User) -> None:
    """End every session of ``user`` on every server: each checks the generation per request."""
    user.session_generation = (user.session_generation or 0) + 1


def change_role(db: Session, user: User, role: str) -> None:
    """Give ``user`` another role; their sessions end, so no page keeps the old role's rights."""
    if role not in {r.value for r in Role}:
        raise AccountError(f"role '{role}' is not one of {', '.join(r.value for r in Role)}")
    if user.role != role:
        end_sessions(user)
    user.role = role
    db.add(user)


def set_password(db: Session, user: User, password: str) -> None:
    """A new password (an admin's reset): every session ends, and a login lockout is lifted,
    as the lockout message promises."""
    validate_password(password)
    user.password_hash = password_hash(password)
    user.throttle_reset_at = utcnow()
    end_sessions(user)
    db.add(user)


def all_users(db: Session) -> list[User]:
    """Every account, active ones first, then by name (the admin page's order)."""
    return list(db.exec(select(User).order_by(User.active.desc(), User.name, User.email)))


def active_admin_count(db: Session) -> int:
    return db.exec(
        select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active)
    ).one()


def set_active(
    db: Session, user: User, active: bool, actor: User | None = None, reason: str = ""
) -> bool:
    """Activate or deactivate ``user`` and audit it; False (nothing audited) if it already was.

    Refuses what would lock the admins out: deactivating your own account, or the last active
    admin (the command line has no actor of its own, so only the second rule guards it).
    """
    if user.active == active:
        return False
    if not active:
        if actor is not None and actor.id == user.id:
            raise AccountError("you cannot deactivate your own account")
        if user.role == Role.ADMIN and active_admin_count(db) <= 1:
            raise AccountError(
                f"{user.email} is the last active admin; add or activate another admin first"
            )
    user.active = active
    if not active:
        end_sessions(user)
    db.add(user)
    audit.record(
        db,
        actor,
        "user.activated" if active else "user.deactivated",
        "user",
        user.id,
        before={"active": not active},
        after={"active": active},
        reason=reason,
    )
    return True
