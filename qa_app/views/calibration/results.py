"""A revealed calibration session: the dashboard, its downloads and charts, and consensus.

Routes on the calibration blueprint (views/calibration.py); leads and admins only.
"""

from __future__ import annotations

import csv
import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlmodel import select

from qa_app.domain.calibration.sessions import CalibrationError
from qa_app.domain.files.spreadsheet_safety import protect_formula
from qa_app.domain.rubrics.scoring import ScoringError, missing_dimensions, parse_answer
from qa_app.models import CalibrationSession, Call, Role, SessionState
from qa_app.store import audit
from qa_app.store.calibration import results as result_store
from qa_app.store.calibration import sessions as store
from qa_app.views.calibration.sessions import LEADS, _rubric, _session, bp
from qa_app.web.auth import current_user, roles_required
from qa_app.web.database import get_session

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _revealed(session_id: int) -> CalibrationSession:
    session = _session(session_id)
    if session.state not in (SessionState.REVEALED, SessionState.CLOSED):
        abort(403, description="Scores stay hidden until the session is revealed.")
    return session


def consensus_anchor(call_id: str) -> str:
    """The id of a call's section on the dashboard (its consensus form and messages)."""
    return f"call-{call_id}"


def _dashboard(session: CalibrationSession, refused=None, status: int = 200):
    """The dashboard; ``refused`` = (call_id, message, form) re-shows one call's consensus
    form as it was sent, with the message beside it."""
    db = get_session()
    rubric = _rubric(session)
    agreed = result_store.consensus(db, session.id)
    from qa_app.domain.calibration.dashboard import headline, interval_notes

    numbers = result_store.dashboard_numbers(db, session, rubric, agreed)
    notes = interval_notes(numbers)
    return render_template(
        "calibration/dashboard.html",
        session=session,
        rubric=rubric,
        numbers=numbers,
        headline=headline(numbers),
        notes=notes,
        note_number={note: n for n, note in enumerate(notes, start=1)},
        comments=result_store.comments(db, session.id),
        consensus=agreed,
        consensus_notes=result_store.consensus_notes(agreed),
        refused=refused,
        anchor=consensus_anchor,
    ), status


@bp.get("/<int:session_id>/dashboard")
@roles_required(*LEADS, Role.REVIEWER)
def dashboard(session_id: int):
    """The lead's dashboard; a reviewer following a dashboard link gets their own results
    (views/calibration_feedback.py decides whether they may see them)."""
    if current_user().role == Role.REVIEWER:
        return redirect(url_for("calibration.results", session_id=session_id))
    return _dashboard(_revealed(session_id))


@bp.get("/<int:session_id>/ratings.csv")
@roles_required(*LEADS)
def ratings_csv(session_id: int):
    """Every rating in long form (formula-safe CSV); only once the session is revealed."""
    session = _revealed(session_id)
    db = get_session()
    notes = result_store.consensus_notes(result_store.consensus(db, session.id))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    # The consensus note rides along on every row of its call: the CSV is read call by call.
    writer.writerow((*result_store.RATINGS_COLUMNS, "consensus_note"))
    for row in result_store.ratings_rows(db, session):
        writer.writerow(
            [
                protect_formula(v) if isinstance(v, str) else ("" if v is None else v)
                for v in (*row.values(), notes.get(row["call_id"], ""))
            ]
        )
    name = f"ratings-session-{session.id}.csv"
    return Response(
        buffer.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/<int:session_id>/report.xlsx")
@roles_required(*LEADS)
def report_xlsx(session_id: int):
    """The session report workbook; only once the session is revealed."""
    session = _revealed(session_id)
    buffer = io.BytesIO()
    result_store.write_report(get_session(), session, buffer)
    return Response(
        buffer.getvalue(),
        content_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="calibration-session-{session.id}.xlsx"'
        },
    )


@bp.get("/<int:session_id>/charts/<name>.png")
@roles_required(*LEADS)
def chart(session_id: int, name: str):
    """The dashboard's charts, rendered on the server (only once revealed)."""
    from qa_app.charts import calibration as charts

    db = get_session()
    session = _revealed(session_id)
    rubric = _rubric(session)
    if name == "alpha":
        agreed = result_store.consensus(db, session.id)
        numbers = result_store.dashboard_numbers(db, session, rubric, agreed)
        image = charts.alpha_chart(numbers["agreement"], rubric)
    elif name == "heatmap":
        image = charts.heatmap(result_store.session_ratings(db, session.id), rubric)
    else:
        abort(404, description="There is no such chart.")
    return Response(
        image, content_type="image/png", headers={"Cache-Control": "private, max-age=60"}
    )


@bp.post("/<int:session_id>/calls/<call_id>/consensus")
@roles_required(*LEADS)
def record_consensus(session_id: int, call_id: str):
    """Record the agreed scores for a call, then back to that call on the dashboard, with the
    confirmation (or the refusal, and the choices as sent) inside the call's section."""
    db = get_session()
    session = _revealed(session_id)
    rubric = _rubric(session)
    call = db.exec(select(Call).where(Call.call_id == call_id)).first()
    if call is None or call.id not in {c.id for c in store.session_calls(db, session.id)}:
        abort(404, description=f"Call {call_id} is not in this session.")
    try:
        answers = {
            d.id: parse_answer(rubric, d.id, {"score": request.form.get(d.id, "")}, 0)
            for d in rubric.dimensions
        }
        missing = missing_dimensions(rubric, answers)
        if missing:
            # A blank would become the call's final score and blank its flags in exports.
            raise CalibrationError(
                "Consensus needs a score (or N/A) for every dimension; missing: "
                f"{', '.join(missing)}. Nothing was recorded."
            )
        result_store.record_consensus(
            db, session, call, answers, request.form.get("note", ""), current_user()
        )
        db.commit()
    except (ScoringError, CalibrationError) as exc:
        db.rollback()
        return _dashboard(session, (call_id, str(exc), request.form), 422)
    # Shown in the call's section, where the page lands, not at the top of a long page.
    flash(
        f"Consensus for {call_id} recorded; it is now the call's final score.",
        f"at:{consensus_anchor(call_id)}",
    )
    return redirect(
        url_for("calibration.dashboard", session_id=session.id, _anchor=consensus_anchor(call_id)),
        303,
    )


@bp.post("/<int:session_id>/machine")
@roles_required(*LEADS)
def include_machine(session_id: int):
    """Count the machine rater in an agreement row of its own, or leave it out (the default);
    the choice is sent as a value, so a form posted twice sets the same thing. Audited."""
    db = get_session()
    session = _revealed(session_id)
    include = request.form.get("include") == "1"
    if session.include_machine != include:
        before = session.include_machine
        session.include_machine = include
        db.add(session)
        audit.record(
            db, current_user(), "calibration.include_machine", "calibration_session", session.id,
            {"include_machine": before}, {"include_machine": include},
        )  # fmt: skip
        db.commit()
    flash(
        "The machine rater now has an agreement row of its own; the people's rows are unchanged."
        if include
        else "The machine rater is shown but left out of every agreement figure.",
        "at:machine-rater",
    )
    return redirect(
        url_for("calibration.dashboard", session_id=session.id, _anchor="machine-rater"), 303
    )
