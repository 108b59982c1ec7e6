"""The Survey page on both backends: distributions weighted to the mix (checked by hand), the
QA × customer heat map and Spearman against scipy on the same calls, disagreements one click
from the next calibration session, and the open-text answers filtered and searched (htmx)."""

from __future__ import annotations

import re

import pytest
from scipy import stats
from sqlmodel import Session, select

from qa_app import db
from qa_app.models import (
    AuditEvent,
    CalibrationCall,
    CalibrationSession,
    RubricVersion,
    SurveyResponse,
    User,
)
from tests.views.conftest import csrf_token

# call, type, channel, QA loop_closure, customer felt_understood, comment
CALLS = [
    ("W-01", "billing", "voice", 5, 5, "Lovely: she got it straight away"),
    ("W-02", "billing", "voice", 4, 4, ""),
    ("W-03", "billing", "chat", 2, 2, "Had to repeat myself"),
    ("W-04", "billing", "chat", 3, 4, ""),
    ("W-05", "escalation", "voice", 5, 1, "Polite but I still have no refund <script>x</script>"),
    ("W-06", "escalation", "voice", 1, 5, "Short call, problem solved"),
    ("W-07", "escalation", "chat", 4, 5, ""),
    ("W-08", "escalation", "chat", 2, 1, "Waited forever for a refund"),
    ("W-09", "escalation", "voice", 3, 3, ""),
    ("W-10", "escalation", "voice", 4, 3, ""),
    ("W-11", "escalation", "voice", 1, 2, ""),
    ("W-12", "escalation", "chat", 5, 4, ""),
]
# Calls without answers: 8 more billing calls make the population 12 billing : 8 escalation.
UNANSWERED = [(f"X-{n:02d}", "billing", "voice") for n in range(8)]
DIMENSIONS = ("acknowledgment", "summary", "next_steps", "loop_closure")


@pytest.fixture
def world(web_app, users, cli, tmp_path):
    assert cli("rubric", "load").exit_code == 0
    calls = ["call_id,agent,transcript,interaction_type,channel,started_at"]
    for call_id, kind, channel, *_ in CALLS:
        calls.append(f"{call_id},ana,Agent: hi,{kind},{channel},2026-03-02T10:00:00Z")
    for call_id, kind, channel in UNANSWERED:
        calls.append(f"{call_id},ana,Agent: hi,{kind},{channel},2026-03-02T10:00:00Z")
    reviews = ["call_id,reviewer,dimension,score"]
    answers = ["call_id,item,score,position,comment"]
    for n, (call_id, _k, _c, qa, customer, comment) in enumerate(CALLS):
        reviews += [f"{call_id},reviewer@test.example,{d},{qa if d == 'loop_closure' else 3}"
                    for d in DIMENSIONS]  # fmt: skip
        answers.append(f"{call_id},felt_understood,{customer},{1 + n % 3},{comment}")
    for name, lines in (("calls", calls), ("reviews", reviews), ("survey", answers)):
        (tmp_path / f"{name}.csv").write_text("\n".join(lines) + "\n")
        result = cli("import", name, tmp_path / f"{name}.csv")
        assert result.exit_code == 0, result.output
    return web_app


def _login(client, email):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": email, "password": "correct-horse-battery",
                                "csrf_token": token})  # fmt: skip


def _cell(html: str, table: str, group: str, point: int) -> str:
    section = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    row = section.split(f'data-group="{group}"', 1)[1].split("</tr>", 1)[0]
    return re.search(rf'data-point="{point}">([^<]*)<', row).group(1)


def test_a_lead_reads_the_survey_beside_qa(world, client):
    _login(client, "lead@test.example")
    page = client.get("/surveys")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "weighted to the interaction mix" in html
    # By hand: billing answers 4 of 12, but billing is 12 of 20 calls; escalation 8 of 12 and
    # 8 of 20. Weighted share of "5" = 0.6 x 1/4 (billing) + 0.4 x 2/8 (escalation) = 25%.
    assert _cell(html, "survey-dist-felt_understood", "all", 5) == "25%"
    # "1" = 0.6 x 0 + 0.4 x 2/8 = 10%; unweighted it would be 2/12 = 17%.
    assert _cell(html, "survey-dist-felt_understood", "all", 1) == "10%"
    assert _cell(html, "survey-dist-felt_understood", "escalation", 1) == "25%"
    # The heat map is the count of calls per (QA, customer) pair.
    crosstab = html.split('id="survey-crosstab"', 1)[1].split("</table>", 1)[0]
    assert re.search(r'data-qa="5" data-customer="1">1<', crosstab)
    assert re.search(r'data-qa="4" data-customer="5">1<', crosstab)
    rho = stats.spearmanr([c[3] for c in CALLS], [c[4] for c in CALLS]).statistic
    assert f'id="survey-spearman">{rho:.2f}<' in html
    assert "not evidence that one causes the other" in html
    # Disagreements both ways, the QA-high one first.
    listed = re.findall(r'<li data-call="([^"]+)">', html)
    assert listed[:2] == ["W-05", "W-06"]
    # Open text beside the numbers, escaped.
    assert "Lovely: she got it straight away" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x</script>" not in html


