"""A retention lead works one alert from the queue to closed: reads why, opens the humane
opening, assigns it, closes it with a pathway and a do-not-contact wish (an opt-out).

The demo loader runs the shipped rules once, on the day of the latest demo call, so the demo
has a queue (three alerts)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_from_menu
from tests.browser.test_scoring_keyboard import log_in

pytestmark = pytest.mark.browser


def test_lead_works_one_alert_from_queue_to_closed(live_demo, browser, page):
    log_in(page, live_demo, "lead@example.com", "demo-lead-pass")
    open_from_menu(page, "Customers", "Outreach")
    expect(page.get_by_role("heading", name="Outreach", exact=True)).to_be_visible()
    alerts = page.locator("article.outreach-alert")
    expect(alerts).to_have_count(3)
    first = alerts.first
    customer = first.get_attribute("data-customer")
    expect(first.locator(".reasons")).to_contain_text("usage down")
    expect(first.locator(".reasons")).to_contain_text("last call scored")
    first.get_by_text("A humane opening").click()
    expect(first.locator(".opening")).to_contain_text("What good looks like")
    # The call behind it opens its review.
    expect(first.locator("a.call-link")).to_have_attribute("href", re.compile(r"/reviews/\d+$"))
    first.get_by_label("Assign to (agent or team)").fill("Harbour retention")
    first.get_by_role("button", name="Assign").click()
    expect(page.locator(f'article[data-customer="{customer}"] .assignee')).to_have_text(
        "Harbour retention"
    )
    first = page.locator(f'article[data-customer="{customer}"]')
    first.get_by_label("What happened").select_option("apology_and_fix")
    first.get_by_label("Credit given (blank for none)").fill("0")
    first.get_by_label("The customer asked not to be contacted again").check()
    first.get_by_role("button", name="Close alert").click()
    closed = f"Alert for {customer} closed. They will not be contacted again."
    expect(page.get_by_text(closed)).to_be_visible()
    expect(page.locator("article.outreach-alert")).to_have_count(2)
    row = page.locator(f'#outreach-closed tr[data-customer="{customer}"]')
    expect(row).to_contain_text("Apology and fix")
    expect(row).to_contain_text("yes")
