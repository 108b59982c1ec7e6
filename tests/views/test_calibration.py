"""Calibration sessions end to end: blind scoring, panel links, reveal, dashboard, consensus."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from qa_app import db
from qa_app.models import AuditEvent, CalibrationRating
from qa_app.store.demo import load_demo
from tests.conftest import RUBRICS_DIR
from tests.views.conftest import csrf_token

CALLS = ("DEMO-0001", "DEMO-0002", "DEMO-0003")


@pytest.fixture
def demo(web_app):
    load_demo(db.get_engine_for(web_app), RUBRICS_DIR)
    return web_app


def client_for(app, email=None, password=None):
    client = app.test_client()
    if email:
        token = csrf_token(client.get("/login").get_data(as_text=True))
        client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    return client


@pytest.fixture
def lead(demo):
    return client_for(demo, "lead@example.com", "demo-lead-pass")


def create(lead, panelists="Customer A\nCustomer B"):
    page = lead.get("/calibration").get_data(as_text=True)
    reviewers = re.findall(r'name="reviewer_ids" value="(\d+)"> (?:Rita|Rob)', page)
    rubric_pk = re.search(r'<option value="(\d+)"(?: selected)?>empathy@1 ', page).group(1)
    response = lead.post(
        "/calibration",
        data={
            "csrf_token": csrf_token(page),
            "name": "June calibration",
            "rubric_pk": rubric_pk,
            "call_ids": "\n".join(CALLS),
            "reviewer_ids": reviewers,
            "panelists": panelists,
            "form_token": re.search(r'name="form_token" value="([^"]+)"', page).group(1),
        },
    )
    # Created, then redirected to the session's page, which shows the invite links once.
    assert response.status_code == 303, response.get_data(as_text=True)
    text = lead.get(response.location).get_data(as_text=True)
    links = dict(re.findall(r'<code data-link="([^"]+)">http://localhost([^<]+)</code>', text))
    session_id = re.search(r"/calibration/(\d+)/state", text).group(1)
    return session_id, links, csrf_token(text)


def step(lead, session_id, token, target, **extra):
    return lead.post(
        f"/calibration/{session_id}/state", data={"csrf_token": token, "target": target, **extra}
    )


SCORES = {  # participant -> per call (ack, summary, next_steps, loop_closure)
    "reviewer": [("4", "3", "4", "na"), ("2", "2", "3", "2"), ("5", "4", "4", "5")],
    "reviewer2": [("3", "3", "4", "na"), ("2", "3", "3", "2"), ("4", "4", "5", "4")],
    "panel": [("2", "3", "4", "5"), ("1", "2", "2", "2"), ("5", "5", "4", "5")],
}


def fields(ack, summary, steps, loop):
    """The scorecard's field names (scoring/_dimension.html, edit mode)."""
    return {
        "acknowledgment-score": ack,
        "summary-score": summary,
        "next_steps-score": steps,
        "loop_closure-score": loop,
    }


def score_as_reviewer(app, session_id, who, password):
    client = client_for(app, f"{who}@example.com", password)
    token = csrf_token(
        client.get(f"/calibration/{session_id}/score/{CALLS[0]}").get_data(as_text=True)
    )
    for call, (ack, summary, steps, loop) in zip(CALLS, SCORES[who], strict=True):
        response = client.post(
            f"/calibration/{session_id}/score/{call}",
            data={"csrf_token": token} | fields(ack, summary, steps, loop),
        )
        assert response.status_code == 302, response.get_data(as_text=True)
    return client


def score_as_panel(app, link):
    client = client_for(app)
    page = client.get(f"{link}/calls/{CALLS[0]}").get_data(as_text=True)
    token = csrf_token(page)
    for call, (ack, summary, steps, loop) in zip(CALLS, SCORES["panel"], strict=True):
        response = client.post(
            f"{link}/calls/{call}",
            data={"csrf_token": token, "comment": "<script>x()</script> felt rushed"}
            | fields(ack, summary, steps, loop),
        )
        assert response.status_code == 302
    return client


