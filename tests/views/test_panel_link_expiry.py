"""Panel invite links end: when the session is revealed or closed, and a grace the lead sets
after the deadline; the panelist then sees a page saying the session has ended."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from qa_app import db
from qa_app.models import AuditEvent
from qa_app.store.demo import load_demo
from tests.conftest import RUBRICS_DIR
from tests.views.conftest import csrf_token
from tests.views.test_calibration import CALLS, client_for, step

ENDED = "This calibration session has ended"


@pytest.fixture
def demo(web_app):
    load_demo(db.get_engine_for(web_app), RUBRICS_DIR)
    return web_app


@pytest.fixture
def lead(demo):
    return client_for(demo, "lead@example.com", "demo-lead-pass")


def new_session(lead, **fields):
    page = lead.get("/calibration").get_data(as_text=True)
    rubric_pk = re.search(r'<option value="(\d+)"(?: selected)?>empathy@1 ', page).group(1)
    return lead.post(
        "/calibration",
        data={
            "csrf_token": csrf_token(page),
            "name": "Expiring links",
            "rubric_pk": rubric_pk,
            "call_ids": "\n".join(CALLS),
            "panelists": "Customer A",
            "form_token": re.search(r'name="form_token" value="([^"]+)"', page).group(1),
            **fields,
        },
    )


def opened(lead, **fields):
    response = new_session(lead, **fields)
    assert response.status_code == 303, response.get_data(as_text=True)
    text = lead.get(response.location).get_data(as_text=True)
    link = re.search(r'<code data-link="[^"]+">http://localhost([^<]+)</code>', text).group(1)
    session_id = re.search(r"/calibration/(\d+)/state", text).group(1)
    token = csrf_token(text)
    assert step(lead, session_id, token, "open").status_code == 302
    return session_id, link, token


def assert_ended(response):
    text = response.get_data(as_text=True)
    assert response.status_code == 403 and ENDED in text
    assert "Thank you for taking part" in text
    assert "/login" not in text and "Log in" not in text  # a panelist has no account


def test_a_deadline_past_the_end_of_the_calendar_is_refused_not_a_crash(lead):
    response = new_session(lead, deadline="9999-12-31T23:59-01:00")
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "outside the years 1900 to 2199" in text and 'value="9999-12-31T23:59-01:00"' in text
    assert new_session(lead, deadline="soon").status_code == 422
    assert new_session(lead, deadline="2026-06-01T12:00").status_code == 303


def test_links_end_after_the_deadline_grace_and_the_lead_can_extend_it(demo, lead):
    session_id, link, token = opened(lead, deadline="2020-01-01T09:00", link_grace_hours="48")
    guest = client_for(demo)
    assert_ended(guest.get(link))
    assert_ended(guest.get(f"{link}/calls/{CALLS[0]}"))
    page = lead.get(f"/calibration/{session_id}").get_data(as_text=True)
    assert "the grace after the deadline is over" in page

    refused = lead.post(
        f"/calibration/{session_id}/link-grace",
        data={"csrf_token": token, "link_grace_hours": "1.5"},
    )
    assert refused.status_code == 422 and "not a number of hours" in refused.get_data(as_text=True)
    assert_ended(guest.get(link))

    # Blank: the links work until the session is revealed, whatever the deadline.
    extended = lead.post(
        f"/calibration/{session_id}/link-grace", data={"csrf_token": token, "link_grace_hours": ""}
    )
    assert extended.status_code == 303
    assert "work until the session is revealed" in lead.get(extended.location).get_data(
        as_text=True
    )
    assert guest.get(link).status_code == 200
    with db.transaction(db.get_engine_for(demo)) as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action == "calibration.link_grace")
        ).all()
        assert [(e.before, e.after) for e in events] == [
            ({"link_grace_hours": 48}, {"link_grace_hours": None})
        ]

    assert step(lead, session_id, token, "revealed", confirm="1").status_code == 302
    assert_ended(guest.get(link))
    assert step(lead, session_id, token, "closed").status_code == 302
    assert_ended(guest.get(link))
    # Only leads change it.
    coach = client_for(demo, "coach@example.com", "demo-coach-pass")
    assert (
        coach.post(
            f"/calibration/{session_id}/link-grace",
            data={"csrf_token": csrf_token(coach.get("/").get_data(as_text=True))},
        ).status_code
        == 403
    )


def test_a_grace_not_yet_over_keeps_the_link_working(demo, lead):
    _session_id, link, _token = opened(lead, deadline="2199-01-01T09:00", link_grace_hours="0")
    assert client_for(demo).get(link).status_code == 200
