"""The coach page loads its comparison with htmx and hands out the spreadsheet."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PATIENCE_MS
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
    expect(link).to_be_visible(timeout=PATIENCE_MS)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".csv")


def test_comparison_table_fits_a_1280_pixel_window(live_demo, page):
    """Four differences with their intervals: the page itself never scrolls sideways."""
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_demo, "coach@example.com", "demo-coach-pass")
    page.goto(f"{live_demo}/coach")
    table = page.locator("#comparison table.comparison").first
    expect(table).to_be_visible()
    expect(page.locator("#comparison")).to_contain_text("Association, not effect")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    box = page.locator("#comparison .comparison-scroll").first.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1280
    # How much of the table a coach sees without scrolling the box.
    widths = table.evaluate("t => [t.scrollWidth, t.parentElement.clientWidth]")
    assert widths[0] <= widths[1] * 1.05, widths