def test_blind_until_reveal_then_dashboard_matches_the_agreement_engine(demo, lead, cli, tmp_path):
    session_id, links, token = create(lead)
    assert set(links) == {"Customer A", "Customer B"}
    assert client_for(demo).get(links["Customer A"]).status_code == 403  # draft: not started
    assert step(lead, session_id, token, "open").status_code == 302
    rita = score_as_reviewer(demo, session_id, "reviewer", "demo-reviewer-pass")
    score_as_reviewer(demo, session_id, "reviewer2", "demo-reviewer2-pass")
    panel = score_as_panel(demo, links["Customer A"])

    # Blind: the lead sees who finished, not what anyone scored; nobody sees the dashboard.
    manage = lead.get(f"/calibration/{session_id}").get_data(as_text=True)
    assert manage.count("✓") == 9
    assert lead.get(f"/calibration/{session_id}/dashboard").status_code == 403
    assert lead.get(f"/calibration/{session_id}/ratings.csv").status_code == 403
    assert lead.get(f"/calibration/{session_id}/charts/heatmap.png").status_code == 403
    assert lead.get(f"/calibration/{session_id}/report.xlsx").status_code == 403
    own = rita.get(f"/calibration/{session_id}/score/{CALLS[0]}").get_data(as_text=True)
    assert 'name="acknowledgment-score" value="4" checked' in own
    assert 'value="3" checked' not in own.split('name="acknowledgment-score"')[1][:60]

    refused = step(lead, session_id, token, "revealed")
    assert refused.status_code == 409
    assert "Customer B (0 of 3)" in refused.get_data(as_text=True)
    assert step(lead, session_id, token, "revealed", confirm="1").status_code == 302
    assert panel.get(links["Customer A"]).status_code == 403  # the session has ended
    late = rita.post(
        f"/calibration/{session_id}/score/{CALLS[0]}",
        data={"csrf_token": csrf_token(own)} | fields("1", "1", "1", "1"),
    )
    assert late.status_code == 422 and "not open for scoring" in late.get_data(as_text=True)

    ratings = lead.get(f"/calibration/{session_id}/ratings.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(ratings)))
    assert len(rows) == 36 and {r["role"] for r in rows} == {"qa", "panel"}
    assert {r["comment"] for r in rows if r["role"] == "panel"} == {
        "<script>x()</script> felt rushed"
    }
    assert {r["comment"] for r in rows if r["role"] == "qa"} == {""}
    assert {r["item_position"] for r in rows if r["role"] == "panel"} == {"1", "2", "3", "4"}
    path = tmp_path / "ratings.csv"
    path.write_text(ratings, encoding="utf-8")
    engine = json.loads(cli("agreement", path, "--format", "json").stdout)
    dashboard = lead.get(f"/calibration/{session_id}/dashboard").get_data(as_text=True)
    for dimension in ("acknowledgment", "summary", "overall"):
        expected = (
            engine["overall"] if dimension == "overall" else engine["dimensions"][dimension]
        )["alpha"]
        shown = (
            re.search(
                rf'data-group="everyone" data-dimension="{dimension}">.*?'
                r'class="alpha">([^<]*)<',
                dashboard,
                re.S,
            )
            .group(1)
            .strip()
        )
        assert shown == f"{expected:.3f}"
    assert "&lt;script&gt;x()&lt;/script&gt; felt rushed" in dashboard
    # The interval for raters who stand for others (the panel), beside the one for these raters.
    row = dashboard.split('data-group="everyone" data-dimension="overall"')[1]
    everyone = row.split("</tr>")[0]
    assert 'class="other-raters"' in everyone and "other raters:" in everyone
    # The answer first (overall alpha for everyone, its interval, what it means), then the
    # alpha chart, then the table; each interval caveat said once, rows pointing to it.
    answer = re.search(r'id="agreement-answer">(.*?)</p>', dashboard, re.S).group(1)
    overall = f"{engine['overall']['alpha']:.3f}"
    assert f"Overall agreement for everyone together: <strong>α = {overall}</strong>" in answer
    assert "95% interval" in answer
    marks = ('id="agreement-answer"', "charts/alpha", 'class="agreement"', "charts/heatmap",
             "How these numbers are computed")  # fmt: skip
    order = [dashboard.index(m) for m in marks]
    assert order == sorted(order), order
    notes = re.findall(r'<li id="interval-note-\d+">([^<]+)</li>', dashboard)
    assert notes and len(notes) == len(set(notes))
    for note in notes:
        assert dashboard.count(html.escape(note, quote=False)) == 1, note
    assert dashboard.count('href="#interval-note-1"') >= 5
    for chart in ("alpha", "heatmap"):
        image = lead.get(f"/calibration/{session_id}/charts/{chart}.png")
        assert image.status_code == 200 and image.content_type == "image/png"
        assert image.data.startswith(b"\x89PNG") and len(image.data) > 5000
    assert 'data-gap="acknowledgment"' in dashboard


def test_consensus_becomes_the_final_score_and_closing_freezes_it(demo, lead, cli, tmp_path):
    session_id, links, token = create(lead, panelists="")
    step(lead, session_id, token, "open")
    score_as_reviewer(demo, session_id, "reviewer", "demo-reviewer-pass")
    score_as_reviewer(demo, session_id, "reviewer2", "demo-reviewer2-pass")
    step(lead, session_id, token, "revealed")
    consensus = {
        "csrf_token": token,
        "acknowledgment": "4",
        "summary": "3",
        "next_steps": "4",
        "loop_closure": "na",
        "note": "Agreed after discussion",
    }
    assert (
        lead.post(
            f"/calibration/{session_id}/calls/{CALLS[0]}/consensus", data=consensus
        ).status_code
        == 303
    )
    bad = lead.post(
        f"/calibration/{session_id}/calls/{CALLS[0]}/consensus",
        data=consensus | {"acknowledgment": "na"},
    )
    assert bad.status_code == 422 and "N/A is not allowed" in bad.get_data(as_text=True)
    # A form sent with blanks (no browser check) must not blank the final scores.
    blank = lead.post(
        f"/calibration/{session_id}/calls/{CALLS[0]}/consensus",
        data={"csrf_token": token, "acknowledgment": "2"},
    )
    assert blank.status_code == 422
    assert "missing: Summary of the concern, Next steps, Emotional loop closure" in blank.get_data(
        as_text=True
    )
    dashboard = lead.get(f"/calibration/{session_id}/dashboard").get_data(as_text=True)
    # Alignment with consensus on DEMO-0001 (scale 1-5): Rita matches on every scored
    # dimension (100%); Rob is one point off on acknowledgment: (75 + 100 + 100) / 3 = 92%.
    assert re.search(r"<td>Rita Reviewer</td><td>qa</td>.*?<td>100%</td>", dashboard, re.S)
    assert re.search(r"<td>Rob Reviewer</td><td>qa</td>.*?<td>92%</td>", dashboard, re.S)

    out = tmp_path / "flags.xlsx"
    result = cli("export", "flags", "--out", out)
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out)["Flags"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == CALLS[0])
    assert row[header.index("score_source")] == "consensus"
    assert row[header.index("score_acknowledgment")] == 4
    about = {r[0]: r[1] for r in load_workbook(out)["About"].iter_rows(values_only=True)}
    assert about["calibration: June calibration"].startswith("alpha ")

    drift = lead.get("/calibration/drift?threshold=0.1").get_data(as_text=True)
    assert 'data-rater="Rob Reviewer"' in drift and "⚑" in drift
    assert lead.get("/calibration/drift?threshold=abc").status_code == 422
    assert step(lead, session_id, token, "closed").status_code == 302
    frozen = lead.post(f"/calibration/{session_id}/calls/{CALLS[1]}/consensus", data=consensus)
    assert frozen.status_code == 422
    assert step(lead, session_id, token, "revealed").status_code == 409  # no reason
    assert step(lead, session_id, token, "revealed", reason="Late panel input").status_code == 302
    with Session(db.get_engine_for(demo)) as session:
        actions = session.exec(
            select(AuditEvent.action).where(
                AuditEvent.entity_type.in_(["calibration_session", "call"])
            )
        ).all()
    assert actions == [
        "calibration.created",
        "calibration.open",
        "calibration.revealed",
        "calibration.consensus",
        "calibration.closed",
        "calibration.revealed",
    ]


