"""Login and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from qa_app import auth
from qa_app.db import get_session

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


def _safe_next(target: str | None) -> str:
    """Only follow a ``next`` that stays on this site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        db = get_session()
        address = request.remote_addr or "unknown"
        refusal = auth.login_throttled(db, form.email.data, address)
        if refusal:
            flash(refusal, "error")
            return render_template("auth/login.html", form=form), 429
        user = auth.authenticate(db, form.email.data, form.password.data)
        if user is not None:
            auth.clear_login_failures(db, user.email)
            auth.login(user)
            return redirect(_safe_next(request.args.get("next")))
        auth.record_login_failure(db, form.email.data, address)
        flash("Email or password is not right, or the account is deactivated.", "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    auth.logout()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
