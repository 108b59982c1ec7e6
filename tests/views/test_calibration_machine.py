"""The machine rater in a calibration session: shown beside QA and the panel, left out of every
agreement figure until the lead adds a row of its own, which never changes the people's rows
(issue 26, item 5)."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from qa_app import db
from qa_app.models import (
    AuditEvent,
    CalibrationSession,
    Call,
    MachineModel,
    MachineScore,
    RubricVersion,
)
from tests.views.test_calibration import (
    client_for,
    create,
    demo,  # noqa: F401 (fixture)
    lead,  # noqa: F401 (fixture)
    score_as_reviewer,
    step,
)

# The machine's scores per call (ack, summary, next_steps, loop_closure); DEMO-0002 is a
# call the model was trained on, so the page must show its held-out score instead.
MACHINE = {"DEMO-0001": (4, 3, 4, 3), "DEMO-0002": (5, 5, 5, 5), "DEMO-0003": (5, 4, 4, 5)}
HELD_OUT = {"DEMO-0002": {"acknowledgment": 1}}
DIMENSIONS = ("acknowledgment", "summary", "next_steps", "loop_closure")
ALPHA_ROW = re.compile(r'data-group="([^"]+)" data-dimension="overall">.*?class="alpha">([^<]*)<',
                       re.S)  # fmt: skip


def _machine_scored(app, session_id) -> str:
    engine = db.get_engine_for(app)
    with Session(engine) as session:
        rubric = session.get(RubricVersion, session.get(CalibrationSession, session_id).rubric_pk)
        newest = session.exec(
            select(MachineModel.version).where(MachineModel.rubric_pk == rubric.id)
        ).all()
        model = MachineModel(rubric_pk=rubric.id, version=max(newest, default=0) + 1,
                             training_hash="-", content=b"",
                             metrics={"held_out": HELD_OUT})  # fmt: skip
        session.add(model)
        session.flush()
        for call_id, scores in MACHINE.items():
            call = session.exec(select(Call).where(Call.call_id == call_id)).one()
            for dimension, score in zip(DIMENSIONS, scores, strict=True):
                session.add(MachineScore(model_pk=model.id, call_pk=call.id, confidence=0.8,
                                         dimension=dimension, score=score))  # fmt: skip
        session.commit()
        return f"Machine rater v{model.version}"


def test_the_machine_is_shown_and_counted_only_in_its_own_row(demo, lead):  # noqa: F811
    session_id, _links, token = create(lead, panelists="")
    step(lead, session_id, token, "open")
    score_as_reviewer(demo, session_id, "reviewer", "demo-reviewer-pass")
    score_as_reviewer(demo, session_id, "reviewer2", "demo-reviewer2-pass")
    step(lead, session_id, token, "revealed")
    dashboard = f"/calibration/{session_id}/dashboard"
    people_only = dict(ALPHA_ROW.findall(lead.get(dashboard).get_data(as_text=True)))
    assert 'id="machine-rater"' not in lead.get(dashboard).get_data(as_text=True)

    name = _machine_scored(demo, int(session_id))
    page = lead.get(dashboard).get_data(as_text=True)
    assert "left out of every agreement figure" in page
    assert dict(ALPHA_ROW.findall(page)) == people_only  # shown, not counted
    raters = page.split('id="raters-title"')[1].split("</table>")[0]
    assert f"<td>{name}</td><td>machine</td>" in raters
    first_call = page.split('id="call-DEMO-0002"')[1].split("</table>")[0]
    assert f"<tr><td>{name}</td><td>1</td><td>5</td><td>5</td><td>5</td></tr>" in first_call

    for _twice in range(2):  # the form sends the value it sets: posted twice, it acts once
        response = lead.post(f"/calibration/{session_id}/machine",
                             data={"csrf_token": token, "include": "1"})  # fmt: skip
        assert response.status_code == 303
    page = lead.get(dashboard).get_data(as_text=True)
    rows = dict(ALPHA_ROW.findall(page))
    assert set(rows) == {*people_only, "with_machine"}
    assert {k: rows[k] for k in people_only} == people_only
    assert "counted in the agreement row <strong>everyone + machine</strong> only" in page
    with Session(db.get_engine_for(demo)) as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action == "calibration.include_machine")
        ).all()
        assert [(e.before, e.after) for e in events] == [
            ({"include_machine": False}, {"include_machine": True})
        ]

    reviewer = client_for(demo, "reviewer@example.com", "demo-reviewer-pass")
    refused = reviewer.post(f"/calibration/{session_id}/machine",
                            data={"csrf_token": token, "include": "0"})  # fmt: skip
    assert refused.status_code in (400, 403)
    assert "with_machine" in dict(ALPHA_ROW.findall(lead.get(dashboard).get_data(as_text=True)))