def test_panel_links_are_personal_revocable_and_rotated(demo, lead):
    session_id, links, token = create(lead)
    step(lead, session_id, token, "open")
    guest = client_for(demo)
    assert guest.get("/panel/not-a-real-token").status_code == 404
    first = guest.get(f"{links['Customer A']}/calls/{CALLS[0]}").get_data(as_text=True)
    second = guest.get(f"{links['Customer B']}/calls/{CALLS[0]}").get_data(as_text=True)
    order = re.compile(r'data-dimension="(\w+)"')
    assert order.findall(first)[0] == "acknowledgment"
    assert order.findall(second)[0] == "summary"
    assert "I felt understood." in second and "Strongly agree" in second
    assert guest.get(f"{links['Customer A']}/calls/DEMO-0099").status_code == 404
    assert guest.get("/queue").status_code == 302  # no account: nothing else opens

    score_as_panel(demo, links["Customer B"])
    with Session(db.get_engine_for(demo)) as session:
        positions = {r.dimension: r.item_position for r in session.exec(select(CalibrationRating))}
    assert positions == {"summary": 1, "next_steps": 2, "loop_closure": 3, "acknowledgment": 4}

    manage = lead.get(f"/calibration/{session_id}").get_data(as_text=True)
    panelist_id = re.search(r"/participants/(\d+)/link", manage).group(1)
    # While the session is open the lead sees every panelist's link and where each stands.
    shown = dict(re.findall(r'<code data-link="([^"]+)">http://localhost([^<]+)</code>', manage))
    assert shown == links
    states = dict(re.findall(r'data-link-state="([^"]+)">([^<]+)<', manage))
    assert states == {"Customer A": "opened, nothing answered yet", "Customer B": "finished"}
    # Revoking (or replacing) a link asks first: without the tick nothing changes.
    unconfirmed = lead.post(
        f"/calibration/{session_id}/participants/{panelist_id}/link",
        data={"csrf_token": token, "revoke": "1"},
    )
    assert unconfirmed.status_code == 422
    assert "tick the box to confirm you want to revoke" in unconfirmed.get_data(as_text=True)
    assert guest.get(links["Customer A"]).status_code == 200
    assert 'name="confirm" value="1" required> Yes, revoke it' in manage
    lead.post(
        f"/calibration/{session_id}/participants/{panelist_id}/link",
        data={"csrf_token": token, "revoke": "1", "confirm": "1"},
    )
    assert guest.get(links["Customer A"]).status_code == 404
    assert (
        lead.post(
            f"/calibration/{session_id}/participants/{panelist_id}/link",
            data={"csrf_token": token},
        ).status_code
        == 422
    )
    renewal = lead.post(
        f"/calibration/{session_id}/participants/{panelist_id}/link",
        data={"csrf_token": token, "confirm": "1"},
    )
    assert renewal.status_code == 303
    renewed = lead.get(renewal.location).get_data(as_text=True)
    # Still shown on the next visit, with the new link's own state.
    again = lead.get(renewal.location).get_data(as_text=True)
    assert re.findall(r'<code data-link="Customer A">([^<]+)<', again) == re.findall(
        r'<code data-link="Customer A">([^<]+)<', renewed
    )
    assert 'data-link-state="Customer A">not opened yet<' in again
    new_link = re.search(r'<code data-link="[^"]+">http://localhost([^<]+)</code>', renewed).group(
        1
    )
    assert guest.get(new_link).status_code == 200 and new_link != links["Customer A"]


