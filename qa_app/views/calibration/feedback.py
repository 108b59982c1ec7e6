"""What a QA participant sees after the reveal: their own scores beside the consensus and
everyone else's, per call and dimension, with the panel's comments.

Other people are anonymised ("Reviewer A", "Panelist 1"): the page is for learning how one's
own reading of the rubric compares, not for ranking colleagues. Only the session's own
participants see it, and only once the session is revealed (or closed).

Routes on the calibration blueprint (views/calibration.py).
"""

from __future__ import annotations

import string

from flask import abort, render_template, url_for

from qa_app.models import CalibrationParticipant, ParticipantKind, Role, SessionState
from qa_app.store.calibration import participants as participant_store
from qa_app.store.calibration import results as result_store
from qa_app.store.calibration import sessions as store
from qa_app.views.calibration.scoring import _my_participation
from qa_app.views.calibration.sessions import _rubric, _session, bp
from qa_app.web.auth import roles_required
from qa_app.web.database import get_session


def aliases(people: list[CalibrationParticipant], me: CalibrationParticipant) -> dict[int, str]:
    """Participant id -> the alias others are shown by, stable for the whole page."""
    others = sorted((p for p in people if p.id != me.id), key=lambda p: p.id)
    qa = [p for p in others if p.kind == ParticipantKind.REVIEWER]
    panel = [p for p in others if p.kind == ParticipantKind.PANELIST]
    letters = string.ascii_uppercase
    names = {p.id: f"Reviewer {letters[i] if i < 26 else i + 1}" for i, p in enumerate(qa)}
    names |= {p.id: f"Panelist {i}" for i, p in enumerate(panel, start=1)}
    return names


def _shown(rating) -> str:
    if rating is None:
        return "—"
    return "N/A" if rating.not_applicable else ("—" if rating.score is None else str(rating.score))


def results_by_call(db, session, me, rubric) -> tuple[list[str], list[dict]]:
    """The column names after "You" and "Consensus", and per call its rows and comments."""
    people = participant_store.participants(db, session.id)
    names = aliases(people, me)
    order = sorted(names, key=lambda pid: (not names[pid].startswith("Reviewer"), pid))
    ratings = {
        (r.participant_id, r.call_pk, r.dimension): r
        for r in result_store.participant_ratings(db, session.id)
    }
    agreed = result_store.consensus(db, session.id)
    notes = result_store.consensus_notes(agreed)
    comments = result_store.participant_comments(db, session.id)
    calls = []
    for number, call in enumerate(store.session_calls(db, session.id), start=1):
        rows = []
        for dimension in rubric.dimensions:
            mine = ratings.get((me.id, call.id, dimension.id))
            consensus = agreed.get((call.call_id, dimension.id))
            rows.append(
                {
                    "dimension": dimension,
                    "you": _shown(mine),
                    "note": mine.note if mine else "",
                    "consensus": _shown(consensus),
                    "differs": consensus is not None
                    and mine is not None
                    and _shown(mine) != _shown(consensus),
                    "others": [_shown(ratings.get((pid, call.id, dimension.id))) for pid in order],
                }
            )
        calls.append(
            {
                "number": number,
                "call": call,
                "rows": rows,
                "note": notes.get(call.call_id, ""),
                "comments": [
                    (names[pid], comments[(pid, call.id)])
                    for pid in order
                    if (pid, call.id) in comments
                ],
            }
        )
    return [names[pid] for pid in order], calls


@bp.get("/<int:session_id>/results")
@roles_required(Role.REVIEWER, Role.LEAD)
def results(session_id: int):
    """A participant's own results, after the reveal."""
    session = _session(session_id)
    me = _my_participation(session)
    if session.state not in (SessionState.REVEALED, SessionState.CLOSED):
        abort(403, description="Your results are shown once the lead reveals the session.")
    columns, calls = results_by_call(get_session(), session, me, _rubric(session))
    return render_template(
        "calibration/results.html",
        session=session,
        columns=columns,
        calls=calls,
        back=url_for("calibration.my_calls", session_id=session.id),
    )
