"""Logging in and out, the home page per role, CSRF and the security headers."""

from __future__ import annotations

import pytest

from qa_app import create_app, db
from tests.views.conftest import PASSWORD


@pytest.mark.parametrize(
    ("role", "text"),
    [
        ("reviewer", "Your reviews"),
        ("lead", "Review work"),
        ("coach", "Behaviour flags and outcomes"),
        ("admin", "Rubric versions"),
    ],
)
def test_each_role_lands_on_its_home_page(users, auth, role, text):
    response = auth.login(f"{role}@test.example", follow=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert text in page and f"{role.title()} · {role}" in page


def test_wrong_password_unknown_email_and_deactivated_user_cannot_log_in(users, auth, client):
    for email, password in [
        ("reviewer@test.example", "wrong-password-123"),
        ("nobody@test.example", PASSWORD),
        ("gone@test.example", PASSWORD),
    ]:
        response = auth.login(email, password)
        assert response.status_code == 200
        assert "Email or password is not right" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_logged_out_pages_redirect_to_login_and_htmx_gets_401(client, users):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert "<html" not in response.get_data(as_text=True)


def test_login_follows_only_local_next(users, auth, client):
    token_page = client.get("/login?next=https://evil.example/").get_data(as_text=True)
    assert "evil" in token_page  # kept in the form action, but never followed
    from tests.views.conftest import csrf_token

    response = client.post(
        "/login?next=https://evil.example/",
        data={
            "email": "lead@test.example",
            "password": PASSWORD,
            "csrf_token": csrf_token(token_page),
        },
    )
    assert response.headers["Location"] == "/"


def test_logout_needs_a_post_with_csrf_token(users, auth, client):
    auth.login("coach@test.example")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert client.get("/").status_code == 200
    auth.logout()
    assert client.get("/").status_code == 302


def test_login_without_csrf_token_is_refused(users, client):
    response = client.post("/login", data={"email": "lead@test.example", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_security_headers_and_cookie_flags(users, auth, client):
    response = auth.login("lead@test.example")
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    headers = client.get("/login").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_user_text_is_escaped(web_app, auth, client):
    from qa_app.store.users import create_user

    with db.transaction(db.get_engine_for(web_app)) as session:
        create_user(session, "x@test.example", "<script>alert(1)</script>", "reviewer", PASSWORD)
    page = auth.login("x@test.example", follow=True).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_htmx_is_served_from_static_not_a_cdn(users, auth, client):
    page = auth.login("reviewer@test.example", follow=True).get_data(as_text=True)
    assert "/static/vendor/htmx-2.0.11.min.js" in page and "https://" not in page
    with client.get("/static/vendor/htmx-2.0.11.min.js") as response:
        assert response.status_code == 200 and b"htmx" in response.data


def test_secret_key_is_generated_once_and_kept(sqlite_url, monkeypatch, tmp_path):
    monkeypatch.delenv("QA_APP_SECRET_KEY")
    first = create_app({"DATABASE_URL": sqlite_url})
    second = create_app({"DATABASE_URL": sqlite_url})
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.read_text() == first.config["SECRET_KEY"]
    assert oct(key_file.stat().st_mode)[-3:] == "600"
    for app in (first, second):
        db.get_engine_for(app).dispose()
