"""Who may use which page, lead assignment, admin account pages, login throttling, uploads."""

from __future__ import annotations

from html import unescape

import pytest
from sqlmodel import Session, select

from qa_app import db
from qa_app.models import Assignment, AuditEvent, Call, User
from tests.store.helpers import snapshot
from tests.views.conftest import PASSWORD, csrf_token
from tests.views.imports import post_upload, upload

PAGES = {
    "/queue": {"reviewer", "lead"},
    "/queue/next": {"reviewer", "lead"},
    "/assign": {"lead", "admin"},
    "/imports": {"lead", "admin"},
    "/admin/users": {"admin"},
    "/": {"reviewer", "lead", "admin", "coach"},
}


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", ["reviewer", "lead", "admin", "coach"])
def test_role_matrix(scoring, auth, client, path, role):
    auth.login(f"{role}@test.example")
    response = client.get(path)
    if role in PAGES[path]:
        assert response.status_code in (200, 302)
        if response.status_code == 302:
            assert "/login" not in response.headers["Location"]
    else:
        assert response.status_code == 403
        assert (
            client.get(path, headers={"HX-Request": "true"})
            .get_data(as_text=True)
            .startswith('<div class="error-fragment"')
        )


@pytest.mark.parametrize("path", PAGES)
def test_logged_out_users_are_sent_to_login(scoring, client, path):
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/assign/bulk", {"reviewer_id": "1"}),
        ("/assign/one", {"call_id": "C-3"}),
        (
            "/admin/users",
            {
                "email": "x@test.example",
                "name": "X",
                "role": "admin",
                "password": "long-enough-pass",
            },
        ),
        ("/admin/users/1/role", {"role": "admin"}),
        ("/admin/users/1/active", {"active": "0"}),
    ],
)
def test_state_changes_are_refused_for_the_wrong_role(scoring, auth, client, path, data):
    auth.login("reviewer@test.example")
    token = csrf_token(client.get("/").get_data(as_text=True))
    before = snapshot(db.get_engine_for(scoring))
    assert client.post(path, data=data | {"csrf_token": token}).status_code == 403
    assert snapshot(db.get_engine_for(scoring)) == before


def user_id(app, email):
    with Session(db.get_engine_for(app)) as session:
        return session.exec(select(User.id).where(User.email == email)).one()


def test_lead_assigns_in_bulk_by_filter_and_one_by_one(scoring, auth, client):
    auth.login("lead@test.example")
    page = client.get("/assign?interaction_type=escalation").get_data(as_text=True)
    assert "2 calls match; 1 of them are not in anybody" in page
    token = csrf_token(page)
    lead_id = user_id(scoring, "lead@test.example")
    response = client.post(
        "/assign/bulk",
        data={
            "csrf_token": token,
            "interaction_type": "escalation",
            "reviewer_id": lead_id,
            "limit": "10",
            "only_unassigned": "1",
        },
        follow_redirects=True,
    )
    assert "Assigned 1 call(s) to Lead." in response.get_data(as_text=True)
    response = client.post(
        "/assign/one",
        data={"csrf_token": token, "call_id": "C-2", "reviewer_id": lead_id},
        follow_redirects=True,
    )
    assert "Assigned C-2 to Lead." in response.get_data(as_text=True)
    again = client.post(
        "/assign/one",
        data={"csrf_token": token, "call_id": "C-2", "reviewer_id": lead_id},
        follow_redirects=True,
    )
    assert "already in Lead" in unescape(again.get_data(as_text=True))
    bad = client.post(
        "/assign/one", data={"csrf_token": token, "call_id": "NOPE", "reviewer_id": lead_id}
    )
    assert bad.status_code == 422 and "There is no call" in unescape(bad.get_data(as_text=True))
    with Session(db.get_engine_for(scoring)) as session:
        mine = session.exec(
            select(Call.call_id)
            .join(Assignment, Assignment.call_pk == Call.id)
            .where(Assignment.reviewer_id == lead_id)
        ).all()
    assert sorted(mine) == ["C-2", "C-3"]
    workload = client.get("/assign").get_data(as_text=True)
    assert 'data-reviewer="lead@test.example"><td>Lead</td><td>2</td><td>2</td>' in workload