def test_open_text_filtered_by_score_and_searched_as_an_htmx_fragment(world, client):
    _login(client, "coach@test.example")
    fragment = client.get(
        "/surveys?text_item=felt_understood&text_score=1&q=refund", headers={"HX-Request": "true"}
    )
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert 'id="survey-open-text"' in body
    shown = re.findall(r'data-call="([^"]+)"', body)
    assert shown == ["W-08", "W-05"] or sorted(shown) == ["W-05", "W-08"]
    assert "2 answers with text" in body
    searched = client.get("/surveys?q=REPEAT", headers={"HX-Request": "true"})
    assert re.findall(r'data-call="([^"]+)"', searched.get_data(as_text=True)) == ["W-03"]
    bad = client.get("/surveys?text_score=9")
    assert bad.status_code == 422 and "is not a point of 1–5" in bad.get_data(as_text=True)


def test_a_disagreement_is_one_click_from_the_next_calibration_session(world, client):
    _login(client, "lead@test.example")
    engine = db.get_engine_for(world)
    token = csrf_token(client.get("/surveys").get_data(as_text=True))
    none_yet = client.post("/surveys/calibrate", data={"call_id": "W-05", "csrf_token": token},
                           follow_redirects=True)  # fmt: skip
    assert "No calibration session is being prepared" in none_yet.get_data(as_text=True)
    with db.transaction(engine) as session:
        lead = session.exec(select(User).where(User.email == "lead@test.example")).one()
        rubric = session.exec(
            select(RubricVersion).where(RubricVersion.rubric_id == "empathy")
        ).first()
        session.add(CalibrationSession(name="April calibration", rubric_pk=rubric.id,
                                       created_by=lead.id))  # fmt: skip
    page = client.get("/surveys").get_data(as_text=True)
    assert "Add to “April calibration”" in page
    added = client.post("/surveys/calibrate", data={"call_id": "W-05", "csrf_token": token},
                        follow_redirects=True)  # fmt: skip
    assert "Call W-05 added to “April calibration”" in added.get_data(as_text=True)
    again = client.post("/surveys/calibrate", data={"call_id": "W-05", "csrf_token": token},
                        follow_redirects=True)  # fmt: skip
    assert "already in" in again.get_data(as_text=True)
    with Session(engine) as session:
        assert len(session.exec(select(CalibrationCall)).all()) == 1
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "calibration.call_added")
        ).one()
        assert event.after == {"call_id": "W-05"}
    # A coach reads the page but cannot change a session.
    coach = world.test_client()
    _login(coach, "coach@test.example")
    assert "Add to “" not in coach.get("/surveys").get_data(as_text=True)
    coach_token = csrf_token(coach.get("/surveys").get_data(as_text=True))
    refused = coach.post("/surveys/calibrate", data={"call_id": "W-06", "csrf_token": coach_token})
    assert refused.status_code == 403


def test_a_lead_uploads_survey_answers_on_the_import_page(scoring, auth, client):
    from tests.views.imports import upload

    auth.login("lead@test.example")
    page = client.get("/imports").get_data(as_text=True)
    assert 'value="survey"' in page
    token = csrf_token(page)
    engine = db.get_engine_for(scoring)
    bad = b"call_id,item,score\nC-1,felt_understood,4\nC-2,felt_understood,8\n"
    report = upload(client, token, "survey", bad, "survey.csv").get_data(as_text=True)
    assert "score 8 is outside the scale 1–5" in report and "nothing was imported" in report
    with Session(engine) as session:
        assert session.exec(select(SurveyResponse)).all() == []
    good = b"call_id,item,score,position\nC-1,felt_understood,4,2\n"
    report = upload(client, token, "survey", good, "survey.csv").get_data(as_text=True)
    assert "1 survey answer" in report
    with Session(engine) as session:
        stored = session.exec(select(SurveyResponse)).one()
        assert (stored.item, stored.score, stored.position) == ("felt_understood", 4, 2)
