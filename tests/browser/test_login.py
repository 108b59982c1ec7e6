"""The demo reviewer logs in from a real browser and sees their home page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_demo_reviewer_logs_in_and_sees_home(live_demo, page):
    page.goto(f"{live_demo}/")
    assert page.url.startswith(f"{live_demo}/login")
    page.get_by_label("Email").fill("reviewer@example.com")
    page.get_by_label("Password").fill("demo-reviewer-pass")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_demo}/")
    assert page.get_by_role("heading", name="Welcome, Rita Reviewer").is_visible()
    assert page.get_by_test_id("submitted-count").inner_text() != "0"
    # htmx loaded from static/ and initialised under the CSP (no inline script needed).
    assert page.evaluate("typeof htmx !== 'undefined' && htmx.version.startsWith('2.')")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_demo}/login")
    assert page.get_by_text("You are logged out.").is_visible()


def test_wrong_password_shows_a_message(live_demo, page):
    page.goto(f"{live_demo}/login")
    page.get_by_label("Email").fill("reviewer@example.com")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_text("Email or password is not right").is_visible()