def test_bad_sessions_and_wrong_people_are_refused(demo, lead):
    page = lead.get("/calibration").get_data(as_text=True)
    token = csrf_token(page)
    response = lead.post(
        "/calibration",
        data={
            "csrf_token": token,
            "name": "x",
            "rubric_pk": "1",
            "call_ids": "NOPE-1",
            "panelists": "A",
        },
    )
    assert response.status_code == 422 and "Unknown call(s): NOPE-1" in response.get_data(
        as_text=True
    )
    response = lead.post(
        "/calibration",
        data={"csrf_token": token, "name": "x", "rubric_pk": "1", "call_ids": "DEMO-0001"},
    )
    assert response.status_code == 422 and "at least one participant" in response.get_data(
        as_text=True
    )
    session_id, _links, token = create(lead, panelists="A")
    coach = client_for(demo, "coach@example.com", "demo-coach-pass")
    assert coach.get("/calibration").status_code == 403
    assert coach.get(f"/calibration/{session_id}/score").status_code == 403
    rob = client_for(demo, "reviewer2@example.com", "demo-reviewer2-pass")
    # A draft session's calls stay hidden from its QA participants, as from its panelists.
    draft = rob.get(f"/calibration/{session_id}/score")
    assert draft.status_code == 403 and "has not started yet" in draft.get_data(as_text=True)
    assert rob.get(f"/calibration/{session_id}/score/DEMO-0001").status_code == 403
    step(lead, session_id, token, "open")
    assert rob.get(f"/calibration/{session_id}/score").status_code == 200
    # Still blind: the dashboard sends a reviewer to their results, refused until the reveal.
    assert rob.get(f"/calibration/{session_id}/dashboard", follow_redirects=True).status_code == 403


