"""A reviewer scores a whole call with the keyboard alone, reloads, submits and sees the flags."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def log_in(page, base, email="reviewer@example.com", password="demo-reviewer-pass"):
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")


def checked(page, dimension):
    return page.locator(f"#dim-{dimension} input[type=radio]:checked").get_attribute("value")


def test_keyboard_only_scoring_reload_submit_and_next(live_demo, page):
    log_in(page, live_demo)
    page.goto(f"{live_demo}/queue")
    page.keyboard.press("n")  # open the next call
    page.wait_for_url(re.compile(r".*/calls/DEMO-\d+/review$"))
    call_url = page.url
    status = page.locator("#save-status")

    # Fast typing: every change is queued and saved in order, no false conflicts.
    for key in ["4", "ArrowDown", "3", "ArrowDown", "2", "ArrowDown", "n"]:
        page.keyboard.press(key)
    expect(status).to_contain_text("Saved Emotional loop closure")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("t")  # type a note for next steps
    page.keyboard.type("Promised a callback, no timeframe")
    page.keyboard.press("Escape")
    expect(status).to_contain_text("Saved Next steps")

    page.reload()
    assert [
        checked(page, d) for d in ("acknowledgment", "summary", "next_steps", "loop_closure")
    ] == ["4", "3", "2", "na"]
    expect(page.locator("#dim-next_steps textarea")).to_have_value(
        "Promised a callback, no timeframe"
    )

    page.keyboard.press("Control+Enter")  # submit
    page.wait_for_url(re.compile(r".*/reviews/\d+\?submitted=1$"))
    expect(page.locator('[data-flag="acknowledged"]')).to_contain_text("yes")
    expect(page.locator('[data-flag="confirmed_next_steps"]')).to_contain_text("no")
    expect(page.locator('[data-flag="closed_emotional_loop"]')).to_contain_text("unknown")

    page.keyboard.press("]")  # next call
    page.wait_for_url(re.compile(r".*/calls/DEMO-\d+/review$"))
    assert page.url != call_url


def test_incomplete_submit_says_what_is_missing(live_demo, page):
    log_in(page, live_demo)
    page.goto(f"{live_demo}/queue?status=to+do")
    page.locator("#queue-table a").first.click()
    page.wait_for_url(re.compile(r".*/calls/DEMO-\d+/review$"))
    page.wait_for_load_state()
    page.keyboard.press("5")
    expect(page.locator("#save-status")).to_contain_text("Saved Acknowledgment")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#submit-status")).to_contain_text(
        "still to score Summary of the concern, Next steps, Emotional loop closure"
    )


def test_a_stale_tab_is_told_and_does_not_overwrite(live_demo, browser):
    context = browser.new_context()
    first, second = context.new_page(), context.new_page()
    log_in(first, live_demo)
    first.goto(f"{live_demo}/queue?status=to+do")
    first.locator("#queue-table a").first.click()
    first.wait_for_url(re.compile(r".*/calls/DEMO-\d+/review$"))
    first.wait_for_load_state()
    second.goto(first.url)
    first.keyboard.press("4")
    expect(first.locator("#save-status")).to_contain_text("Saved")
    second.keyboard.press("2")
    expect(second.locator("#save-status")).to_contain_text("changed elsewhere")
    first.reload()
    assert checked(first, "acknowledgment") == "4"
    context.close()
