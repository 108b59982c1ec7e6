"""A database that cannot be reached answers every page, save and login with the "try again"
page (503, Retry-After), as a busy one does: never a generic server error."""

from __future__ import annotations

import time

import pytest

from qa_app import create_app, db

# Nothing listens on port 9 (discard) here: every connection is refused.
DOWN = "postgresql+psycopg://nobody@127.0.0.1:9/qa?connect_timeout=2"


@pytest.fixture
def down_app():
    app = create_app({"DATABASE_URL": DOWN, "CHECK_SCHEMA": False, "WTF_CSRF_ENABLED": False})
    yield app
    db.get_engine_for(app).dispose()


def logged_in(app):
    """A browser whose (signed) session cookie says it is logged in as user 1."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["user_id"], session["generation"] = 1, 0
        session["started"] = session["seen"] = time.time()
    return client


def test_a_logged_in_page_says_try_again(down_app):
    response = logged_in(down_app).get("/queue")
    assert response.status_code == 503 and response.headers["Retry-After"]
    page = response.get_data(as_text=True)
    assert "The database is not answering, so this page could not be loaded" in page


def test_an_htmx_save_says_not_saved(down_app):
    response = logged_in(down_app).post(
        "/calls/C-1/review/dimensions/acknowledgment",
        data={"version": "0", "score": "4"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 503
    fragment = response.get_data(as_text=True)
    assert fragment.startswith('<div class="error-fragment" role="alert"><strong>Not saved.')
    assert "your change was not saved" in fragment


def test_logging_in_says_not_saved_rather_than_crashing(down_app):
    response = down_app.test_client().post(
        "/login", data={"email": "admin@example.com", "password": "whatever-it-is"}
    )
    assert response.status_code == 503
    assert "The database is not answering; your change was not saved" in response.get_data(
        as_text=True
    )