def test_admin_manages_accounts_with_an_audit_trail(scoring, auth, client):
    auth.login("admin@test.example")
    token = csrf_token(client.get("/admin/users").get_data(as_text=True))
    response = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "email": "new@test.example",
            "name": "New",
            "role": "coach",
            "password": "new-password-1",
        },
    )
    assert response.status_code == 302
    duplicate = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "email": "new@test.example",
            "name": "New",
            "role": "coach",
            "password": "new-password-1",
        },
    )
    assert duplicate.status_code == 422 and "already exists" in duplicate.get_data(as_text=True)
    new_id = user_id(scoring, "new@test.example")
    client.post(f"/admin/users/{new_id}/role", data={"csrf_token": token, "role": "lead"})
    client.post(
        f"/admin/users/{new_id}/password",
        data={"csrf_token": token, "password": "another-password"},
    )
    client.post(
        f"/admin/users/{new_id}/active",
        data={"csrf_token": token, "active": "0", "confirm": "yes"},
    )
    own = client.post(
        f"/admin/users/{user_id(scoring, 'admin@test.example')}/active",
        data={"csrf_token": token, "active": "0"},
    )
    assert own.status_code == 422
    with Session(db.get_engine_for(scoring)) as session:
        user = session.get(User, new_id)
        actions = session.exec(
            select(AuditEvent.action)
            .where(AuditEvent.action.startswith("user."))
            .order_by(AuditEvent.id)
        ).all()
    assert (user.role, user.active) == ("lead", False)
    assert actions == ["user.added", "user.role_changed", "user.password_reset", "user.deactivated"]
    auth.logout()
    refused = auth.login("new@test.example", "another-password")
    assert "Email or password is not right" in refused.get_data(as_text=True)


def test_failed_logins_are_throttled_per_account(users, auth, client):
    for _ in range(5):
        auth.login("coach@test.example", "wrong-password-1")
    response = auth.login("coach@test.example", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins for this account" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert auth.login("lead@test.example").status_code == 302  # other accounts are unaffected


def test_failed_logins_are_throttled_per_address(users, auth):
    for number in range(20):
        auth.login(f"nobody{number}@test.example", "wrong-password-1")
    response = auth.login("lead@test.example")
    assert response.status_code == 429 and "from your network address" in response.get_data(
        as_text=True
    )


def test_upload_reports_rows_and_changes_nothing_when_invalid(scoring, auth, client):
    auth.login("lead@test.example")
    token = csrf_token(client.get("/imports").get_data(as_text=True))
    before = snapshot(db.get_engine_for(scoring))
    bad = b"call_id,agent,transcript\nN-1,Ana,Agent: hi\nN-2,,Agent: hi\nN-3,Ben,\n"
    response = upload(client, token, "calls", bad, "calls.csv")
    text = response.get_data(as_text=True)
    assert "2 invalid row(s); nothing was imported" in text
    assert (
        "<td>3</td><td>agent is empty</td>" in text
        and "<td>4</td><td>transcript is empty</td>" in text
    )
    assert snapshot(db.get_engine_for(scoring)) == before
    response = upload(client, token, "calls", bad, "calls.csv", skip_invalid="1")
    assert "Imported 1 row (1 call): 1 created" in response.get_data(as_text=True)
    wrong = post_upload(client, token, "calls", b"x", "calls.txt")
    assert wrong.status_code == 422 and "use a .csv, .xlsx or .jsonl file" in wrong.get_data(
        as_text=True
    )


def test_deactivating_asks_first_and_your_own_row_has_no_deactivate_button(scoring, auth, client):
    """Deactivation was one click with no confirmation, and the admin's own row offered it."""
    from bs4 import BeautifulSoup

    auth.login("admin@test.example")
    page = BeautifulSoup(client.get("/admin/users").get_data(as_text=True), "html.parser")
    admin_id = user_id(scoring, "admin@test.example")
    reviewer_id = user_id(scoring, "reviewer@test.example")
    own_row = page.select_one(f"#user-{admin_id}")
    assert own_row.select_one("button[aria-label^=Deactivate]") is None
    assert "(you)" in own_row.get_text()
    assert page.select_one(f"#user-{reviewer_id} button[aria-label^=Deactivate]") is not None
    token = csrf_token(str(page))
    asked = client.post(
        f"/admin/users/{reviewer_id}/active", data={"csrf_token": token, "active": "0"}
    )
    assert asked.status_code == 200
    confirm = BeautifulSoup(asked.get_data(as_text=True), "html.parser").select_one(
        f"#user-{reviewer_id}-confirm"
    )
    assert "Deactivate" in confirm.get_text() and "reviewer@test.example" in confirm.get_text()
    assert confirm.select_one("input[name=confirm]")["value"] == "yes"
    with Session(db.get_engine_for(scoring)) as session:
        assert session.get(User, reviewer_id).active  # not yet
    done = client.post(
        f"/admin/users/{reviewer_id}/active",
        data={"csrf_token": token, "active": "0", "confirm": "yes"},
    )
    assert done.status_code in (302, 303)
    with Session(db.get_engine_for(scoring)) as session:
        assert not session.get(User, reviewer_id).active
