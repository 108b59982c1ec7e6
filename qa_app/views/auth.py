"""Login and logout."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from qa_app.web import auth
from qa_app.web.database import get_session
from qa_app.web.requests import safe_next
from qa_app.web.security import answers_csrf_refusal

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


def _safe_next(target: str | None) -> str:
    """Only follow a ``next`` that stays on this site; otherwise go home."""
    return safe_next(target) or url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; after logging in, back to the local page named by ``next``."""
    form = LoginForm()
    if form.validate_on_submit():
        db = get_session()
        address = request.remote_addr or "unknown"
        attempt, refusal = auth.begin_login_attempt(db, form.email.data, address)
        if refusal:
            auth.finish_login_attempt(db, attempt, None, refusal)
            flash(refusal, "error")
            return render_template("auth/login.html", form=form), 429
        user = auth.authenticate(db, form.email.data, form.password.data)
        auth.finish_login_attempt(db, attempt, user)
        if user is not None:
            auth.login(user)
            return redirect(_safe_next(request.args.get("next")))
        flash("Email or password is not right, or the account is deactivated.", "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """End this and every other session of the account (a POST with a CSRF token, so no page
    can log someone out)."""
    auth.logout(get_session())
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@answers_csrf_refusal("auth.login")
def expired_login_form():
    """The login form again when the one sent had expired (its CSRF token no longer matches
    the session, e.g. it was open across a browser restart); what was typed is kept."""
    flash("This login form had expired, so nobody was logged in. Log in again.", "error")
    return render_template("auth/login.html", form=LoginForm()), 400


@answers_csrf_refusal("auth.logout")
def already_logged_out():
    """A Log out button on a page whose session already ended: say so, nothing else (None,
    the usual answer, while someone is still logged in)."""
    if auth.current_user() is not None:
        return None
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
