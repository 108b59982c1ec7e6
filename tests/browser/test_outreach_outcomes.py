"""On the demo, "What happened next" loads into the Outreach page after it opens: the demo's
outreach pilot (closed alerts, customers held back by the daily cap) gives both groups."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_from_menu
from tests.browser.test_scoring_keyboard import log_in

pytestmark = pytest.mark.browser


def test_what_happened_next_loads_on_the_demo(live_demo, browser, page):
    log_in(page, live_demo, "coach@example.com", "demo-coach-pass")
    open_from_menu(page, "Customers", "Outreach")
    section = page.locator("#outreach-outcomes")
    expect(section.get_by_role("heading", name="What happened next")).to_be_visible()
    expect(section.locator("#contact-rate")).to_contain_text("95% interval")
    expect(section.locator("#outreach-association")).to_contain_text(
        "An association, not an effect:"
    )
    expect(section.locator('#outreach-churn tr[data-group="comparison"]')).to_be_visible()
