"""The coach page loads its comparison with htmx and hands out the spreadsheet."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_scoring_keyboard import log_in

pytestmark = pytest.mark.browser


def test_coach_page_loads_the_comparison_and_exports(live_demo, page):
    log_in(page, live_demo, "coach@example.com", "demo-coach-pass")
    page.goto(f"{live_demo}/coach")
    expect(page.locator("#comparison table.comparison").first).to_be_visible()
    expect(page.locator("#comparison")).to_contain_text("saved (rate) by save script")
    # The equity cuts are folded away until the coach opens one.
    new_agents = page.locator("details.equity", has_text="agent tenure: new (<90 days)")
    expect(new_agents.locator("table")).to_be_hidden()
    new_agents.locator("summary").click()
    expect(new_agents.locator("table")).to_be_visible()
    expect(new_agents.locator("caption")).to_have_text("agent tenure: new (<90 days)")
    page.get_by_role("button", name="Export CSV").click()
    link = page.get_by_role("button", name="Download")
    expect(link).to_be_visible(timeout=20_000)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".csv")
