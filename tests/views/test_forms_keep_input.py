"""A refused form comes back as the same page, the message beside the field it is about and
everything typed still there; never a bare error page that loses the user's work."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from sqlmodel import Session, select

from qa_app import db
from qa_app.domain.rubrics.scoring import DimensionAnswer
from qa_app.models import CalibrationSession, RubricVersion, User
from qa_app.store.calibration import participants as participant_store
from qa_app.store.calibration import sessions as store
from qa_app.store.rubrics import rubric_from_row
from qa_app.store.users import find_user
from tests.store.helpers import snapshot
from tests.views.conftest import csrf_token


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def beside(text: str, field_id: str) -> str:
    """The message shown in the element with this id (the one beside the field)."""
    match = re.search(rf'id="{re.escape(field_id)}"[^>]*>([^<]*)<', text)
    assert match, f"no message with id {field_id}"
    return match.group(1)


def ids_of(app) -> dict:
    with Session(db.get_engine_for(app)) as session:
        users = {u.email.split("@")[0]: u.id for u in session.exec(select(User))}
        rubrics = {r.key: r.id for r in session.exec(select(RubricVersion))}
    return users | rubrics


@pytest.fixture
def lead(scoring, auth, client):
    auth.login("lead@test.example")
    return client


def test_a_new_session_with_an_unknown_call_keeps_everything_typed(scoring, lead):
    ids = ids_of(scoring)
    page = lead.get("/calibration").get_data(as_text=True)
    form = {
        "csrf_token": csrf_token(page),
        "form_token": re.search(r'name="form_token" value="([^"]+)"', page).group(1),
        "name": "June <panel> calibration",
        "rubric_pk": str(ids["empathy@2"] if "empathy@2" in ids else ids["empathy-7pt@1"]),
        "deadline": "2026-12-01T10:00",
        "call_ids": "C-1\nNOPE-1\nC-2",
        "reviewer_ids": [str(ids["reviewer"]), str(ids["lead"])],
        "panelists": "Customer A\nCustomer B",
    }
    before = snapshot(db.get_engine_for(scoring))
    response = lead.post("/calibration", data=form)
    text = text_of(response)
    assert response.status_code == 422
    assert '<h2 id="new-session">New session</h2>' in text  # the form page, not an error page
    assert "Unknown call(s): NOPE-1." in beside(text, "call_ids-error")
    assert 'value="June <panel> calibration"' not in response.get_data(as_text=True)  # escaped
    assert 'name="name" required maxlength="200" value="June <panel> calibration"' in text
    assert ">C-1\nNOPE-1\nC-2</textarea>" in text
    assert f'<option value="{form["rubric_pk"]}" selected>' in text
    for user_id in form["reviewer_ids"]:
        assert f'name="reviewer_ids" value="{user_id}" checked>' in text
    assert ">Customer A\nCustomer B</textarea>" in text
    assert 'name="deadline" value="2026-12-01T10:00"' in text
    # The same one-time token: sending the corrected form still creates exactly one session.
    assert f'name="form_token" value="{form["form_token"]}"' in text
    assert snapshot(db.get_engine_for(scoring)) == before


def test_a_bad_draw_and_a_bad_deadline_are_said_beside_their_fields(scoring, lead):
    page = lead.get("/calibration").get_data(as_text=True)
    response = lead.post(
        "/calibration",
        data={
            "csrf_token": csrf_token(page),
            "name": "Draw",
            "rubric_pk": str(ids_of(scoring)["empathy@1"]),
            "sample": "500",
            "channel": "voice",
            "deadline": "next tuesday",
            "panelists": "A",
        },
    )
    text = text_of(response)
    assert response.status_code == 422
    assert "Draw between 1 and 200 calls" in beside(text, "sample-error")
    assert "is not a date and time" in beside(text, "deadline-error")
    assert 'name="sample" min="1" max="200" value="500"' in text
    assert "<details open>" in text and '<option value="voice" selected>' in text


def running_session(app, finished: bool = False) -> int:
    """An open session on C-1 with the reviewer (who has scored) and a panelist (who has not)."""
    engine = db.get_engine_for(app)
    with db.transaction(engine) as session:
        lead = find_user(session, "lead@test.example")
        reviewer = find_user(session, "reviewer@test.example")
        row = session.exec(
            select(RubricVersion).where(
                RubricVersion.rubric_id == "empathy", RubricVersion.version == 1
            )
        ).one()
        rubric = rubric_from_row(row)
        created, _ = store.create_session(
            session, lead, "Running", row, ["C-1"], [reviewer.id, lead.id], ["Pat"], None
        )
        store.change_state(session, created, "open", lead)
        for number, person in enumerate(participant_store.participants(session, created.id)):
            if person.kind == "panelist" and not finished:
                continue
            answers = {
                d.id: DimensionAnswer(score=2 + (number + i) % 3)
                for i, d in enumerate(rubric.dimensions)
            }
            call = store.session_calls(session, created.id)[0]
            participant_store.submit_call(session, created, person, call, answers, rubric)
        return created.id


def test_revealing_without_the_confirmation_explains_on_the_session_page(scoring, lead):
    session_id = running_session(scoring)
    page = lead.get(f"/calibration/{session_id}").get_data(as_text=True)
    response = lead.post(
        f"/calibration/{session_id}/state",
        data={"csrf_token": csrf_token(page), "target": "revealed"},
    )
    text = text_of(response)
    assert response.status_code == 409
    assert '<h2 id="actions-title">Next step</h2>' in text and "progress-grid" in text
    assert "Not everyone has finished: Pat (0 of 1)" in beside(text, "state-error")
    assert 'name="confirm" value="1"  aria-invalid="true"' in text
    with Session(db.get_engine_for(scoring)) as session:
        assert session.get(CalibrationSession, session_id).state == "open"


def test_consensus_with_one_dimension_keeps_the_choices_beside_the_call(scoring, lead):
    session_id = running_session(scoring, finished=True)
    page = lead.get(f"/calibration/{session_id}").get_data(as_text=True)
    token = csrf_token(page)
    lead.post(f"/calibration/{session_id}/state", data={"csrf_token": token, "target": "revealed"})
    response = lead.post(
        f"/calibration/{session_id}/calls/C-1/consensus",
        data={"csrf_token": token, "acknowledgment": "4", "note": "Agreed: 4 <for> ack"},
    )
    text = text_of(response)
    assert response.status_code == 422
    section = text.split('id="call-C-1"', 1)[1]
    assert "missing: Summary of the concern" in beside(section, "call-C-1-error")
    ack = section.split('name="acknowledgment"', 1)[1].split("</select>", 1)[0]
    assert '<option value="4" selected>' in ack
    assert 'name="note" maxlength="2000" value="Agreed: 4 <for> ack"' in section
    # The form posts back to the call's own section, so the page lands beside the message.
    assert f"/calibration/{session_id}/calls/C-1/consensus#call-C-1" in section


def test_recorded_consensus_is_confirmed_inside_the_calls_section(scoring, lead):
    session_id = running_session(scoring, finished=True)
    token = csrf_token(lead.get(f"/calibration/{session_id}").get_data(as_text=True))
    lead.post(f"/calibration/{session_id}/state", data={"csrf_token": token, "target": "revealed"})
    scores = {"acknowledgment": "4", "summary": "3", "next_steps": "3", "loop_closure": "na"}
    response = lead.post(
        f"/calibration/{session_id}/calls/C-1/consensus", data={"csrf_token": token} | scores
    )
    assert response.status_code == 303 and response.location.endswith("dashboard#call-C-1")
    text = text_of(lead.get(response.location))
    top, section = text.split('id="call-C-1"', 1)
    assert "Consensus for C-1 recorded" in section and "Consensus for C-1 recorded" not in top


def test_admin_forms_keep_what_was_typed(scoring, auth, client):
    auth.login("admin@test.example")
    token = csrf_token(client.get("/admin/users").get_data(as_text=True))
    short = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "name": "New Person",
            "email": "new@test.example",
            "role": "coach",
            "password": "short",
        },
    )
    text = text_of(short)
    assert short.status_code == 422 and "<h1>Users</h1>" in text
    assert "password must be at least 10 characters" in beside(text, "add-password-error")
    assert 'name="name" required value="New Person"' in text
    assert 'name="email" required value="new@test.example"' in text
    assert '<option value="coach" selected>' in text.split('id="add-user"')[1]
    assert 'value="short"' not in text  # a password is never sent back to the page
    assert "Type the password again" not in text  # ... and the message is about it already
    taken = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "name": "Dup",
            "email": "reviewer@test.example",
            "role": "reviewer",
            "password": "long-enough-pass",
        },
    )
    text = text_of(taken)
    assert "already exists" in beside(text, "add-email-error")
    assert "Type the password again" in text and 'name="name" required value="Dup"' in text
    reviewer_id = ids_of(scoring)["reviewer"]
    reset = client.post(
        f"/admin/users/{reviewer_id}/password", data={"csrf_token": token, "password": "x"}
    )
    text = text_of(reset)
    assert reset.status_code == 422 and "<h1>Users</h1>" in text
    assert "Password not changed" in beside(text, f"user-{reviewer_id}-error")
    admin_id = ids_of(scoring)["admin"]
    own = client.post(f"/admin/users/{admin_id}/active", data={"csrf_token": token, "active": "0"})
    assert own.status_code == 422
    assert "cannot deactivate your own account" in beside(text_of(own), f"user-{admin_id}-error")


def test_assign_forms_keep_the_call_reviewer_and_limit(scoring, lead):
    ids = ids_of(scoring)
    token = csrf_token(lead.get("/assign").get_data(as_text=True))
    one = lead.post(
        "/assign/one",
        data={"csrf_token": token, "call_id": "C-99", "reviewer_id": str(ids["lead"])},
    )
    text = text_of(one)
    assert one.status_code == 422 and "<h1>Assign calls</h1>" in text
    assert "There is no call 'C-99'." in beside(text, "call_id-error")
    assert 'name="call_id" required value="C-99"' in text
    one_form = text.split('id="one"')[1]
    assert f'<option value="{ids["lead"]}" selected>' in one_form
    bulk = lead.post(
        "/assign/bulk",
        data={
            "csrf_token": token,
            "interaction_type": "escalation",
            "reviewer_id": str(ids["lead"]),
            "limit": "999999",
        },
    )
    text = text_of(bulk)
    assert bulk.status_code == 422
    assert "Assign between 1 and 5000" in beside(text, "limit-error")
    assert 'value="999999"' in text and '<option value="escalation" selected>' in text
    bulk_form = text.split('id="bulk"')[1].split('id="one"')[0]
    assert f'<option value="{ids["lead"]}" selected>' in bulk_form
    assert 'name="only_unassigned" value="1" >' in bulk_form  # not ticked, as sent


def test_an_upload_refusal_keeps_the_choices(scoring, lead):
    token = csrf_token(lead.get("/imports").get_data(as_text=True))
    response = lead.post(
        "/imports",
        data={
            "csrf_token": token,
            "kind": "outcomes",
            "dry_run": "1",
            "file": (io.BytesIO(b"x"), "outcomes.txt"),
        },
        content_type="multipart/form-data",
    )
    text = text_of(response)
    assert response.status_code == 422 and "<h1>Import calls, outcomes or reviews</h1>" in text
    assert "use a .csv, .xlsx or .jsonl file" in beside(text, "file-error")
    assert 'value="outcomes" checked' in text and 'value="calls" checked' not in text
    assert 'name="dry_run" value="1" checked' in text
    assert 'name="skip_invalid" value="1" >' in text


def test_a_refused_export_keeps_the_coach_page(scoring, auth, client):
    auth.login("coach@test.example")
    token = csrf_token(client.get("/coach").get_data(as_text=True))
    plain = client.post(
        "/coach/exports",
        data={"csrf_token": token, "format": "pdf", "channel": "chat", "outcome": "saved"},
    )
    text = text_of(plain)
    assert plain.status_code == 422
    assert "<h1>Behaviour flags and save-script outcomes</h1>" in text
    assert "Export not started: Choose xlsx or csv." in text
    assert '<option value="chat" selected>' in text  # the filters the export was asked with
    fragment = client.post(
        "/coach/exports",
        data={"csrf_token": token, "format": "pdf"},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 422
    assert text_of(fragment).startswith('<p class="flash flash-error export-job"')


def test_a_coaching_filter_matching_no_calls_says_so(web_app, client):
    """Not a table of zeros: the coach is told nothing matched, and what to change."""
    from qa_app.store.demo import load_demo
    from tests.conftest import RUBRICS_DIR

    load_demo(db.get_engine_for(web_app), RUBRICS_DIR)
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post(
        "/login",
        data={"email": "coach@example.com", "password": "demo-coach-pass", "csrf_token": token},
    )
    empty = client.get("/coach?since=2001-01-01&until=2001-01-31", headers={"HX-Request": "true"})
    text = text_of(empty)
    assert empty.status_code == 200
    assert "No reviewed call matches these filters" in text and "<table" not in text
    some = text_of(client.get("/coach", headers={"HX-Request": "true"}))
    assert "No reviewed call matches" not in some and "<table" in some


def new_session_form(page: str, ids: dict) -> dict:
    return {
        "form_token": re.search(r'name="form_token" value="([^"]+)"', page).group(1),
        "name": "Expired <b>June</b> calibration",
        "rubric_pk": str(ids["empathy@2"] if "empathy@2" in ids else ids["empathy-7pt@1"]),
        "call_ids": "C-1\nC-2",
        "reviewer_ids": [str(ids["reviewer"]), str(ids["lead"])],
        "panelists": "Customer A",
    }


def test_a_stale_token_on_an_ordinary_form_shows_what_was_typed_and_sends_it_again(
    scoring, lead
):
    """The page's token no longer matches (the server restarted with a new key, say): the
    refusal says so in plain words, shows what was typed and offers it again with a fresh
    token; before, a bare "Not saved" page ended in "(The CSRF tokens do not match.)"."""
    from bs4 import BeautifulSoup

    ids = ids_of(scoring)
    before = snapshot(db.get_engine_for(scoring))
    typed = new_session_form(lead.get("/calibration").get_data(as_text=True), ids)
    refused = lead.post(
        "/calibration",
        data=typed | {"csrf_token": "a-token-from-before-the-restart"},
        headers={"Referer": "http://localhost/calibration"},
    )
    assert refused.status_code == 400
    assert snapshot(db.get_engine_for(scoring)) == before  # nothing made
    page = BeautifulSoup(refused.get_data(as_text=True), "html.parser")
    text = " ".join(page.get_text(" ").split())
    assert "Not saved: this page is out of date" in text
    assert "CSRF" not in text and "token" not in text.lower()
    shown = page.select_one("#typed dl").get_text(" ", strip=True)
    assert "Expired <b>June</b> calibration" in shown and "Customer A" in shown
    again = page.select_one("form#send-again")
    assert again["action"] == "/calibration"
    carried = [(i["name"], i["value"]) for i in again.select("input[type=hidden]")]
    fresh = dict(carried)["csrf_token"]
    assert fresh != "a-token-from-before-the-restart"
    # A post from another site is never offered to send again, even to a logged-in lead.
    foreign = lead.post(
        "/calibration",
        data=typed | {"csrf_token": "forged"},
        headers={"Referer": "https://evil.example/calibration"},
    )
    assert foreign.status_code == 400 and 'id="send-again"' not in foreign.get_data(as_text=True)
    # Sending it again makes the session, once.
    from werkzeug.datastructures import MultiDict

    made = lead.post("/calibration", data=MultiDict(carried))
    assert made.status_code == 303
    again_made = lead.post("/calibration", data=MultiDict(carried))
    assert again_made.status_code == 303
    with Session(db.get_engine_for(scoring)) as session:
        names = [s.name for s in session.exec(select(CalibrationSession))]
    assert names == ["Expired <b>June</b> calibration"]


def test_an_expired_login_on_an_ordinary_form_keeps_what_was_typed_through_login(
    scoring, client
):
    """Logged out meanwhile: the page says so, shows what was typed and leads to the login,
    after which the form is filled in again in the same tab (static/drafts.js)."""
    from bs4 import BeautifulSoup

    refused = client.post(
        "/calibration",
        data={"name": "Lost? <i>no</i>", "panelists": "P1", "password_hint": "x"},
        headers={"Referer": "http://localhost/calibration"},
    )
    assert refused.status_code == 400
    page = BeautifulSoup(refused.get_data(as_text=True), "html.parser")
    text = " ".join(page.get_text(" ").split())
    assert "Not saved: your session has expired" in text and "CSRF" not in text
    assert "the form will be filled in again with what you typed" in text
    assert page.select_one("a.login-again")["href"] == "/login?next=/calibration"
    assert "Lost? <i>no</i>" in page.select_one("#typed dl").get_text()
    assert "password" not in page.select_one("#typed").get_text()  # never shown back
    assert page.select_one("form#send-again") is None  # nothing to send as nobody
    assert page.select_one('script[src$="drafts.js"]') is not None