def test_calls_can_be_drawn_by_filter(demo, lead):
    page = lead.get("/calibration").get_data(as_text=True)
    response = lead.post(
        "/calibration",
        data={
            "csrf_token": csrf_token(page),
            "name": "Escalations",
            "rubric_pk": "2",
            "interaction_type": "escalation",
            "sample": "5",
            "panelists": "A",
        },
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    calls = re.findall(r"<th>(DEMO-\d+)</th>", text)
    assert len(calls) == 5
    with Session(db.get_engine_for(demo)) as session:
        from qa_app.models import Call

        kinds = set(session.exec(select(Call.interaction_type).where(Call.call_id.in_(calls))))
    assert kinds == {"escalation"}
    too_many = lead.post(
        "/calibration",
        data={
            "csrf_token": csrf_token(page),
            "name": "x",
            "rubric_pk": "2",
            "sample": "500",
            "panelists": "A",
        },
    )
    assert too_many.status_code == 422


def test_sending_the_create_form_twice_makes_one_session(demo, lead):
    page = lead.get("/calibration").get_data(as_text=True)
    form = {
        "csrf_token": csrf_token(page),
        "form_token": re.search(r'name="form_token" value="([^"]+)"', page).group(1),
        "name": "Twice",
        "rubric_pk": re.search(r'<option value="(\d+)"(?: selected)?>empathy@1 ', page).group(1),
        "call_ids": "\n".join(CALLS),
        "panelists": "Customer A",
    }
    first = lead.post("/calibration", data=form)
    # A reload of the result, a double click, the back button and Create again:
    second = lead.post("/calibration", data=form)
    assert first.status_code == second.status_code == 303
    assert first.location == second.location and re.search(r"/calibration/\d+$", first.location)
    with Session(db.get_engine_for(demo)) as session:
        from qa_app.models import CalibrationSession

        assert len(session.exec(select(CalibrationSession)).all()) == 1
    shown = lead.get(first.location).get_data(as_text=True)
    assert "This form was already sent, so nothing new was made" in shown
    assert 'data-link="Customer A"' in shown  # the invite link, on the page while open
    assert 'data-link="Customer A"' in lead.get(first.location).get_data(as_text=True)
    # A new form (a fresh token) with the same name is a new session: names may repeat.
    again = lead.get("/calibration").get_data(as_text=True)
    token = re.search(r'name="form_token" value="([^"]+)"', again).group(1)
    assert token != form["form_token"]
    assert lead.post("/calibration", data=form | {"form_token": token}).status_code == 303


def test_two_servers_sending_the_same_form_at_once_still_make_one(demo, lead):
    """Two sendings racing (two server threads, as two processes would): the shared form
    token in the database decides, and the second answers with the first's session."""
    import threading

    from qa_app.models import CalibrationSession

    page = lead.get("/calibration").get_data(as_text=True)
    form = {
        "csrf_token": csrf_token(page),
        "form_token": re.search(r'name="form_token" value="([^"]+)"', page).group(1),
        "name": "Race",
        "rubric_pk": re.search(r'<option value="(\d+)"(?: selected)?>empathy@1 ', page).group(1),
        "call_ids": CALLS[0],
        "panelists": "Customer A",
    }
    cookie = lead.get_cookie("session")
    answers = []

    def send():
        other = demo.test_client()
        other.set_cookie(cookie.key, cookie.value)
        answers.append(other.post("/calibration", data=form))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].location == answers[1].location
    with Session(db.get_engine_for(demo)) as session:
        assert len(session.exec(select(CalibrationSession)).all()) == 1


