"""Error pages are the app's own: plain words per status, and a way back that suits the reader.

A logged-in user goes home, a logged-out visitor gets the login link, and a customer panelist
(invite-link pages, no account) is told to use their link: never sent to the staff login.
"""

from __future__ import annotations

import io
import logging
from html import unescape

import pytest
from flask import abort
from werkzeug.exceptions import default_exceptions

STATUSES = (400, 403, 404, 405, 409, 413, 422, 429, 500)


@pytest.fixture
def app_with_errors(web_app, users):
    """The app with routes that fail on purpose, and crashes answered rather than raised."""

    def fail(code: int):
        if code == 500:
            raise RuntimeError("the disk is on fire")
        abort(code)

    web_app.add_url_rule("/test-error/<int:code>", "test_error", fail)
    web_app.add_url_rule("/panel/test-error/<int:code>", "test_panel_error", fail)
    web_app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash gets the 500 page, as in production
    return web_app


def werkzeug_boilerplate(code: int) -> list[str]:
    exception = default_exceptions[code]
    return [exception.description, f"{code} {exception.name}"]


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("code", STATUSES)
def test_every_status_has_plain_words_and_no_werkzeug_text(app_with_errors, client, code):
    response = client.get(f"/test-error/{code}")
    text = text_of(response)
    assert response.status_code == code
    for boilerplate in werkzeug_boilerplate(code):
        assert boilerplate not in text
    assert "Not Found" not in text and "Internal Server Error" not in text
    assert 'class="explanation"' in text and "<h1" in text
    # Each status says something of its own, not one generic sentence for all.
    title = text.split('<h1 id="error-title">')[1].split("</h1>")[0]
    assert title and title not in {"Error", f"Error {code}"}


def test_the_titles_differ_per_status(app_with_errors, client):
    titles = {
        text_of(client.get(f"/test-error/{code}")).split('<h1 id="error-title">')[1].split("<")[0]
        for code in STATUSES
    }
    assert len(titles) == len(STATUSES)


def test_a_logged_out_visitor_is_offered_the_login(app_with_errors, client):
    text = text_of(client.get("/no-such-page"))
    assert "We could not find that page" in text
    assert "The requested URL was not found on the server" not in text
    assert 'href="/login"' in text and "Back to the home page" not in text


def test_a_logged_in_user_goes_home(app_with_errors, client, auth):
    auth.login("reviewer@test.example")
    response = client.get("/admin/users")
    text = text_of(response)
    assert response.status_code == 403 and "This is not open to you" in text
    assert "Back to the home page" in text and 'href="/"' in text
    auth.logout()
    auth.login("lead@test.example")
    missing = text_of(client.get("/calibration/999"))
    assert "There is no such calibration session." in missing  # the app's own reason stays
    assert "Back to the home page" in missing


@pytest.mark.parametrize(
    "path", ["/panel/not-a-real-token", "/panel/a/b/c/d", "/panel/test-error/500"]
)
def test_a_panelist_is_never_sent_to_the_staff_login(app_with_errors, client, path):
    response = client.get(path)
    text = text_of(response)
    assert response.status_code in (404, 500)
    assert "/login" not in text and "Log in" not in text
    assert 'href="/"' not in text  # home would redirect them to the login page too
    assert "invite link" in text and "the person who invited you" in text
    if response.status_code == 404:
        assert "This link does not work" in text


def test_a_crash_is_logged_with_the_reference_the_page_shows(app_with_errors, client, caplog):
    with caplog.at_level(logging.ERROR):
        response = client.get("/test-error/500")
    text = text_of(response)
    assert response.status_code == 500 and "Something went wrong on our side" in text
    assert "the disk is on fire" not in text  # no internals on the page
    reference = text.split('<code class="reference">')[1].split("</code>")[0]
    logged = [r.getMessage() for r in caplog.records]
    assert any(reference in m and "the disk is on fire" in m for m in logged), logged


def test_method_not_allowed_keeps_its_allow_header(app_with_errors, client):
    response = client.get("/logout")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    assert "That cannot be done from here" in text_of(response)


def test_a_too_large_upload_says_the_limit(app_with_errors, client, auth):
    # Small numbers: a body over 500 KB would be spooled to a file the refusal leaves open.
    app_with_errors.config["MAX_CONTENT_LENGTH"] = 2 * 1024
    auth.login("lead@test.example")
    upload = io.BytesIO(b"x" * 3 * 1024)
    response = client.post("/imports", data={"file": (upload, "calls.csv")})
    text = text_of(response)
    assert response.status_code == 413 and "up to 2 KB" in text


def test_htmx_requests_get_the_fragment(app_with_errors, client, auth):
    auth.login("reviewer@test.example")
    response = client.get("/admin/users", headers={"HX-Request": "true"})
    text = text_of(response)
    assert response.status_code == 403
    assert text.startswith('<div class="error-fragment"') and "<html" not in text
    assert "This is not open to you" in text
    boosted = client.get("/admin/users", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)
