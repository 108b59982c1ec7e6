"""The machine's scores are hidden from a reviewer until they submit, then shown beside theirs.

Anchoring is the failure this prevents: a reviewer who sees the machine's score first
scores toward it, and people's scores are what the machine is measured against.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from qa_app import db
from qa_app.models import AuditEvent, Call, MachineModel, MachineScore, RubricVersion
from tests.views.test_scoring import answer_all


@pytest.fixture
def scored_by_machine(scoring):
    """A model of the empathy rubric that scored C-1: acknowledgment 2 (the reviewer will
    give 5), summary 4 (the same), next_steps 3, loop_closure 1."""
    with db.transaction(db.get_engine_for(scoring)) as session:
        rubric = session.exec(
            select(RubricVersion).where(
                RubricVersion.rubric_id == "empathy", RubricVersion.version == 1
            )
        ).one()
        call = session.exec(select(Call).where(Call.call_id == "C-1")).one()
        model = MachineModel(
            rubric_pk=rubric.id, version=3, training_calls=412, training_hash="0" * 64,
            content=b"not loaded by the page",
            metrics={"dimensions": {"acknowledgment": {"alpha": 0.71}}},
        )  # fmt: skip
        session.add(model)
        session.flush()
        for dimension, score, turns in [("acknowledgment", 2, [1]), ("summary", 4, [2]),
                                        ("next_steps", 3, [0, 3]), ("loop_closure", 1, [])]:
            session.add(MachineScore(model_pk=model.id, call_pk=call.id, dimension=dimension,
                                     score=score, confidence=0.64, evidence=turns))  # fmt: skip
    return scoring


def test_hidden_while_scoring_then_shown_beside_the_submitted_review(
    scored_by_machine, auth, client, htmx
):
    auth.login("reviewer@test.example")
    token = htmx.token("/calls/C-1/review")
    draft_page = client.get("/calls/C-1/review").get_data(as_text=True)
    assert "machine" not in draft_page.lower()
    version = answer_all(htmx, token)
    assert "machine" not in client.get("/calls/C-1/review").get_data(as_text=True).lower()
    response = htmx.post("/calls/C-1/review/submit", {"version": version}, token)
    page = client.get(response.headers["HX-Redirect"]).get_data(as_text=True)
    assert 'id="machine-beside"' in page and "Model v3, trained on 412" in page
    row = page.split('data-machine="acknowledgment"')[1].split("</tr>")[0]
    assert "machine-differs" in page.split('data-machine="acknowledgment"')[0][-60:] + row
    assert "<td>5</td>" in row and "2 <strong>(differs by 3)</strong>" in row
    assert "64%" in row and 'href="#turn-2"' in row and "0.71" in row
    same = page.split('data-machine="summary"')[1].split("</tr>")[0]
    assert "differs" not in same
    # N/A from the reviewer: nothing to compare.
    closure = page.split('data-machine="loop_closure"')[1].split("</tr>")[0]
    assert "<td>—</td>" in closure and "differs" not in closure


def test_a_lead_can_hide_the_machine_from_reviewers(scored_by_machine, auth, client, htmx, cli):
    result = cli("machine", "visibility", "empathy", "hidden")
    assert result.exit_code == 0 and "Reviewers see empathy's machine scores never" in result.output
    assert "(unchanged)" in cli("machine", "visibility", "empathy", "hidden").output
    with Session(db.get_engine_for(scored_by_machine)) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "machine.visibility"))
        assert [e.after for e in event] == [{"after_submit": False}]
    auth.login("reviewer@test.example")
    token = htmx.token("/calls/C-1/review")
    version = answer_all(htmx, token)
    response = htmx.post("/calls/C-1/review/submit", {"version": version}, token)
    page = client.get(response.headers["HX-Redirect"]).get_data(as_text=True)
    assert "machine" not in page.lower()
    assert cli("machine", "visibility", "nope", "hidden").exit_code == 1
