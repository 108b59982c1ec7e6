"""Web fixtures: users of every role and a logged-in test client."""

from __future__ import annotations

import re

import pytest

from qa_app import db
from qa_app.store.users import create_user

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


TRANSCRIPT = (
    "Agent: Thanks for calling, this is Ana.\n"
    "Customer: I was charged twice. <script>alert('x')</script>\n"
    "Agent: I'm sorry, that's a real worry before rent is due.\n"
    "Customer: Yes.\n"
)


def add_call(app, call_id: str, **fields):
    """Store one call with a short transcript (and a script tag in it, to prove escaping)."""
    from qa_app.domain.imports.calls import CallRecord, parse_transcript_text
    from qa_app.store.calls import upsert_calls

    # Only the fields given are written, as a file with only those columns would.
    written = ["agent", *(name for name in fields if name != "transcript")]
    record = CallRecord(
        call_id=call_id,
        agent=fields.pop("agent", "Ana B."),
        transcript=parse_transcript_text(fields.pop("transcript", TRANSCRIPT)),
        **fields,
    )
    with db.transaction(db.get_engine_for(app)) as session:
        upsert_calls(session, [record], fields=written)


def assign(app, call_id: str, email: str):
    from sqlmodel import select

    from qa_app.models import Assignment, Call, User

    with db.transaction(db.get_engine_for(app)) as session:
        call = session.exec(select(Call).where(Call.call_id == call_id)).one()
        user = session.exec(select(User).where(User.email == email)).one()
        session.add(Assignment(call_pk=call.id, reviewer_id=user.id))


@pytest.fixture
def scoring(web_app, users):
    """The empathy rubric loaded and three calls, two in the reviewer's queue."""
    from qa_app.store.rubrics import register_rubric_files, rubric_files
    from tests.conftest import RUBRICS_DIR

    with db.transaction(db.get_engine_for(web_app)) as session:
        register_rubric_files(session, rubric_files(RUBRICS_DIR))
    add_call(web_app, "C-1", interaction_type="escalation", channel="voice", queue="billing")
    add_call(web_app, "C-2", interaction_type="quick_win", channel="chat", queue="general")
    add_call(web_app, "C-3", interaction_type="escalation", channel="email", queue="billing")
    assign(web_app, "C-1", "reviewer@test.example")
    assign(web_app, "C-2", "reviewer@test.example")
    return web_app


class Htmx:
    """htmx-style POSTs from a page: the CSRF header and the HX-Request header."""

    def __init__(self, client):
        self.client = client

    def token(self, path: str = "/") -> str:
        return csrf_token(self.client.get(path).get_data(as_text=True))

    def post(self, path: str, data: dict, token: str | None = None):
        headers = {"HX-Request": "true"}
        if token is not None:
            headers["X-CSRFToken"] = token
        return self.client.post(path, data=data, headers=headers)


@pytest.fixture
def htmx(client):
    return Htmx(client)
