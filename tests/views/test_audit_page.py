"""The admins' Audit page: filters, pages, the CSV download, and nobody else may see it."""

from __future__ import annotations

import csv
import io

import pytest

from qa_app import db
from qa_app.store import audit


@pytest.fixture
def events(web_app):
    engine = db.get_engine_for(web_app)
    with db.transaction(engine) as session:
        for n in range(150):
            audit.record(session, None, "call.assigned", "call", n, after={"n": n})
        audit.record(session, None, "user.deactivated", "user", 7, reason="left the team")


def test_the_audit_page_is_for_admins_only(client, auth, users, events):
    assert client.get("/admin/audit").status_code == 302  # logged out: to the login page
    for role in ("lead", "reviewer", "coach"):
        auth.login(f"{role}@test.example")
        assert client.get("/admin/audit").status_code == 403
        assert client.get("/admin/audit.csv").status_code == 403
        auth.logout()


def test_the_audit_page_filters_pages_and_downloads(client, auth, users, events):
    auth.login("admin@test.example")
    everything = client.get("/admin/audit").get_data(as_text=True)
    assert "152 event(s), showing 100." in everything  # and the admin's own login
    assert "login.succeeded" in everything
    page = client.get("/admin/audit?user=system").get_data(as_text=True)
    assert "151 event(s), showing 100." in page and "left the team" in page
    older = client.get("/admin/audit?user=system&page=2").get_data(as_text=True)
    assert "Older" not in older and "Newer" in older and "call:0<" in older
    filtered = client.get("/admin/audit?object=user:7", headers={"HX-Request": "true"})
    body = filtered.get_data(as_text=True)
    assert body.startswith('<div id="audit-table">') and "1 event(s)." in body
    bad = client.get("/admin/audit?since=last+week")
    assert bad.status_code == 422 and "not an ISO 8601" in bad.get_data(as_text=True)
    assert 'value="last week"' in bad.get_data(as_text=True)  # what was typed stays
    far = client.get("/admin/audit?until=9999-12-31")
    assert far.status_code == 422 and "outside the years 1900 to 2199" in far.get_data(as_text=True)
    # A streamed response holds its database session until closed, as a server closes it.
    with client.get("/admin/audit.csv?action=call.") as download:
        rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert len(rows) == 150 and rows[0]["object_id"] == "0"
    assert download.headers["Cache-Control"] == "no-store"
