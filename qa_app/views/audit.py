"""The Audit page (admins): the trail filtered by user, action, object and date, and its CSV."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for
from sqlmodel import Session

from qa_app.domain.audit import AuditFilter, FilterProblem, csv_chunks
from qa_app.models import Role
from qa_app.store.audit_trail import count_events, event_page, iter_events, known_actions
from qa_app.web.auth import roles_required
from qa_app.web.database import get_engine, get_session
from qa_app.web.requests import form_int, wants_fragment

bp = Blueprint("audit", __name__, url_prefix="/admin")
PAGE_SIZE = 100


def _filter() -> tuple[AuditFilter, dict[str, str]]:
    """The filters from the query string, and a message per field that could not be read."""
    args = request.args
    typed = {name: args.get(name, "") for name in ("since", "until", "user", "action", "object")}
    try:
        return AuditFilter.parse(*typed.values()), {}
    except FilterProblem as exc:
        return AuditFilter(), {exc.field: exc.message}


@bp.get("/audit")
@roles_required(Role.ADMIN)
def index():
    """Newest events first, a page at a time; filters change the table in place (htmx)."""
    where, errors = _filter()
    page = form_int(request.args.get("page"), 1) or 1
    db = get_session()
    total = 0 if errors else count_events(db, where)
    rows = [] if errors else event_page(db, where, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    context = {
        "rows": rows,
        "total": total,
        "page": page,
        "page_size": PAGE_SIZE,
        "typed": request.args,
        "errors": errors,
        "actions": known_actions(db),
        "filter_args": where.as_args(),
        "csv_url": url_for("audit.download", **where.as_args()),
    }
    template = "audit/_table.html" if wants_fragment() else "audit/index.html"
    return render_template(template, **context), 422 if errors else 200


@bp.get("/audit.csv")
@roles_required(Role.ADMIN)
def download():
    """Every matching event, oldest first, streamed; text cells are formula-safe."""
    where, errors = _filter()
    if errors:
        field, message = next(iter(errors.items()))
        return Response(f"{field}: {message}\n", status=422, mimetype="text/plain")
    engine = get_engine()

    def chunks():
        # A session of its own, closed when the last row is sent: the streamed response
        # outlives the request's session, and an open transaction would hold locks meanwhile.
        with Session(engine) as session:
            yield from csv_chunks(iter_events(session, where))

    response = Response(chunks(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="qa_app-audit.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