def test_a_panelist_whose_page_expired_is_sent_to_their_link_not_the_staff_login(demo, lead):
    session_id, links, token = create(lead)
    step(lead, session_id, token, "open")
    guest = client_for(demo)
    guest.get(f"{links['Customer A']}/calls/{CALLS[0]}")
    guest.delete_cookie("session")  # the browser lost its session: the form's token is stale
    response = guest.post(
        f"{links['Customer A']}/calls/{CALLS[0]}",
        data={"csrf_token": "stale", "acknowledgment": "4"},
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "your last answer was not saved" in text and "invite link" in text
    assert "/login" not in text


def test_the_consensus_note_is_kept_shown_and_exported_and_dimensions_read_by_title(demo, lead):
    session_id, _links, token = create(lead, panelists="")
    step(lead, session_id, token, "open")
    score_as_reviewer(demo, session_id, "reviewer", "demo-reviewer-pass")
    score_as_reviewer(demo, session_id, "reviewer2", "demo-reviewer2-pass")
    step(lead, session_id, token, "revealed")
    note = "Agreed: <b>3</b> is a scripted sorry"
    saved = lead.post(
        f"/calibration/{session_id}/calls/{CALLS[0]}/consensus",
        data={
            "csrf_token": token,
            "acknowledgment": "3",
            "summary": "3",
            "next_steps": "4",
            "loop_closure": "na",
            "note": note,
        },
    )
    assert saved.status_code == 303
    dashboard = lead.get(f"/calibration/{session_id}/dashboard").get_data(as_text=True)
    escaped = "Agreed: &lt;b&gt;3&lt;/b&gt; is a scripted sorry"
    call = dashboard.split(f'id="call-{CALLS[0]}"')[1].split("</article>")[0]
    assert f"Consensus note:</strong> {escaped}" in call
    assert f'name="note" maxlength="2000" value="{escaped}"' in call  # still in its field
    # The agreement table: titles, in the rubric's order, not ids sorted alphabetically.
    rows = re.findall(
        r'data-group="everyone" data-dimension="\w+">\s*<td>everyone</td><td>([^<]+)</td>',
        dashboard,
    )
    assert rows == [
        "Acknowledgment",
        "Summary of the concern",
        "Next steps",
        "Emotional loop closure",
        "Overall",
    ]
    assert "loop_closure" not in re.sub(r'(data-[a-z-]+|name|id|for)="[^"]*"', "", dashboard)

    ratings = lead.get(f"/calibration/{session_id}/ratings.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(ratings)))
    assert {r["consensus_note"] for r in rows if r["call_id"] == CALLS[0]} == {note}
    assert {r["consensus_note"] for r in rows if r["call_id"] == CALLS[1]} == {""}

    workbook = load_workbook(io.BytesIO(lead.get(f"/calibration/{session_id}/report.xlsx").data))
    per_call = list(workbook["Per call"].iter_rows(values_only=True))
    column = per_call[0].index("consensus_note")
    assert {r[column] for r in per_call[1:] if r[0] == CALLS[0]} == {note}
    summary = [r[1] for r in workbook["Summary"].iter_rows(values_only=True) if r and r[0] == "qa"]
    assert summary == [
        "Acknowledgment",
        "Summary of the concern",
        "Next steps",
        "Emotional loop closure",
        "overall",
    ]


def test_calibration_scoring_is_the_review_scorecard_with_notes_and_evidence(demo, lead):
    session_id, _links, token = create(lead, panelists="")
    step(lead, session_id, token, "open")
    rita = client_for(demo, "reviewer@example.com", "demo-reviewer-pass")
    page = rita.get(f"/calibration/{session_id}/score/{CALLS[1]}").get_data(as_text=True)
    assert "Call 2 of 3" in page
    assert 'src="/static/scoring.js"' in page  # the keys of the review page
    assert '<span class="turn-no">1</span>' in page and 'class="speaker"' in page
    assert "<kbd>t</kbd> type a note" in page
    response = rita.post(
        f"/calibration/{session_id}/score/{CALLS[1]}",
        data={"csrf_token": csrf_token(page)}
        | fields("4", "3", "4", "na")
        | {"acknowledgment-note": "Named the outage", "acknowledgment-evidence": "2, 1"},
    )
    # Saved, and on to the next call still to score.
    assert response.status_code == 302 and response.location.endswith(f"/score/{CALLS[2]}")
    again = rita.get(f"/calibration/{session_id}/score/{CALLS[1]}").get_data(as_text=True)
    assert ">Named the outage</textarea>" in again
    assert 'name="acknowledgment-evidence" class="evidence-input" value="1, 2"' in again
    bad = rita.post(
        f"/calibration/{session_id}/score/{CALLS[0]}",
        data={"csrf_token": csrf_token(page)}
        | fields("4", "", "4", "na")
        | {"acknowledgment-evidence": "999", "acknowledgment-note": "kept"},
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Acknowledgment: evidence &#39;999&#39; is not a turn" in text
    assert ">kept</textarea>" in text  # what was typed stays


def test_a_panelist_is_guided_from_instructions_to_thank_you_in_their_own_words(demo, lead):
    demo.config["ORGANISATION_NAME"] = "Example Energy"
    session_id, links, token = create(lead)
    step(lead, session_id, token, "open")
    guest = client_for(demo)
    link = links["Customer B"]
    start = guest.get(link).get_data(as_text=True)
    assert "How this works" in start and "Start with conversation 1" in start
    assert not re.search(r"DEMO-\d+", re.sub(r'href="[^"]*"', "", start))
    first = guest.get(f"{link}/calls/{CALLS[0]}").get_data(as_text=True)
    visible = re.sub(r'(href|action|id|for|data-[a-z-]+|name|aria-[a-z]+)="[^"]*"', "", first)
    assert "Conversation 1 of 3" in first and "The conversation" in first
    assert "Save and go to the next conversation" in first and "next call" not in visible
    # Evidence turns and notes are QA's tools: a customer answers the statements, with one
    # optional comment for the whole conversation.
    assert "Which turns show it" not in first and "-evidence" not in first
    assert "-note" not in first and first.count("<textarea") == 1
    # The organisation's name heads the page, never the product's.
    assert "<strong class=\"organisation\">Example Energy</strong>" in first
    assert "qa_app" not in re.sub(r"<(script|link)[^>]*>", "", first)
    assert "<details" not in first  # the conversation is shown, not folded away
    assert first.index('class="transcript"') < first.index('class="dimension"')
    assert "I felt understood." in first
    for internal in ("DEMO-0001", "acknowledgment", "loop_closure", "Acknowledgment"):
        assert internal not in visible, internal
    # A missing answer is named as the panelist saw it, not by the reviewers' dimension name.
    refused = guest.post(
        f"{link}/calls/{CALLS[0]}",
        data={"csrf_token": csrf_token(first)} | fields("4", "", "4", "5"),
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "still to answer “I felt understood.”" in text and "Summary" not in text
    response = guest.post(
        f"{link}/calls/{CALLS[0]}",
        data={"csrf_token": csrf_token(first)} | fields("4", "3", "4", "5"),
    )
    assert response.location.endswith(f"{link}/calls/{CALLS[1]}")  # Save: the next call
    second = guest.get(response.location).get_data(as_text=True)
    assert "Conversation 2 of 3" in second and "your answers are saved" in second
    assert "Continue with conversation 2" in guest.get(link).get_data(as_text=True)
    for call in CALLS[1:]:
        response = guest.post(
            f"{link}/calls/{call}",
            data={"csrf_token": csrf_token(first)} | fields("2", "2", "2", "2"),
        )
    assert response.location.endswith(f"{link}/finished")
    done = guest.get(response.location).get_data(as_text=True)
    assert "You're finished — thank you, Customer B!" in done


def test_reviewers_see_their_results_beside_the_consensus_and_anonymised_others(demo, lead):
    session_id, links, token = create(lead)
    step(lead, session_id, token, "open")
    rita = score_as_reviewer(demo, session_id, "reviewer", "demo-reviewer-pass")
    score_as_reviewer(demo, session_id, "reviewer2", "demo-reviewer2-pass")
    score_as_panel(demo, links["Customer A"])
    hidden = rita.get(f"/calibration/{session_id}/results")
    assert hidden.status_code == 403  # blind until the reveal
    step(lead, session_id, token, "revealed", confirm="1")
    lead.post(
        f"/calibration/{session_id}/calls/{CALLS[0]}/consensus",
        data={"csrf_token": token, "note": "Scripted sorry is a 3"}
        | dict(acknowledgment="3", summary="3", next_steps="4", loop_closure="na"),
    )
    # The dashboard link a reviewer may have is no dead end: it leads to their results.
    followed = rita.get(f"/calibration/{session_id}/dashboard")
    assert followed.status_code == 302 and followed.location.endswith("/results")
    assert "See your results" in rita.get(f"/calibration/{session_id}/score").get_data(as_text=True)
    home = rita.get("/").get_data(as_text=True)  # and the home page points there too
    assert f'href="/calibration/{session_id}/results">See your results:' in home
    page = rita.get(f"/calibration/{session_id}/results").get_data(as_text=True)
    header = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    assert re.findall(r"<th>([^<]+)</th>", header) == [
        "Dimension",
        "You",
        "Consensus",
        "Reviewer A",
        "Panelist 1",
        "Panelist 2",
    ]
    first = page.split('data-call="DEMO-0001"')[1].split("</article>")[0]
    ack = re.search(r'data-dimension="acknowledgment"[^>]*>(.*?)</tr>', first, re.S).group(1)
    cells = [
        " ".join(re.sub(r"<[^>]+>", " ", c).split())
        for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", ack, re.S)
    ]
    # Rita 4, consensus 3, Rob 3, Customer A 2, Customer B nothing (never scored).
    assert cells == ["Acknowledgment", "4 (≠ consensus)", "3", "3", "2", "—"]
    assert "Scripted sorry is a 3" in first
    assert "&lt;script&gt;x()&lt;/script&gt; felt rushed<footer>Panelist 1</footer>" in first
    main = page.split("<main", 1)[1]  # the header names the person logged in: Rita
    for name in ("Rob Reviewer", "Customer A", "Customer B", "Rita Reviewer"):
        assert name not in main
    # Only the session's own participants: a lead's colleague who was not in it is refused.
    outsider = client_for(demo, "lead@example.com", "demo-lead-pass")
    assert outsider.get(f"/calibration/{session_id}/results").status_code == 403


def test_new_sessions_start_on_the_apps_rubric_and_the_page_follows_the_reveal(demo, lead):
    page = lead.get("/calibration").get_data(as_text=True)
    chosen = re.findall(r"<option value=\"\d+\" selected>([^<]+)</option>", page)
    assert chosen == ["empathy@1 — Operational empathy (5-point)"]  # not the 7-point one
    session_id, _links, token = create(lead, panelists="Customer A")
    manage = lead.get(f"/calibration/{session_id}").get_data(as_text=True)
    assert "Scores stay hidden" in manage
    assert 'src="/static/copy_link.js"' in manage
    step(lead, session_id, token, "open")
    step(lead, session_id, token, "revealed", confirm="1")
    revealed = lead.get(f"/calibration/{session_id}").get_data(as_text=True)
    assert "Scores stay hidden" not in revealed and "Scores are revealed" in revealed


def test_the_session_page_title_is_the_session_name_and_its_copy_script_loads(demo, lead):
    session_id, _, _ = create(lead)
    page = lead.get(f"/calibration/{session_id}").get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert title == "June calibration · qa_app"  # no markup in the tab's title
    head, body = page.split("</head>", 1)
    assert "copy_link.js" not in head and body.count('src="/static/copy_link.js"') == 1


def test_the_dashboard_is_computed_once_until_its_inputs_change(demo, lead, monkeypatch):
    """The page, its alpha chart and a reload share one computation (the bootstrap takes
    seconds); a consensus recorded changes the inputs, and the numbers are computed again."""
    from qa_app.store.calibration import results as result_store

    session_id, links, token = create(lead, panelists="")
    step(lead, session_id, token, "open")
    score_as_reviewer(demo, session_id, "reviewer", "demo-reviewer-pass")
    score_as_reviewer(demo, session_id, "reviewer2", "demo-reviewer2-pass")
    step(lead, session_id, token, "revealed")
    computed = []
    real = result_store.build_dashboard
    monkeypatch.setattr(result_store, "build_dashboard",
                        lambda *a, **k: computed.append(1) or real(*a, **k))  # fmt: skip
    first = lead.get(f"/calibration/{session_id}/dashboard").get_data(as_text=True)
    assert lead.get(f"/calibration/{session_id}/charts/alpha.png").status_code == 200
    again = lead.get(f"/calibration/{session_id}/dashboard").get_data(as_text=True)
    assert len(computed) == 1
    shown = re.compile(r'data-dimension="overall">.*?class="alpha">([^<]*)<', re.S)
    assert shown.findall(first) == shown.findall(again)
    lead.post(f"/calibration/{session_id}/calls/{CALLS[0]}/consensus",
              data={"csrf_token": token, "acknowledgment": "4", "summary": "3",
                    "next_steps": "4", "loop_closure": "na", "note": ""})  # fmt: skip
    lead.get(f"/calibration/{session_id}/dashboard")
    assert len(computed) == 2
