"""Input a browser would never send: clear 4xx answers, nothing changed, never a 500."""

from __future__ import annotations

from html import unescape

import pytest
from sqlmodel import Session, select

from qa_app import db
from qa_app.models import CalibrationSession, RubricVersion, User
from tests.store.helpers import snapshot
from tests.views.conftest import csrf_token
from tests.views.test_coach import wait_for_export

HUGE = str(2**63)


@pytest.fixture
def reviewer(auth, scoring):
    auth.login("reviewer@test.example")
    return scoring


@pytest.mark.parametrize(
    "path",
    [
        f"/reviews/{HUGE}",
        f"/calibration/{HUGE}",
        f"/queue?page={HUGE}",
        "/queue?page=²",
        f"/queue/next?after={HUGE}",
        "/queue?until=9999-12-31",
        "/queue?since=0001-01-01&until=9999-12-31",
    ],
)
def test_odd_numbers_and_dates_in_urls_are_not_server_errors(reviewer, client, path):
    response = client.get(path)
    assert response.status_code in (200, 302, 403, 404), response.status_code


def test_nul_characters_are_refused_with_the_field_named(reviewer, client, htmx):
    response = client.get("/queue?team=a%00b")
    assert response.status_code == 400 and "'team' contains a NUL character" in unescape(
        response.text
    )
    token = htmx.token("/calls/C-1/review")
    before = snapshot(db.get_engine_for(reviewer))
    saved = htmx.post(
        "/calls/C-1/review/dimensions/summary",
        {"version": 0, "score": "3", "note": "bad\x00note"},
        token,
    )
    assert saved.status_code == 400 and "'note' contains a NUL character" in unescape(saved.text)
    assert snapshot(db.get_engine_for(reviewer)) == before


@pytest.mark.parametrize("version", [HUGE, "²", ""])
def test_a_garbled_review_version_is_refused(reviewer, htmx, version):
    token = htmx.token("/calls/C-1/review")
    response = htmx.post(
        "/calls/C-1/review/dimensions/summary", {"version": version, "score": "3"}, token
    )
    assert response.status_code == 400 and "Reload the page" in unescape(response.text)


def test_autosave_without_htmx_goes_back_to_the_call(reviewer, client):
    token = csrf_token(client.get("/calls/C-1/review").get_data(as_text=True))
    response = client.post(
        "/calls/C-1/review/dimensions/summary",
        data={"csrf_token": token, "version": "0", "score": "3"},
    )
    assert response.status_code == 303 and response.location.endswith("/calls/C-1/review")
    page = client.get("/calls/C-1/review").get_data(as_text=True)
    assert "Saved Summary of the concern" in page


def test_admin_forms_refuse_garbled_fields(scoring, auth, client):
    auth.login("admin@test.example")
    token = csrf_token(client.get("/admin/users").get_data(as_text=True))
    engine = db.get_engine_for(scoring)
    with Session(engine) as session:
        reviewer_id = session.exec(
            select(User.id).where(User.email == "reviewer@test.example")
        ).one()
    before = snapshot(engine)
    for value in (None, "yes"):
        data = {"csrf_token": token} | ({"active": value} if value else {})
        response = client.post(f"/admin/users/{reviewer_id}/active", data=data)
        assert response.status_code == 400 and "activate (1) or deactivate (0)" in unescape(
            response.text
        )
    long_name = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "email": "new@test.example",
            "name": "N" * 300,
            "role": "reviewer",
            "password": "a-long-enough-password",
        },
    )
    assert long_name.status_code == 422 and "longer than 200 characters" in unescape(long_name.text)
    assert client.post(f"/admin/users/{HUGE}/role", data={"csrf_token": token}).status_code == 404
    assert snapshot(engine) == before


def session_form(app, auth, client, name: str) -> dict:
    """A lead's new-session form with one call and the loaded rubric, ready to post."""
    auth.login("lead@test.example")
    token = csrf_token(client.get("/calibration").get_data(as_text=True))
    with Session(db.get_engine_for(app)) as session:
        rubric_pk = session.exec(select(RubricVersion.id)).first()
    return {"csrf_token": token, "name": name, "rubric_pk": str(rubric_pk), "call_ids": "C-1"}


def test_calibration_form_refuses_repeated_panelists_and_odd_ids(scoring, auth, client):
    engine = db.get_engine_for(scoring)
    form = session_form(scoring, auth, client, "March")
    twice = client.post("/calibration", data=form | {"panelists": "Ann\nBob\nAnn"})
    assert twice.status_code == 422 and "Ann appears more than once" in unescape(twice.text)
    odd = client.post(
        "/calibration", data=form | {"reviewer_ids": "²", "panelists": "Ann", "sample": "²"}
    )
    assert odd.status_code == 422
    huge_rubric = client.post("/calibration", data=form | {"rubric_pk": HUGE, "panelists": "A"})
    assert huge_rubric.status_code == 422 and "Choose a rubric version" in unescape(
        huge_rubric.text
    )
    with Session(engine) as session:
        assert session.exec(select(CalibrationSession)).first() is None


def test_a_plain_export_form_post_gets_a_full_page(scoring, auth, client):
    auth.login("coach@test.example")
    token = csrf_token(client.get("/coach").get_data(as_text=True))
    response = client.post("/coach/exports", data={"csrf_token": token, "format": "csv"})
    assert response.status_code == 303 and "/coach/exports/" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert "<h1>Flag spreadsheet export</h1>" in page and "</html>" in page
    wait_for_export(client, page)  # the background export ends before the database goes


def test_a_deadline_with_an_offset_is_converted_to_utc(scoring, auth, client):
    form = session_form(scoring, auth, client, "Offset")
    response = client.post(
        "/calibration",
        data=form | {"panelists": "Ann", "deadline": "2026-12-01T10:00:00+02:00"},
    )
    assert response.status_code == 303, response.status_code  # created: off to its page
    with Session(db.get_engine_for(scoring)) as session:
        deadline = session.exec(select(CalibrationSession.deadline)).one()
    assert (deadline.day, deadline.hour) == (1, 8)
