"""The admin's API tokens page: a token shown once, a form sent twice makes one, a refused
form keeps what was typed, and a revoked token is refused by the API at once."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from qa_app import db
from qa_app.models import ApiToken, AuditEvent
from tests.views.conftest import csrf_token


def test_an_admin_makes_a_token_sees_it_once_and_revokes_it(users, web_app, auth, client):
    auth.login("admin@test.example")
    page = client.get("/admin/tokens").get_data(as_text=True)
    assert "No API tokens yet." in page
    form = {"csrf_token": csrf_token(page), "user": "lead@test.example", "name": "warehouse",
            "scopes": ["calls:read", "reviews:read"], "expires": "30d",
            "form_token": re.search(r'name="form_token" value="([^"]+)"', page).group(1)}
    made = client.post("/admin/tokens", data=form, follow_redirects=True).get_data(True)
    token = re.search(r'<code data-link="token">(qa_[^<]+)</code>', made).group(1)
    assert "it is shown only once" in made
    again = client.post("/admin/tokens", data=form, follow_redirects=True).get_data(True)
    assert "already sent" in again and token not in again  # posted twice: one token
    assert token not in client.get("/admin/tokens").get_data(True)  # never shown again
    engine = db.get_engine_for(web_app)
    with Session(engine) as session:
        row = session.exec(select(ApiToken)).one()
        assert row.scopes == ["calls:read", "reviews:read"]
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "token.created")).one()
        assert event.actor_label == "admin@test.example"

    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/reviews", headers=headers).status_code == 200
    page = client.get("/admin/tokens").get_data(as_text=True)
    revoked = client.post(f"/admin/tokens/{row.id}/revoke",
                          data={"csrf_token": csrf_token(page)}, follow_redirects=True)  # fmt: skip
    assert "is revoked" in revoked.get_data(True)
    assert client.get("/api/v1/reviews", headers=headers).status_code == 401


def test_a_refused_token_keeps_what_was_typed_and_makes_nothing(users, web_app, auth, client):
    auth.login("admin@test.example")
    page = client.get("/admin/tokens").get_data(as_text=True)
    form = {"csrf_token": csrf_token(page), "user": "coach@test.example", "name": "bi tool",
            "scopes": ["calls:write"], "expires": "365d"}
    refused = client.post("/admin/tokens", data=form)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "a coach cannot hold calls:write" in text
    assert 'value="bi tool"' in text and 'value="calls:write" checked' in text
    assert '<option value="365d" selected>' in text
    with Session(db.get_engine_for(web_app)) as session:
        assert session.exec(select(ApiToken)).all() == []
    auth.logout()
    auth.login("lead@test.example")
    assert client.get("/admin/tokens").status_code == 403
