"""Web fixtures: users of every role and a logged-in test client."""

from __future__ import annotations

import re

import pytest

from qa_app import db
from qa_app.accounts import create_user

PASSWORD = "correct-horse-battery"
CSRF_INPUT = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_token(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


@pytest.fixture
def users(web_app):
    """One active user per role, plus a deactivated reviewer."""
    with db.transaction(db.get_engine_for(web_app)) as session:
        made = {
            role: create_user(session, f"{role}@test.example", role.title(), role, PASSWORD)
            for role in ("admin", "lead", "reviewer", "coach")
        }
        gone = create_user(session, "gone@test.example", "Gone", "reviewer", PASSWORD)
        gone.active = False
    return made


@pytest.fixture
def client(web_app):
    return web_app.test_client()


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = PASSWORD, follow: bool = False):
        token = csrf_token(self.client.get("/login").get_data(as_text=True))
        return self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": token},
            follow_redirects=follow,
        )

    def logout(self):
        token = csrf_token(self.client.get("/").get_data(as_text=True))
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    return Auth(client)
