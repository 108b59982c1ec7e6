"""Admin pages: add users, change their role, deactivate or reactivate, reset passwords."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlmodel import select

from qa_app import accounts, audit
from qa_app.auth import current_user, roles_required
from qa_app.db import get_session
from qa_app.models import Role, User

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _user(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404, description="There is no such user.")
    return user


@bp.get("/users")
@roles_required(Role.ADMIN)
def users():
    people = get_session().exec(select(User).order_by(User.active.desc(), User.name)).all()
    return render_template("admin/users.html", users=people, roles=[r.value for r in Role])


@bp.post("/users")
@roles_required(Role.ADMIN)
def add_user():
    db = get_session()
    form = request.form
    try:
        user = accounts.create_user(
            db,
            form.get("email", ""),
            form.get("name", ""),
            form.get("role", ""),
            form.get("password", ""),
        )
    except accounts.AccountError as exc:
        abort(422, description=f"User not added: {exc}.")
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


@bp.post("/users/<int:user_id>/role")
@roles_required(Role.ADMIN)
def change_role(user_id: int):
    db = get_session()
    user = _user(user_id)
    before = user.role
    if user.id == current_user().id and request.form.get("role") != Role.ADMIN:
        abort(422, description="You cannot take away your own admin role.")
    try:
        accounts.change_role(db, user, request.form.get("role", ""))
    except accounts.AccountError as exc:
        abort(422, description=f"Role not changed: {exc}.")
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
        abort(400, description="The form did not say whether to activate (1) or deactivate (0).")
    active = request.form.get("active") == "1"
    if user.id == current_user().id and not active:
        abort(422, description="You cannot deactivate your own account.")
    user.active = active
    db.add(user)
    audit.record(
        db,
        current_user(),
        "user.activated" if active else "user.deactivated",
        "user",
        user.id,
        before={"active": not active},
        after={"active": active},
    )
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
        abort(422, description=f"Password not changed: {exc}.")
    audit.record(db, current_user(), "user.password_reset", "user", user.id)
    db.commit()
    flash(f"New password set for {user.email}.", "info")
    return redirect(url_for("admin.users"))
