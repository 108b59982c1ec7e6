"""A customer answering the post-call survey on a phone (390 px) in chromium: a refused answer
brings them to the first unanswered statement with their answers kept, and Back or reload after
answering never asks to send the form again (Post/Redirect/Get)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_customer_survey_link import PHONE, _links

pytestmark = pytest.mark.browser
THUMB = 44  # px: the smallest target a thumb reliably hits


def _posts(page) -> list[str]:
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    return sent


def _fits_a_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for box in page.locator("label.survey-point").evaluate_all(
        "labels => labels.map(l => l.getBoundingClientRect().height)"
    ):
        assert box >= THUMB


def test_a_refused_answer_brings_the_customer_to_the_first_unanswered_statement(
    live_demo, sqlite_url, page
):
    engine, [(token, _call, order)] = _links(sqlite_url, 1)
    page.set_viewport_size(PHONE)
    posts = _posts(page)
    page.goto(f"{live_demo}/survey/{token}")
    expect(page.get_by_role("heading", name="After your call", exact=True)).to_be_visible()
    _fits_a_phone(page)
    items = page.locator("fieldset.survey-item")
    # The first two statements answered and a comment written; the last one (below the fold
    # on a phone) forgotten.
    items.nth(0).get_by_text("Agree", exact=True).click()
    items.nth(1).get_by_text("Disagree", exact=True).click()
    page.locator("#open_text").fill("Quick, but nobody told me what happens next.")
    page.get_by_role("button", name="Send my answers").click()

    # The page opens at the statement still to answer: its text and the message beside it in
    # view, without any script.
    missing = items.nth(2)
    expect(missing).to_have_attribute("aria-invalid", "true")
    expect(missing.locator("legend")).to_be_in_viewport(ratio=1)
    expect(page.locator(f"#error-{order[2]}")).to_be_in_viewport(ratio=1)
    expect(missing.locator("label.survey-point").first).to_be_in_viewport(ratio=1)
    expect(page.locator(f"#error-{order[2]}")).to_have_text(
        "Please choose one answer for this statement."
    )
    # The summary at the top says so and links to it; the answered statements are not marked.
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Please answer the statements marked below.")
    expect(alert.get_by_role("link")).to_have_count(1)
    expect(alert.get_by_role("link")).to_have_attribute("href", f"#item-{order[2]}")
    expect(items.nth(0)).not_to_have_attribute("aria-invalid", "true")
    # Everything already given is kept.
    assert items.nth(0).locator("input[value='4']").is_checked()
    assert items.nth(1).locator("input[value='2']").is_checked()
    expect(page.locator("#open_text")).to_have_value("Quick, but nobody told me what happens next.")
    _fits_a_phone(page)

    missing.get_by_text("Strongly agree", exact=True).click()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    assert len(posts) == 2
    engine.dispose()


def test_back_and_reload_after_answering_never_send_the_answers_again(live_demo, sqlite_url, page):
    engine, [(token, _call, _order), (other, _call2, _other_order)] = _links(sqlite_url, 2)
    page.set_viewport_size(PHONE)
    posts = _posts(page)
    # A customer who first forgot a statement, then answered everything.
    page.goto(f"{live_demo}/survey/{token}")
    items = page.locator("fieldset.survey-item")
    items.nth(0).get_by_text("Agree", exact=True).click()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("alert")).to_be_visible()
    items.nth(1).get_by_text("Agree", exact=True).click()
    items.nth(2).get_by_text("Agree", exact=True).click()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/survey/thanks$"))
    assert len(posts) == 2

    page.reload()  # the thank-you page is a GET: reloading it sends nothing
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    # Back lands on GET pages, not on a post's answer ("Confirm Form Resubmission").
    page.go_back()
    expect(page.get_by_role("heading", name="You have already answered")).to_be_visible()
    expect(page.locator("fieldset.survey-item")).to_have_count(0)
    page.go_back()
    expect(page.get_by_role("heading", name="You have already answered")).to_be_visible()
    assert len(posts) == 2

    # A customer who answers everything at once: Back shows the link already answered.
    page.goto(f"{live_demo}/survey/{other}")
    for n in range(3):
        page.locator("fieldset.survey-item").nth(n).get_by_text("Disagree", exact=True).click()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name="You have already answered")).to_be_visible()
    assert len(posts) == 3
    engine.dispose()
