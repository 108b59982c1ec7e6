"""A database that is locked or slow gets a "busy, try again" answer within seconds, and
pages that need no database keep answering."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from qa_app import create_app, db
from qa_app.config import SettingsError, load_settings
from qa_app.store.users import create_user
from qa_app.web import database
from tests.conftest import RUBRICS_DIR
from tests.views.conftest import PASSWORD, Auth, csrf_token

BUSY_PAGE = "The database is busy, so this page could not be loaded"
NOT_SAVED = "The database is busy; your change was not saved — try again in a moment."
# Generous: the configured waits are about a second; a blocked request would take the
# RELEASE_AFTER seconds the lock is held for.
UPPER_BOUND = 12
RELEASE_AFTER = 25


def make_app(url, **settings):
    app = create_app(
        {"DATABASE_URL": url, "TESTING": True, "RUBRICS_DIR": str(RUBRICS_DIR), **settings}
    )
    with db.transaction(db.get_engine_for(app)) as session:
        create_user(session, "lead@test.example", "Lead", "lead", PASSWORD)
        create_user(session, "admin@test.example", "Admin", "admin", PASSWORD)
    return app


def timed(request):
    started = time.monotonic()
    response = request()
    return response, time.monotonic() - started


@pytest.fixture
def postgres_app(postgres_empty_url):
    engine = db.make_engine(postgres_empty_url)
    db.upgrade(engine)
    engine.dispose()
    app = make_app(postgres_empty_url, DB_LOCK_TIMEOUT=1.0, DB_STATEMENT_TIMEOUT=2.0)
    yield app
    db.get_engine_for(app).dispose()


@pytest.fixture
def locked_users(postgres_empty_url):
    """Another connection holds an exclusive lock on ``users`` (as a long migration or a
    stuck transaction would), released after RELEASE_AFTER seconds or at the test's end."""
    other = create_engine(postgres_empty_url)
    connection = other.connect()
    connection.begin()
    connection.execute(text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
    release = threading.Lock()

    def unlock():
        with release:
            if not connection.closed:
                connection.rollback()
                connection.close()

    timer = threading.Timer(RELEASE_AFTER, unlock)
    timer.start()
    yield
    timer.cancel()
    unlock()
    other.dispose()


@pytest.mark.postgres
def test_a_locked_users_table_gets_the_busy_page_and_login_still_answers(
    postgres_app, postgres_empty_url, request
):
    postgres_app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production
    staff = postgres_app.test_client()
    assert Auth(staff).login("lead@test.example").status_code == 302
    token = csrf_token(staff.get("/").get_data(as_text=True))
    request.getfixturevalue("locked_users")

    home, waited = timed(lambda: staff.get("/"))
    assert waited < UPPER_BOUND
    assert home.status_code == 503 and home.headers["Retry-After"] == "5"
    assert BUSY_PAGE in home.get_data(as_text=True)

    # An htmx save gets a fragment saying it was not saved (the scoring page shows it).
    saved, waited = timed(
        lambda: staff.post("/logout", headers={"HX-Request": "true", "X-CSRFToken": token})
    )
    assert waited < UPPER_BOUND and saved.status_code == 503
    fragment = saved.get_data(as_text=True)
    assert NOT_SAVED in fragment and "<html" not in fragment

    # An error page that needs the database (who is logged in) is the busy page too.
    missing, waited = timed(lambda: staff.get("/no-such-page"))
    assert waited < UPPER_BOUND and missing.status_code == 503

    # Nobody logged in: the login form, static files and error pages need no database.
    visitor = postgres_app.test_client()
    login, waited = timed(lambda: visitor.get("/login"))
    assert waited < UPPER_BOUND and login.status_code == 200
    assert 'name="password"' in login.get_data(as_text=True)
    static = visitor.get("/static/app.css")
    static.close()
    assert static.status_code == 200
    assert visitor.get("/no-such-page").status_code == 404


@pytest.mark.postgres
def test_web_requests_get_a_statement_timeout_and_commands_do_not(postgres_app):
    with postgres_app.test_request_context("/"):
        session = database.get_session()
        assert session.exec(text("SHOW statement_timeout")).one()[0] == "2s"
        assert session.exec(text("SHOW lock_timeout")).one()[0] == "1s"
        session.commit()
        with pytest.raises(Exception) as raised:  # noqa: PT011 - checked just below
            session.exec(text("SELECT pg_sleep(30)"))
        assert db.is_busy(raised.value)
        session.rollback()
    # Commands and background exports may run long statements; they keep the lock timeout.
    with db.transaction(db.get_engine_for(postgres_app)) as session:
        assert session.exec(text("SHOW statement_timeout")).one()[0] == "0"
        assert session.exec(text("SHOW lock_timeout")).one()[0] == "1s"


def test_a_sqlite_write_that_waits_too_long_is_not_saved_and_says_so(sqlite_url):
    app = make_app(sqlite_url, DB_BUSY_TIMEOUT=0.5)
    try:
        staff = app.test_client()
        assert Auth(staff).login("admin@test.example").status_code == 302
        token = csrf_token(staff.get("/").get_data(as_text=True))
        new_user = {
            "csrf_token": token,
            "email": "new@test.example",
            "name": "New",
            "role": "coach",
            "password": "a-long-enough-password",
        }
        holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
        holder.execute("BEGIN IMMEDIATE")  # another process is writing
        timer = threading.Timer(RELEASE_AFTER, holder.rollback)
        timer.start()
        try:
            saved, waited = timed(lambda: staff.post("/admin/users", data=new_user))
            assert waited < UPPER_BOUND
            assert saved.status_code == 503 and saved.headers["Retry-After"] == "5"
            assert NOT_SAVED in saved.get_data(as_text=True)
            # Reading goes on while another connection writes (WAL).
            assert "new@test.example" not in staff.get("/admin/users").get_data(as_text=True)
        finally:
            timer.cancel()
            holder.rollback()
            holder.close()
        # Once the other write is done, sending it again works.
        assert staff.post("/admin/users", data=new_user).status_code in (200, 302, 303)
        assert "new@test.example" in staff.get("/admin/users").get_data(as_text=True)
    finally:
        db.get_engine_for(app).dispose()


def test_timeouts_are_configurable_and_nonsense_is_refused(tmp_path, monkeypatch):
    settings = load_settings(tmp_path)
    assert (
        settings["DB_STATEMENT_TIMEOUT"],
        settings["DB_LOCK_TIMEOUT"],
        settings["DB_BUSY_TIMEOUT"],
        settings["DB_POOL_TIMEOUT"],
    ) == (15.0, 5.0, 15.0, 10.0)
    monkeypatch.setenv("QA_APP_DB_LOCK_TIMEOUT", "2.5")
    monkeypatch.setenv("QA_APP_DB_STATEMENT_TIMEOUT", "0")
    settings = load_settings(tmp_path)
    assert settings["DB_LOCK_TIMEOUT"] == 2.5 and settings["DB_STATEMENT_TIMEOUT"] == 0
    for nonsense in ("five", "-1", "nan", "1e9"):
        monkeypatch.setenv("QA_APP_DB_POOL_TIMEOUT", nonsense)
        with pytest.raises(SettingsError, match="QA_APP_DB_POOL_TIMEOUT"):
            load_settings(tmp_path)
