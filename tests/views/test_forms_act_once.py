"""Forms that make something act once per showing: the same form sent again (Back then
Send, a reload, a double-click, two servers at once) makes one object and shows what the
first sending made; a refused form, corrected, is acted on with the same token. SQLite and
PostgreSQL."""

from __future__ import annotations

import re
import threading

from sqlmodel import Session, func, select

from qa_app import db
from qa_app.models import Experiment, FormSubmission, ImportJob, User
from tests.store.test_experiment_cli import plan_text
from tests.views.conftest import csrf_token
from tests.views.imports import post_upload, wait_for_job

FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def _count(app, table, *where) -> int:
    with Session(db.get_engine_for(app)) as session:
        return session.exec(select(func.count()).select_from(table).where(*where)).one()


def _tokens(page: str) -> list[str]:
    return FORM_TOKEN.findall(page)


def _new_user(page: str, **changes) -> dict:
    return {
        "csrf_token": csrf_token(page),
        "form_token": _tokens(page)[0],
        "email": "new@test.example",
        "name": "New Reviewer",
        "role": "reviewer",
        "password": "a-long-enough-password",
    } | changes


def test_adding_a_user_twice_with_one_form_adds_one_and_shows_it(web_app, users, auth, client):
    auth.login("admin@test.example")
    page = client.get("/admin/users").get_data(as_text=True)
    form = _new_user(page)
    first = client.post("/admin/users", data=form)
    assert first.status_code in (302, 303)
    again = client.post("/admin/users", data=form)  # Back then Send, or a reload
    assert again.status_code == 303 and again.location == first.location
    shown = client.get(again.location).get_data(as_text=True)
    assert "This form was already sent, so nothing new was made" in shown
    assert "already exists" not in shown
    assert _count(web_app, User, User.email == "new@test.example") == 1
    # A new showing of the form is a new sending: refused as a duplicate, in its own words.
    page = client.get("/admin/users").get_data(as_text=True)
    refused = client.post("/admin/users", data=_new_user(page))
    assert refused.status_code == 422 and "already exists" in refused.get_data(as_text=True)


def test_a_refused_form_keeps_its_token_and_acts_when_corrected(web_app, users, auth, client):
    auth.login("admin@test.example")
    page = client.get("/admin/users").get_data(as_text=True)
    form = _new_user(page, email="not an email")
    refused = client.post("/admin/users", data=form)
    assert refused.status_code == 422
    assert _tokens(refused.get_data(as_text=True))[0] == form["form_token"]
    corrected = client.post("/admin/users", data=form | {"email": "new@test.example"})
    assert corrected.status_code in (302, 303)
    assert _count(web_app, User, User.email == "new@test.example") == 1


def test_a_plan_posted_twice_stores_one_draft(web_app, users, auth, client):
    auth.login("lead@test.example")
    page = client.get("/experiments").get_data(as_text=True)
    form = {"csrf_token": csrf_token(page), "form_token": _tokens(page)[0],
            "content": plan_text()}  # fmt: skip
    first = client.post("/experiments", data=form)
    again = client.post("/experiments", data=form)
    assert first.status_code == again.status_code == 303
    assert again.location == first.location and first.location.endswith("/experiments/pilot")
    assert _count(web_app, FormSubmission) == 1


def test_one_upload_sent_twice_starts_one_import(scoring, auth, client):
    auth.login("lead@test.example")
    page = client.get("/imports").get_data(as_text=True)
    token, form_token = csrf_token(page), _tokens(page)[0]
    content = b"call_id,saved\nC-1,1\n"
    first = post_upload(client, token, "outcomes", content, "o.csv", form_token=form_token)
    again = post_upload(client, token, "outcomes", content, "o.csv", form_token=form_token)
    assert first.status_code == again.status_code == 303
    assert again.location == first.location
    assert "1 created" in wait_for_job(client, first.location).get_data(as_text=True)
    assert _count(scoring, ImportJob) == 1


def test_a_double_click_at_the_same_moment_adds_one_user(web_app, users, auth, client):
    """Two sendings racing (two server threads): the database's unique token decides, and
    the second waits for the first's page instead of adding a second user."""
    auth.login("admin@test.example")
    page = client.get("/admin/users").get_data(as_text=True)
    form = _new_user(page)
    cookie = client.get_cookie("session")
    answers = []

    def send():
        other = web_app.test_client()
        other.set_cookie(cookie.key, cookie.value)
        answers.append(other.post("/admin/users", data=form))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) in ([302, 303], [303, 303], [302, 302])
    assert len({a.location for a in answers}) == 1
    assert _count(web_app, User, User.email == "new@test.example") == 1
    assert _count(web_app, Experiment) == 0
