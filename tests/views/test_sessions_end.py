"""Sessions end when they should, everywhere; the login throttle keeps every failure."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlmodel import Session, select

from qa_app import db
from qa_app.models import AuditEvent, LoginAttempt, User
from tests.views.conftest import PASSWORD, Auth, csrf_token


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def user_id(app, email) -> int:
    with Session(db.get_engine_for(app)) as session:
        return session.exec(select(User).where(User.email == email)).one().id


def test_a_cookie_copied_before_logout_no_longer_opens_pages(users, auth, client):
    auth.login("reviewer@test.example")
    copied = session_cookie(client)
    assert client.get("/queue").status_code == 200
    auth.logout()
    client.set_cookie("session", copied)
    assert client.get("/queue").status_code == 302  # back to the login page


def test_logout_ends_every_session_of_that_account(web_app, users, auth, client):
    other_browser = web_app.test_client()
    Auth(other_browser).login("reviewer@test.example")
    auth.login("reviewer@test.example")
    auth.logout()
    assert other_browser.get("/queue").status_code == 302
    # Other accounts' sessions go on.
    lead = web_app.test_client()
    Auth(lead).login("lead@test.example")
    assert lead.get("/queue").status_code == 200


class Clock:
    """time.time() as web/auth reads it, moved forward by the test."""

    def __init__(self, monkeypatch):
        self.now = time.time()
        monkeypatch.setattr("qa_app.web.auth.time.time", lambda: self.now)

    def forward(self, **elapsed):
        self.now += timedelta(**elapsed).total_seconds()


def test_a_session_ends_after_12_idle_hours_and_each_request_renews_it(
    users, auth, client, monkeypatch
):
    clock = Clock(monkeypatch)
    auth.login("reviewer@test.example")
    for _ in range(3):  # a working day: a request every 11 hours keeps it going
        clock.forward(hours=11)
        assert client.get("/queue").status_code == 200
    clock.forward(hours=12, minutes=1)
    assert client.get("/queue").status_code == 302  # idle too long: back to the login page
    assert client.get("/queue").status_code == 302  # and it stays ended


def test_a_session_ends_7_days_after_login_however_busy(users, auth, client, monkeypatch):
    clock = Clock(monkeypatch)
    auth.login("reviewer@test.example")
    for _ in range(16):  # a request every 10 hours: 160 hours, under the 168 of 7 days
        clock.forward(hours=10)
        assert client.get("/queue").status_code == 200
    clock.forward(hours=9)  # 169 hours after logging in, 9 after the last request
    assert client.get("/queue").status_code == 302


def test_the_limits_are_settings(web_app, users, auth, client, monkeypatch):
    clock = Clock(monkeypatch)
    web_app.config["SESSION_IDLE_MINUTES"] = 30
    auth.login("reviewer@test.example")
    clock.forward(minutes=31)
    assert client.get("/queue").status_code == 302


def test_the_logout_button_says_it_logs_out_everywhere(users, auth, client):
    auth.login("reviewer@test.example")
    assert "Log out everywhere" in client.get("/").get_data(as_text=True)


def admin_posts(web_app, path, data):
    admin = web_app.test_client()
    Auth(admin).login("admin@test.example")
    token = csrf_token(admin.get("/admin/users").get_data(as_text=True))
    return admin.post(path, data={"csrf_token": token, **data})


def test_password_reset_role_change_and_deactivation_end_sessions(web_app, users, auth, client):
    reviewer = user_id(web_app, "reviewer@test.example")
    for path, data in (
        (f"/admin/users/{reviewer}/password", {"password": "a-new-password-1"}),
        (f"/admin/users/{reviewer}/role", {"role": "coach"}),
        (f"/admin/users/{reviewer}/active", {"active": "0", "confirm": "yes"}),
    ):
        password = "a-new-password-1" if "password" not in path else PASSWORD
        auth.login("reviewer@test.example", password)
        assert client.get("/").status_code == 200 and "Log out" in client.get("/").get_data(
            as_text=True
        )
        copied = session_cookie(client)
        assert admin_posts(web_app, path, data).status_code in (302, 303)
        client.set_cookie("session", copied)
        assert "Log out" not in client.get("/").get_data(as_text=True), path


def test_a_password_reset_lifts_the_lockout_and_failures_are_kept(web_app, users, auth):
    for _ in range(5):
        auth.login("coach@test.example", "wrong-password-1")
    assert auth.login("coach@test.example").status_code == 429
    coach = user_id(web_app, "coach@test.example")
    admin_posts(web_app, f"/admin/users/{coach}/password", {"password": "reset-by-admin-1"})
    assert auth.login("coach@test.example", "reset-by-admin-1").status_code == 302
    with Session(db.get_engine_for(web_app)) as session:
        attempts = session.exec(
            select(LoginAttempt).where(LoginAttempt.email == "coach@test.example")
        ).all()
        events = session.exec(
            select(AuditEvent.action, AuditEvent.reason).where(
                AuditEvent.action.startswith("login.")
            )
        ).all()
    # A success deletes nothing: five failures, one throttled attempt, one success.
    assert [a.succeeded for a in attempts] == [False] * 6 + [True]
    failed = [reason for action, reason in events if action == "login.failed"]
    assert failed.count("throttled") == 1 and len(failed) == 6
    assert sum(action == "login.succeeded" for action, _ in events) == 2  # admin and coach


def test_after_a_success_earlier_failures_stop_counting(users, auth):
    for _ in range(4):
        auth.login("coach@test.example", "wrong-password-1")
    assert auth.login("coach@test.example").status_code == 302
    auth.logout()
    for _ in range(4):
        auth.login("coach@test.example", "wrong-password-1")
    assert auth.login("coach@test.example").status_code == 302
