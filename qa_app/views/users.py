"""Admin pages: add users, change their role, deactivate or reactivate, reset passwords.

A refused change shows the page again with the message beside the form it is about and what
was typed kept (never a password: it is typed again), instead of a bare error page.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from qa_app.models import Role, User
from qa_app.store import audit
from qa_app.store import users as accounts
from qa_app.web.auth import current_user, roles_required
from qa_app.web.database import get_session
from qa_app.web.forms import acts_once

bp = Blueprint("admin", __name__, url_prefix="/admin")
ROLES = [r.value for r in Role]


def _user(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404, description="There is no such user.")
    return user


def _page(
    add_form=None, add_errors=None, row_errors=None, status: int = 200, confirming=None
):
    """The users page; ``add_errors`` maps add-form fields to messages, ``row_errors`` user ids
    to the message for that user's row; ``confirming`` is the user whose deactivation waits
    for a second, explicit yes."""
    return render_template(
        "admin/users.html",
        users=accounts.all_users(get_session()),
        roles=ROLES,
        add_form=add_form if add_form is not None else MultiDict(),
        add_errors=add_errors or {},
        row_errors=row_errors or {},
        confirming=confirming,
    ), status


@bp.get("/users")
@roles_required(Role.ADMIN)
def users():
    return _page()


def _add_problem(form) -> tuple[str, str] | None:
    """The add-user form's first problem as (field, message), checked in create_user's order,
    so the message can stand beside its field."""
    db = get_session()
    email, name = form.get("email", ""), form.get("name", "").strip()
    if problem := accounts.email_problem(email):
        return "email", problem
    if form.get("role") not in ROLES:
        return "role", f"role '{form.get('role', '')}' is not one of {', '.join(ROLES)}"
    if not name:
        return "name", "name is empty"
    if len(name) > accounts.MAX_NAME_LENGTH:
        return "name", f"name is longer than {accounts.MAX_NAME_LENGTH} characters"
    try:
        accounts.validate_password(form.get("password", ""))
    except accounts.AccountError as exc:
        return "password", str(exc)
    if accounts.find_user(db, email) is not None:
        return "email", f"a user with email {accounts.normalise_email(email)} already exists"
    return None


@bp.post("/users")
@roles_required(Role.ADMIN)
@acts_once
def add_user():
    db = get_session()
    form = request.form
    problem = _add_problem(form)
    if problem is None:
        try:
            user = accounts.create_user(
                db,
                form.get("email", ""),
                form.get("name", ""),
                form.get("role", ""),
                form.get("password", ""),
            )
        except accounts.AccountError as exc:  # a rule _add_problem does not know yet
            problem = ("email", str(exc))
    if problem is not None:
        db.rollback()
        field, message = problem
        return _page(add_form=form, add_errors={field: f"User not added: {message}."}, status=422)
    audit.record(
        db,
        current_user(),
        "user.added",
        "user",
        user.id,
        after={"email": user.email, "role": user.role},
    )
    db.commit()
    flash(f"Added {user.role} {user.email}.", "info")
    return redirect(url_for("admin.users"))


def _row_refused(user: User, message: str, status: int = 422):
    get_session().rollback()
    return _page(row_errors={user.id: message}, status=status)


@bp.post("/users/<int:user_id>/role")
@roles_required(Role.ADMIN)
def change_role(user_id: int):
    db = get_session()
    user = _user(user_id)
    before = user.role
    if user.id == current_user().id and request.form.get("role") != Role.ADMIN:
        return _row_refused(user, "You cannot take away your own admin role.")
    try:
        accounts.change_role(db, user, request.form.get("role", ""))
    except accounts.AccountError as exc:
        return _row_refused(user, f"Role not changed: {exc}.")
    audit.record(
        db,
        current_user(),
        "user.role_changed",
        "user",
        user.id,
        before={"role": before},
        after={"role": user.role},
    )
    db.commit()
    flash(f"{user.email} is now {user.role}.", "info")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/active")
@roles_required(Role.ADMIN)
def set_active(user_id: int):
    db = get_session()
    user = _user(user_id)
    if request.form.get("active") not in ("0", "1"):
        return _row_refused(
            user, "The form did not say whether to activate (1) or deactivate (0).", 400
        )
    active = request.form.get("active") == "1"
    own = user.id == current_user().id  # refused below, with the command line's message
    if not active and not own and request.form.get("confirm") != "yes":
        # Deactivating locks someone out at once: ask first, on the row itself.
        return _page(confirming=user.id)
    try:
        # The same rules as the command line: not your own account, not the last admin.
        accounts.set_active(db, user, active, current_user())
    except accounts.AccountError as exc:
        return _row_refused(user, f"Not changed: {exc}.")
    db.commit()
    flash(
        f"{user.email} is {'active' if active else 'deactivated: they can no longer log in'}.",
        "info",
    )
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/password")
@roles_required(Role.ADMIN)
def reset_password(user_id: int):
    db = get_session()
    user = _user(user_id)
    try:
        accounts.set_password(db, user, request.form.get("password", ""))
    except accounts.AccountError as exc:
        return _row_refused(user, f"Password not changed: {exc}.")
    audit.record(db, current_user(), "user.password_reset", "user", user.id)
    db.commit()
    flash(f"New password set for {user.email}.", "info")
    return redirect(url_for("admin.users"))
