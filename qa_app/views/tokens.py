"""The admin's API tokens page: every token, making one (shown once) and revoking one."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlmodel import select
from werkzeug.datastructures import MultiDict

from qa_app.models import Role, User
from qa_app.web.auth import current_user, roles_required
from qa_app.web.database import get_session
from qa_app.web.forms import acts_once

bp = Blueprint("tokens", __name__, url_prefix="/admin/tokens")
LIFETIMES = (("30d", "30 days"), ("90d", "90 days"), ("365d", "a year"), ("never", "never"))
NEW_TOKEN = "at:new-token"


def _page(form=None, error: str | None = None, status: int = 200):
    from qa_app.domain.api.tokens import SCOPES
    from qa_app.store.tokens import all_tokens, state

    db = get_session()
    new = [m for c, m in get_flashed_messages(with_categories=True) if c == NEW_TOKEN]
    return render_template(
        "admin/tokens.html",
        tokens=[(t, email, state(t)) for t, email in all_tokens(db)],
        users=db.exec(select(User).where(User.active).order_by(User.email)).all(),
        scopes=SCOPES,
        lifetimes=LIFETIMES,
        form=form if form is not None else MultiDict({"expires": "90d"}),
        error=error,
        new_token=new[0] if new else None,
    ), status


@bp.get("")
@roles_required(Role.ADMIN)
def index():
    return _page()


@bp.post("")
@roles_required(Role.ADMIN)
@acts_once
def create():
    """Make a token; the next page shows it once (it is not stored, only its hash)."""
    from qa_app.domain.api.tokens import TokenProblem
    from qa_app.store.tokens import create_token

    db = get_session()
    form = request.form
    admin = current_user()
    try:
        row, token = create_token(db, form.get("user", ""), form.get("name", ""),
                                  ",".join(form.getlist("scopes")), form.get("expires"),
                                  admin.email, actor=admin)  # fmt: skip
    except TokenProblem as exc:
        db.rollback()
        return _page(form, f"Token not made: {exc}.", 422)
    db.commit()
    flash(token, NEW_TOKEN)
    flash(f"Made API token #{row.id} '{row.name}'. Copy it now: it is shown only once.", "info")
    return redirect(url_for("tokens.index", _anchor="new-token"), 303)


@bp.post("/<int:token_id>/revoke")
@roles_required(Role.ADMIN)
def revoke(token_id: int):
    """Revoke a token at once (revoking a revoked token changes nothing)."""
    from qa_app.domain.api.tokens import TokenProblem
    from qa_app.store.tokens import revoke as revoke_token

    db = get_session()
    admin = current_user()
    try:
        row = revoke_token(db, token_id, admin.email, actor=admin)
    except TokenProblem:
        abort(404, description="There is no such API token.")
    db.commit()
    flash(f"API token #{row.id} '{row.name}' is revoked: it is refused from now on.", "info")
    return redirect(url_for("tokens.index"), 303)
